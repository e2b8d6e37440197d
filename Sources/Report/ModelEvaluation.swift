import Figures
import Foundation
import Parallel
import Privacy
import QuantumML

/// The samples a model is evaluated on, and how they were found (for captions).
struct ModelSamples {
    /// Samples the model was trained on (kernel matrix, decision regions).
    var train: Dataset?
    /// Held-out samples (confusion matrix).
    var test: Dataset?
    /// Where they came from, in words.
    var origin: String
    /// Whether `train` and `test` are known to be the training and held-out samples (false when
    /// the report's data could not be split as the model was: both are then all of it).
    var rolesKnown = true
}

/// What a report computes from a model held in memory: its samples, confusion matrix, kernel
/// matrix, decision regions and ε over its steps.
enum ModelEvaluation {
    /// The most samples drawn on one side of a kernel matrix.
    static let kernelLimit = 120
    /// Cells per side of a decision-region grid.
    static let gridSize = 48

    /// The samples to evaluate `entry` on: those handed over in memory, else the report's data
    /// (split again as the model recorded its split, when the sizes agree).
    static func samples(for entry: ModelEntry, content: ReportContent) -> ModelSamples? {
        if entry.trainingSamples != nil || entry.testSamplesData != nil {
            return ModelSamples(train: entry.trainingSamples, test: entry.testSamplesData, origin: "the run's own split")
        }
        guard let data = content.samples, let model = entry.model else { return nil }
        guard model.featureNames.allSatisfy(data.featureNames.contains) else { return nil }
        if let held = content.heldOutSamples {
            return ModelSamples(train: data, test: held, origin: "\(data.name)'s training and test samples")
        }
        let total = (entry.samples ?? 0) + (entry.validationSamples ?? 0) + (entry.testSamples ?? 0)
        if let split = entry.split, data.count == total, let parts = try? stratifiedSplit(data, testFraction: split.testSize, seed: split.seed) {
            return ModelSamples(train: parts.train, test: parts.test,
                                origin: "\(data.name) split again as the model records it (seed \(split.seed), test share \(NumberFormat.significant(split.testSize, digits: 3)))")
        }
        return ModelSamples(train: data, test: data, origin: "all \(data.count) samples of \(data.name)", rolesKnown: false)
    }

    /// The samples' columns in the model's feature order, and each sample's class index in the
    /// model's classes (nil when the data has no label column of that name, or a class the model
    /// does not know).
    static func aligned(_ data: Dataset, to model: TrainedModel) throws -> (features: Matrix, labels: [Int?]) {
        let columns = try model.featureNames.map { name -> Int in
            guard let index = data.featureNames.firstIndex(of: name) else {
                throw ReportError.unreadableInput(path: data.name, found: "no feature \"\(name)\", which the model takes",
                                                  valid: "samples with the features \(model.featureNames.joined(separator: ", "))")
            }
            return index
        }
        let classIndex = data.classes.map { Dataset.classIndex(of: $0, in: model.classNames) }
        let labels: [Int?] = data.labelName == model.labelName ? data.labels.map { classIndex[$0] } : Array(repeating: nil, count: data.count)
        return (data.features.selectingColumns(columns), labels)
    }

    /// Counts of (true class, predicted class) over the labelled samples, rows and columns in the
    /// model's class order.
    static func confusion(_ model: TrainedModel, _ data: Dataset, scheduler: Scheduler) throws -> (counts: [[Int]], unlabelled: Int) {
        let (features, labels) = try aligned(data, to: model)
        let predicted = try model.predictClassIndices(features, scheduler: scheduler)
        let classes = model.classNames.count
        var counts = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        var unlabelled = 0
        for (truth, guess) in zip(labels, predicted) {
            guard let truth, truth < classes, guess >= 0, guess < classes else { unlabelled += 1; continue }
            counts[truth][guess] += 1
        }
        return (counts, unlabelled)
    }

