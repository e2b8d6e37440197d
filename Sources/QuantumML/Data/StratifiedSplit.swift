import Quantum

/// Splits a dataset into training and test sets with the class proportions of the whole, like
/// scikit-learn's `StratifiedShuffleSplit`, reproducibly.
///
/// The rule, class by class in ``Dataset/classes`` order: the n_c samples of the class are
/// shuffled (Fisher–Yates, one seeded generator for all classes), and the first
/// round(`testFraction` · n_c) of them (halves rounded up) go to the test set, clamped to 1…n_c − 1
/// so that both sets keep every class; the rest go to the training set. Classes without samples
/// are skipped. Both sets list their samples in the dataset's order and keep its classes, names
/// and feature names. Per class, the test count differs from scikit-learn's by at most one; the
/// samples chosen differ, since the random streams do.
///
/// - Parameters:
///   - data: The dataset.
///   - testFraction: The share of each class that goes to the test set, in (0, 1).
///   - seed: The seed; equal seeds give equal splits.
/// - Returns: The training and test sets.
/// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` when `testFraction` is not in (0, 1), the
///   dataset has fewer than 2 samples, or a class has a single sample (it cannot be in both sets).
public func stratifiedSplit(_ data: Dataset, testFraction: Double, seed: UInt64) throws -> (train: Dataset, test: Dataset) {
    guard testFraction.isFinite, testFraction > 0, testFraction < 1 else {
        throw QuantumMLError.invalidArgument(argument: "the test fraction", received: "\(testFraction)", valid: "between 0 and 1 (exclusive)")
    }
    guard data.count >= 2 else {
        throw QuantumMLError.invalidArgument(argument: "the sample count of \(data.name)", received: "\(data.count)", valid: "at least 2 for a split")
    }
    var members = [[Int]](repeating: [], count: data.classes.count)
    for (index, label) in data.labels.enumerated() { members[label].append(index) }
    if let lonely = members.firstIndex(where: { $0.count == 1 }) {
        throw QuantumMLError.invalidArgument(argument: "the samples of class \"\(data.classes[lonely])\" of \(data.name)", received: "1", valid: "at least 2 per class for a stratified split")
    }

    var generator = SeededGenerator(seed: seed)
    var train: [Int] = [], test: [Int] = []
    for var indices in members where !indices.isEmpty {
        SeededDraws.shuffle(&indices, using: &generator)
        let wanted = Int((testFraction * Double(indices.count)).rounded(.toNearestOrAwayFromZero))
        let testCount = min(max(wanted, 1), indices.count - 1)
        test += indices[..<testCount]
        train += indices[testCount...]
    }
    return (data.subset(train.sorted()), data.subset(test.sorted()))
}
