import Foundation
import Privacy

/// Where datasets come from: CSV files (plain or sealed), CSV text, the embedded Iris data, and
/// Qiskit's "ad hoc" generator.
///
/// CSV files have a header row of distinct, non-empty column names, then one sample per row.
/// Feature cells must be finite numbers (`5.1`, `-2`, `1e-3`); label cells are any non-empty text,
/// kept as written (`"setosa"`, `"0"`, `"-1"`). The syntax is RFC 4180 with CRLF or LF line ends,
/// quoted fields, an optional last line end and blank lines allowed at the end only; spaces around
/// unquoted fields are ignored. Every error names the file, the line (the header is line 1) and
/// the column, by number and name.
///
/// A sealed file (Privacy's format, docs/sealed-format.md) is recognised by its magic bytes and
/// opened in memory with the identities given; its plaintext is never written to disk. Its
/// content type must be one of ``acceptedSealedContentTypes``.
public enum DatasetLoader {
    /// The content types a sealed CSV may carry: `dataset/csv` (what `verdant seal` writes for a
    /// `*.csv` file), `text/csv`, and `application/octet-stream` (what `verdant seal` writes when it
    /// cannot tell, as for standard input). Any other type (`model/verdant`, `predictions/csv`) is
    /// refused before decryption, so that a model is never parsed as a dataset.
    public static let acceptedSealedContentTypes = ["dataset/csv", "text/csv", SealedFile.defaultContentType]

    /// Loads a labelled dataset from a CSV file, plain or sealed.
    ///
    /// The label column is the one named `labelColumn`, or the last column when it is `nil`;
    /// every other column is a feature, in file order. Classes are ordered by
    /// ``Dataset/sortedClassNames(_:)`` (numerically when all labels are numbers, else by code point).
    /// The dataset's name is the file name without its `.sealed` and `.csv` extensions.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - labelColumn: The label column's name, or `nil` for the last column.
    ///   - identities: The keys that may open the file when it is sealed (unused otherwise).
    ///   - options: The limits for opening a sealed file (scrypt work factor, threads).
    /// - Returns: The dataset.
    /// - Throws: `PrivacyError` when the file cannot be read (`.io`), or is sealed and cannot be
    ///   opened (`.identityRequired` when `identities` is empty, `.noMatchingIdentity`, a modified
    ///   or truncated file); ``QuantumMLError/data(location:found:valid:)`` for a sealed content type
    ///   that is not a CSV dataset, text that is not UTF-8, and every error of
    ///   ``csv(text:name:labelColumn:)``, located at `path`.
    public static func csv(atPath path: String, labelColumn: String? = nil, identities: [Identity] = [],
                           options: OpenOptions = OpenOptions()) throws -> Dataset {
        let text = try readText(atPath: path, identities: identities, options: options)
        return try dataset(CSVTable(text: text, location: path), name: datasetName(forPath: path), labelColumn: labelColumn)
    }

    /// Loads a labelled dataset from CSV text, as ``csv(atPath:labelColumn:identities:options:)`` does.
    ///
    /// - Parameters:
    ///   - text: The CSV text, header first.
    ///   - name: The dataset's name, also used as the location in error messages.
    ///   - labelColumn: The label column's name, or `nil` for the last column.
    /// - Returns: The dataset.
    /// - Throws: ``QuantumMLError/data(location:found:valid:)`` for an empty text, a header without data
    ///   rows, fewer than two columns, a column without a name or with a repeated name, an unknown
    ///   label column (the message lists the columns), a row whose width differs from the header's,
    ///   a blank line before the last row, an unclosed quote, a feature cell that is not a number or
    ///   not finite, and an empty label.
    public static func csv(text: String, name: String, labelColumn: String? = nil) throws -> Dataset {
        try dataset(CSVTable(text: text, location: name), name: name, labelColumn: labelColumn)
    }

    /// Reads the features a model needs from a CSV file (plain or sealed) for prediction.
    ///
    /// Columns are matched by name, so their order in the file does not matter; columns that are
    /// neither a feature nor the label column are ignored. The label column may be absent.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - featureNames: The feature columns to read, in the order the model expects them.
    ///   - labelColumn: The label column to return when the file has it; `nil` reads no labels.
    ///   - identities: The keys that may open the file when it is sealed (unused otherwise).
    ///   - options: The limits for opening a sealed file.
    /// - Returns: The features (rows × `featureNames.count`, in `featureNames` order), and the label
    ///   texts when `labelColumn` is given and present, else `nil`.
    /// - Throws: The errors of ``csv(atPath:labelColumn:identities:options:)`` that concern reading,
    ///   and those of ``features(text:name:featureNames:labelColumn:)``.
    public static func features(atPath path: String, featureNames: [String], labelColumn: String? = nil,
                                identities: [Identity] = [], options: OpenOptions = OpenOptions())
        throws -> (features: Matrix, labels: [String]?) {
        try checkFeatureNames(featureNames)
        let text = try readText(atPath: path, identities: identities, options: options)
        return try features(CSVTable(text: text, location: path), featureNames: featureNames, labelColumn: labelColumn)
    }

