import Communication
import Foundation

// Expectation values and adjoint gradients on a split state (validating layer and sweep).
//
// Expectations: the circuit runs split (layout not restored: the observables are moved to the
// final positions instead), each rank adds its part of every term (DistributedPauli.swift), and one
// allgather sums the parts in rank order, so every rank holds the same values.
//
// Gradients: the planner is asked to make every qubit of a gate with free parameters local (not
// only the qubits it mixes), so each such gate runs whole inside a stretch. Forward: the plan on ψ.
// Then λ_k = O_k ψ (a second split vector per observable). Backward, steps last first: a stretch is
// undone by the single-node adjoint program of its L-qubit circuit (`backwardThroughAll`), which
// reads each angle's derivative from this rank's amplitudes; a remap is its own inverse and is
// applied to ψ and every λ together; a rank permutation is undone by the inverse permutation.
// Derivatives are linear in the correlations, so the ranks' Jacobians add up: one allgather.

/// Expectation values of Pauli sums from a run over the ranks of a communicator, on one rank.
public struct DistributedExpectationResult: Sendable {
    /// ⟨ψ|O_k|ψ⟩, one per observable in the order given; the same on every rank.
    public let values: [Double]
    /// What moved between ranks and where the time went; nil when the state was not split.
    public let statistics: DistributionStatistics?
}

/// Expectation values and their Jacobian from a run over the ranks of a communicator, on one rank.
public struct DistributedGradientResult: Sendable {
    /// ⟨ψ|O_k|ψ⟩, one per observable in the order given; the same on every rank.
    public let values: [Double]
    /// `jacobian[k][j]` = ∂⟨O_k⟩/∂p_j, j over ``CompiledCircuit/parameters``; the same on every rank.
    public let jacobian: [[Double]]
    /// What moved between ranks and where the time went; nil when the state was not split.
    public let statistics: DistributionStatistics?
}

extension CompiledCircuit {
    /// The qubits that must be local for the adjoint sweep: every qubit of a gate with free
    /// parameters (its derivative is read from pairs of local amplitudes), the mixed ones otherwise.
    static func differentiatedQubits(_ instruction: Instruction) -> [Int] {
        if case .gate(let gate) = instruction.operation, !gate.freeParameters.isEmpty { return instruction.qubits }
        return ExecutionPlan.mixedQubits(instruction)
    }

    /// The checks of expectations and gradients on split states, before anything collective:
    /// values in ``parameters`` order from `binding`.
    func checkSplitObservables(_ observables: [PauliSum], binding: [Parameter: Double], differentiating: Bool) throws -> [Double] {
        if noisy != nil {
            throw QuantumError.distribution(
                "noisy simulation is not split across ranks: expectation values of a noisy circuit run on one process "
                    + "(call expectations or gradient without a communicator)")
        }
        let values = try orderedValues(binding)
        try checkUnitary(observables, differentiating: differentiating)
        return values
    }

    /// Plans the circuit on `globalQubits` global qubits without restoring the layout at the end
    /// (`mixing`: which qubits each instruction needs local) and runs it from |0…0⟩: the plan, its
    /// executor and this rank's final slice.
    private func runSplit<Real: StateScalar>(globalQubits k: Int, mixing: (Instruction) -> [Int],
                                             binding: [Parameter: Double], group: any RankGroup, threads: Int, bufferBytes: Int,
                                             as _: Real.Type) throws -> (DistributedPlan, DistributedExecutor<Real>, StateVector<Real>)
    {
        let layout = try DistributedPlan(numQubits: numQubits, globalQubits: k, instructions: plan.instructions(droppingMeasurements: false),
                                         restoresLayout: false, mixing: mixing)
        let executor = DistributedExecutor<Real>(plan: layout, group: group, simulator: simulator, values: binding,
                                                 threads: threads, bufferBytes: bufferBytes)
        var state = executor.initialSlice()
        var bits: [UInt8] = []
        var rng = SeededGenerator(seed: 0)
        try executor.run(layout.steps.indices, on: &state, bits: &bits, rng: &rng)
        return (layout, executor, state)
    }

