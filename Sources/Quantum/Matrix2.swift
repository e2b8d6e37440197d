import ComplexModule
import RealModule

/// A 2 × 2 complex matrix, row-major [[m00, m01], [m10, m11]], each entry stored as (re, im) of
/// `Real`: the module's one 2 × 2 type. Kernels read its numbers; the planner (products of
/// one-qubit runs) and the gradients (factors of parameterised gates, their products, adjoints and
/// contractions with correlations) compute with it without heap allocation.
struct Matrix2<Real: StateScalar>: Sendable, Equatable {
    var m00r, m00i, m01r, m01i, m10r, m10i, m11r, m11i: Real

    /// The matrix of four entries, row-major.
    init(_ m00: Complex<Real>, _ m01: Complex<Real>, _ m10: Complex<Real>, _ m11: Complex<Real>) {
        (m00r, m00i, m01r, m01i) = (m00.real, m00.imaginary, m01.real, m01.imaginary)
        (m10r, m10i, m11r, m11i) = (m10.real, m10.imaginary, m11.real, m11.imaginary)
    }

    /// A 2 × 2 ``SmallMatrix`` in this precision.
    init(_ m: SmallMatrix) {
        assert(m.dimension == 2)
        func r(_ i: Int) -> Real { Real(m.entries[i].real) }
        func im(_ i: Int) -> Real { Real(m.entries[i].imaginary) }
        (m00r, m00i, m01r, m01i) = (r(0), im(0), r(1), im(1))
        (m10r, m10i, m11r, m11i) = (r(2), im(2), r(3), im(3))
    }

    /// The matrix from 8 interleaved Reals (row-major (re, im)).
    init(_ p: UnsafePointer<Real>) {
        (m00r, m00i, m01r, m01i) = (p[0], p[1], p[2], p[3])
        (m10r, m10i, m11r, m11i) = (p[4], p[5], p[6], p[7])
    }

    static var identity: Matrix2 { Matrix2(.one, .zero, .zero, .one) }
    static var zero: Matrix2 { Matrix2(.zero, .zero, .zero, .zero) }

    var m00: Complex<Real> { Complex(m00r, m00i) }
    var m01: Complex<Real> { Complex(m01r, m01i) }
    var m10: Complex<Real> { Complex(m10r, m10i) }
    var m11: Complex<Real> { Complex(m11r, m11i) }

    /// x · y.
    static func * (x: Matrix2, y: Matrix2) -> Matrix2 {
        Matrix2(x.m00 * y.m00 + x.m01 * y.m10, x.m00 * y.m01 + x.m01 * y.m11,
                x.m10 * y.m00 + x.m11 * y.m10, x.m10 * y.m01 + x.m11 * y.m11)
    }

    /// The conjugate transpose.
    var adjoint: Matrix2 { Matrix2(m00.conjugate, m10.conjugate, m01.conjugate, m11.conjugate) }

    var isDiagonal: Bool { m01r == 0 && m01i == 0 && m10r == 0 && m10i == 0 }
    var isReal: Bool { m00i == 0 && m01i == 0 && m10i == 0 && m11i == 0 }

    /// The same matrix as a ``SmallMatrix`` (Double entries).
    var smallMatrix: SmallMatrix {
        SmallMatrix(dimension: 2, entries: [m00, m01, m10, m11].map { Complex(Double($0.real), Double($0.imaginary)) })
    }

    /// Σ_ab self_ab · M_ab, with M laid out as (M00, M01, M10, M11), each (re, im), in Double.
    func contracted(with m: SIMD8<Double>) -> Complex<Double> {
        func d(_ z: Complex<Real>) -> Complex<Double> { Complex(Double(z.real), Double(z.imaginary)) }
        return d(m00) * Complex(m[0], m[1]) + d(m01) * Complex(m[2], m[3]) + d(m10) * Complex(m[4], m[5])
            + d(m11) * Complex(m[6], m[7])
    }

    /// Writes the entries as 8 interleaved numbers of another precision (the kernels' layout).
    func write<Other: StateScalar>(to p: UnsafeMutablePointer<Other>) {
        (p[0], p[1], p[2], p[3]) = (Other(m00r), Other(m00i), Other(m01r), Other(m01i))
        (p[4], p[5], p[6], p[7]) = (Other(m10r), Other(m10i), Other(m11r), Other(m11i))
    }
}
