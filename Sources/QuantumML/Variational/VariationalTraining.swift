import Foundation
import Parallel
import Quantum

// The training loop on checked inputs. Every rank runs the same loop with the same seeds: the
// batch order, the SPSA directions and the optimiser state are equal everywhere, and each batch's
// sum comes from `reproducibleSum` (fixed per-sample blocks summed in order), which is bit for bit
// the same for every number of ranks and threads — so every rank takes the same step, and the
// trained parameters equal the one-rank, one-thread run exactly.
// With federated shards (each rank holding only its own rows) the order and batches are drawn
// over the global indices the same way, but each rank adds the terms of the rows it holds and the
// partial sums meet in one sum (`partitionedSum`), so the parameters equal the one-process run on
// the concatenated shards within rounding instead of bit for bit.

/// Samples (scaled features) and their targets (class indices or scaled values).
///
/// With federated shards each rank holds only its own rows: `x` and `targets` are this rank's, and
/// `shard` places them in the one global index space (the shards in rank order), in which the
/// batch order, the Poisson batches and the sums are defined. Without shards every rank holds every
/// row and `shard` is nil.
struct TrainingSamples: Sendable {
    let x: Matrix
    let targets: [Double]
    var shard: SampleShard? = nil
    /// N: the samples of every rank together (the rows here without shards).
    var count: Int { shard?.total ?? targets.count }
    /// This rank's row of global sample `index`.
    func row(_ index: Int) -> Int { index - (shard?.first ?? 0) }
    /// Which items of `indices` (global sample numbers) this rank holds; nil without shards (every
    /// rank holds every row, and the work is shared out by `reproducibleSum`).
    func holder(of indices: [Int]) -> (@Sendable (Int) -> Bool)? {
        guard let shard else { return nil }
        let range = shard.first..<(shard.first + targets.count)
        return { range.contains(indices[$0]) }
    }
}

/// Where one rank's rows sit in the global index space of federated shards.
struct SampleShard: Sendable, Equatable {
    /// The global index of this rank's first row: the rows of the ranks before it.
    let first: Int
    /// The rows of every rank together.
    let total: Int

    /// Agrees the layout of the ranks' row counts (allgathered: the counts are public to the
    /// ranks) — rank r's rows come after those of ranks 0…r−1.
    /// - Returns: this rank's place and every rank's count.
    static func agree(localCount: Int, over communicator: any Communicator) throws -> (shard: SampleShard, counts: [Int]) {
        let counts = try communicator.allgather([localCount]).map { $0.first ?? 0 }
        let first = counts[..<communicator.rank].reduce(0, +)
        return (SampleShard(first: first, total: counts.reduce(0, +)), counts)
    }
}

/// Σ over `0..<count` of the terms: shared out over the ranks by `reproducibleSum` (one item per
/// block, bit for bit the same for any rank count), or, with federated shards (`holds` given),
/// added by the rank that holds each item and combined in one sum (`partitionedSum`).
/// `adjustingPartial` (federated shards only) changes this rank's partial sum before the sums meet.
func sumOfTerms(_ communicator: any Communicator, count: Int, length: Int, using scheduler: Scheduler,
                holds: (@Sendable (Int) -> Bool)?, adjustingPartial: (inout [Double]) -> Void = { _ in },
                _ term: @escaping @Sendable (Int, inout [Double]) throws -> Void) throws -> [Double]
{
    if let holds {
        return try communicator.partitionedSum(count: count, length: length, using: scheduler, holds: holds,
                                               adjustingPartial: adjustingPartial, term)
    }
    return try communicator.reproducibleSum(count: count, length: length, blockSize: 1, using: scheduler, term)
}

/// Early stopping on the validation loss: a strictly lower loss is an improvement; training stops
/// once `patience` epochs in a row bring none.
struct EarlyStopping: Codable, Sendable, Equatable {
    let patience: Int?
    private(set) var bestLoss = Double.infinity
    private(set) var bestEpoch: Int?
    private(set) var epochsWithoutImprovement = 0

    init(patience: Int?) { self.patience = patience }

