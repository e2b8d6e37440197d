import ComplexModule
import Foundation

// Pauli sums on a split state: ⟨ψ|O|ψ⟩ and λ = O ψ, each rank holding 2^L amplitudes.
//
// A Pauli string P = i^y · X^x · Z^z splits into local masks (positions < L) and global ones (the
// rank's bits). Z on a global position is the sign of the rank's own bit. X on global positions
// pairs rank r with rank r ⊕ x_g, and the pair exchanges slices in pieces of the exchange buffer,
// as remaps do. Terms with the same global X bits share one exchange.
//
// ⟨ψ|P|ψ⟩ = i^y · Σ_i conj(ψ[i ⊕ x]) (−1)^popcount(i & z) ψ[i]. Over a pair of ranks (r < r ⊕ x_g)
// the sum is F + s · conj(F), F its part over i in rank r and s = (−1)^popcount(x & z) (substitute
// i → i ⊕ x in the partner's part). So only the lower rank reads: it receives the partner's slice,
// and the partner only sends; each pair moves one slice, once.

extension PauliSum {
    /// The same sum with its qubits moved to positions: position p carries the letter of qubit
    /// `qubitAt[p]` (a distributed plan's final layout, so no remap restores the qubit order).
    func placed(qubitAt: [Int]) throws -> PauliSum {
        try PauliSum(terms.map { term in
            let letters = Array(term.label.reversed())  // letters[q]: the letter on qubit q
            let moved = qubitAt.map { letters[$0] }
            return (String(moved.reversed()), term.coefficient)
        })
    }
}

extension PauliSum.Term {
    /// c · i^y as (re, im): the factor of X^x Z^z in c · P.
    var factor: (Double, Double) {
        switch yCount & 3 {
        case 0: (coefficient, 0)
        case 1: (0, coefficient)
        case 2: (-coefficient, 0)
        default: (0, -coefficient)
        }
    }

    /// Re(i^y · (re, im)).
    func realPart(timesPhaseOf value: (Double, Double)) -> Double {
        switch yCount & 3 {
        case 0: value.0
        case 1: -value.1
        case 2: -value.0
        default: value.1
        }
    }
}

/// (−1)^popcount(bits) as ±1.
private func paritySign(_ bits: Int) -> Double { bits.nonzeroBitCount & 1 == 0 ? 1 : -1 }

extension DistributedExecutor {
    /// Amplitudes per exchange piece.
    var pieceAmplitudes: Int { max(1, bufferBytes / (2 * MemoryLayout<Real>.size)) }

    /// The terms of `observables` whose X part flips global bits, grouped by those bits (in
    /// ascending order, the same on every rank), each with the index of its observable.
    private func crossingTerms(_ observables: [PauliSum]) -> [(globalX: Int, terms: [(observable: Int, term: PauliSum.Term)])] {
        var groups: [Int: [(observable: Int, term: PauliSum.Term)]] = [:]
        for (k, observable) in observables.enumerated() {
            for term in observable.terms where term.xMask >> l != 0 { groups[term.xMask >> l, default: []].append((k, term)) }
        }
        return groups.keys.sorted().map { ($0, groups[$0] ?? []) }
    }

