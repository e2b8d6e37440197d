// Reductions and measurement kernels. Sums run over fixed blocks (see `blockSum`) and accumulate
// in Double, so results do not depend on the thread count or on the state's precision type.
// Argument order as elsewhere: (amplitudes, numQubits, qubits…, other inputs, threads).

/// Σ |a_i|² over all amplitudes.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func normSquared<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, threads: Int) -> Double {
    let state = SharedPointer(base: amplitudes)
    return blockSum(count: 2 << numQubits, threads: threads) { start, end in
        var s = 0.0
        for j in start..<end {
            let x = Double(state.base[j])
            s += x * x
        }
        return s
    }
}

/// Σ |a_i|² over the amplitudes whose bit `qubit` is 1.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func probabilityOfOne<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, qubit: Int,
                                         threads: Int) -> Double
{
    let state = SharedPointer(base: amplitudes)
    let bit = 1 << qubit
    return blockSum(count: (1 << numQubits) >> 1, threads: threads) { start, end in
        var s = 0.0
        let p = state.base
        var k = start
        while k < end {
            // i: k-th index whose bit `qubit` is 1; runs of 2^qubit consecutive indices.
            let runEnd = min(end, (k | (bit &- 1)) &+ 1)
            var i = (((k >> qubit) << (qubit &+ 1)) | (k & (bit &- 1))) | bit
            for _ in k..<runEnd {
                let re = Double(p[2 &* i]), im = Double(p[2 &* i &+ 1])
                s += re * re + im * im
                i &+= 1
            }
            k = runEnd
        }
        return s
    }
}

/// Keeps the amplitudes whose bit `qubit` equals `outcome`, multiplied by `scale`, and zeroes
/// the others (the projection after a measurement, renormalised by the caller's `scale`).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func collapse<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, qubit: Int, outcome: Int,
                                 scale: Real, threads: Int)
{
    let state = SharedPointer(base: amplitudes)
    let bit = 1 << qubit
    let keep = outcome == 0 ? 0 : bit
    forEachRange(count: 1 << numQubits, threads: threads) { start, end in
        let p = state.base
        var i = start
        while i < end {
            let blockEnd = min(end, (i | (bit &- 1)) &+ 1)
            let kept = i & bit == keep
            for j in i..<blockEnd {
                if kept {
                    p[2 &* j] *= scale
                    p[2 &* j &+ 1] *= scale
                } else {
                    p[2 &* j] = 0
                    p[2 &* j &+ 1] = 0
                }
            }
            i = blockEnd
        }
    }
}

/// Swaps the halves where bit `qubit` is 0 and 1 (an X gate without arithmetic).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func flip<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, qubit: Int, threads: Int) {
    let state = SharedPointer(base: amplitudes)
    let bit = 1 << qubit
    forEachRange(count: (1 << numQubits) >> 1, threads: threads) { start, end in
        let p = state.base
        for k in start..<end {
            let i0 = ((k >> qubit) << (qubit &+ 1)) | (k & (bit &- 1))
            let i1 = i0 | bit
            let re = p[2 &* i0], im = p[2 &* i0 &+ 1]
            p[2 &* i0] = p[2 &* i1]
            p[2 &* i0 &+ 1] = p[2 &* i1 &+ 1]
            p[2 &* i1] = re
            p[2 &* i1 &+ 1] = im
        }
    }
}

/// Writes |a_i|² for every i into `output` (2^numQubits Doubles).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func writeProbabilities<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int,
                                           into output: UnsafeMutablePointer<Double>, threads: Int)
{
    let state = SharedPointer(base: amplitudes)
    let out = SharedPointer(base: output)
    forEachRange(count: 1 << numQubits, threads: threads) { start, end in
        for i in start..<end {
            let re = Double(state.base[2 &* i]), im = Double(state.base[2 &* i &+ 1])
            out.base[i] = re * re + im * im
        }
    }
}