    /// Records an epoch's validation loss; returns true when it is the best so far.
    mutating func record(epoch: Int, loss: Double) -> Bool {
        if loss < bestLoss {
            bestLoss = loss
            bestEpoch = epoch
            epochsWithoutImprovement = 0
            return true
        }
        epochsWithoutImprovement += 1
        return false
    }

    /// Whether training should stop now.
    var shouldStop: Bool { patience.map { epochsWithoutImprovement >= $0 } ?? false }
}

/// A seeded generator that counts its draws, so that its state can be saved as (seed, draws) and
/// restored by drawing again: the batch order and SPSA's directions of a resumed run continue
/// exactly where the saved run stopped.
struct CountingGenerator: RandomNumberGenerator, Codable, Sendable, Equatable {
    let seed: UInt64
    private(set) var draws: UInt64 = 0
    private var generator: SeededGenerator

    init(seed: UInt64) {
        self.seed = seed
        generator = SeededGenerator(seed: seed)
    }

    mutating func next() -> UInt64 {
        draws += 1
        return generator.next()
    }

    private enum CodingKeys: String, CodingKey { case seed, draws }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(seed: try container.decode(UInt64.self, forKey: .seed))
        let draws = try container.decode(UInt64.self, forKey: .draws)
        guard draws <= 1 << 40 else {
            throw DecodingError.dataCorruptedError(forKey: .draws, in: container, debugDescription: "\(draws) draws is more than a run makes")
        }
        for _ in 0..<draws { _ = next() }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seed, forKey: .seed)
        try container.encode(draws, forKey: .draws)
    }

    static func == (a: CountingGenerator, b: CountingGenerator) -> Bool { a.seed == b.seed && a.draws == b.draws }
}

/// Where a training run stands between two steps: everything it needs to continue exactly as an
/// uninterrupted run would (saved in checkpoints).
struct TrainerState: Codable, Sendable, Equatable {
    /// The parameters θ.
    var theta: [Double]
    /// The optimiser's step count and moments.
    var optimizer: OptimizerState
    /// The epoch in progress, from 1.
    var epoch: Int
    /// Steps taken in the epoch in progress.
    var stepInEpoch: Int
    /// Steps taken in all.
    var steps: Int
    /// The sample order of the epoch in progress (shuffled batches; empty with Poisson batches).
    var order: [Int]
    /// Shuffles the order at each epoch's start.
    var shuffler: CountingGenerator
    /// SPSA's directions.
    var directions: CountingGenerator
    /// The epoch in progress so far: summed loss, correct count, samples seen and gradients clipped.
    var lossSum: Double
    var correctSum: Double
    var samplesSeen: Int
    var clippedSeen: Int
    /// Early stopping, and the weights of the best epoch so far.
    var stopping: EarlyStopping
    var best: [Double]
    /// The epochs finished.
    var history: [EpochRecord]
    var stoppedEarly: Bool
    /// Whether training has ended (the last epoch, early stopping, or the privacy budget).
    var finished: Bool
    /// DP-SGD's sampler, noise and budget (private runs).
    var privacy: PrivateTrainingState?

    /// Checks a decoded state against the run it must continue.
    /// - Returns: what does not fit, or nil.
    func mismatch(parameterCount: Int, trainCount: Int, privacy plan: PrivatePlan?) -> String? {
        guard theta.count == parameterCount, best.count == parameterCount, optimizer.first.count == parameterCount,
              optimizer.second.count == parameterCount else {
            return "it holds \(theta.count) parameters; this model has \(parameterCount)"
        }
        guard (theta + best + optimizer.first + optimizer.second).allSatisfy(\.isFinite) else { return "it holds non-finite parameters" }
        guard epoch >= 1, stepInEpoch >= 0, steps >= stepInEpoch, history.count == epoch - 1 || (finished && history.count == epoch) else {
            return "its epoch (\(epoch)), steps and history (\(history.count) epochs) do not agree"
        }
        if plan == nil {
            guard order.count == trainCount, Set(order) == Set(0..<trainCount) else {
                return "its sample order is not an order of this run's \(trainCount) training samples"
            }
        }
        switch (privacy, plan) {
        case (nil, nil): return nil
        case (nil, .some): return "it was written by a run without differential privacy"
        case (.some, nil): return "it was written by a differentially private run"
        case (.some(let state), .some(let plan)): return state.mismatch(with: plan)
        }
    }
}

