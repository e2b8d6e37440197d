import ComplexModule
import Foundation
import Synchronization

// The backward sweep of adjoint differentiation (AdjointProgram.swift): correlations of ψ and λ per
// operation or per commuting layer, the chain rule into the Jacobian, and undoing each operation.

extension AdjointProgram {
    /// What one gradient call differentiates: the wanted parameters, the operations with an angle
    /// that depends on one of them, the first such operation (the backward sweep stops there) and
    /// the layers that hold one.
    struct Selection: Sendable {
        let parameters: [Bool]
        let operations: [Bool]
        let first: Int?
        let layers: [Int]
    }

    /// The selection for `wanted` (one flag per parameter; nil: every parameter).
    func selection(_ wanted: [Bool]?) -> Selection {
        guard let wanted else { return everyParameter }
        assert(wanted.count == parameterCount)
        let operations = self.operations.map { operation -> Bool in
            guard case .bound(let op) = operation else { return false }
            return op.angles.contains { a in angles[a].derivatives.contains { wanted[$0.parameter] } }
        }
        let layers = self.layers.indices.filter { l in self.layers[l].contains { operations[$0] } }
        return Selection(parameters: wanted, operations: operations, first: operations.firstIndex(of: true), layers: layers)
    }

    /// The positions (layer ends) to keep copies of ψ at, for at most `limit` copies: the latest
    /// layers that hold differentiated operations.
    func checkpointPositions(limit: Int, selection: Selection) -> [Int] {
        guard limit > 0 else { return [] }
        return selection.layers.suffix(limit).map { layers[$0].upperBound }
    }

    /// One backward step of a one-target operation: M of (ψ, λ), λ ← U†λ, and ψ ← U†ψ when asked.
    func pairStep(_ op: BoundOperation<Real>, _ pair: PairGeometry, numbers: UnsafeMutablePointer<Real>,
                          psi: UnsafeMutablePointer<Real>, lambda: UnsafeMutablePointer<Real>, update: AdjointUpdate,
                          threads: Int) -> SIMD8<Double>
    {
        let psiShared = SharedPointer(base: psi), lambdaShared = SharedPointer(base: lambda)
        let adjoint = SharedPointer(base: numbers + op.offset + op.size)
        let shape = op.shape
        return blockwiseSum8(count: pair.freeCount, block: correlationBlock, threads: threads) { start, end in
            pair.positions.withUnsafeBufferPointer { positions in
                let m = UnsafePointer(adjoint.base)
                if shape == .diagonal {
                    return adjointDiagonal1Range(psiShared.base, lambdaShared.base, target: pair.target,
                                                 controlMask: pair.controlMask, positions: positions,
                                                 runLength: pair.runLength, factors: m, update: update,
                                                 start: start, end: end)
                }
                return adjointDense1Range(psiShared.base, lambdaShared.base, target: pair.target,
                                          controlMask: pair.controlMask, positions: positions, runLength: pair.runLength,
                                          matrix: Matrix2(m), update: update, start: start, end: end)
            }
        }
    }

    /// Im Σ conj(λ_i)ψ_i and, per qubit, Im of the part over amplitudes with that qubit's bit set
    /// (see `diagonalCorrelationRange`; real parts are 0: derivatives never read them), summed in
    /// fixed blocks.
    func diagonalCorrelations(psi: UnsafeMutablePointer<Real>, lambda: UnsafeMutablePointer<Real>,
                                      threads: Int) -> [Double]
    {
        let psiShared = SharedPointer(base: psi), lambdaShared = SharedPointer(base: lambda)
        let n = numQubits
        return blockwiseSums(count: 1 << n, block: 2 * correlationBlock, width: 2 + 2 * n, threads: threads) { start, end, sums in
            diagonalCorrelationRange(psiShared.base, lambdaShared.base, numQubits: n, start: start, end: end, into: sums)
        }
    }

    /// Qubits of an amplitude block whose ψ and λ parts fit in about half of a 2 MiB L2 cache.
    static var layerBlockQubits: Int { MemoryLayout<Real>.size == 8 ? 14 : 15 }