/// Σ_i conj(a[i ⊕ xMask]) · (−1)^popcount(i & zMask) · a[i], as (re, im).
/// With xMask the X-or-Y qubits and zMask the Z-or-Y qubits, ⟨ψ|P|ψ⟩ = i^(number of Y) × this.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func pauliCorrelation<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int, xMask: Int,
                                         zMask: Int, threads: Int) -> (Double, Double)
{
    let state = SharedPointer(base: amplitudes)
    // The whole state is its own piece: Σ_j conj(a[j]) · (−1)^popcount((j ⊕ x) & z) · a[j ⊕ x], the
    // same terms as above indexed by j = i ⊕ xMask.
    return blockSumComplex(count: 1 << numQubits, threads: threads) { start, end in
        pauliPieceCorrelationRange(state.base, piece: state.base, first: 0, xMask: xMask, zMask: zMask, start: start, end: end)
    }
}

/// Σ_i conj(a_i) · b_i, as (re, im).
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func innerProduct<Real: StateScalar>(_ a: UnsafeMutablePointer<Real>, _ b: UnsafeMutablePointer<Real>, numQubits: Int,
                                     threads: Int) -> (Double, Double)
{
    let left = SharedPointer(base: a)
    let right = SharedPointer(base: b)
    return blockSumComplex(count: 1 << numQubits, threads: threads) { start, end in
        var sr = 0.0, si = 0.0
        for i in start..<end {
            let ar = Double(left.base[2 &* i]), ai = -Double(left.base[2 &* i &+ 1])
            let br = Double(right.base[2 &* i]), bi = Double(right.base[2 &* i &+ 1])
            sr += ar * br - ai * bi
            si += ar * bi + ai * br
        }
        return (sr, si)
    }
}

/// For ascending cumulative-probability `targets` (each in [0, Σ|a|²)), the basis index whose
/// cumulative interval holds each target: index i with Σ_{j<i} |a_j|² ≤ target < Σ_{j≤i} |a_j|²,
/// never an amplitude of probability 0. Two parallel passes over fixed blocks (block sums, then a
/// scan of each block that holds targets), so no second state-sized array is made and the answer
/// does not depend on the thread count. Returns the indices in target order.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func sampleSortedTargets<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, numQubits: Int,
                                            targets: [Double], threads: Int) -> [Int]
{
    let count = 1 << numQubits
    let sums = blockProbabilities(amplitudes, count: count, blockSize: reductionBlock, threads: threads)
    let (starts, ranges) = targetRanges(blockSums: sums, targets: targets)
    var result = [Int](repeating: 0, count: targets.count)
    resolveTargets(amplitudes, count: count, blockSize: reductionBlock, firstBlock: 0, indexOffset: 0, starts: starts,
                   ranges: ranges, targets: targets, into: &result, threads: threads)
    return result
}

/// Σ|a|² of each block of `blockSize` consecutive amplitudes (the last block may be shorter), in Double.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func blockProbabilities<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, count: Int, blockSize: Int,
                                           threads: Int) -> [Double]
{
    let state = SharedPointer(base: amplitudes)
    let blocks = (count + blockSize - 1) / blockSize
    var sums = [Double](repeating: 0, count: blocks)
    sums.withUnsafeMutableBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        let out = SharedPointer(base: base)
        forEachRange(count: blocks, threads: threads, grain: 2) { first, last in
            for b in first..<last {
                var s = 0.0
                for i in (b * blockSize)..<min(count, (b + 1) * blockSize) {
                    let re = Double(state.base[2 &* i]), im = Double(state.base[2 &* i &+ 1])
                    s += re * re + im * im
                }
                out.base[b] = s
            }
        }
    }
    return sums
}

/// Where sorted targets fall: the cumulative start of each block (summed in block order), and for
/// each block that holds targets, the contiguous range of them it holds. The same on every rank
/// that is given the same block sums, so ranks agree on who resolves which target.
func targetRanges(blockSums sums: [Double], targets: [Double]) -> (starts: [Double], ranges: [(block: Int, first: Int, end: Int)]) {
    let blocks = sums.count
    // Block b covers cumulative values [starts[b], starts[b] + sums[b]).
    var starts = [Double](repeating: 0, count: blocks)
    var running = 0.0
    for b in 0..<blocks {
        starts[b] = running
        running += sums[b]
    }
    let lastNonempty = sums.lastIndex { $0 > 0 } ?? 0
    // The targets of each block: a contiguous range of the sorted targets.
    var ranges: [(block: Int, first: Int, end: Int)] = []
    var b = 0
    var t = 0
    while t < targets.count {
        while b < lastNonempty && (sums[b] == 0 || starts[b] + sums[b] <= targets[t]) { b += 1 }
        let first = t
        while t < targets.count && (b == lastNonempty || targets[t] < starts[b] + sums[b]) { t += 1 }
        ranges.append((b, first, t))
        b += 1
        if b > lastNonempty { b = lastNonempty }
    }
    return (starts, ranges)
}

