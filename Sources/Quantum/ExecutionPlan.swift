import ComplexModule
import RealModule
import Foundation

/// A group of gates applied as one kernel call.
enum GateBlock: Sendable {
    /// One gate on its qubits (in the gate's argument order).
    case gate(Gate, qubits: [Int])
    /// Consecutive one-qubit gates on one qubit, applied as their product, first gate first.
    case fused(qubit: Int, gates: [Gate])

    var gateCount: Int {
        switch self {
        case .gate: 1
        case .fused(_, let gates): gates.count
        }
    }
}

/// One step of an execution plan.
struct PlanStep: Sendable {
    enum Action: Sendable {
        case gates(GateBlock)
        case measure(qubit: Int, clbit: Int)
        case reset(qubit: Int)
    }
    let action: Action
    let condition: Condition?

    var isUnitary: Bool {
        if condition != nil { return false }
        if case .gates = action { return true }
        return false
    }
}

/// A kernel call with its numbers filled in, ready for a state of precision `Real`.
enum BoundKernel<Real: StateScalar> {
    case dense1(target: Int, controlMask: Int, matrix: Matrix2<Real>)
    case diagonal1(target: Int, controlMask: Int, d0r: Real, d0i: Real, d1r: Real, d1i: Real)
    case dense2(target0: Int, target1: Int, controlMask: Int, matrix: [Real])
    case denseK(targets: [Int], controlMask: Int, matrix: [Real])
    case diagonalK(targets: [Int], controlMask: Int, factors: [Real])

    /// The kernel for `structure` applied with `qubits` (controls first, as the gate's arguments).
    init(structure: GateStructure, qubits: [Int]) {
        let controls = qubits.prefix(structure.numControls)
        let targets = Array(qubits.dropFirst(structure.numControls))
        let mask = controls.reduce(0) { $0 | (1 << $1) }
        let m = structure.target
        if m.isDiagonal {
            let d = m.diagonalEntries
            if targets.count == 1 {
                self = .diagonal1(target: targets[0], controlMask: mask, d0r: Real(d[0].real), d0i: Real(d[0].imaginary),
                                  d1r: Real(d[1].real), d1i: Real(d[1].imaginary))
            } else {
                self = .diagonalK(targets: targets, controlMask: mask, factors: d.flatMap { [Real($0.real), Real($0.imaginary)] })
            }
            return
        }
        let interleaved = m.entries.flatMap { [Real($0.real), Real($0.imaginary)] }
        switch targets.count {
        case 1: self = .dense1(target: targets[0], controlMask: mask, matrix: Matrix2(m))
        case 2: self = .dense2(target0: targets[0], target1: targets[1], controlMask: mask, matrix: interleaved)
        default: self = .denseK(targets: targets, controlMask: mask, matrix: interleaved)
        }
    }

    /// Runs the kernel on a state (the dispatch point from plans to kernels).
    func apply(to state: inout StateVector<Real>) {
        let p = state.storage.pointer
        let n = state.numQubits
        let threads = state.threads
        switch self {
        case .dense1(let t, let mask, let m):
            applyDense1(p, numQubits: n, target: t, controlMask: mask, matrix: m, threads: threads)
        case .diagonal1(let t, let mask, let d0r, let d0i, let d1r, let d1i):
            applyDiagonal1(p, numQubits: n, target: t, controlMask: mask, d0r: d0r, d0i: d0i, d1r: d1r, d1i: d1i,
                           threads: threads)
        case .dense2(let t0, let t1, let mask, let m):
            applyDense2(p, numQubits: n, target0: t0, target1: t1, controlMask: mask, matrix: m, threads: threads)
        case .denseK(let targets, let mask, let m):
            applyDenseK(p, numQubits: n, targets: targets, controlMask: mask, matrix: m, threads: threads)
        case .diagonalK(let targets, let mask, let factors):
            applyDiagonalK(p, numQubits: n, targets: targets, controlMask: mask, factors: factors, threads: threads)
        }
    }
}

/// A circuit turned into kernel steps: validated once, gates fused, ready to be bound to
/// parameter values and run many times. Numeric blocks keep their matrices from compile time.
struct ExecutionPlan: Sendable {
    let numQubits: Int
    let numClbits: Int
    let steps: [PlanStep]
    /// Matrices of blocks that have no free parameters, by step index.
    let fixedStructures: [Int: GateStructure]
    /// The circuit's free parameters (sorted by name).
    let parameters: [Parameter]
    /// The classical registers, for formatting counts.
    let classicalRegisters: [ClassicalRegister]
    /// Whether all measurements are terminal and nothing is reset or conditioned, so shots can
    /// be sampled from the final state.
    let samplesFromFinalState: Bool
    /// (qubit, clbit) of every measurement, in order (used when sampling from the final state).
    let measurements: [(qubit: Int, clbit: Int)]
    /// The number of gates in the circuit and the number of kernel calls after fusion.
    let gateCount: Int

    var hasNonUnitarySteps: Bool { steps.contains { !$0.isUnitary } }