    /// M01 and M10 of uncontrolled one-target operations on distinct `targets` (a commuting
    /// layer), in the order given. Targets below `layerBlockQubits` are read block by block — each
    /// block of ψ and λ loaded once from memory for all of them — and summed in block order;
    /// higher targets take a pass each, summed in fixed blocks of pairs. Neither depends on the
    /// number of threads.
    func layerOffDiagonals(_ targets: [Int], psi: UnsafeMutablePointer<Real>, lambda: UnsafeMutablePointer<Real>,
                                   threads: Int) -> [SIMD4<Double>]
    {
        var result = [SIMD4<Double>](repeating: SIMD4(), count: targets.count)
        guard !targets.isEmpty else { return result }
        let psiShared = SharedPointer(base: psi), lambdaShared = SharedPointer(base: lambda)
        let blockQubits = min(numQubits, Self.layerBlockQubits)
        let low = targets.indices.filter { targets[$0] < blockQubits }
        if !low.isEmpty {
            let lowTargets = low.map { targets[$0] }
            let blocks = 1 << (numQubits - blockQubits), pairsPerBlock = 1 << (blockQubits - 1)
            let partials = UnsafeMutablePointer<SIMD4<Double>>.allocate(capacity: blocks * lowTargets.count)
            defer { partials.deallocate() }
            let out = SharedPointer(base: partials)
            forEachRange(count: blocks, threads: threads, grain: 1) { first, last in
                for b in first..<last {
                    for (j, target) in lowTargets.enumerated() {
                        out.base[b * lowTargets.count + j] = offDiagonalCorrelationRange(
                            psiShared.base, lambdaShared.base, target: target, start: b * pairsPerBlock, end: (b + 1) * pairsPerBlock)
                    }
                }
            }
            for b in 0..<blocks {
                for (j, index) in low.enumerated() { result[index] += partials[b * lowTargets.count + j] }
            }
        }
        for index in targets.indices where targets[index] >= blockQubits {
            let target = targets[index]
            let sum = blockwiseSum8(count: (1 << numQubits) >> 1, block: correlationBlock, threads: threads) { start, end in
                let m = offDiagonalCorrelationRange(psiShared.base, lambdaShared.base, target: target, start: start, end: end)
                return SIMD8(lowHalf: m, highHalf: SIMD4())
            }
            result[index] = sum.lowHalf
        }
        return result
    }

