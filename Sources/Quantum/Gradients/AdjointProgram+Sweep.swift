import Foundation

// A backward sweep through a whole program, for programs that are one stretch of a longer
// computation (a stretch of a distributed plan, run on one rank's slice): unlike `backward`, it
// undoes every operation, the first included, so ψ and every λ end where the stretch began, and it
// has no layers or checkpoints. Correlations are summed over the amplitudes given only; the caller
// adds the ranks' Jacobians (every derivative is linear in the correlations).

extension AdjointProgram {
    /// Undoes every operation on ψ and on every λ_k, last first, and adds ∂⟨O_k⟩/∂p_j of each
    /// differentiated angle (this program's parameters) into `jacobian[k * parameterCount + j]`,
    /// read from (ψ, λ_k) just after the operation, as `backward` does.
    func backwardThroughAll(psi: UnsafeMutablePointer<Real>, lambdas: [UnsafeMutablePointer<Real>],
                            numbers: UnsafeMutablePointer<Real>, angles angleValues: [Double], values: [Double], threads: Int,
                            jacobian: inout [Double])
    {
        let selection = everyParameter
        let count = lambdas.count
        var correlations = [SIMD8<Double>](repeating: SIMD8(), count: count)
        var correlations4 = [Double](repeating: 0, count: 32 * count)
        var derivativeValues: [Double] = []
        for index in operations.indices.reversed() {
            guard selection.operations[index], case .bound(let op) = operations[index] else {
                undo(index, numbers: numbers, psi: psi, lambdas: lambdas, threads: threads)
                continue
            }
            if let pair = op.pair {
                let update: AdjointUpdate = count == 1 ? .both : .lambda
                for (k, lambda) in lambdas.enumerated() {
                    correlations[k] = pairStep(op, pair, numbers: numbers, psi: psi, lambda: lambda, update: update, threads: threads)
                }
                if update != .both { apply(op, adjoint: true, numbers: numbers, to: psi, threads: threads) }
                accumulate(op, correlations: correlations, angles: angleValues, values: values, wanted: selection.parameters,
                           scratch: &derivativeValues, jacobian: &jacobian)
                continue
            }
            // Two targets: 4 × 4 correlations.
            accumulateTwoTarget(op, psi: psi, lambdas: lambdas, values: values, wanted: selection.parameters,
                                scratch: &correlations4, jacobian: &jacobian)
            undo(index, numbers: numbers, psi: psi, lambdas: lambdas, threads: threads)
        }
    }
}