    /// Validates and compiles a circuit.
    /// - Throws: the circuit's recorded errors; ``QuantumError/invalidCondition(_:)``.
    init(circuit: QuantumCircuit, fusion: Bool) throws {
        try circuit.validate()
        numQubits = circuit.numQubits
        numClbits = circuit.numClbits
        parameters = circuit.parameters
        classicalRegisters = circuit.classicalRegisters

        var steps: [PlanStep] = []
        // open[q]: index in `steps` of a fused block on q that later one-qubit gates may join.
        var open = [Int?](repeating: nil, count: circuit.numQubits)
        var measured = Set<Int>()
        var terminal = true
        var measurements: [(Int, Int)] = []
        var gateCount = 0
        for instruction in circuit.instructions {
            if let condition = instruction.condition {
                guard condition.clbits.allSatisfy({ $0 >= 0 && $0 < circuit.numClbits }) else {
                    throw QuantumError.invalidCondition("a condition reads classical bits \(condition.clbits) outside 0..<\(circuit.numClbits)")
                }
                terminal = false
            }
            // Touching a qubit after measuring it makes that measurement mid-circuit.
            if instruction.operation != .barrier, instruction.qubits.contains(where: measured.contains) { terminal = false }
            switch instruction.operation {
            case .barrier:
                for q in instruction.qubits { open[q] = nil }
            case .measure:
                for q in instruction.qubits { open[q] = nil }
                measured.insert(instruction.qubits[0])
                measurements.append((instruction.qubits[0], instruction.clbits[0]))
                steps.append(PlanStep(action: .measure(qubit: instruction.qubits[0], clbit: instruction.clbits[0]),
                                      condition: instruction.condition))
            case .reset:
                terminal = false
                open[instruction.qubits[0]] = nil
                steps.append(PlanStep(action: .reset(qubit: instruction.qubits[0]), condition: instruction.condition))
            case .gate(let gate):
                gateCount += 1
                if case .id = gate.kind, instruction.condition == nil { continue }
                if fusion, gate.numQubits == 1, instruction.condition == nil,
                   let index = open[instruction.qubits[0]], case .gates(let block) = steps[index].action
                {
                    let q = instruction.qubits[0]
                    switch block {
                    case .gate(let first, _):
                        steps[index] = PlanStep(action: .gates(.fused(qubit: q, gates: [first, gate])), condition: nil)
                    case .fused(_, let gates):
                        steps[index] = PlanStep(action: .gates(.fused(qubit: q, gates: gates + [gate])), condition: nil)
                    }
                    continue
                }
                for q in instruction.qubits { open[q] = nil }
                steps.append(PlanStep(action: .gates(.gate(gate, qubits: instruction.qubits)), condition: instruction.condition))
                if gate.numQubits == 1, instruction.condition == nil { open[instruction.qubits[0]] = steps.count - 1 }
            }
        }
        self.steps = steps
        self.samplesFromFinalState = terminal
        self.measurements = measurements
        self.gateCount = gateCount

        var fixed: [Int: GateStructure] = [:]
        for (index, step) in steps.enumerated() {
            guard case .gates(let block) = step.action else { continue }
            if let structure = try? ExecutionPlan.structure(of: block, lookup: { _ in nil }) { fixed[index] = structure }
        }
        fixedStructures = fixed
    }

    /// The number of kernel calls the unitary steps make.
    var kernelCount: Int { steps.filter { if case .gates = $0.action { true } else { false } }.count }

    /// The matrix structure of a block with its angles evaluated.
    /// - Throws: ``QuantumError/unboundParameters(_:)`` when `lookup` lacks a parameter.
    static func structure(of block: GateBlock, lookup: (Parameter) -> Double?) throws -> GateStructure {
        func values(_ gate: Gate) throws -> [Double] {
            try gate.parameters.map { expression in
                guard let v = expression.evaluate(lookup) else {
                    throw QuantumError.unboundParameters(
                        gate.freeParameters.filter { lookup($0) == nil }.map(\.name))
                }
                return v
            }
        }
        switch block {
        case .gate(let gate, _):
            return GateDefinitions.structure(of: gate, values: try values(gate))
        case .fused(_, let gates):
            var product = SmallMatrix.identity(2)
            for gate in gates {
                product = GateDefinitions.structure(of: gate, values: try values(gate)).target * product
            }
            return GateStructure(numControls: 0, target: product)
        }
    }

    /// The kernel for step `index` (a gate block) with parameter values from `lookup`.
    func kernel<Real: StateScalar>(at index: Int, block: GateBlock, lookup: (Parameter) -> Double?) throws -> BoundKernel<Real> {
        let structure = try fixedStructures[index] ?? ExecutionPlan.structure(of: block, lookup: lookup)
        switch block {
        case .gate(_, let qubits): return BoundKernel(structure: structure, qubits: qubits)
        case .fused(let q, _): return BoundKernel(structure: structure, qubits: [q])
        }
    }

    /// Applies every step (all must be unitary) to `state`.
    func applyUnitary<Real: StateScalar>(to state: inout StateVector<Real>, values: [Parameter: Double]) throws {
        try applyUnitarySteps(steps.indices, to: &state, values: values)
    }

    /// Applies the unitary steps in `range` to `state`; non-unitary steps are an internal error.
    func applyUnitarySteps<Real: StateScalar>(_ range: Range<Int>, to state: inout StateVector<Real>,
                                              values: [Parameter: Double],
                                              progress: (@Sendable (Int, Int) -> Void)? = nil) throws
    {
        let kernels: [BoundKernel<Real>] = try range.compactMap { index in
            guard case .gates(let block) = steps[index].action else { return nil }
            assert(steps[index].condition == nil)
            return try kernel(at: index, block: block, lookup: { values[$0] })
        }
        state.makeUnique()
        for (done, k) in kernels.enumerated() {
            k.apply(to: &state)
            progress?(done + 1, kernels.count)
        }
    }

    /// Formats classical bits as Qiskit's counts key: registers last-added first, separated by
    /// spaces, each with its highest bit first.
    func countsKey(_ bits: [UInt8]) -> String {
        var parts: [String] = []
        var offset = 0
        for r in classicalRegisters {
            var chars = [Character](repeating: "0", count: r.size)
            for b in 0..<r.size where bits[offset + b] != 0 { chars[r.size - 1 - b] = "1" }
            parts.append(String(chars))
            offset += r.size
        }
        return parts.reversed().joined(separator: " ")
    }
}
