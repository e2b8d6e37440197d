/// A CSV text read into a header and rows of equal width, with the line of each row kept for messages.
struct CSVTable {
    /// The name used in error messages (the path, or the name given with the text).
    let location: String
    /// The column names.
    let header: [String]
    /// The line of the header.
    let headerLine: Int
    /// The data rows, each as wide as the header.
    let rows: [CSVRecord]

    /// Reads and checks a whole CSV text.
    /// - Throws: ``QuantumMLError/data(location:found:valid:)`` for an empty text, a header without data
    ///   rows, a column without a name or with a repeated name, a blank line before the last data
    ///   row, a row whose width differs from the header's, and the scanner's quoting errors.
    init(text: String, location: String) throws {
        var scanner = CSVScanner(text: text, location: location)
        var records: [CSVRecord] = []
        var firstBlankLine: Int?
        while let record = try scanner.next() {
            if record.isBlank {
                firstBlankLine = firstBlankLine ?? record.line
                continue
            }
            if let blank = firstBlankLine { throw QuantumMLError.csvBlankLine(location, line: blank) }
            records.append(record)
        }
        guard let header = records.first else { throw QuantumMLError.csvEmpty(location) }
        var seen: [String: Int] = [:]
        for (index, name) in header.fields.enumerated() {
            guard !name.isEmpty else {
                throw QuantumMLError.csvEmptyColumnName(location, line: header.line, column: index + 1)
            }
            if let first = seen[name] {
                throw QuantumMLError.csvDuplicateColumn(location, line: header.line, column: index + 1, name: name, first: first + 1)
            }
            seen[name] = index
        }
        let rows = records.dropFirst()
        guard !rows.isEmpty else { throw QuantumMLError.csvHeaderOnly(location) }
        if let ragged = rows.first(where: { $0.fields.count != header.fields.count }) {
            throw QuantumMLError.csvRagged(location, line: ragged.line, count: ragged.fields.count,
                                           expected: header.fields.count, headerLine: header.line)
        }
        self.location = location
        self.header = header.fields
        self.headerLine = header.line
        self.rows = Array(rows)
    }

    /// The index of the column called `name`.
    /// - Parameter role: What the column is for, for the message (`"the label column"`).
    /// - Throws: ``QuantumMLError/data(location:found:valid:)`` listing the columns when there is none.
    func column(named name: String, role: String) throws -> Int {
        guard let index = header.firstIndex(of: name) else {
            throw QuantumMLError.csvUnknownColumn(location, name: name, role: role, columns: header)
        }
        return index
    }

    /// The given columns of every row as numbers, row after row.
    /// - Throws: ``QuantumMLError/data(location:found:valid:)`` naming the line and column of the first
    ///   cell that is not a number, or not finite.
    func numbers(columns: [Int]) throws -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(rows.count * columns.count)
        for row in rows {
            for column in columns {
                let text = row.fields[column]
                guard let value = Self.decimal(text) else {
                    throw QuantumMLError.csvNotANumber(location, line: row.line, column: column + 1, name: header[column], text: text)
                }
                guard value.isFinite else {
                    throw QuantumMLError.csvNotFinite(location, line: row.line, column: column + 1, name: header[column], text: text)
                }
                values.append(value)
            }
        }
        return values
    }

    /// A cell's number, read as decimal text (`1`, `-2.5`, `.5`, `1e-3`, `nan`, `inf`): Swift's
    /// `Double(_:)` also reads hexadecimal (`0x10` as 16, `0x1p3` as 8), which NumPy and pandas
    /// refuse, so a cell holding an `x` is not a number here.
    static func decimal(_ text: String) -> Double? {
        text.contains(where: { $0 == "x" || $0 == "X" }) ? nil : Double(text)
    }

    /// One column of every row as a regressor's targets.
    /// - Throws: ``QuantumMLError/data(location:found:valid:)`` naming the line and column of the first
    ///   cell that is empty, not a number, or not finite, and the text found there.
    func targets(column: Int) throws -> [Double] {
        try rows.map { row in
            let text = row.fields[column]
            guard let value = Self.decimal(text) else {
                throw QuantumMLError.csvTargetNotANumber(location, line: row.line, column: column + 1, name: header[column], text: text)
            }
            guard value.isFinite else {
                throw QuantumMLError.csvNotFinite(location, line: row.line, column: column + 1, name: header[column], text: text)
            }
            return value
        }
    }

    /// The text of one column for every row.
    /// - Throws: ``QuantumMLError/data(location:found:valid:)`` naming the line of the first empty cell.
    func labels(column: Int) throws -> [String] {
        try rows.map { row in
            let text = row.fields[column]
            guard !text.isEmpty else {
                throw QuantumMLError.csvEmptyLabel(location, line: row.line, column: column + 1, name: header[column])
            }
            return text
        }
    }
}
