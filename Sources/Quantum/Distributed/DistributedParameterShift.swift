import Communication
import Foundation

// The parameter-shift rule on a split state: split expectation values at shifted angles. The
// circuit is rewritten once with a fresh shift parameter σ_k added to every parameterised angle
// (ShiftedDensity.shifting, shared with the noisy parameter shift) and compiled once; each
// derivative term is (⟨O⟩(σ_k = +π/2) − ⟨O⟩(σ_k = −π/2))/2 times ∂angle/∂θ, every evaluation a split
// run whose per-rank parts are added in rank order, so every rank holds the same Jacobian.

extension CompiledCircuit {
    /// Expectation values and their Jacobian by the parameter-shift rule with the state split
    /// across the ranks of `group`: 1 + 2 × (parameterised angles) split runs.
    func distributedParameterShift(_ observables: [PauliSum], binding: [Parameter: Double], group: any RankGroup,
                                   ranksOnNode: Int = 1, bufferBytes: Int = defaultExchangeBufferBytes) throws
        -> DistributedGradientResult
    {
        _ = try checkSplitObservables(observables, binding: binding, differentiating: true)
        var circuit = QuantumCircuit(numQubits: numQubits)
        for instruction in plan.instructions(droppingMeasurements: false) { circuit.appendResolved(instruction) }
        let (shifted, occurrences) = ShiftedDensity.shifting(circuit)
        // Refused before anything collective, on every rank alike.
        for occurrence in occurrences {
            if let refusal = occurrence.refusal, let used = occurrence.terms.first {
                throw QuantumError.parameterShiftUnsupported(gate: refusal.gate, angle: refusal.angle, parameter: used.parameter.name)
            }
        }
        let compiled = try simulator.compile(shifted)
        var values = binding
        for occurrence in occurrences { values[occurrence.shift] = 0 }
        var statistics: DistributionStatistics?
        func evaluate() throws -> [Double] {
            let result = switch simulator.precision {
            case .double: try compiled.distributedExpectations(observables, binding: values, group: group, ranksOnNode: ranksOnNode,
                                                               bufferBytes: bufferBytes, as: Double.self)
            case .single: try compiled.distributedExpectations(observables, binding: values, group: group, ranksOnNode: ranksOnNode,
                                                               bufferBytes: bufferBytes, as: Float.self)
            }
            statistics = statistics.map { $0.adding(result.statistics) } ?? result.statistics
            return result.values
        }
        let base = try evaluate()
        let index = Dictionary(uniqueKeysWithValues: parameters.enumerated().map { ($1, $0) })
        var jacobian = [[Double]](repeating: [Double](repeating: 0, count: parameters.count), count: observables.count)
        for occurrence in occurrences where !occurrence.terms.isEmpty {
            values[occurrence.shift] = Double.pi / 2
            let plus = try evaluate()
            values[occurrence.shift] = -Double.pi / 2
            let minus = try evaluate()
            values[occurrence.shift] = 0
            for term in occurrence.terms {
                guard let j = index[term.parameter] else { continue }
                let factor = term.derivative.evaluate { values[$0] } ?? 0
                for k in observables.indices { jacobian[k][j] += factor * (plus[k] - minus[k]) / 2 }
            }
        }
        return DistributedGradientResult(values: base, jacobian: jacobian, statistics: statistics)
    }

    /// Expectation values and their Jacobian with the state split across every rank of
    /// `communicator`, by the adjoint method or the parameter-shift rule. Every rank must call it
    /// with the same arguments, and every rank receives the same result.
    ///
    /// The parameter shift runs 1 + 2 × (number of parameterised angles) split simulations (each as
    /// ``expectations(_:binding:distributedOver:ranksOnNode:)``), with one slice per rank and no λ
    /// vectors, so it needs less memory per rank than the adjoint method and no gate has to be
    /// whole on one rank beyond the qubits it mixes.
    /// - Parameters:
    ///   - observables: Pauli sums as wide as the circuit.
    ///   - values: a number for every parameter.
    ///   - method: ``GradientMethod/adjoint`` or ``GradientMethod/parameterShift``.
    ///   - communicator: the ranks.
    ///   - ranksOnNode: ranks sharing this node's memory (nil: the launcher's count).
    /// - Returns: the values and `jacobian[k][j]` = ∂⟨O_k⟩/∂p_j over ``parameters`` (equal to
    ///   ``gradient(of:binding:method:)-([PauliSum],_,_)`` on one process up to rounding); the
    ///   statistics add every split run's.
    /// - Throws: as ``gradient(of:binding:distributedOver:ranksOnNode:)``, and
    ///   ``QuantumError/parameterShiftUnsupported(gate:angle:parameter:)`` for an angle whose
    ///   generator has more than two eigenvalues (crx, cry, crz, cu's θ: use the adjoint method).
    public func gradient(of observables: [PauliSum], binding values: [Parameter: Double], method: GradientMethod,
                         distributedOver communicator: any Communicator, ranksOnNode: Int? = nil) throws -> DistributedGradientResult
    {
        switch method {
        case .adjoint:
            return try gradient(of: observables, binding: values, distributedOver: communicator, ranksOnNode: ranksOnNode)
        case .parameterShift:
            return try distributedParameterShift(observables, binding: values, group: CommunicatorRanks(communicator),
                                                 ranksOnNode: Self.ranksOnNode(ranksOnNode, communicator))
        }
    }
}

extension DistributionStatistics {
    /// These counts plus another run's on the same ranks (the layout lines stay the first run's).
    func adding(_ other: DistributionStatistics?) -> DistributionStatistics {
        guard let other else { return self }
        var total = self
        total.remaps += other.remaps
        total.rankPermutations += other.rankPermutations
        total.bytesSent += other.bytesSent
        total.exchangeSeconds += other.exchangeSeconds
        total.computeSeconds += other.computeSeconds
        total.stretches += other.stretches
        return total
    }
}