    /// Expectation values with the state split across the ranks of `group`.
    func distributedExpectations<Real: StateScalar>(_ observables: [PauliSum], binding: [Parameter: Double], group: any RankGroup,
                                                    ranksOnNode: Int = 1, bufferBytes: Int = defaultExchangeBufferBytes,
                                                    as _: Real.Type) throws -> DistributedExpectationResult
    {
        _ = try checkSplitObservables(observables, binding: binding, differentiating: false)
        let threads = try Simulator.resolveThreads(simulator.threads)
        let k = try checkDistributed(group: group, as: Real.self, copies: 1, gathers: false, ranksOnNode: ranksOnNode)
        let (layout, executor, state) = try runSplit(globalQubits: k, mixing: ExecutionPlan.mixedQubits, binding: binding, group: group,
                                                     threads: threads, bufferBytes: bufferBytes, as: Real.self)
        let placed = try observables.map { try $0.placed(qubitAt: layout.finalLayout) }
        let parts = try group.allgatherDoubles(try executor.localExpectations(placed, of: state))
        return DistributedExpectationResult(values: sumInRankOrder(parts, count: observables.count), statistics: executor.statistics)
    }

    /// Expectation values and their Jacobian (adjoint method) with the state split across the
    /// ranks of `group`.
    func distributedGradient<Real: StateScalar>(_ observables: [PauliSum], binding: [Parameter: Double], group: any RankGroup,
                                                ranksOnNode: Int = 1, bufferBytes: Int = defaultExchangeBufferBytes,
                                                as _: Real.Type) throws -> DistributedGradientResult
    {
        _ = try checkSplitObservables(observables, binding: binding, differentiating: true)
        let threads = try Simulator.resolveThreads(simulator.threads)
        let count = observables.count, parameterCount = parameters.count
        // ψ and one λ per observable, each a slice per rank.
        let k = try checkDistributed(group: group, as: Real.self, copies: 1 + count, gathers: false, ranksOnNode: ranksOnNode)
        let l = numQubits - k
        for instruction in plan.instructions(droppingMeasurements: false) {
            guard case .gate(let gate) = instruction.operation, !gate.freeParameters.isEmpty, instruction.qubits.count > l else { continue }
            let most = 1 << (numQubits - instruction.qubits.count)
            throw QuantumError.distribution(
                "\(gate.name) on qubits \(instruction.qubits) has a free parameter and \(instruction.qubits.count) qubits; the adjoint "
                    + "gradient needs all of them on one rank, but on \(group.size) ranks each rank holds \(l) of the \(numQubits): "
                    + "use at most \(most) rank\(most == 1 ? "" : "s")")
        }
        let (layout, executor, forward) = try runSplit(globalQubits: k, mixing: CompiledCircuit.differentiatedQubits, binding: binding,
                                                       group: group, threads: threads, bufferBytes: bufferBytes, as: Real.self)
        var psi = forward
        let placed = try observables.map { try $0.placed(qubitAt: layout.finalLayout) }
        let expectations = try executor.localExpectations(placed, of: psi)
        var lambdas: [StateVector<Real>] = []
        for observable in placed {
            var lambda = StateVector<Real>(unchecked: layout.localQubits, threads: threads)
            try executor.apply(observable, to: psi, into: &lambda)
            lambdas.append(lambda)
        }
        var index: [Parameter: Int] = [:]
        for (j, p) in parameters.enumerated() { index[p] = j }
        var jacobian = [Double](repeating: 0, count: count * parameterCount)
        if count > 0, parameterCount > 0 {
            for step in layout.steps.reversed() {
                switch step {
                case .stretch(let operations):
                    try executor.undoStretch(operations, psi: &psi, lambdas: &lambdas, parameterIndex: index,
                                             parameterCount: parameterCount, jacobian: &jacobian)
                case .remap(let bits):
                    // A remap swaps positions: it is its own inverse.
                    try executor.remap(bits, on: &psi)
                    for i in lambdas.indices { try executor.remap(bits, on: &lambdas[i]) }
                case .permuteRanks(let destination):
                    var inverse = [Int](repeating: 0, count: destination.count)
                    for (j, d) in destination.enumerated() { inverse[d] = j }
                    try executor.permuteRanks(inverse, on: &psi)
                    for i in lambdas.indices { try executor.permuteRanks(inverse, on: &lambdas[i]) }
                case .measure, .reset, .conditioned, .channel:
                    assertionFailure("a differentiated circuit is unitary (checked above)")
                }
            }
        }
        let parts = try group.allgatherDoubles(expectations + jacobian)
        let total = sumInRankOrder(parts, count: count + count * parameterCount)
        let rows = (0..<count).map { k in Array(total[(count + k * parameterCount)..<(count + (k + 1) * parameterCount)]) }
        return DistributedGradientResult(values: Array(total[0..<count]), jacobian: rows, statistics: executor.statistics)
    }

