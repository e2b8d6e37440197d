import Foundation
import Parallel
import Quantum

// The training loop on checked inputs. Every rank runs the same loop with the same seeds: the
// batch order, the SPSA directions and the optimiser state are equal everywhere, and each batch's
// sum comes from `reproducibleSum` (fixed per-sample blocks summed in order), which is bit for bit
// the same for every number of ranks and threads — so every rank takes the same step, and the
// trained parameters equal the one-rank, one-thread run exactly.

/// Samples (scaled features) and their targets (class indices or scaled values).
struct TrainingSamples: Sendable {
    let x: Matrix
    let targets: [Double]
    var count: Int { targets.count }
}

/// Early stopping on the validation loss: a strictly lower loss is an improvement; training stops
/// once `patience` epochs in a row bring none.
struct EarlyStopping: Sendable, Equatable {
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

/// What the loop returns.
struct TrainerResult: Sendable {
    var theta: [Double]
    var history: [EpochRecord]
    var bestEpoch: Int?
    var stoppedEarly: Bool
}

/// The loop: epochs of shuffled mini-batches, an optimiser step per batch, validation after each
/// epoch.
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

    /// Trains from `theta`.
    func run(_ train: TrainingSamples, validation: TrainingSamples?, theta initial: [Double]) throws -> TrainerResult {
        var theta = initial
        var state = OptimizerState(optimizer, parameterCount: theta.count)
        var order = Array(0..<train.count)
        var shuffler = SeededGenerator(seed: seed &+ 1)
        var directions = SeededGenerator(seed: seed &+ 2)
        var stopping = EarlyStopping(patience: patience)
        var best = theta
        var history: [EpochRecord] = []
        var stoppedEarly = false

        for epoch in 1...epochs {
            SeededDraws.shuffle(&order, using: &shuffler)
            var lossSum = 0.0, correctSum = 0.0
            for start in stride(from: 0, to: order.count, by: batchSize) {
                let batch = Array(order[start..<min(order.count, start + batchSize)])
                let sums: (loss: Double, correct: Double)
                if optimizer.usesGradients {
                    sums = try gradientStep(batch, train, &theta, &state)
                } else {
                    sums = try spsaStep(batch, train, &theta, &state, &directions)
                }
                lossSum += sums.loss
                correctSum += sums.correct
            }
            let n = Double(train.count)
            var record = EpochRecord(epoch: epoch, loss: lossSum / n, accuracy: classifies ? correctSum / n : nil)
            if let validation {
                let (loss, correct) = try evaluate(validation, theta: theta)
                record.validationLoss = loss
                record.validationAccuracy = classifies ? correct : nil
                if stopping.record(epoch: epoch, loss: loss) { best = theta }
            }
            history.append(record)
            progress?(record)
            if stopping.shouldStop, epoch < epochs {
                stoppedEarly = true
                break
            }
        }
        if validation != nil, stopping.bestEpoch != nil { theta = best }
        return TrainerResult(theta: theta, history: history, bestEpoch: stopping.bestEpoch, stoppedEarly: stoppedEarly)
    }

    /// The batch's summed gradient (over ranks and threads), one Adam/SGD step with its mean;
    /// returns the batch's summed loss and correct count.
    private func gradientStep(_ batch: [Int], _ train: TrainingSamples, _ theta: inout [Double],
                              _ state: inout OptimizerState) throws -> (loss: Double, correct: Double)
    {
        let sum = try batchGradient(batch, train, theta: theta)
        let p = problem.parameterCount
        let scale = 1 / Double(batch.count)
        state.step(&theta, gradient: sum[0..<p].map { $0 * scale })
        return (sum[p], sum[p + 1])
    }

    /// Σ over the batch of [∂ℓ/∂θ, ℓ, correct], identical for every rank and thread count.
    func batchGradient(_ batch: [Int], _ train: TrainingSamples, theta: [Double]) throws -> [Double] {
        let problem = problem, x = train.x, targets = train.targets
        return try communicator.reproducibleSum(count: batch.count, length: problem.parameterCount + 2, blockSize: 1,
                                                using: scheduler) { i, accumulator in
            let row = batch[i]
            try problem.addGradient(x, row: row, target: targets[row], theta: theta, into: &accumulator)
        }
    }

    /// One SPSA step on the batch; returns the mean of the two perturbed batch losses and correct
    /// counts.
    private func spsaStep(_ batch: [Int], _ train: TrainingSamples, _ theta: inout [Double], _ state: inout OptimizerState,
                          _ generator: inout SeededGenerator) throws -> (loss: Double, correct: Double)
    {
        let delta = OptimizerState.spsaDirection(count: theta.count, using: &generator)
        let c = state.spsaGains.c
        let plus = zip(theta, delta).map { $0 + c * $1 }, minus = zip(theta, delta).map { $0 - c * $1 }
        let problem = problem, x = train.x, targets = train.targets
        let sums = try communicator.reproducibleSum(count: batch.count, length: 4, blockSize: 1, using: scheduler) { i, accumulator in
            let row = batch[i]
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
        let problem = problem, x = samples.x, targets = samples.targets
        let sums = try communicator.reproducibleSum(count: samples.count, length: 2, blockSize: 1, using: scheduler) { i, accumulator in
            let result = try problem.loss(x, row: i, target: targets[i], theta: theta)
            accumulator[0] += result.loss
            if result.correct { accumulator[1] += 1 }
        }
        let n = Double(max(samples.count, 1))
        return (sums[0] / n, sums[1] / n)
    }
}