    /// Reads the features a model needs from CSV text, as ``features(atPath:featureNames:labelColumn:identities:options:)`` does.
    ///
    /// - Parameters:
    ///   - text: The CSV text, header first.
    ///   - name: The location used in error messages.
    ///   - featureNames: The feature columns to read, in the order the model expects them.
    ///   - labelColumn: The label column to return when the text has it; `nil` reads no labels.
    /// - Returns: The features in `featureNames` order, and the labels when present.
    /// - Throws: ``QuantumMLError/invalidArgument(argument:received:valid:)`` for no feature names, or a repeated one;
    ///   ``QuantumMLError/data(location:found:valid:)`` for a missing feature column (naming it and
    ///   listing the columns), an empty label, and the table errors of ``csv(text:name:labelColumn:)``.
    public static func features(text: String, name: String, featureNames: [String], labelColumn: String? = nil)
        throws -> (features: Matrix, labels: [String]?) {
        try checkFeatureNames(featureNames)
        return try features(CSVTable(text: text, location: name), featureNames: featureNames, labelColumn: labelColumn)
    }

    /// Fisher's Iris data, embedded (scikit-learn's copy): 150 samples, 4 features
    /// (`sepal_length`, `sepal_width`, `petal_length`, `petal_width`, in cm), label `species`
    /// with classes `setosa`, `versicolor`, `virginica` (50 each), in scikit-learn's row order.
    ///
    /// - Returns: The dataset, named `"iris"`.
    public static func iris() -> Dataset {
        Dataset(unchecked: "iris",
                features: Matrix(rows: IrisData.labels.count, columns: IrisData.featureNames.count, knownValues: IrisData.values),
                labels: IrisData.labels, classes: IrisData.classes, featureNames: IrisData.featureNames,
                labelName: "species")
    }

    /// The embedded Iris data as CSV text (a header row, then 150 rows; the label column
    /// `species` last), for sealing, exporting or reading back with ``csv(text:name:labelColumn:)``.
    public static var irisCSV: String {
        let data = iris()
        var text = (data.featureNames + [data.labelName]).joined(separator: ",") + "\n"
        for i in 0..<data.count {
            text += data.features.row(i).map { "\($0)" }.joined(separator: ",") + ",\(data.classes[data.labels[i]])\n"
        }
        return text
    }

    // MARK: - Implementation

    /// The text of a file that may be sealed, decrypted in memory.
    static func readText(atPath path: String, identities: [Identity], options: OpenOptions) throws -> String {
        try readText(atPath: path, keys: InputKeys(identities: identities, options: options))
    }

    /// `data/iris.csv.sealed` → `iris`.
    static func datasetName(forPath path: String) -> String {
        var name = URL(fileURLWithPath: path).lastPathComponent
        for suffix in [".sealed", ".csv"] where name.lowercased().hasSuffix(suffix) && name.count > suffix.count {
            name.removeLast(suffix.count)
        }
        return name
    }

    /// A labelled dataset from a checked table.
    static func dataset(_ table: CSVTable, name: String, labelColumn: String?) throws -> Dataset {
        guard table.header.count >= 2 else {
            throw QuantumMLError.csvTooFewColumns(table.location, line: table.headerLine, count: table.header.count)
        }
        let labelIndex = try labelColumn.map { try table.column(named: $0, role: "the label column") } ?? table.header.count - 1
        let featureColumns = table.header.indices.filter { $0 != labelIndex }
        let values = try table.numbers(columns: featureColumns)
        let texts = try table.labels(column: labelIndex)
        let classes = Dataset.sortedClassNames(texts)
        var classIndex: [String: Int] = [:]
        for text in texts where classIndex[text] == nil { classIndex[text] = Dataset.classIndex(of: text, in: classes) ?? 0 }
        return Dataset(unchecked: name,
                       features: Matrix(rows: table.rows.count, columns: featureColumns.count, knownValues: values),
                       labels: texts.map { classIndex[$0] ?? 0 }, classes: classes,
                       featureNames: featureColumns.map { table.header[$0] }, labelName: table.header[labelIndex])
    }

    /// The named feature columns (and the label column when present) of a checked table.
    static func features(_ table: CSVTable, featureNames: [String], labelColumn: String?) throws
        -> (features: Matrix, labels: [String]?) {
        let columns = try featureNames.map { try table.column(named: $0, role: "a feature the model needs") }
        let values = try table.numbers(columns: columns)
        let labels = try labelColumn.flatMap { name in try table.header.firstIndex(of: name).map { try table.labels(column: $0) } }
        return (Matrix(rows: table.rows.count, columns: columns.count, knownValues: values), labels)
    }

    static func checkFeatureNames(_ names: [String]) throws {
        guard !names.isEmpty else { throw QuantumMLError.invalidArgument(argument: "the feature names", received: "none", valid: "at least one name") }
        var seen = Set<String>()
        if let repeated = names.first(where: { !seen.insert($0).inserted }) {
            throw QuantumMLError.invalidArgument(argument: "the feature names", received: "\"\(repeated)\" twice", valid: "distinct")
        }
    }
}

extension Matrix {
    /// A matrix from values already known to have `rows × columns` elements.
    init(rows: Int, columns: Int, knownValues values: [Double]) {
        assert(values.count == rows * columns)
        self.init(rows: rows, columns: columns)
        self.values = values
    }
}