    /// Σ_r parts[r][i], added in rank order (the same on every rank, for any reduction order).
    func sumInRankOrder(_ parts: [[Double]], count: Int) -> [Double] {
        var total = [Double](repeating: 0, count: count)
        for part in parts {
            for i in 0..<min(count, part.count) { total[i] += part[i] }
        }
        return total
    }
}

extension DistributedExecutor {
    /// Undoes a stretch on ψ and every λ (this rank's slices) with the single-node adjoint program
    /// of its L-qubit circuit, adding this rank's part of each derivative into
    /// `jacobian[k * parameterCount + j]` (j: the whole circuit's parameter index).
    func undoStretch(_ operations: [PlacedOperation], psi: inout StateVector<Real>, lambdas: inout [StateVector<Real>],
                     parameterIndex: [Parameter: Int], parameterCount: Int, jacobian: inout [Double]) throws
    {
        let start = ContinuousClock.now
        var circuit = QuantumCircuit(numQubits: l)
        for operation in operations {
            guard case .gate(let gate) = operation.operation else { continue }  // barriers change nothing
            if operation.positions.allSatisfy({ $0 < l }) {
                circuit.appendResolved(Instruction(operation: .gate(gate), qubits: operation.positions, clbits: [], condition: nil))
            } else if let (restricted, positions) = try restrict(gate, on: operation.positions) {
                // Gates with free parameters are local (differentiatedQubits): only fixed gates get here.
                circuit.appendResolved(Instruction(operation: .gate(restricted), qubits: positions, clbits: [], condition: nil))
            }
        }
        let stretchPlan = try ExecutionPlan(circuit: circuit, fusion: simulator.fusion, maxFusedQubits: simulator.maxFusedQubits,
                                            fusesParameterised: simulator.fusesParameterised, startsFromZero: false)
        let program = AdjointProgram<Real>(plan: stretchPlan)
        let stretchValues = stretchPlan.parameters.map { values[$0] ?? .nan }
        let angles = program.angleValues(stretchValues)
        let numbers = UnsafeMutablePointer<Real>.allocate(capacity: max(1, program.numbersCount))
        defer { numbers.deallocate() }
        program.writeNumbers(angles: angles, into: numbers)
        psi.makeUnique()
        for i in lambdas.indices { lambdas[i].makeUnique() }
        let count = lambdas.count, stretchCount = program.parameterCount
        var local = [Double](repeating: 0, count: count * stretchCount)
        program.backwardThroughAll(psi: psi.storage.pointer, lambdas: lambdas.map(\.storage.pointer), numbers: numbers,
                                   angles: angles, values: stretchValues, threads: threads, jacobian: &local)
        withExtendedLifetime(lambdas) {}
        for (j, p) in stretchPlan.parameters.enumerated() {
            guard let column = parameterIndex[p] else { continue }
            for k in 0..<count { jacobian[k * parameterCount + column] += local[k * stretchCount + j] }
        }
        statistics.computeSeconds += seconds(since: start)
    }
}

extension CompiledCircuit {
    // MARK: - Public entry points: expectation values and gradients

    /// ⟨ψ|O_k|ψ⟩ for several observables, the state split across every rank of `communicator`
    /// (P = 2^k ranks, each holding 2^(n−k) amplitudes). Every rank must call it with the same
    /// arguments, and every rank receives the same values.
    ///
    /// Terms whose X or Y letters act on global qubits pair ranks that differ in those bits; each
    /// pair moves one slice, in pieces of the 8 MiB exchange buffer, for all terms with the same
    /// global letters. Z letters on global qubits cost nothing.
    /// - Parameters:
    ///   - observables: Pauli sums as wide as the circuit.
    ///   - values: a number for every parameter.
    ///   - communicator: the ranks (``LocalCommunicator`` groups in tests, MPI under mpirun).
    ///   - ranksOnNode: ranks sharing this node's memory (nil: the launcher's count).
    /// - Returns: the values (equal to ``expectations(_:binding:)`` on one process up to rounding),
    ///   and what was exchanged.
    /// - Throws: ``QuantumError/unknownParameter(name:known:)``, ``QuantumError/unboundParameters(_:)``,
    ///   ``QuantumError/observableWidth(received:numQubits:)``, ``QuantumError/invalidState(_:)`` when the
    ///   circuit measures, resets or has conditions, ``QuantumError/distribution(_:)`` (ranks not a power
    ///   of two, too many ranks, a noisy circuit),
    ///   ``QuantumError/insufficientDistributedMemory(qubits:precision:ranks:bytesPerRank:bytesAvailable:rank:limitSource:smallestRanks:)``
    ///   on every rank, and the communicator's errors.
    public func expectations(_ observables: [PauliSum], binding values: [Parameter: Double] = [:],
                             distributedOver communicator: any Communicator, ranksOnNode: Int? = nil) throws
        -> DistributedExpectationResult
    {
        let group = CommunicatorRanks(communicator)
        let onNode = Self.ranksOnNode(ranksOnNode, communicator)
        return switch simulator.precision {
        case .double: try distributedExpectations(observables, binding: values, group: group, ranksOnNode: onNode, as: Double.self)
        case .single: try distributedExpectations(observables, binding: values, group: group, ranksOnNode: onNode, as: Float.self)
        }
    }

