/// A dense row-major matrix of `Double`: samples × features, or a kernel matrix.
///
/// `Matrix` is the one currency of `QuantumML`: datasets hold their features in one, kernels are
/// returned as one, and the support vector classifier trains on one.
public struct Matrix: Sendable, Equatable, Codable, CustomStringConvertible {
    /// The number of rows.
    public let rows: Int
    /// The number of columns.
    public let columns: Int
    /// The elements, row after row (`rows × columns` of them).
    public var values: [Double]

    /// A matrix of the given shape filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        precondition(rows >= 0 && columns >= 0, "Matrix shape must not be negative")
        self.rows = rows
        self.columns = columns
        self.values = Array(repeating: value, count: rows * columns)
    }

    /// A matrix from its elements in row-major order.
    ///
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when `values.count != rows × columns`.
    public init(rows: Int, columns: Int, values: [Double]) throws {
        guard rows >= 0, columns >= 0, values.count == rows * columns else {
            throw QuantumMLError.shapeMismatch(subject: "a \(rows) × \(columns) matrix", received: "\(values.count) values", expected: "\(max(0, rows * columns)) values")
        }
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// A matrix from a list of rows of equal length.
    ///
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when the rows differ in length.
    public init(_ rowList: [[Double]]) throws {
        let width = rowList.first?.count ?? 0
        if let bad = rowList.firstIndex(where: { $0.count != width }) {
            throw QuantumMLError.shapeMismatch(subject: "row \(bad) of the matrix", received: "\(rowList[bad].count) values", expected: "\(width), as row 0 has")
        }
        self.rows = rowList.count
        self.columns = width
        self.values = rowList.flatMap { $0 }
    }

    /// The element at row `i`, column `j`.
    @inlinable
    public subscript(i: Int, j: Int) -> Double {
        get { values[i * columns + j] }
        set { values[i * columns + j] = newValue }
    }

    /// Row `i` as an array.
    public func row(_ i: Int) -> [Double] { Array(values[(i * columns)..<((i + 1) * columns)]) }

    /// The rows as arrays.
    public var rowArrays: [[Double]] { (0..<rows).map(row) }

    /// The matrix made of the given rows, in the given order.
    public func selectingRows(_ indices: [Int]) -> Matrix {
        var out = Matrix(rows: indices.count, columns: columns)
        for (k, i) in indices.enumerated() {
            out.values.replaceSubrange((k * columns)..<((k + 1) * columns), with: values[(i * columns)..<((i + 1) * columns)])
        }
        return out
    }

    /// The matrix made of the given columns, in the given order.
    public func selectingColumns(_ indices: [Int]) -> Matrix {
        var out = Matrix(rows: rows, columns: indices.count)
        for i in 0..<rows {
            for (k, j) in indices.enumerated() { out.values[i * indices.count + k] = values[i * columns + j] }
        }
        return out
    }

    /// The transpose.
    public var transposed: Matrix {
        var out = Matrix(rows: columns, columns: rows)
        for i in 0..<rows { for j in 0..<columns { out.values[j * rows + i] = values[i * columns + j] } }
        return out
    }

    /// A short description: the shape and, for small matrices, the rows.
    public var description: String {
        if rows * columns <= 64 { return "Matrix(\(rows)×\(columns), \(rowArrays))" }
        return "Matrix(\(rows)×\(columns))"
    }
}
