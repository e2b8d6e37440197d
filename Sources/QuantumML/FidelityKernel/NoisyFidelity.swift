import Foundation
import Parallel
import Quantum

// The fidelity kernel under noise: K(x, x′) = Tr(ρ(x)·ρ(x′)), one density matrix per sample (the
// feature-map circuit with the noise model's errors, exact) and one real dot product of vec(ρ)'s
// per entry (Tr(ρσ) = Σ ρ[r][c]·conj(σ[r][c]) for Hermitian σ). The split is the ideal kernel's:
// sample chunks, then tiles on and below the diagonal, over the scheduler's threads and the
// communicator's ranks; every entry is computed from the same inputs whatever the split, and a
// shot estimate's seed depends only on (seed, row, column), so the matrix is the same for any
// number of threads and ranks. The diagonal holds each state's purity Tr ρ² (1 only without noise).

extension QuantumKernel {
    /// The noisy kernel between the rows of `x` and the rows of `y` (nil: `x` itself, symmetric).
    func noisyCompute(rows x: Matrix, columns y: Matrix?, noise: NoiseSettings) throws -> Matrix {
        try noise.validate()
        if noise.mitigatesReadout {
            throw QuantumMLError.invalidArgument(argument: "readout mitigation (--mitigate-readout)", received: "on for the fidelity kernel",
                                                 valid: "off: the kernel is Tr(ρ(x)ρ(x′)), with --shots estimated by a SWAP test whose own "
                                                     + "measurement is taken as ideal, so it has no readout errors to undo "
                                                     + "(readout mitigation applies to the variational models, vqc and vqr)")
        }
        if case .amplitude = featureMap.kind {
            throw QuantumMLError.invalidArgument(argument: "noise", received: "amplitude encoding",
                                                 valid: "a gate feature map (zz, z, pauli, angle): amplitude encoding prepares each state "
                                                     + "directly, with no gates for the noise model to act on")
        }
        let world: any Communicator = communicator ?? LocalCommunicator()
        let (circuit, featureParameters) = featureMap.parameterisedCircuit()
        let compiled = try Simulator(method: .densityMatrix, noise: noise.model, threads: 1).compile(noise.prepared(circuit))
        let slots = featureParameters.map { p in compiled.parameters.firstIndex(of: p) ?? -1 }
        let n = featureMap.numQubits
        let entries = 2 << (2 * n)
        let stateBytes = UInt64(8 * entries)
        let total = UInt64(x.rows + (y?.rows ?? 0)) * stateBytes
        let plan = TilePlan(rows: x.rows, columns: y?.rows ?? x.rows, symmetric: y == nil,
                            tile: tileSize ?? Self.automaticTile(rows: x.rows, columns: y?.rows ?? x.rows, threads: scheduler.threads,
                                                                  ranks: world.size))
        let progress = self.progress
        let counter = ProgressCounter()
        let shots = noise.shots, seed = noise.seed, symmetric = y == nil

        @Sendable func density(_ samples: Matrix, _ row: Int) throws -> [Double] {
            var values = [Double](repeating: 0, count: compiled.parameters.count)
            for (j, slot) in slots.enumerated() where slot >= 0 { values[slot] = samples[row, j] }
            return try compiled.densityMatrix(values: values).withUnsafeEntries { Array($0) }
        }
        @Sendable func densities(_ samples: Matrix, _ rows: Range<Int>) throws -> [Double] {
            var out: [Double] = []
            out.reserveCapacity(rows.count * entries)
            for row in rows { out += try density(samples, row) }
            return out
        }
        /// Entry (i, j) from the two matrices' entries starting at a and b.
        @Sendable func entry(_ left: UnsafeBufferPointer<Double>, _ a: Int, _ right: UnsafeBufferPointer<Double>, _ b: Int,
                             row i: Int, column j: Int) -> Double
        {
            var s0 = 0.0, s1 = 0.0
            var k = 0
            while k + 1 < entries {
                s0 += left[a + k] * right[b + k]
                s1 += left[a + k + 1] * right[b + k + 1]
                k += 2
            }
            let exact = s0 + s1
            guard let shots else { return exact }
            // A destructive SWAP test reads "even" with probability (1 + Tr ρσ)/2.
            var rng = SeededGenerator(seed: Self.entrySeed(seed, i, j, symmetric: symmetric))
            let even = rng.binomial(trials: shots, probability: (1 + exact) / 2)
            return 2 * Double(even) / Double(shots) - 1
        }
        @Sendable func tile(_ left: [Double], _ leftRows: Range<Int>, _ leftOffset: Int,
                            _ right: [Double], _ rightRows: Range<Int>, _ rightOffset: Int, lowerOnly: Bool) -> [Double]
        {
            var values = [Double](repeating: 0, count: leftRows.count * rightRows.count)
            left.withUnsafeBufferPointer { l in
                right.withUnsafeBufferPointer { r in
                    for (a, i) in leftRows.enumerated() {
                        for (b, j) in rightRows.enumerated() where !(lowerOnly && j > i) {
                            values[a * rightRows.count + b] = entry(l, (i - leftOffset) * entries, r, (j - rightOffset) * entries, row: i, column: j)
                        }
                    }
                }
            }
            return values
        }

        if total <= memoryBudgetBytes {
            // Phase 1: every sample's density matrix once.
            let chunk = max(1, min(16, (x.rows + (y?.rows ?? 0)) / max(1, 4 * scheduler.threads * world.size)))
            let xChunks = (x.rows + chunk - 1) / chunk
            let yRows = y?.rows ?? 0
            let yChunks = (yRows + chunk - 1) / chunk
            let workTotal = xChunks + yChunks + plan.count
            let blocks = try world.map(count: xChunks + yChunks, chunkSize: 1, using: scheduler) { k -> [Double] in
                let out: [Double]
                if k < xChunks {
                    out = try densities(x, (k * chunk)..<min(x.rows, (k + 1) * chunk))
                } else if let y {
                    let c = k - xChunks
                    out = try densities(y, (c * chunk)..<min(yRows, (c + 1) * chunk))
                } else {
                    out = []
                }
                if let progress { progress(counter.add(), workTotal) }
                return out
            }
            let left = Array(blocks[0..<xChunks].joined())
            let right = y == nil ? left : Array(blocks[xChunks...].joined())
            let tiles = try world.map(count: plan.count, chunkSize: 1, using: scheduler) { t -> [Double] in
                let (rows, columns) = plan.ranges(t)
                let values = tile(left, rows, 0, right, columns, 0, lowerOnly: plan.isDiagonal(t))
                if let progress { progress(counter.add(), workTotal) }
                return values
            }
            return plan.assemble(tiles, unitDiagonal: false)
        }
        // Streaming: each tile computes its own rows' and columns' density matrices.
        let tiles = try world.map(count: plan.count, chunkSize: 1, using: scheduler) { t -> [Double] in
            let (rows, columns) = plan.ranges(t)
            let left = try densities(x, rows)
            let right = try densities(y ?? x, columns)
            let values = tile(left, rows, rows.lowerBound, right, columns, columns.lowerBound, lowerOnly: plan.isDiagonal(t))
            if let progress { progress(counter.add(), plan.count) }
            return values
        }
        return plan.assemble(tiles, unitDiagonal: false)
    }

    /// The seed of the shot estimate of entry (i, j): SplitMix64 steps over the inputs, so it
    /// depends on nothing else (not on tiles, threads or ranks).
    static func entrySeed(_ seed: UInt64, _ i: Int, _ j: Int, symmetric: Bool) -> UInt64 {
        func mix(_ x: UInt64) -> UInt64 {
            var z = x &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return mix(mix(mix(seed ^ (symmetric ? 0x5359_4D : 0x5445_5354)) ^ UInt64(i)) ^ UInt64(j))
    }
}