    /// This rank's part of ⟨ψ|O_k|ψ⟩ for each observable (on positions); the ranks' parts add up
    /// to the expectation values. Collective: every rank calls it with the same observables.
    func localExpectations(_ observables: [PauliSum], of state: StateVector<Real>) throws -> [Double] {
        let localMask = (1 << l) - 1
        let p = state.storage.pointer
        var result = [Double](repeating: 0, count: observables.count)
        let start = ContinuousClock.now
        for (k, observable) in observables.enumerated() {
            for term in observable.terms where term.xMask >> l == 0 {
                let sum = pauliCorrelation(p, numQubits: l, xMask: term.xMask & localMask, zMask: term.zMask & localMask,
                                           threads: threads)
                result[k] += term.coefficient * paritySign(rank & (term.zMask >> l)) * term.realPart(timesPhaseOf: sum)
            }
        }
        statistics.computeSeconds += seconds(since: start)
        let amplitudeBytes = 2 * MemoryLayout<Real>.size
        let count = 1 << l
        let raw = UnsafeMutableRawPointer(p)
        for (globalX, terms) in crossingTerms(observables) {
            let partner = rank ^ globalX
            let exchangeStart = ContinuousClock.now
            if rank > partner {
                // The lower rank of the pair reads; this one sends its slice.
                var first = 0
                while first < count {
                    let n = min(pieceAmplitudes, count - first)
                    try group.sendReceive(UnsafeRawBufferPointer(start: raw + first * amplitudeBytes, count: n * amplitudeBytes),
                                          to: partner, UnsafeMutableRawBufferPointer(start: nil, count: 0), from: partner)
                    first += n
                }
                statistics.bytesSent += count * amplitudeBytes
                statistics.exchangeSeconds += seconds(since: exchangeStart)
                continue
            }
            var sums = [(Double, Double)](repeating: (0, 0), count: terms.count)
            var first = 0
            while first < count {
                let n = min(pieceAmplitudes, count - first)
                let pieceStart = ContinuousClock.now
                try group.sendReceive(UnsafeRawBufferPointer(start: nil, count: 0), to: partner,
                                      UnsafeMutableRawBufferPointer(start: buffer, count: n * amplitudeBytes), from: partner)
                statistics.exchangeSeconds += seconds(since: pieceStart)
                let computeStart = ContinuousClock.now
                let a = SharedPointer(base: p)
                let piece = SharedPointer(base: buffer.bindMemory(to: Real.self, capacity: 2 * n))
                let offset = first
                for (t, entry) in terms.enumerated() {
                    let x = entry.term.xMask & localMask, z = entry.term.zMask & localMask
                    let part = blockSumComplex(count: n, threads: threads) { s, e in
                        pauliPieceCorrelationRange(a.base, piece: piece.base, first: offset, xMask: x, zMask: z,
                                                   start: offset + s, end: offset + e)
                    }
                    sums[t].0 += part.0
                    sums[t].1 += part.1
                }
                statistics.computeSeconds += seconds(since: computeStart)
                first += n
            }
            for (t, entry) in terms.enumerated() {
                let term = entry.term
                // F over this rank's amplitudes, then the pair's F + s·conj(F).
                let sign = paritySign(rank & (term.zMask >> l))
                let f = (sign * sums[t].0, sign * sums[t].1)
                let s = paritySign(term.xMask & term.zMask)
                let pair = (f.0 + s * f.0, f.1 - s * f.1)
                result[entry.observable] += term.coefficient * term.realPart(timesPhaseOf: pair)
            }
        }
        return result
    }

    /// λ = O ψ on this rank's slice (O on positions; λ is overwritten). Collective: every rank
    /// calls it with the same observable. Pairs of ranks swap slices piece by piece for the terms
    /// that flip global bits.
    func apply(_ observable: PauliSum, to state: StateVector<Real>, into lambda: inout StateVector<Real>) throws {
        let localMask = (1 << l) - 1
        let count = 1 << l
        lambda.makeUnique()
        let out = SharedPointer(base: lambda.storage.pointer)
        let psi = SharedPointer(base: state.storage.pointer)
        let start = ContinuousClock.now
        out.base.update(repeating: 0, count: 2 * count)
        for term in observable.terms where term.xMask >> l == 0 {
            // The source amplitude's global bits are this rank's: their Z sign is the rank's.
            let sign = paritySign(rank & (term.zMask >> l))
            let (fr, fi) = term.factor
            let x = term.xMask & localMask, z = term.zMask & localMask
            forEachRange(count: count, threads: threads) { s, e in
                pauliTermRange(psi.base, into: out.base, xMask: x, zMask: z, factorRe: Real(sign * fr), factorIm: Real(sign * fi),
                               overwrite: false, start: s, end: e)
            }
        }
        statistics.computeSeconds += seconds(since: start)
        let amplitudeBytes = 2 * MemoryLayout<Real>.size
        let raw = UnsafeRawPointer(state.storage.pointer)
        for (globalX, terms) in crossingTerms([observable]) {
            let partner = rank ^ globalX
            var first = 0
            while first < count {
                let n = min(pieceAmplitudes, count - first)
                let pieceStart = ContinuousClock.now
                try group.sendReceive(UnsafeRawBufferPointer(start: raw + first * amplitudeBytes, count: n * amplitudeBytes), to: partner,
                                      UnsafeMutableRawBufferPointer(start: buffer, count: n * amplitudeBytes), from: partner)
                statistics.exchangeSeconds += seconds(since: pieceStart)
                statistics.bytesSent += n * amplitudeBytes
                let computeStart = ContinuousClock.now
                let piece = SharedPointer(base: buffer.bindMemory(to: Real.self, capacity: 2 * n))
                let offset = first
                for (_, term) in terms {
                    // The source amplitudes are the partner's: its bits give the global Z sign.
                    let sign = paritySign(partner & (term.zMask >> l))
                    let (fr, fi) = term.factor
                    let x = term.xMask & localMask, z = term.zMask & localMask
                    forEachRange(count: n, threads: threads) { s, e in
                        pauliPieceTermRange(piece: piece.base, first: offset, into: out.base, xMask: x, zMask: z,
                                            factorRe: Real(sign * fr), factorIm: Real(sign * fi), start: offset + s, end: offset + e)
                    }
                }
                statistics.computeSeconds += seconds(since: computeStart)
                first += n
            }
        }
    }
}