    /// ⟨ψ|O_k|ψ⟩ computed over the ranks of `communicator` as `distribution` says: split across
    /// all of them, or on rank 0 alone (the other ranks then return nil at once).
    /// - Parameters:
    ///   - observables: Pauli sums as wide as the circuit.
    ///   - values: a number for every parameter.
    ///   - communicator: the ranks.
    ///   - distribution: `always`, `auto` (split when the state does not fit one rank) or `never`.
    ///   - ranksOnNode: ranks sharing this node's memory (nil: the launcher's count).
    /// - Returns: the values on every rank when split; on rank 0 only (nil elsewhere) otherwise.
    /// - Throws: as ``expectations(_:binding:distributedOver:ranksOnNode:)`` and ``expectations(_:binding:)``.
    public func expectations(_ observables: [PauliSum], binding values: [Parameter: Double] = [:], on communicator: any Communicator,
                             distribution: DistributionMode, ranksOnNode: Int? = nil) throws -> DistributedExpectationResult?
    {
        if try splitsState(over: communicator, distribution: distribution, ranksOnNode: ranksOnNode) {
            return try expectations(observables, binding: values, distributedOver: communicator, ranksOnNode: ranksOnNode)
        }
        guard communicator.rank == 0 else { return nil }
        return DistributedExpectationResult(values: try expectations(observables, binding: values), statistics: nil)
    }

    /// Expectation values and their Jacobian by adjoint differentiation, the state split across
    /// every rank of `communicator`. Every rank must call it with the same arguments, and every
    /// rank receives the same result.
    ///
    /// Each rank holds its slice of ψ and of λ_k = O_k ψ (1 + number of observables slices, checked
    /// against its memory first). Gates with free parameters run with all their qubits local (the
    /// planner remaps before them); the backward sweep applies the same remaps to ψ and every λ,
    /// and the ranks' parts of each derivative are added in one allgather.
    /// - Parameters:
    ///   - observables: Pauli sums as wide as the circuit.
    ///   - values: a number for every parameter.
    ///   - communicator: the ranks.
    ///   - ranksOnNode: ranks sharing this node's memory (nil: the launcher's count).
    /// - Returns: the values and `jacobian[k][j]` = ∂⟨O_k⟩/∂p_j over ``parameters`` (equal to
    ///   ``gradient(of:binding:method:)-([PauliSum],_,_)`` on one process up to rounding), and what was exchanged.
    /// - Throws: ``QuantumError/notDifferentiable(operation:)`` when the circuit measures, resets or
    ///   has conditions; ``QuantumError/distribution(_:)`` also when a gate with free parameters has
    ///   more qubits than a rank holds; otherwise as ``expectations(_:binding:distributedOver:ranksOnNode:)``.
    public func gradient(of observables: [PauliSum], binding values: [Parameter: Double], distributedOver communicator: any Communicator,
                         ranksOnNode: Int? = nil) throws -> DistributedGradientResult
    {
        let group = CommunicatorRanks(communicator)
        let onNode = Self.ranksOnNode(ranksOnNode, communicator)
        return switch simulator.precision {
        case .double: try distributedGradient(observables, binding: values, group: group, ranksOnNode: onNode, as: Double.self)
        case .single: try distributedGradient(observables, binding: values, group: group, ranksOnNode: onNode, as: Float.self)
        }
    }
}
