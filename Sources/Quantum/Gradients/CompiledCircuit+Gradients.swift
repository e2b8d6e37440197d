import Foundation

/// How ``CompiledCircuit/gradient(of:binding:method:)`` differentiates expectation values.
public enum GradientMethod: String, Sendable, CaseIterable {
    /// Adjoint differentiation: one forward pass to |ψ⟩, then one backward sweep that carries ψ and
    /// λ_k = O_k|ψ⟩ through the inverse gates and reads every angle's exact derivative
    /// 2·Re⟨λ|∂U/∂θ · U†|ψ⟩ on the way. Works for every parameterised gate; memory: 1 + (number of
    /// observables) state vectors; time: about three forward passes, whatever the parameter count.
    case adjoint
    /// The parameter-shift rule: for each occurrence of a parameter in a gate angle whose generator
    /// has two eigenvalues (gap Δ), ∂E/∂θ = r·[E(θ + π/(4r)) − E(θ − π/(4r))] with r = Δ/2 — for
    /// rotations ½[E(θ + π/2) − E(θ − π/2)]. Two forward passes per occurrence; exact, and what
    /// hardware can run. Controlled rotations (crx, cry, crz, the θ of cu and cu3) have three
    /// eigenvalues and are refused.
    case parameterShift = "parameter-shift"
}

extension CompiledCircuit {
    /// ⟨ψ|O_k|ψ⟩ for several observables from one simulation, with the parameters bound.
    ///
    /// One forward pass (no per-gate allocation; cache-blocked for states wider than a pass), then
    /// one read of the state per Pauli term.
    /// - Parameters:
    ///   - observables: Pauli sums as wide as the circuit.
    ///   - values: a number for every parameter of the circuit.
    /// - Returns: one expectation value per observable, in order.
    /// - Throws: ``QuantumError/unknownParameter(name:known:)``, ``QuantumError/unboundParameters(_:)``,
    ///   ``QuantumError/observableWidth(received:numQubits:)``, ``QuantumError/invalidState(_:)`` when the
    ///   circuit measures, resets or has conditions, ``QuantumError/invalidThreads(_:)`` and memory errors.
    public func expectations(_ observables: [PauliSum], binding values: [Parameter: Double]) throws -> [Double] {
        try expectations(observables, values: orderedValues(values))
    }

    /// ⟨ψ|O_k|ψ⟩ for several observables, with values given in ``parameters`` order.
    /// - Parameters:
    ///   - observables: Pauli sums as wide as the circuit.
    ///   - values: one number per parameter, in ``parameters`` order.
    /// - Returns: one expectation value per observable, in order.
    /// - Throws: ``QuantumError/wrongBindingCount(received:expected:)`` and as
    ///   ``expectations(_:binding:)``.
    public func expectations(_ observables: [PauliSum], values: [Double]) throws -> [Double] {
        try expectations(observables, values: values, initialState: nil)
    }

    /// ⟨ψ|O_k|ψ⟩ for the circuit applied to a given state instead of |0…0⟩ (a state prepared by
    /// other means, such as amplitude-encoded data).
    /// - Parameters:
    ///   - observables: Pauli sums as wide as the circuit.
    ///   - values: one number per parameter, in ``parameters`` order.
    ///   - initialState: the input state, as wide as the circuit (nil: |0…0⟩). Its amplitudes are
    ///     rounded to single precision when the simulator runs in single precision.
    /// - Returns: one expectation value per observable, in order.
    /// - Throws: ``QuantumError/invalidState(_:)`` for an initial state of another width, and as
    ///   ``expectations(_:values:)``.
    public func expectations(_ observables: [PauliSum], values: [Double], initialState: StateVector<Double>?) throws -> [Double] {
        try checkValueCount(values)
        try checkInitialState(initialState)
        if let noisy { return try noisy.estimates(self, observables, values: values, initialState: initialState).map(\.value) }
        let threads = try prepare(observables, differentiating: false, states: 1)
        return switch simulator.precision {
        case .double: evaluateExpectations(observables, values: values, initial: initialState, threads: threads, as: Double.self)
        case .single: evaluateExpectations(observables, values: values, initial: initialState, threads: threads, as: Float.self)
        }
    }

