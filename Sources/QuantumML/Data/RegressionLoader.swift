import Foundation
import Privacy

// Regression data from CSV: the same reader, syntax and messages as the labelled datasets
// (DatasetLoader), with the target column read as numbers.

extension DatasetLoader {
    /// Loads regression data from a CSV file, plain or sealed.
    ///
    /// The target column is the one named `targetColumn`, or the last column when it is `nil`;
    /// every other column is a feature, in file order. Every target cell must be a finite number.
    /// The data's name is the file name without its `.sealed` and `.csv` extensions.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - targetColumn: The target column's name, or `nil` for the last column.
    ///   - identities: The keys that may open the file when it is sealed (unused otherwise).
    ///   - options: The limits for opening a sealed file.
    /// - Returns: The regression data.
    /// - Throws: The reading errors of ``csv(atPath:labelColumn:identities:options:)``, and every
    ///   error of ``regressionCSV(text:name:targetColumn:)``, located at `path`.
    public static func regressionCSV(atPath path: String, targetColumn: String? = nil, identities: [Identity] = [],
                                     options: OpenOptions = OpenOptions()) throws -> RegressionData {
        let text = try readText(atPath: path, identities: identities, options: options)
        return try regressionData(CSVTable(text: text, location: path), name: datasetName(forPath: path), targetColumn: targetColumn)
    }

    /// Loads regression data from CSV text, as ``regressionCSV(atPath:targetColumn:identities:options:)`` does.
    ///
    /// - Parameters:
    ///   - text: The CSV text, header first.
    ///   - name: The data's name, also used as the location in error messages.
    ///   - targetColumn: The target column's name, or `nil` for the last column.
    /// - Returns: The regression data.
    /// - Throws: ``QuantumMLError/data(location:found:valid:)`` for every table error of
    ///   ``csv(text:name:labelColumn:)`` (empty text, no data rows, fewer than two columns, a
    ///   missing or repeated column name, an unknown target column, a ragged row, a feature that is
    ///   not a finite number), and for a target cell that is empty, not a number or not finite —
    ///   `data.csv: line 4, column 3 ("y"): the target "high" is not a number; …`.
    public static func regressionCSV(text: String, name: String, targetColumn: String? = nil) throws -> RegressionData {
        try regressionData(CSVTable(text: text, location: name), name: name, targetColumn: targetColumn)
    }

    /// Reads the features a regressor needs, and its targets when the text has the target column,
    /// for prediction; as ``features(text:name:featureNames:labelColumn:)`` does for a classifier.
    ///
    /// - Parameters:
    ///   - text: The CSV text, header first.
    ///   - name: The location used in error messages.
    ///   - featureNames: The feature columns to read, in the order the model expects them.
    ///   - targetColumn: The target column to return when the text has it; `nil` reads no targets.
    /// - Returns: The features in `featureNames` order, and the targets when present, else `nil`.
    /// - Throws: The errors of ``features(text:name:featureNames:labelColumn:)``, and
    ///   ``QuantumMLError/data(location:found:valid:)`` for a target cell that is not a finite number.
    public static func regressionFeatures(text: String, name: String, featureNames: [String], targetColumn: String? = nil)
        throws -> (features: Matrix, targets: [Double]?) {
        try checkFeatureNames(featureNames)
        let table = try CSVTable(text: text, location: name)
        let (features, _) = try features(table, featureNames: featureNames, labelColumn: nil)
        let targets = try targetColumn.flatMap { column in try table.header.firstIndex(of: column).map { try table.targets(column: $0) } }
        return (features, targets)
    }

    // MARK: - Implementation

    /// Regression data from a checked table.
    static func regressionData(_ table: CSVTable, name: String, targetColumn: String?) throws -> RegressionData {
        guard table.header.count >= 2 else {
            throw QuantumMLError.csvTooFewColumns(table.location, line: table.headerLine, count: table.header.count)
        }
        let targetIndex = try targetColumn.map { try table.column(named: $0, role: "the target column") } ?? table.header.count - 1
        let featureColumns = table.header.indices.filter { $0 != targetIndex }
        let values = try table.numbers(columns: featureColumns)
        let targets = try table.targets(column: targetIndex)
        return RegressionData(unchecked: name,
                              features: Matrix(rows: table.rows.count, columns: featureColumns.count, knownValues: values),
                              targets: targets, featureNames: featureColumns.map { table.header[$0] },
                              targetName: table.header[targetIndex])
    }
}
