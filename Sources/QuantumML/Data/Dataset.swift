/// A labelled table of samples: a feature matrix, one class per sample, and the names of both.
///
/// Labels are indices into ``classes``; class names are the label column's text as written
/// (`"setosa"`, `"0"`, `"-1"`; labels that read as the same number, `1` and `1.0`, are one class,
/// named as first written), in the order of ``Dataset/sortedClassNames(_:)``, which is the
/// order of scikit-learn's `classes_`. Every `Dataset` is valid: its initialiser and its decoder
/// check the shapes, the label range and that every feature is finite.
///
/// ```swift
/// let iris = DatasetLoader.iris()
/// let (train, test) = try stratifiedSplit(iris, testFraction: 0.2, seed: 7)
/// ```
public struct Dataset: Sendable, Equatable, Codable {
    /// The features, samples × features.
    public var features: Matrix
    /// The class of each sample: an index into ``classes``.
    public var labels: [Int]
    /// The class names, ordered by ``Dataset/sortedClassNames(_:)``.
    public var classes: [String]
    /// The name of each feature column, in column order.
    public var featureNames: [String]
    /// The name of the label column.
    public var labelName: String
    /// A name for messages and reports: the file name without `.csv`/`.sealed`, `"iris"`, `"ad_hoc"`.
    public var name: String

    /// The number of samples.
    public var count: Int { labels.count }

    /// A dataset from its parts, checked.
    ///
    /// - Parameters:
    ///   - name: A name for messages and reports.
    ///   - features: The features, samples × features; every value finite.
    ///   - labels: The class of each sample, an index into `classes`.
    ///   - classes: The class names: at least one, none empty, no two equal.
    ///   - featureNames: One name per feature column: none empty, no two equal.
    ///   - labelName: The name of the label column.
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when `labels` or `featureNames` do not fit the
    ///   shape of `features`; ``QuantumMLError/invalidArgument(argument:received:valid:)`` for no classes, an empty or
    ///   repeated class or feature name, a label outside `0..<classes.count`, or a feature that is
    ///   not finite.
    public init(name: String, features: Matrix, labels: [Int], classes: [String], featureNames: [String],
                labelName: String) throws {
        try Dataset.validate(features: features, labels: labels, classes: classes, featureNames: featureNames)
        self.init(unchecked: name, features: features, labels: labels, classes: classes, featureNames: featureNames,
                  labelName: labelName)
    }

    /// A dataset from parts already known to be valid (loaders, `subset`, splits).
    init(unchecked name: String, features: Matrix, labels: [Int], classes: [String], featureNames: [String],
         labelName: String) {
        assert(features.rows == labels.count && features.columns == featureNames.count)
        assert(labels.allSatisfy { classes.indices.contains($0) })
        self.name = name
        self.features = features
        self.labels = labels
        self.classes = classes
        self.featureNames = featureNames
        self.labelName = labelName
    }

    /// The samples at `indices`, in that order (an index may repeat). The classes, names and
    /// feature names are kept, even for classes that no selected sample has.
    ///
    /// - Parameter indices: Sample indices, each in `0..<count`.
    /// - Returns: A dataset of `indices.count` samples.
    /// - Precondition: Every index is in `0..<count`.
    public func subset(_ indices: [Int]) -> Dataset {
        precondition(indices.allSatisfy { labels.indices.contains($0) }, "Dataset.subset: an index is outside 0..<\(count)")
        return Dataset(unchecked: name, features: features.selectingRows(indices), labels: indices.map { labels[$0] },
                       classes: classes, featureNames: featureNames, labelName: labelName)
    }

    /// The order of class names, the order of scikit-learn's `classes_` for labels read from a CSV.
    ///
    /// Names that read as the same finite number (`"1"`, `"1.0"`, `"+1"`, `"1e0"`; surrounding spaces
    /// not allowed) are one class, named as first written (as pandas reads such a column as numbers
    /// and scikit-learn then sees one class). When every name reads as a finite number, the classes
    /// are sorted by that number; otherwise by their Unicode scalars (code points), as Python sorts
    /// strings.
    ///
    /// - Parameter names: Class names, in any order, repeats allowed.
    /// - Returns: The distinct classes, sorted, each named by its first spelling in `names`.
    public static func sortedClassNames(_ names: some Sequence<String>) -> [String] {
        var distinct: [String] = []
        var seenText = Set<String>(), seenValue = Set<Double>()
        for name in names where seenText.insert(name).inserted {
            if let value = classValue(name) {
                guard seenValue.insert(value).inserted else { continue }
            }
            distinct.append(name)
        }
        func textOrder(_ a: String, _ b: String) -> Bool {
            a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
        }
        let numbers = distinct.map(classValue)
        if numbers.allSatisfy({ $0 != nil }) {
            return zip(distinct, numbers).sorted { a, b in (a.1 ?? 0) < (b.1 ?? 0) }.map(\.0)
        }
        return distinct.sorted(by: textOrder)
    }

