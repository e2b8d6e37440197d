import ComplexModule
import Foundation
import Synchronization

// Pauli sums on raw state buffers, for the gradient paths: ⟨ψ|O|ψ⟩ and λ = O ψ.

/// ⟨ψ|O|ψ⟩ of a Pauli sum: Σ_t c_t · Re(i^y_t · Σ_i conj(a[i ⊕ x_t]) (−1)^{|i & z_t|} a[i]).
func pauliExpectation<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, numQubits: Int, observable: PauliSum,
                                         threads: Int) -> Double
{
    var total = 0.0
    for term in observable.terms {
        let (re, im) = pauliCorrelation(p, numQubits: numQubits, xMask: term.xMask, zMask: term.zMask, threads: threads)
        // Multiply by i^(number of Y) and keep the real part.
        let value: Double = switch term.yCount & 3 {
        case 0: re
        case 1: -im
        case 2: -re
        default: im
        }
        total += term.coefficient * value
    }
    return total
}

/// λ = O ψ for a Pauli sum (λ is overwritten).
func applyPauliSum<Real: StateScalar>(_ observable: PauliSum, to psi: UnsafeMutablePointer<Real>,
                                      into lambda: UnsafeMutablePointer<Real>, numQubits: Int, threads: Int)
{
    let source = SharedPointer(base: psi), destination = SharedPointer(base: lambda)
    for (t, term) in observable.terms.enumerated() {
        // c · i^y as (re, im).
        let c = term.coefficient
        let (fr, fi): (Double, Double) = switch term.yCount & 3 {
        case 0: (c, 0)
        case 1: (0, c)
        case 2: (-c, 0)
        default: (0, -c)
        }
        forEachRange(count: 1 << numQubits, threads: threads) { start, end in
            pauliTermRange(source.base, into: destination.base, xMask: term.xMask, zMask: term.zMask,
                           factorRe: Real(fr), factorIm: Real(fi), overwrite: t == 0, start: start, end: end)
        }
    }
}