    /// Expectation values and their Jacobian with respect to every parameter.
    ///
    /// `jacobian[k][j]` = ∂⟨O_k⟩/∂p_j, j over ``parameters`` (sorted by name). A parameter may occur
    /// in many gates and inside expressions (`2*θ`, `θ + φ`, `sin(θ)`): the chain rule sums over
    /// every occurrence with the symbolic ``ParameterExpression/derivative(withRespectTo:)``.
    /// - Parameters:
    ///   - observables: Pauli sums as wide as the circuit.
    ///   - values: a number for every parameter.
    ///   - method: ``GradientMethod/adjoint`` (default; every gate) or ``GradientMethod/parameterShift``.
    /// - Returns: the expectation values (as ``expectations(_:binding:)``) and the Jacobian, one row
    ///   per observable.
    /// - Throws: ``QuantumError/notDifferentiable(operation:)`` when the circuit measures, resets or
    ///   has conditions; ``QuantumError/parameterShiftUnsupported(gate:angle:parameter:)`` for a
    ///   parameter-shift gradient through a gate whose generator has more than two eigenvalues;
    ///   ``QuantumError/unknownParameter(name:known:)``, ``QuantumError/unboundParameters(_:)``,
    ///   ``QuantumError/observableWidth(received:numQubits:)``, ``QuantumError/invalidThreads(_:)`` and
    ///   memory errors.
    public func gradient(of observables: [PauliSum], binding values: [Parameter: Double],
                         method: GradientMethod = .adjoint) throws -> (values: [Double], jacobian: [[Double]])
    {
        try gradient(of: observables, values: orderedValues(values), method: method)
    }

    /// Expectation values and their Jacobian with respect to some parameters only.
    ///
    /// The other parameters' columns are 0 and cost nothing: the adjoint sweep stops at the first
    /// gate that depends on a wanted parameter (a feature map in front of the trained gates is not
    /// undone), and parameter shift shifts only the wanted parameters' occurrences (so gates of
    /// the other parameters may have any generator).
    /// - Parameters:
    ///   - observables: Pauli sums as wide as the circuit.
    ///   - values: one number per parameter, in ``parameters`` order.
    ///   - wanted: the parameters to differentiate by, each one of ``parameters``.
    ///   - method: ``GradientMethod/adjoint`` (default) or ``GradientMethod/parameterShift``.
    ///   - initialState: the input state instead of |0…0⟩ (as in
    ///     ``expectations(_:values:initialState:)``); nil: |0…0⟩.
    /// - Returns: the expectation values and the Jacobian over all of ``parameters``, one row per
    ///   observable.
    /// - Throws: ``QuantumError/unknownParameter(name:known:)`` for a wanted parameter the circuit
    ///   does not have, ``QuantumError/invalidState(_:)`` for an initial state of another width,
    ///   and as ``gradient(of:values:method:)-([PauliSum],_,_)``.
    public func gradient(of observables: [PauliSum], values: [Double], withRespectTo wanted: [Parameter],
                         method: GradientMethod = .adjoint, initialState: StateVector<Double>? = nil) throws
        -> (values: [Double], jacobian: [[Double]])
    {
        try gradient(of: observables, values: values, withRespectTo: selection(wanted), method: method, initialState: initialState)
    }

    /// The same, with the parameters checked once by ``selection(_:)`` — for many calls with the
    /// same parameters (a training loop).
    /// - Throws: as ``gradient(of:values:withRespectTo:method:initialState:)-([PauliSum],_,[Parameter],_,_)``
    ///   except for unknown parameters, which ``selection(_:)`` reports.
    public func gradient(of observables: [PauliSum], values: [Double], withRespectTo wanted: ParameterSelection,
                         method: GradientMethod = .adjoint, initialState: StateVector<Double>? = nil) throws
        -> (values: [Double], jacobian: [[Double]])
    {
        guard wanted.flags.count == parameters.count else {
            throw QuantumError.invalidState(
                "the parameter selection was made for a circuit with \(wanted.flags.count) parameters; this one has \(parameters.count)")
        }
        return try gradient(of: observables, values: values, method: method, selecting: wanted.flags, initialState: initialState)
    }