    /// The backward sweep: from ψ (the final state) and λ_k = O_k ψ, adds ∂⟨O_k⟩/∂p_j into
    /// `jacobian[k * parameterCount + j]`. ψ, every λ_k and the checkpoints are overwritten.
    ///
    /// Operations are undone one by one (read M, then λ ← U†λ, ψ ← U†ψ), except in commuting
    /// layers: their operations act on distinct qubits, and M of an operation on qubit q is the
    /// partial trace Tr_{¬q} |ψ⟩⟨λ| of ψ and λ in a common frame — unchanged by unitaries on the
    /// other qubits — so all of a layer's correlations are read from (ψ, λ) at the layer's end,
    /// before any update. Where the forward pass kept a checkpoint of ψ at a layer's end
    /// (`checkpoints`, position → buffer), ψ is taken from it and is not carried back to there;
    /// the leading layer is read this way too, with nothing to update after it.
    func backward(psi finalState: UnsafeMutablePointer<Real>, lambdas: [UnsafeMutablePointer<Real>],
                  numbers: UnsafeMutablePointer<Real>, angles angleValues: [Double], values: [Double], threads: Int,
                  checkpoints: [Int: UnsafeMutablePointer<Real>] = [:], selection: Selection, jacobian: inout [Double])
    {
        guard let first = selection.first else { return }
        let active = selection.operations
        let count = lambdas.count
        let n = operations.count
        var correlations = [SIMD8<Double>](repeating: SIMD8(), count: count)
        var correlations4 = [Double](repeating: 0, count: hasTwoTargetOperations ? 32 * count : 0)
        var derivativeValues: [Double] = []

        // Layers read as a whole: those with a checkpoint at their end, and the leading layer.
        func readAsLayer(_ l: Int) -> Bool {
            checkpoints[layers[l].upperBound] != nil || layers[l].lowerBound == 0
        }
        // need[p]: ψ must be valid at position p (after operation p − 1) in the sweep: where an
        // operation is undone one by one, where a layer without checkpoint is read, and below, down
        // to a checkpoint that provides ψ.
        var required = [Bool](repeating: false, count: n + 1)
        for index in first..<n where active[index] {
            if let l = layerOf[index], readAsLayer(l) {
                let end = layers[l].upperBound
                if checkpoints[end] == nil { required[end] = true }
            } else {
                required[index + 1] = true
            }
        }
        var need = [Bool](repeating: false, count: n + 1)
        for p in 0...n { need[p] = required[p] || (p > 0 && need[p - 1] && checkpoints[p - 1] == nil) }

        var psi = finalState
        var index = n - 1
        while index >= first {
            if let l = layerOf[index], readAsLayer(l), layers[l].upperBound == index + 1 {
                let layer = layers[l]
                if let saved = checkpoints[layer.upperBound] { psi = saved }
                // The diagonal entries of every qubit's correlation come from one pass per λ, the
                // off-diagonal entries of the layer's dense operations from cache-sized blocks
                // read once for all of them (`layerOffDiagonals`).
                var diagonals: [[Double]] = []
                // denseTargets[column[q]] == q for the layer's dense operations (qubits are distinct).
                var denseTargets: [Int] = [], column = [Int](repeating: 0, count: numQubits)
                for j in layer where j >= first && active[j] {
                    if case .bound(let op) = operations[j], op.shape != .diagonal, let pair = op.pair {
                        column[pair.target] = denseTargets.count
                        denseTargets.append(pair.target)
                    }
                }
                var offDiagonals: [[SIMD4<Double>]] = []
                for j in layer {
                    guard j >= first, active[j], case .bound(let op) = operations[j], let pair = op.pair else { continue }
                    if diagonals.isEmpty {
                        diagonals = lambdas.map { diagonalCorrelations(psi: psi, lambda: $0, threads: threads) }
                        offDiagonals = lambdas.map { layerOffDiagonals(denseTargets, psi: psi, lambda: $0, threads: threads) }
                    }
                    let q = pair.target
                    for k in lambdas.indices {
                        let d = diagonals[k]
                        let m11 = (d[2 + 2 * q], d[3 + 2 * q])
                        let off = op.shape == .diagonal
                            ? SIMD4<Double>() : offDiagonals[k][column[q]]
                        correlations[k] = SIMD8(d[0] - m11.0, d[1] - m11.1, off[0], off[1], off[2], off[3], m11.0, m11.1)
                    }
                    accumulate(op, correlations: correlations, angles: angleValues, values: values, wanted: selection.parameters,
                               scratch: &derivativeValues, jacobian: &jacobian)
                }
                let psiBelow = need[layer.lowerBound] && checkpoints[layer.lowerBound] == nil
                if first < layer.lowerBound {
                    for j in layer.reversed() {
                        undo(j, numbers: numbers, psi: psiBelow ? psi : nil, lambdas: lambdas, threads: threads)
                    }
                }
                index = layer.lowerBound - 1
                continue
            }
            let psiBelow = need[index] && checkpoints[index] == nil
            guard active[index], case .bound(let op) = operations[index] else {
                undo(index, numbers: numbers, psi: psiBelow ? psi : nil, lambdas: lambdas, threads: threads)
                index -= 1
                continue
            }
            let last = index == first
            if let pair = op.pair {
                let update: AdjointUpdate = last ? .none : count == 1 && psiBelow ? .both : .lambda
                for (k, lambda) in lambdas.enumerated() {
                    correlations[k] = pairStep(op, pair, numbers: numbers, psi: psi, lambda: lambda, update: update,
                                               threads: threads)
                }
                if !last, psiBelow, update != .both { apply(op, adjoint: true, numbers: numbers, to: psi, threads: threads) }
                accumulate(op, correlations: correlations, angles: angleValues, values: values, wanted: selection.parameters,
                           scratch: &derivativeValues, jacobian: &jacobian)
            } else {
                // Two targets: 4 × 4 correlations, then the update.
                accumulateTwoTarget(op, psi: psi, lambdas: lambdas, values: values, wanted: selection.parameters,
                                    scratch: &correlations4, jacobian: &jacobian)
                if !last { undo(index, numbers: numbers, psi: psiBelow ? psi : nil, lambdas: lambdas, threads: threads) }
            }
            index -= 1
        }
    }