/// What the loop returns.
struct TrainerResult: Sendable {
    var theta: [Double]
    var history: [EpochRecord]
    var bestEpoch: Int?
    var stoppedEarly: Bool
    /// The private run's final state (nil without differential privacy).
    var privacy: PrivateTrainingState?
}

/// The loop: epochs of mini-batches (shuffled, or Poisson-sampled for DP-SGD), an optimiser step per
/// batch, validation after each epoch. It runs from a ``TrainerState`` — fresh or restored from a
/// checkpoint — one step at a time, so that a checkpoint may be taken between any two steps.
struct VariationalTrainer: Sendable {
    let problem: VariationalProblem
    let optimizer: Optimizer
    let epochs: Int
    let batchSize: Int
    let seed: UInt64
    let patience: Int?
    let scheduler: Scheduler
    let communicator: any Communicator
    let progress: (@Sendable (EpochRecord) -> Void)?
    /// DP-SGD's plan (nil: plain training with shuffled batches).
    var privacy: PrivatePlan? = nil

    /// Reports classification accuracy (classifier) or not (regressor).
    var classifies: Bool { problem.head.classes != nil }

    /// The seeded initial θ: circuit weights uniform in [−π, π], the layer's W and b uniform in
    /// [−1/√m, 1/√m].
    static func initialParameters(_ problem: VariationalProblem, seed: UInt64) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        var theta = (0..<problem.weightCount).map { _ in Double.pi * (2 * generator.nextUniform() - 1) }
        let bound = 1 / Double(problem.head.inputCount).squareRoot()
        theta += (0..<problem.head.linearParameterCount).map { _ in bound * (2 * generator.nextUniform() - 1) }
        return theta
    }

    /// The state before the first step: θ, a fresh optimiser, the first epoch's shuffled order
    /// (plain runs) and DP-SGD's fresh state (private runs).
    func initialState(theta: [Double], trainCount: Int, privacy: PrivateTrainingState?) -> TrainerState {
        var shuffler = CountingGenerator(seed: seed &+ 1)
        var order: [Int] = []
        if self.privacy == nil {
            order = Array(0..<trainCount)
            SeededDraws.shuffle(&order, using: &shuffler)
        }
        return TrainerState(theta: theta, optimizer: OptimizerState(optimizer, parameterCount: theta.count), epoch: 1, stepInEpoch: 0,
                            steps: 0, order: order, shuffler: shuffler, directions: CountingGenerator(seed: seed &+ 2), lossSum: 0,
                            correctSum: 0, samplesSeen: 0, clippedSeen: 0, stopping: EarlyStopping(patience: patience), best: theta,
                            history: [], stoppedEarly: false, finished: false, privacy: privacy)
    }

    /// The steps of epoch k: ⌈N/B⌉ batches of the shuffled order, or DP-SGD's share of ⌈E·N/B⌉.
    func steps(inEpoch k: Int, trainCount: Int) -> Int {
        privacy?.steps(inEpoch: k) ?? (trainCount + batchSize - 1) / batchSize
    }

    /// Trains from `state` to the end.
    /// - Parameters:
    ///   - checkpoint: called with the state after every `checkpointEvery` steps, or at the end of
    ///     every epoch when that is nil (not called when nil).
    /// - Returns: the parameters (the best epoch's, with a validation split), history and DP state.
    func run(_ train: TrainingSamples, validation: TrainingSamples?, from start: TrainerState, checkpointEvery: Int? = nil,
             checkpoint: ((TrainerState) throws -> Void)? = nil) throws -> TrainerResult
    {
        var state = start
        while !state.finished {
            if state.stepInEpoch < steps(inEpoch: state.epoch, trainCount: train.count) {
                if try step(&state, train) {
                    state.stepInEpoch += 1
                    state.steps += 1
                    if let checkpoint, let every = checkpointEvery, state.steps % every == 0 { try checkpoint(state) }
                    continue
                }
                // The privacy budget refused the step: the epoch ends here, and training with it.
                state.finished = true
                if state.stepInEpoch == 0 { break }
            }
            try endEpoch(&state, train, validation)
            if let checkpoint, checkpointEvery == nil { try checkpoint(state) }
        }
        if validation != nil, state.stopping.bestEpoch != nil { state.theta = state.best }
        return TrainerResult(theta: state.theta, history: state.history, bestEpoch: state.stopping.bestEpoch,
                             stoppedEarly: state.stoppedEarly, privacy: state.privacy)
    }

    /// One optimiser step of the epoch in progress; false when the privacy budget refuses it.
    private func step(_ state: inout TrainerState, _ train: TrainingSamples) throws -> Bool {
        if let plan = privacy, var dp = state.privacy {
            guard let batch = try dp.beginStep(plan.mechanism) else {
                state.privacy = dp
                return false
            }
            var aggregation = PrivateGradients(communicator: communicator, dpsgd: dp.aggregator)
            aggregation.holds = train.holder(of: batch)
            aggregation.siteNoise = dp.siteNoise
            let sums = try gradientStep(batch, train, &state, &aggregation, expectedBatchSize: Double(plan.expectedBatchSize))
            dp.aggregator = aggregation.dpsgd
            dp.siteNoise = aggregation.siteNoise
            dp.samples += batch.count
            dp.clipped += sums.clipped
            state.privacy = dp
            state.lossSum += sums.loss
            state.correctSum += sums.correct
            state.samplesSeen += batch.count
            state.clippedSeen += sums.clipped
            return true
        }
        let start = state.stepInEpoch * batchSize
        let batch = Array(state.order[start..<min(state.order.count, start + batchSize)])
        let sums: (loss: Double, correct: Double)
        if optimizer.usesGradients {
            var aggregation = SummedGradients(communicator: communicator)
            aggregation.holds = train.holder(of: batch)
            let result = try gradientStep(batch, train, &state, &aggregation, expectedBatchSize: nil)
            sums = (result.loss, result.correct)
        } else {
            sums = try spsaStep(batch, train, &state.theta, &state.optimizer, &state.directions)
        }
        state.lossSum += sums.loss
        state.correctSum += sums.correct
        state.samplesSeen += batch.count
        return true
    }

    /// The epoch's record, validation and early stopping; then the next epoch's order, or the end.
    private func endEpoch(_ state: inout TrainerState, _ train: TrainingSamples, _ validation: TrainingSamples?) throws {
        var record: EpochRecord
        if privacy != nil {
            // DP-SGD: means over the samples the Poisson batches held (0 and nil when none).
            let seen = state.samplesSeen, n = Double(max(seen, 1))
            record = EpochRecord(epoch: state.epoch, loss: state.lossSum / n, accuracy: classifies && seen > 0 ? state.correctSum / n : nil)
            record.samples = seen
            record.clippedFraction = seen > 0 ? Double(state.clippedSeen) / n : nil
        } else {
            let n = Double(train.count)
            record = EpochRecord(epoch: state.epoch, loss: state.lossSum / n, accuracy: classifies ? state.correctSum / n : nil)
        }
        if let validation {
            let (loss, correct) = try evaluate(validation, theta: state.theta)
            record.validationLoss = loss
            record.validationAccuracy = classifies ? correct : nil
            if state.stopping.record(epoch: state.epoch, loss: loss) { state.best = state.theta }
        }
        state.history.append(record)
        progress?(record)
        if state.stopping.shouldStop, state.epoch < epochs, !state.finished {
            state.stoppedEarly = true
            state.finished = true
        }
        if state.epoch >= epochs { state.finished = true }
        guard !state.finished else { return }
        state.epoch += 1
        state.stepInEpoch = 0
        state.lossSum = 0
        state.correctSum = 0
        state.samplesSeen = 0
        state.clippedSeen = 0
        if privacy == nil { SeededDraws.shuffle(&state.order, using: &state.shuffler) }
    }

    /// The batch's aggregated gradient (over ranks and threads), one Adam/SGD step with its mean —
    /// the sum divided by the batch's size, or by DP-SGD's expected batch size q·N; returns the
    /// batch's summed loss, correct count and clipped count.
    private func gradientStep(_ batch: [Int], _ train: TrainingSamples, _ state: inout TrainerState,
                              _ aggregation: inout some GradientAggregation, expectedBatchSize: Double?) throws
        -> (loss: Double, correct: Double, clipped: Int)
    {
        let p = problem.parameterCount
        let aggregated = try aggregation.aggregate(count: batch.count, gradientLength: p, statisticsLength: 2, using: scheduler,
                                                   batchTerm(batch, train, theta: state.theta))
        let scale = 1 / (expectedBatchSize ?? Double(batch.count))
        state.optimizer.step(&state.theta, gradient: aggregated.gradient.map { $0 * scale })
        return (aggregated.statistics[0], aggregated.statistics[1], aggregated.clippedCount)
    }

    /// The per-sample term of a batch: sample `batch[i]`'s [∂ℓ/∂θ, ℓ, correct] added to the buffer.
    func batchTerm(_ batch: [Int], _ train: TrainingSamples, theta: [Double]) -> @Sendable (Int, inout [Double]) throws -> Void {
        let problem = problem, x = train.x, targets = train.targets, train = train
        return { i, accumulator in
            let row = train.row(batch[i])
            try problem.addGradient(x, row: row, target: targets[row], theta: theta, into: &accumulator)
        }
    }

    /// Σ over the batch of [∂ℓ/∂θ, ℓ, correct], identical for every rank and thread count.
    func batchGradient(_ batch: [Int], _ train: TrainingSamples, theta: [Double]) throws -> [Double] {
        try sumOfTerms(communicator, count: batch.count, length: problem.parameterCount + 2, using: scheduler,
                       holds: train.holder(of: batch), batchTerm(batch, train, theta: theta))
    }

    /// One SPSA step on the batch; returns the mean of the two perturbed batch losses and correct
    /// counts.
    private func spsaStep(_ batch: [Int], _ train: TrainingSamples, _ theta: inout [Double], _ state: inout OptimizerState,
                          _ generator: inout CountingGenerator) throws -> (loss: Double, correct: Double)
    {
        let delta = OptimizerState.spsaDirection(count: theta.count, using: &generator)
        let c = state.spsaGains.c
        let plus = zip(theta, delta).map { $0 + c * $1 }, minus = zip(theta, delta).map { $0 - c * $1 }
        let problem = problem, x = train.x, targets = train.targets, train = train
        let sums = try sumOfTerms(communicator, count: batch.count, length: 4, using: scheduler,
                                  holds: train.holder(of: batch)) { i, accumulator in
            let row = train.row(batch[i])
            let up = try problem.loss(x, row: row, target: targets[row], theta: plus)
            let down = try problem.loss(x, row: row, target: targets[row], theta: minus)
            accumulator[0] += up.loss
            accumulator[1] += down.loss
            accumulator[2] += up.correct ? 1 : 0
            accumulator[3] += down.correct ? 1 : 0
        }
        let scale = 1 / Double(batch.count)
        state.spsaStep(&theta, direction: delta, lossPlus: sums[0] * scale, lossMinus: sums[1] * scale)
        return ((sums[0] + sums[1]) / 2, (sums[2] + sums[3]) / 2)
    }

    /// The mean loss and accuracy of θ on `samples`.
    func evaluate(_ samples: TrainingSamples, theta: [Double]) throws -> (loss: Double, accuracy: Double) {
        let problem = problem, x = samples.x, targets = samples.targets, samples = samples
        let sums = try sumOfTerms(communicator, count: samples.count, length: 2, using: scheduler,
                                  holds: samples.holder(of: Array(0..<samples.count))) { i, accumulator in
            let row = samples.row(i)
            let result = try problem.loss(x, row: row, target: targets[row], theta: theta)
            accumulator[0] += result.loss
            if result.correct { accumulator[1] += 1 }
        }
        let n = Double(max(samples.count, 1))
        return (sums[0] / n, sums[1] / n)
    }
}