/// Resolves the targets of the blocks this state holds: blocks `firstBlock ..< firstBlock + count/blockSize`
/// of the whole (a rank's slice starts at block `firstBlock`); writes index + `indexOffset` into
/// `result` for those targets and leaves the others untouched.
@_specialize(where Real == Double)
@_specialize(where Real == Float)
func resolveTargets<Real: StateScalar>(_ amplitudes: UnsafeMutablePointer<Real>, count: Int, blockSize: Int, firstBlock: Int,
                                       indexOffset: Int, starts: [Double], ranges: [(block: Int, first: Int, end: Int)],
                                       targets: [Double], into result: inout [Int], threads: Int)
{
    let state = SharedPointer(base: amplitudes)
    let localBlocks = (count + blockSize - 1) / blockSize
    let blockStarts = starts
    let blockRanges = ranges.filter { $0.block >= firstBlock && $0.block < firstBlock + localBlocks }
    result.withUnsafeMutableBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        let out = SharedPointer(base: base)
        targets.withUnsafeBufferPointer { targetBuffer in
            guard let targetBase = targetBuffer.baseAddress else { return }
            let wanted = SharedPointer(base: UnsafeMutablePointer(mutating: targetBase))
            forEachRange(count: blockRanges.count, threads: threads, grain: 1) { first, last in
                for r in first..<last {
                    let (block, begin, end) = blockRanges[r]
                    let local = block - firstBlock
                    let blockEnd = min(count, (local + 1) * blockSize)
                    var cumulative = blockStarts[block]
                    var index = local * blockSize
                    var lastNonzero = -1
                    for k in begin..<end {
                        while index < blockEnd {
                            let re = Double(state.base[2 &* index]), im = Double(state.base[2 &* index &+ 1])
                            let p = re * re + im * im
                            if p > 0 {
                                lastNonzero = index
                                if cumulative + p > wanted.base[k] { break }
                            }
                            cumulative += p
                            index += 1
                        }
                        out.base[k] = (index < blockEnd ? index : max(lastNonzero, local * blockSize)) + indexOffset
                    }
                }
            }
        }
    }
}

/// The reduced density matrix ρ_Q[a][b] = Σ_rest ψ[a, rest]·conj(ψ[b, rest]) of `qubits` (bit j
/// of a and b on qubits[j]), unnormalised, as 2^k × 2^k interleaved (re, im) pairs, row-major.
/// Summed over fixed blocks, so the result does not depend on the thread count.
func reducedDensityMatrix(_ amplitudes: UnsafeMutablePointer<Double>, numQubits: Int, qubits: [Int], threads: Int) -> [Double] {
    let k = qubits.count, d = 1 << k
    let positions = setBitPositions(qubits.reduce(0) { $0 | (1 << $1) })
    let offsets = (0..<d).map { a in qubits.enumerated().reduce(0) { a & (1 << $1.offset) != 0 ? $0 | (1 << $1.element) : $0 } }
    let state = SharedPointer(base: amplitudes)
    return blockSumVector(count: (1 << numQubits) >> k, width: 2 * d * d, threads: threads) { start, end, rho in
        positions.withUnsafeBufferPointer { positions in
            offsets.withUnsafeBufferPointer { offsets in
                withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * d) { x in
                    let p = state.base
                    for rest in start..<end {
                        let base = insertZeroBits(rest, positions)
                        for a in 0..<d {
                            x[2 &* a] = p[2 &* (base | offsets[a])]
                            x[2 &* a &+ 1] = p[2 &* (base | offsets[a]) &+ 1]
                        }
                        for a in 0..<d {
                            let ar = x[2 &* a], ai = x[2 &* a &+ 1]
                            for b in 0..<d {
                                let br = x[2 &* b], bi = x[2 &* b &+ 1]
                                rho[2 &* (a &* d &+ b)] += ar * br + ai * bi
                                rho[2 &* (a &* d &+ b) &+ 1] += ai * br - ar * bi
                            }
                        }
                    }
                }
            }
        }
    }
}
