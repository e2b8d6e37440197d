import Testing
@testable import QuantumML

@Suite("Matrix")
struct MatrixTests {
    @Test("rows, columns, selection and transpose agree with the elements written")
    func shapes() throws {
        let m = try Matrix([[1, 2, 3], [4, 5, 6]])
        #expect(m.rows == 2 && m.columns == 3)
        #expect(m[1, 2] == 6)
        #expect(m.transposed.rowArrays == [[1, 4], [2, 5], [3, 6]])
        #expect(m.selectingRows([1, 0]).rowArrays == [[4, 5, 6], [1, 2, 3]])
        #expect(m.selectingColumns([2, 0]).rowArrays == [[3, 1], [6, 4]])
        #expect(thrownMessage { _ = try Matrix([[1, 2], [3]]) } == "shape mismatch: row 1 of the matrix: 1 values; expected 2, as row 0 has")
        #expect(thrownMessage { _ = try Matrix(rows: 2, columns: 2, values: [1]) } == "shape mismatch: a 2 × 2 matrix: 1 values; expected 4 values")
    }
}
