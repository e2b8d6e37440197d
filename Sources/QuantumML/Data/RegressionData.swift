import Quantum

/// A table of samples with one numeric target each: what a regressor (`vqr`) trains on.
///
/// The regression counterpart of ``Dataset``, whose labels are class names. Every
/// `RegressionData` is valid: its initialiser checks the shapes, the names, and that every feature
/// and every target is finite.
///
/// ```swift
/// let data = try DatasetLoader.regressionCSV(text: csv, name: "prices.csv", targetColumn: "price")
/// let (train, test) = try randomSplit(data, testFraction: 0.25, seed: 7)
/// ```
public struct RegressionData: Sendable, Equatable {
    /// The features, samples × features.
    public var features: Matrix
    /// The target of each sample, in the file's units.
    public var targets: [Double]
    /// The name of each feature column, in column order.
    public var featureNames: [String]
    /// The name of the target column.
    public var targetName: String
    /// A name for messages and reports (the file name or path it was read from).
    public var name: String

    /// The number of samples.
    public var count: Int { targets.count }

    /// Regression data from its parts, checked.
    ///
    /// - Parameters:
    ///   - name: A name for messages and reports.
    ///   - features: The features, samples × features; every value finite.
    ///   - targets: One finite target per sample.
    ///   - featureNames: One name per feature column: none empty, no two equal.
    ///   - targetName: The name of the target column.
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when `targets` or `featureNames` do not fit
    ///   the shape of `features`; ``QuantumMLError/invalidArgument(argument:received:valid:)`` for an empty or repeated
    ///   feature name, a feature or a target that is not finite.
    public init(name: String, features: Matrix, targets: [Double], featureNames: [String], targetName: String) throws {
        guard targets.count == features.rows else {
            throw QuantumMLError.shapeMismatch(subject: "the targets", received: "\(targets.count) for \(features.rows) samples", expected: "one target per sample")
        }
        // The dataset's checks of the features and their names; one placeholder class stands in for the targets.
        try Dataset.validate(features: features, labels: [Int](repeating: 0, count: features.rows), classes: ["target"],
                             featureNames: featureNames)
        if let bad = targets.firstIndex(where: { !$0.isFinite }) {
            throw QuantumMLError.invalidArgument(argument: "the target of sample \(bad)", received: "\(targets[bad])", valid: "finite")
        }
        self.init(unchecked: name, features: features, targets: targets, featureNames: featureNames, targetName: targetName)
    }

    /// Regression data from parts already known to be valid (the loader, `subset`, splits).
    init(unchecked name: String, features: Matrix, targets: [Double], featureNames: [String], targetName: String) {
        assert(features.rows == targets.count && features.columns == featureNames.count)
        assert(targets.allSatisfy(\.isFinite))
        self.name = name
        self.features = features
        self.targets = targets
        self.featureNames = featureNames
        self.targetName = targetName
    }

    /// The samples at `indices`, in that order (an index may repeat); names are kept.
    ///
    /// - Parameter indices: Sample indices, each in `0..<count`.
    /// - Returns: Regression data of `indices.count` samples.
    /// - Precondition: Every index is in `0..<count`.
    public func subset(_ indices: [Int]) -> RegressionData {
        precondition(indices.allSatisfy { targets.indices.contains($0) }, "RegressionData.subset: an index is outside 0..<\(count)")
        return RegressionData(unchecked: name, features: features.selectingRows(indices), targets: indices.map { targets[$0] },
                              featureNames: featureNames, targetName: targetName)
    }
}

/// Splits regression data into training and test sets at random, reproducibly (there are no
/// classes to stratify by), like scikit-learn's `train_test_split(shuffle=True)`.
///
/// The rule: the sample indices are shuffled (Fisher–Yates with `SeededGenerator(seed)`), and the
/// first round(`testFraction` · n) of them (halves rounded up), clamped to 1…n − 1 so that neither
/// set is empty, go to the test set; the rest to the training set. Both sets list their samples in
/// the data's order. The samples chosen differ from scikit-learn's, since the random streams do.
///
/// - Parameters:
///   - data: The samples.
///   - testFraction: The share that goes to the test set, in (0, 1).
///   - seed: The seed; equal seeds give equal splits.
/// - Returns: The training and test sets.
/// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` when `testFraction` is not in (0, 1) or the
///   data has fewer than 2 samples.
public func randomSplit(_ data: RegressionData, testFraction: Double, seed: UInt64) throws
    -> (train: RegressionData, test: RegressionData)
{
    guard testFraction.isFinite, testFraction > 0, testFraction < 1 else {
        throw QuantumMLError.invalidArgument(argument: "the test fraction", received: "\(testFraction)", valid: "between 0 and 1 (exclusive)")
    }
    guard data.count >= 2 else {
        throw QuantumMLError.invalidArgument(argument: "the sample count of \(data.name)", received: "\(data.count)", valid: "at least 2 for a split")
    }
    let (kept, held) = SeededDraws.split(count: data.count, heldFraction: testFraction, seed: seed)
    return (data.subset(kept), data.subset(held))
}

extension SeededDraws {
    /// A seeded random split of `0..<count`: Fisher–Yates with `SeededGenerator(seed)`, then the
    /// first round(`heldFraction` · count) (halves away from zero, clamped to 1…count − 1) are held
    /// out. Both lists are sorted. Used by ``randomSplit(_:testFraction:seed:)`` and by a
    /// regressor's validation split.
    static func split(count: Int, heldFraction: Double, seed: UInt64) -> (kept: [Int], held: [Int]) {
        assert(count >= 2 && heldFraction > 0 && heldFraction < 1)
        var indices = Array(0..<count)
        var generator = SeededGenerator(seed: seed)
        shuffle(&indices, using: &generator)
        let wanted = Int((heldFraction * Double(count)).rounded(.toNearestOrAwayFromZero))
        let held = min(max(wanted, 1), count - 1)
        return (indices[held...].sorted(), indices[..<held].sorted())
    }
}