    /// Adds a two-target operation's derivatives for every λ_k into `jacobian[k * parameterCount + j]`
    /// (parameters j that `wanted` selects), from its 4 × 4 correlations M between ψ and λ_k read
    /// into `scratch` (32 Doubles per λ): K = −(i/2)·P⊗P, so 2·Re Σ K_ab M_ab = Σ (P⊗P)_ab · Im M_ab.
    func accumulateTwoTarget(_ op: BoundOperation<Real>, psi: UnsafeMutablePointer<Real>, lambdas: [UnsafeMutablePointer<Real>],
                             values: [Double], wanted: [Bool], scratch: inout [Double], jacobian: inout [Double])
    {
        scratch.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for i in buffer.indices { buffer[i] = 0 }
            op.groupOffsets.withUnsafeBufferPointer { offsets in
                op.groupPositions.withUnsafeBufferPointer { positions in
                    for (k, lambda) in lambdas.enumerated() {
                        correlationKRange(psi, lambda, offsets: offsets, controlMask: 0, positions: positions,
                                          start: 0, end: (1 << numQubits) >> 2, into: base + 32 * k)
                    }
                }
            }
        }
        let slot = angles[op.angles[0]]
        for k in lambdas.indices {
            var g = 0.0
            for e in 0..<16 { g += op.pauliProduct[e] * scratch[32 * k + 2 * e + 1] }
            for dv in slot.derivatives where wanted[dv.parameter] {
                jacobian[k * parameterCount + dv.parameter] += g * derivativeValue(dv, values)
            }
        }
    }

    /// Applies operation `index`'s U† to every λ and, when given, to ψ.
    func undo(_ index: Int, numbers: UnsafeMutablePointer<Real>, psi: UnsafeMutablePointer<Real>?,
                      lambdas: [UnsafeMutablePointer<Real>], threads: Int)
    {
        switch operations[index] {
        case .fixed(_, let adjoint):
            if let psi { adjoint.apply(to: psi, threads: threads) }
            for lambda in lambdas { adjoint.apply(to: lambda, threads: threads) }
        case .bound(let op):
            if let psi { apply(op, adjoint: true, numbers: numbers, to: psi, threads: threads) }
            for lambda in lambdas { apply(op, adjoint: true, numbers: numbers, to: lambda, threads: threads) }
        }
    }

    /// Adds the derivatives of a one-target operation's angles, from its correlations M_k:
    /// ∂⟨O_k⟩/∂x = 2·Re Σ_ab (A·K·A†)_ab (M_k)_ab, A the factors applied after x's.
    func accumulate(_ op: BoundOperation<Real>, correlations: [SIMD8<Double>], angles angleValues: [Double],
                            values: [Double], wanted: [Bool], scratch derivativeValues: inout [Double],
                            jacobian: inout [Double])
    {
        var after = Matrix2<Double>.identity
        for factor in op.factors.reversed() {
            guard let a = factor.angle else {
                after = after * factor.matrix(0)
                continue
            }
            let slot = angles[a]
            if slot.derivatives.contains(where: { wanted[$0.parameter] }) {
                let d = after * factor.generatorTerm * after.adjoint
                derivativeValues.removeAll(keepingCapacity: true)
                for dv in slot.derivatives { derivativeValues.append(derivativeValue(dv, values)) }
                for (k, m) in correlations.enumerated() {
                    let g = 2 * d.contracted(with: m).real
                    for (dv, chain) in zip(slot.derivatives, derivativeValues) where wanted[dv.parameter] {
                        jacobian[k * parameterCount + dv.parameter] += g * chain
                    }
                }
            }
            after = after * factor.matrix(angleValues[a])
        }
    }
}