    /// Some of ``parameters``, checked once, to differentiate by (see
    /// ``gradient(of:values:withRespectTo:method:initialState:)-([PauliSum],_,ParameterSelection,_,_)``).
    /// - Parameter wanted: parameters of this circuit.
    /// - Throws: ``QuantumError/unknownParameter(name:known:)`` for a parameter the circuit does not have.
    public func selection(_ wanted: [Parameter]) throws -> ParameterSelection {
        var flags = [Bool](repeating: false, count: parameters.count)
        let index = Dictionary(uniqueKeysWithValues: parameters.enumerated().map { ($1, $0) })
        for p in wanted {
            guard let i = index[p] else { throw QuantumError.unknownParameter(name: p.name, known: parameters.map(\.name)) }
            flags[i] = true
        }
        return ParameterSelection(flags: flags)
    }

    /// Expectation values and their Jacobian, with values given in ``parameters`` order.
    /// - Parameters:
    ///   - observables: Pauli sums as wide as the circuit.
    ///   - values: one number per parameter, in ``parameters`` order.
    ///   - method: ``GradientMethod/adjoint`` (default) or ``GradientMethod/parameterShift``.
    /// - Returns: the expectation values and the Jacobian `jacobian[k][j]` = ∂⟨O_k⟩/∂p_j.
    /// - Throws: ``QuantumError/wrongBindingCount(received:expected:)`` and as
    ///   ``gradient(of:binding:method:)-(PauliSum...)``.
    public func gradient(of observables: [PauliSum], values: [Double],
                         method: GradientMethod = .adjoint) throws -> (values: [Double], jacobian: [[Double]])
    {
        try gradient(of: observables, values: values, method: method, selecting: nil, initialState: nil)
    }

    /// The checked entry of every Jacobian call; `selecting`: one flag per parameter (nil: all).
    func gradient(of observables: [PauliSum], values: [Double], method: GradientMethod,
                  selecting wanted: [Bool]?, initialState: StateVector<Double>?) throws -> (values: [Double], jacobian: [[Double]])
    {
        try checkValueCount(values)
        try checkInitialState(initialState)
        if let noisy {
            return try noisy.gradient(self, observables, values: values, method: method, wanted: wanted, initialState: initialState)
        }
        let states = method == .adjoint ? 1 + observables.count : 1
        let threads = try prepare(observables, differentiating: true, states: states)
        switch simulator.precision {
        case .double:
            return try evaluateGradient(observables, values: values, method: method, wanted: wanted, initial: initialState,
                                        threads: threads, as: Double.self)
        case .single:
            return try evaluateGradient(observables, values: values, method: method, wanted: wanted, initial: initialState,
                                        threads: threads, as: Float.self)
        }
    }

    /// One expectation value and its gradient with respect to every parameter.
    /// - Parameters:
    ///   - observable: a Pauli sum as wide as the circuit.
    ///   - values: a number for every parameter.
    ///   - method: ``GradientMethod/adjoint`` (default) or ``GradientMethod/parameterShift``.
    /// - Returns: ⟨O⟩ and ∂⟨O⟩/∂p_j in ``parameters`` order.
    /// - Throws: as ``gradient(of:binding:method:)-([PauliSum],_,_)``.
    public func gradient(of observable: PauliSum, binding values: [Parameter: Double],
                         method: GradientMethod = .adjoint) throws -> (value: Double, gradient: [Double])
    {
        let result = try gradient(of: [observable], binding: values, method: method)
        return (result.values[0], result.jacobian[0])
    }