    /// A label's number, when it reads as a finite decimal number (nil otherwise; hexadecimal and
    /// `nan`/`inf` spellings are not numbers here). -0 reads as 0.
    static func classValue(_ name: String) -> Double? {
        guard !name.contains(where: { $0 == "x" || $0 == "X" || $0 == "p" || $0 == "P" }),
              let value = Double(name), value.isFinite else { return nil }
        return value == 0 ? 0 : value
    }

    /// Whether two labels name the same class: the same text, or the same finite number.
    public static func sameClass(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        guard let x = classValue(a), let y = classValue(b) else { return false }
        return x == y
    }

    /// The index of the class a label names in `classes` (``sameClass(_:_:)``), or nil.
    public static func classIndex(of label: String, in classes: [String]) -> Int? {
        classes.firstIndex(of: label) ?? classes.firstIndex { sameClass($0, label) }
    }

    private enum CodingKeys: String, CodingKey {
        case name, features, labels, classes, featureNames, labelName
    }

    /// Decodes a dataset and checks it as ``init(name:features:labels:classes:featureNames:labelName:)`` does.
    ///
    /// - Throws: `DecodingError` for missing or mistyped fields, and `DecodingError.dataCorrupted`
    ///   with the validation message for a dataset that does not check.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .name)
        let features = try container.decode(Matrix.self, forKey: .features)
        let labels = try container.decode([Int].self, forKey: .labels)
        let classes = try container.decode([String].self, forKey: .classes)
        let featureNames = try container.decode([String].self, forKey: .featureNames)
        let labelName = try container.decode(String.self, forKey: .labelName)
        do {
            try self.init(name: name, features: features, labels: labels, classes: classes, featureNames: featureNames,
                          labelName: labelName)
        } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    /// The checks of ``init(name:features:labels:classes:featureNames:labelName:)``.
    static func validate(features: Matrix, labels: [Int], classes: [String], featureNames: [String]) throws {
        guard features.values.count == features.rows * features.columns else {
            throw QuantumMLError.shapeMismatch(subject: "a \(features.rows) × \(features.columns) feature matrix", received: "\(features.values.count) values", expected: "\(features.rows * features.columns) values")
        }
        guard labels.count == features.rows else {
            throw QuantumMLError.shapeMismatch(subject: "the labels", received: "\(labels.count) for \(features.rows) samples", expected: "one label per sample")
        }
        guard featureNames.count == features.columns else {
            throw QuantumMLError.shapeMismatch(subject: "the feature names", received: "\(featureNames.count) for \(features.columns) feature columns", expected: "one name per column")
        }
        guard !classes.isEmpty else { throw QuantumMLError.invalidArgument(argument: "the classes of a dataset", received: "none", valid: "at least one class") }
        try checkNames(classes, kind: "class")
        for (index, name) in classes.enumerated() {
            if let first = classes[..<index].firstIndex(where: { sameClass($0, name) }) {
                throw QuantumMLError.invalidArgument(argument: "class names \(first) and \(index)", received: "\"\(classes[first])\" and \"\(name)\", the same number",
                                                     valid: "distinct classes (labels that read as the same number are one class)")
            }
        }
        try checkNames(featureNames, kind: "feature")
        if let bad = labels.firstIndex(where: { !classes.indices.contains($0) }) {
            throw QuantumMLError.invalidArgument(argument: "the label of sample \(bad)", received: "\(labels[bad])", valid: "in 0..<\(classes.count) (there are \(classes.count) classes)")
        }
        if let bad = features.values.firstIndex(where: { !$0.isFinite }) {
            let (sample, feature) = bad.quotientAndRemainder(dividingBy: max(features.columns, 1))
            throw QuantumMLError.invalidArgument(argument: "feature \(feature) (\"\(featureNames[feature])\") of sample \(sample)", received: "\(features.values[bad])", valid: "finite")
        }
    }

    /// Names must be non-empty and distinct.
    private static func checkNames(_ names: [String], kind: String) throws {
        var seen: [String: Int] = [:]
        for (index, name) in names.enumerated() {
            guard !name.isEmpty else { throw QuantumMLError.invalidArgument(argument: "\(kind) name \(index)", received: "an empty name", valid: "a non-empty name") }
            if let first = seen[name] {
                throw QuantumMLError.invalidArgument(argument: "\(kind) names \(first) and \(index)", received: "\"\(name)\" for both", valid: "distinct")
            }
            seen[name] = index
        }
    }
}
