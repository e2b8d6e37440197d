import RealModule

/// The eigenvalues and eigenvectors of a small dense Hermitian matrix, by cyclic complex Jacobi
/// rotations (enough for the 4 × 4 and 8 × 8 matrices of the ad hoc dataset; O(n³) per sweep).
///
/// Matrices are row-major `n × n`, with real and imaginary parts in separate arrays.
/// The eigenvectors follow LAPACK `zgeev`'s normalisation, which is what NumPy's `linalg.eig`
/// returns: unit length, and the component of largest modulus (the first such) real and positive.
struct HermitianEigensystem {
    /// The eigenvalues, largest first.
    let values: [Double]
    /// The eigenvectors as columns, in the order of `values` (real parts, row-major n × n).
    let vectorsReal: [Double]
    /// The imaginary parts of the eigenvectors.
    let vectorsImag: [Double]

    /// Diagonalises the Hermitian matrix `real + i·imag` (only its upper triangle and real diagonal are read).
    init(real: [Double], imag: [Double], dimension n: Int) {
        assert(real.count == n * n && imag.count == n * n)
        // Hermitian copy built from the upper triangle.
        var ar = real, ai = imag
        for p in 0..<n {
            ai[p * n + p] = 0
            for q in (p + 1)..<n {
                ar[q * n + p] = ar[p * n + q]
                ai[q * n + p] = -ai[p * n + q]
            }
        }
        var vr = [Double](repeating: 0, count: n * n), vi = vr
        for p in 0..<n { vr[p * n + p] = 1 }

        let total = zip(ar, ai).reduce(0) { $0 + $1.0 * $1.0 + $1.1 * $1.1 }
        for _ in 0..<64 {
            var off = 0.0
            for p in 0..<n { for q in (p + 1)..<n { off += ar[p * n + q] * ar[p * n + q] + ai[p * n + q] * ai[p * n + q] } }
            if off <= total * 1e-34 || off == 0 { break }
            for p in 0..<n {
                for q in (p + 1)..<n {
                    Self.rotate(p, q, n, &ar, &ai, &vr, &vi)
                }
            }
        }

        // Largest eigenvalue first (a stable order for equal values).
        let order = (0..<n).sorted { ar[$0 * n + $0] > ar[$1 * n + $1] || (ar[$0 * n + $0] == ar[$1 * n + $1] && $0 < $1) }
        var outReal = [Double](repeating: 0, count: n * n), outImag = outReal
        for (column, source) in order.enumerated() {
            // zgeev: scale to unit norm, then by conj(v_k)/|v_k| for the first k of largest |v_k|².
            var norm = 0.0, largest = -1.0, k = 0
            for row in 0..<n {
                let modulus2 = vr[row * n + source] * vr[row * n + source] + vi[row * n + source] * vi[row * n + source]
                norm += modulus2
                if modulus2 > largest { largest = modulus2; k = row }
            }
            let scale = 1 / (norm.squareRoot() * largest.squareRoot())
            let (pr, pi) = (vr[k * n + source] * scale, -vi[k * n + source] * scale)
            for row in 0..<n {
                let (xr, xi) = (vr[row * n + source], vi[row * n + source])
                outReal[row * n + column] = xr * pr - xi * pi
                outImag[row * n + column] = xr * pi + xi * pr
            }
            outImag[k * n + column] = 0
        }
        values = order.map { ar[$0 * n + $0] }
        vectorsReal = outReal
        vectorsImag = outImag
    }

    /// One Jacobi rotation that zeroes the (p, q) element: A ← U†AU, V ← VU with
    /// U = D·R, D = diag(1, e^{-iφ}) on (p, q) making a_pq real (a_pq = |a_pq| e^{iφ}), and
    /// R = [[c, s], [−s, c]] the real rotation with cot 2θ = (a_qq − a_pp) / (2|a_pq|).
    /// So U_pp = c, U_pq = s, U_qp = −s e^{-iφ}, U_qq = c e^{-iφ}.
    private static func rotate(_ p: Int, _ q: Int, _ n: Int, _ ar: inout [Double], _ ai: inout [Double],
                               _ vr: inout [Double], _ vi: inout [Double]) {
        let (br, bi) = (ar[p * n + q], ai[p * n + q])
        let magnitude = Double.hypot(br, bi)
        guard magnitude > 0 else { return }
        let zeta = (ar[q * n + q] - ar[p * n + p]) / (2 * magnitude)
        let t = (zeta >= 0 ? 1.0 : -1.0) / (abs(zeta) + (zeta * zeta + 1).squareRoot())
        let c = 1 / (t * t + 1).squareRoot(), s = t * c
        let (er, ei) = (br / magnitude, -bi / magnitude)  // e^{-iφ}

        // Columns: A ← A·U and V ← V·U; row k of columns p and q.
        func rotateColumns(_ xr: inout [Double], _ xi: inout [Double]) {
            for k in 0..<n {
                let (apr, api) = (xr[k * n + p], xi[k * n + p])
                let (aqr, aqi) = (xr[k * n + q], xi[k * n + q])
                // a_q · e^{-iφ}
                let (qer, qei) = (aqr * er - aqi * ei, aqr * ei + aqi * er)
                xr[k * n + p] = c * apr - s * qer
                xi[k * n + p] = c * api - s * qei
                xr[k * n + q] = s * apr + c * qer
                xi[k * n + q] = s * api + c * qei
            }
        }
        rotateColumns(&ar, &ai)
        rotateColumns(&vr, &vi)
        // Rows: A ← U†·A; column k of rows p and q. conj(U_qp) = −s e^{iφ}, conj(U_qq) = c e^{iφ}.
        for k in 0..<n {
            let (apr, api) = (ar[p * n + k], ai[p * n + k])
            let (aqr, aqi) = (ar[q * n + k], ai[q * n + k])
            // a_q · e^{iφ}, with e^{iφ} = (er, −ei)
            let (qer, qei) = (aqr * er + aqi * ei, -aqr * ei + aqi * er)
            ar[p * n + k] = c * apr - s * qer
            ai[p * n + k] = c * api - s * qei
            ar[q * n + k] = s * apr + c * qer
            ai[q * n + k] = s * api + c * qei
        }
        // Exact zeros and a real diagonal, as the rotation intends.
        ar[p * n + q] = 0; ai[p * n + q] = 0
        ar[q * n + p] = 0; ai[q * n + p] = 0
        ai[p * n + p] = 0; ai[q * n + q] = 0
    }
}