    /// One expectation value and its gradient, with values given in ``parameters`` order.
    /// - Parameters:
    ///   - observable: a Pauli sum as wide as the circuit.
    ///   - values: one number per parameter, in ``parameters`` order.
    ///   - method: ``GradientMethod/adjoint`` (default) or ``GradientMethod/parameterShift``.
    /// - Returns: ⟨O⟩ and ∂⟨O⟩/∂p_j in ``parameters`` order.
    /// - Throws: as ``gradient(of:values:method:)-([PauliSum],_,_)``.
    public func gradient(of observable: PauliSum, values: [Double],
                         method: GradientMethod = .adjoint) throws -> (value: Double, gradient: [Double])
    {
        let result = try gradient(of: [observable], values: values, method: method)
        return (result.values[0], result.jacobian[0])
    }

    // MARK: - Validation (once, here)

    /// Values in ``parameters`` order from a binding.
    /// - Throws: ``QuantumError/unknownParameter(name:known:)`` first, then
    ///   ``QuantumError/unboundParameters(_:)`` (the order of the other entry points).
    func orderedValues(_ binding: [Parameter: Double]) throws -> [Double] {
        var values: [Double] = []
        values.reserveCapacity(parameters.count)
        var missing: [String] = []
        for p in parameters {
            if let v = binding[p] { values.append(v) } else { missing.append(p.name) }
        }
        if binding.count != values.count {
            let known = Set(parameters)
            if let unknown = binding.keys.first(where: { !known.contains($0) }) {
                throw QuantumError.unknownParameter(name: unknown.name, known: parameters.map(\.name))
            }
        }
        if !missing.isEmpty { throw QuantumError.unboundParameters(missing) }
        return values
    }

    private func checkInitialState(_ state: StateVector<Double>?) throws {
        guard let state, state.numQubits != numQubits else { return }
        throw QuantumError.invalidState("the initial state has \(state.numQubits) qubits; the circuit has \(numQubits)")
    }

    private func checkValueCount(_ values: [Double]) throws {
        guard values.count == parameters.count else {
            throw QuantumError.wrongBindingCount(received: values.count, expected: parameters.map(\.name))
        }
    }

    /// Refuses a circuit with non-unitary steps (saying why) and observables of another width.
    func checkUnitary(_ observables: [PauliSum], differentiating: Bool) throws {
        if let step = plan.steps.first(where: { !$0.isUnitary }) {
            let what = ExecutionPlan.describeNonUnitary(step)
            if differentiating { throw QuantumError.notDifferentiable(operation: what) }
            throw QuantumError.invalidState(
                "the circuit contains \(what): expectation values need a circuit of unitary gates only "
                    + "(use run(shots:) for counts, or removingFinalMeasurements())")
        }
        for observable in observables where observable.numQubits != numQubits {
            throw QuantumError.observableWidth(received: observable.numQubits, numQubits: numQubits)
        }
    }

    /// Checks the circuit, the observables, threads and memory; returns the thread count.
    private func prepare(_ observables: [PauliSum], differentiating: Bool, states: Int) throws -> Int {
        try checkUnitary(observables, differentiating: differentiating)
        let threads = try Simulator.resolveThreads(simulator.threads)
        // Reading the system's memory figures costs more than simulating a small state: check when
        // the states are large or the user set a limit.
        let bytes = states * simulator.precision.bytesPerAmplitude << min(numQubits, 62)
        if simulator.maxMemoryBytes != nil || numQubits > 20 || bytes > 1 << 26 {
            switch simulator.precision {
            case .double: try checkMemory(numQubits: numQubits, as: Double.self, userLimit: simulator.maxMemoryBytes, copies: states)
            case .single: try checkMemory(numQubits: numQubits, as: Float.self, userLimit: simulator.maxMemoryBytes, copies: states)
            }
        }
        return threads
    }

    // MARK: - Unchecked paths

    /// Whether the forward pass runs the plan's cache-blocked passes (wide states) rather than the
    /// program's operations one by one.
    private func usesBlockedForward<Real: StateScalar>(_: Real.Type) -> Bool {
        plan.fusion && numQubits > (simulator.blockQubits ?? ExecutionPlan.defaultBlockQubits(for: Real.self)) + 1
    }

    /// The memory the adjoint sweep may use for copies of ψ at layer ends (at most 8 copies).
    static let checkpointBytes = 64 << 20