    /// The kernel matrix of at most ``kernelLimit`` samples sorted by class: the samples of each
    /// class in file order, every k-th when there are more (k = ⌈n / limit⌉ for all classes alike).
    static func kernel(_ model: TrainedModel, _ data: Dataset, scheduler: Scheduler) throws
        -> (values: [[Double]], groups: [(String, Int)], used: Int, total: Int) {
        let (features, labels) = try aligned(data, to: model)
        let stride = max(1, Int((Double(data.count) / Double(kernelLimit)).rounded(.up)))
        var order: [Int] = []
        var groups: [(String, Int)] = []
        for (c, name) in model.classNames.enumerated() {
            let members = labels.indices.filter { labels[$0] == c }
            let kept = members.enumerated().filter { $0.offset % stride == 0 }.map(\.element)
            if !kept.isEmpty { groups.append((name, kept.count)); order += kept }
        }
        let unlabelled = labels.indices.filter { labels[$0] == nil }
        let keptUnlabelled = unlabelled.enumerated().filter { $0.offset % stride == 0 }.map(\.element)
        if !keptUnlabelled.isEmpty { groups.append(("unlabelled", keptUnlabelled.count)); order += keptUnlabelled }
        let matrix = try model.kernelMatrix(features.selectingRows(order), scheduler: scheduler)
        return (matrix.rowArrays, groups, order.count, data.count)
    }

    /// The model's class at each cell centre of a grid over two features: over the samples'
    /// range (widened by 8 % on each side), else over the scaler's training range.
    static func regions(_ model: TrainedModel, samples: [Dataset], scheduler: Scheduler) throws
        -> (x: [Double], y: [Double], classes: [[Int]], rangeFrom: String)? {
        guard model.featureNames.count == 2 else { return nil }
        var ranges: [(Double, Double)] = []
        var rangeFrom = "the samples"
        let matrices = try samples.map { try aligned($0, to: model).features }
        if matrices.contains(where: { $0.rows > 0 }) {
            for column in 0..<2 {
                let values = matrices.flatMap { m in (0..<m.rows).map { m[$0, column] } }
                guard let low = values.min(), let high = values.max() else { return nil }
                let pad = (high - low) * 0.08 + (high == low ? 1 : 0)
                ranges.append((low - pad, high + pad))
            }
        } else {
            guard let scaler = scalerOf(model) else { return nil }
            rangeFrom = "the model's training range (from its scaler)"
            for column in 0..<2 {
                let offset = scaler.offsets[column], factor = scaler.factors[column]
                switch scaler.kind {
                case .minmax where factor > 0: ranges.append((offset, offset + Double.pi / factor))
                case .standard where factor > 0: ranges.append((offset - 2.5 / factor, offset + 2.5 / factor))
                default: return nil
                }
            }
        }
        let n = gridSize
        let xs = (0..<n).map { ranges[0].0 + (Double($0) + 0.5) / Double(n) * (ranges[0].1 - ranges[0].0) }
        let ys = (0..<n).map { ranges[1].0 + (Double($0) + 0.5) / Double(n) * (ranges[1].1 - ranges[1].0) }
        var values: [Double] = []
        values.reserveCapacity(n * n * 2)
        for y in ys { for x in xs { values += [x, y] } }
        let predicted = try model.predictClassIndices(try Matrix(rows: n * n, columns: 2, values: values), scheduler: scheduler)
        let grid = (0..<n).map { row in Array(predicted[(row * n)..<((row + 1) * n)]) }
        return (xs, ys, grid, rangeFrom)
    }

    static func scalerOf(_ model: TrainedModel) -> Scaler? {
        switch model {
        case .kernel(let m): m.scaler
        case .variational(let m): m.scaler
        }
    }

    /// ε at δ after t steps of the recorded (q, σ), for up to `points` step counts from 1 to the
    /// steps taken, with the accountant the model used.
    static func epsilonCurve(_ privacy: PrivacyRecord, points: Int = 40) throws -> [(x: Double, y: Double)] {
        guard privacy.steps >= 1, privacy.noiseMultiplier > 0 else { return [] }
        let kind = PrivacyAccountantKind(rawValue: privacy.accountant) ?? .rdp
        let count = kind == .pld ? min(points, 12) : points
        var steps = Set((1...count).map { max(1, Int((Double(privacy.steps) * Double($0) / Double(count)).rounded())) })
        steps.insert(1)
        return try steps.sorted().map { t in
            let guarantee = try PrivacyAccounting.epsilon(samplingRate: privacy.samplingRate, noiseMultiplier: privacy.noiseMultiplier,
                                                          steps: t, delta: privacy.delta, accountant: kind)
            return (Double(t), guarantee.epsilon)
        }.filter { $0.y.isFinite }
    }
}