    /// The final state for parameter values (`numbers` written for `angles`); `checkpoints` receive
    /// copies of the state on the way (program-by-program forward pass only).
    private func simulate<Real: StateScalar>(_ program: AdjointProgram<Real>, values: [Double], angles: [Double],
                                             numbers: UnsafeMutablePointer<Real>, initial: StateVector<Double>?, threads: Int,
                                             checkpoints: [Int: UnsafeMutablePointer<Real>] = [:]) -> StateVector<Real>
    {
        var state = StateVector<Real>(unchecked: numQubits, threads: threads)
        if usesBlockedForward(Real.self) {
            if let initial { copyAmplitudes(initial, into: state.storage.pointer, threads: threads) }
            assert(checkpoints.isEmpty)
            // Wide states: the plan's cache-blocked passes make fewer sweeps over memory.
            let binding = Dictionary(uniqueKeysWithValues: zip(parameters, values))
            do {
                try plan.applyUnitarySteps(plan.steps.indices, to: &state, values: binding, blockQubits: simulator.blockQubits,
                                           fromZero: initial == nil)
                return state
            } catch {
                // Every parameter is bound and every step is unitary: the plan cannot fail here.
                assertionFailure("blocked forward pass failed: \(error)")
                state = StateVector<Real>(unchecked: numQubits, threads: threads)
            }
        }
        if let initial {
            copyAmplitudes(initial, into: state.storage.pointer, threads: threads)
            program.forward(state.storage.pointer, numbers: numbers, threads: threads, checkpoints: checkpoints, fromGivenState: true)
        } else {
            program.forward(state.storage.pointer, numbers: numbers, threads: threads, checkpoints: checkpoints)
        }
        return state
    }

    /// Writes a Double state's amplitudes into a state buffer of either precision.
    private func copyAmplitudes<Real: StateScalar>(_ source: StateVector<Double>, into p: UnsafeMutablePointer<Real>, threads: Int) {
        let from = SharedPointer(base: source.storage.pointer), to = SharedPointer(base: p)
        forEachRange(count: 2 << numQubits, threads: threads) { start, end in
            for i in start..<end { to.base[i] = Real(from.base[i]) }
        }
    }

    private func evaluateExpectations<Real: StateScalar>(_ observables: [PauliSum], values: [Double], initial: StateVector<Double>?,
                                                         threads: Int, as _: Real.Type) -> [Double]
    {
        let program = differentiation.program(for: plan, as: Real.self)
        let angles = program.angleValues(values)
        let numbers = UnsafeMutablePointer<Real>.allocate(capacity: max(1, program.numbersCount))
        defer { numbers.deallocate() }
        program.writeNumbers(angles: angles, into: numbers)
        let state = simulate(program, values: values, angles: angles, numbers: numbers, initial: initial, threads: threads)
        return observables.map { pauliExpectation(state.storage.pointer, numQubits: numQubits, observable: $0, threads: threads) }
    }

    private func evaluateGradient<Real: StateScalar>(_ observables: [PauliSum], values: [Double], method: GradientMethod,
                                                     wanted: [Bool]?, initial: StateVector<Double>?, threads: Int,
                                                     as _: Real.Type) throws
        -> (values: [Double], jacobian: [[Double]])
    {
        let program = differentiation.program(for: plan, as: Real.self)
        let selection = program.selection(wanted)
        let count = observables.count, parameterCount = parameters.count
        if method == .parameterShift {
            for slot in program.angles where slot.shiftGap == nil {
                if let first = slot.derivatives.first(where: { selection.parameters[$0.parameter] }) {
                    throw QuantumError.parameterShiftUnsupported(gate: slot.gate, angle: slot.angleName,
                                                                 parameter: parameters[first.parameter].name)
                }
            }
        }
        let angles = program.angleValues(values)
        let numbers = UnsafeMutablePointer<Real>.allocate(capacity: max(1, program.numbersCount))
        defer { numbers.deallocate() }
        program.writeNumbers(angles: angles, into: numbers)
        var jacobian = [Double](repeating: 0, count: count * parameterCount)
        // Copies of ψ at the ends of commuting layers spare the adjoint sweep carrying ψ back.
        var checkpoints: [Int: UnsafeMutablePointer<Real>] = [:]
        if method == .adjoint, count > 0, !usesBlockedForward(Real.self) {
            let stateBytes = 2 * MemoryLayout<Real>.size << numQubits
            let limit = simulator.adjointCheckpoints ?? min(8, CompiledCircuit.checkpointBytes / max(stateBytes, 1))
            for position in program.checkpointPositions(limit: limit, selection: selection) {
                checkpoints[position] = UnsafeMutablePointer<Real>.allocate(capacity: 2 << numQubits)
            }
        }
        defer { for buffer in checkpoints.values { buffer.deallocate() } }
        var state = simulate(program, values: values, angles: angles, numbers: numbers, initial: initial, threads: threads,
                             checkpoints: checkpoints)
        let psi = state.storage.pointer
        let expectationValues = observables.map { pauliExpectation(psi, numQubits: numQubits, observable: $0, threads: threads) }

        switch method {
        case .adjoint:
            guard count > 0, selection.first != nil else { break }
            let lambdas = observables.map { _ in AmplitudeStorage<Real>(count: 1 << numQubits, threads: threads) }
            for (observable, lambda) in zip(observables, lambdas) {
                applyPauliSum(observable, to: psi, into: lambda.pointer, numQubits: numQubits, threads: threads)
            }
            program.backward(psi: psi, lambdas: lambdas.map(\.pointer), numbers: numbers, angles: angles, values: values,
                             threads: threads, checkpoints: checkpoints, selection: selection, jacobian: &jacobian)
            withExtendedLifetime(lambdas) {}
        case .parameterShift:
            guard count > 0 else { break }
            var shifted = angles
            for (a, slot) in program.angles.enumerated() where slot.derivatives.contains(where: { selection.parameters[$0.parameter] }) {
                guard let gap = slot.shiftGap, case .bound(let op) = program.operations[slot.operation] else { continue }
                let shift = Double.pi / (2 * gap), r = gap / 2
                var sides: [[Double]] = []
                for sign in [1.0, -1.0] {
                    shifted[a] = angles[a] + sign * shift
                    program.writeNumbers(of: op, angles: shifted, into: numbers)
                    if let initial {
                        copyAmplitudes(initial, into: psi, threads: threads)
                        program.forward(psi, numbers: numbers, threads: threads, fromGivenState: true)
                    } else {
                        state.resetToZeroState()
                        program.forward(psi, numbers: numbers, threads: threads)
                    }
                    sides.append(observables.map { pauliExpectation(psi, numQubits: numQubits, observable: $0, threads: threads) })
                }
                shifted[a] = angles[a]
                program.writeNumbers(of: op, angles: angles, into: numbers)
                for d in slot.derivatives where selection.parameters[d.parameter] {
                    let chain = program.derivativeValue(d, values)
                    for k in 0..<count { jacobian[k * parameterCount + d.parameter] += r * (sides[0][k] - sides[1][k]) * chain }
                }
            }
        }
        let rows = (0..<count).map { k in Array(jacobian[(k * parameterCount)..<((k + 1) * parameterCount)]) }
        return (expectationValues, rows)
    }
}

/// Parameters of a compiled circuit to differentiate by, made by ``CompiledCircuit/selection(_:)``.
public struct ParameterSelection: Sendable, Equatable {
    /// One flag per parameter of the circuit, in its ``CompiledCircuit/parameters`` order.
    let flags: [Bool]
}

extension ExecutionPlan {
    /// "measure", "reset" or "a conditioned gate", for messages about a non-unitary step.
    static func describeNonUnitary(_ step: PlanStep) -> String {
        switch step.action {
        case .measure: "measure"
        case .reset: "reset"
        case .gates: "a conditioned gate"
        }
    }
}

extension StateVector {
    /// Sets the amplitudes to |0…0⟩ in place (the storage must be unique).
    mutating func resetToZeroState() {
        let p = storage.pointer
        p.update(repeating: 0, count: 2 * count)
        p[0] = 1
    }
}
