import ComplexModule
import RealModule
import Foundation
import Synchronization

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
    /// Whether one-qubit runs are fused, gates fused into blocks and grouped into cache-blocked passes.
    let fusion: Bool
    /// The widest block the fuser makes (1: one-qubit runs only).
    let maxFusedQubits: Int
    /// Steps that follow a barrier: fusion never groups steps across one.
    let barriers: Set<Int>
    /// Whether steps with free parameters join multi-step blocks (nil: on states of at least
    /// ``parameterisedFusionQubits`` qubits). Tests force it on small states.
    let fusesParameterised: Bool?
    /// Fusions and schedules already made, shared by every copy of the plan: binding new parameter
    /// values re-uses the fused, cache-blocked plan and only evaluates matrices.
    let schedules = ScheduleCache()
    /// The leading steps, in order (empty unless the plan was made with `foldsLeadingGates`, and
    /// when fewer than half the qubits have any): steps of unconditioned one-qubit gates on a qubit
    /// that no earlier step touches (no multi-qubit gate, measurement, reset, barrier or condition
    /// before them on it). They commute with every step before them, so a run from |0…0⟩ writes
    /// them as the product state ⊗_q U_q|0⟩ in one sweep (``program(_:values:blockQubits:fromZero:)``)
    /// and the fuser never sees them.
    let leadingSteps: [Int]
    /// `isLeading[i]`: step i is in ``leadingSteps``.
    let isLeading: [Bool]

    var hasNonUnitarySteps: Bool { steps.contains { !$0.isUnitary } }

    /// Validates and compiles a circuit.
    /// - Parameters:
    ///   - fusion: fuse gates (one-qubit runs, then blocks of up to `maxFusedQubits` qubits).
    ///   - maxFusedQubits: the widest fused block (1…5; 1 fuses one-qubit runs only).
    ///   - startsFromZero: whether the plan always runs on |0…0⟩ (then a reset before a qubit is
    ///     used is dropped); false for a plan applied to a state the caller made.
    ///   - foldsLeadingGates: record the leading one-qubit steps (``leadingSteps``) so that runs from
    ///     |0…0⟩ fold them into the initial product state (needs `startsFromZero`; callers that run
    ///     from |0…0⟩ pass `fromZero: true` to ``program(_:values:blockQubits:fromZero:)``).
    /// - Throws: the circuit's recorded errors; ``QuantumError/invalidCondition(_:)``.
    init(circuit: QuantumCircuit, fusion: Bool, maxFusedQubits: Int = Fuser.widestProduct, fusesParameterised: Bool? = nil,
         startsFromZero: Bool = true, foldsLeadingGates: Bool = false) throws
    {
        try circuit.validate()
        self.fusion = fusion
        self.fusesParameterised = fusesParameterised
        self.maxFusedQubits = max(1, min(maxFusedQubits, Fuser.widestProduct))
        numQubits = circuit.numQubits
        numClbits = circuit.numClbits
        parameters = circuit.parameters
        classicalRegisters = circuit.classicalRegisters

        var steps: [PlanStep] = []
        // open[q]: index in `steps` of a fused block on q that later one-qubit gates may join.
        var open = [Int?](repeating: nil, count: circuit.numQubits)
        // Steps that became runs of one-qubit gates: their gates, written into the steps at the end.
        var runs: [Int: [Gate]] = [:]
        var measured = Set<Int>()
        var terminal = true
        var measurements: [(Int, Int)] = []
        var gateCount = 0
        // Qubits an instruction has acted on: a reset before any is a no-op on |0⟩ and is dropped,
        // so a file that starts with `reset q;` still samples its shots from one final state.
        var touched = Set<Int>()
        var barriers = Set<Int>()
        // leadingOpen[q]: no step other than leading ones has touched q yet.
        var leadingOpen = [Bool](repeating: foldsLeadingGates && startsFromZero, count: circuit.numQubits)
        var leading = Set<Int>()
        for instruction in circuit.instructions {
            let noOpReset = startsFromZero && instruction.operation == .reset && instruction.condition == nil
                && !touched.contains(instruction.qubits[0])
            if instruction.operation != .barrier { touched.formUnion(instruction.qubits) }
            if noOpReset { continue }
            if let condition = instruction.condition {
                guard condition.clbits.allSatisfy({ $0 >= 0 && $0 < circuit.numClbits }) else {
                    throw QuantumError.invalidCondition("a condition reads classical bits \(condition.clbits) outside 0..<\(circuit.numClbits)")
                }
                terminal = false
            }
            // Touching a qubit after measuring it makes that measurement mid-circuit.
            if instruction.operation != .barrier, instruction.qubits.contains(where: measured.contains) { terminal = false }
            // Whatever is not a one-qubit unconditioned gate ends the leading run on its qubits (a
            // one-qubit gate that joins an open run keeps that run's standing).
            let keepsLeading: Bool = if case .gate(let gate) = instruction.operation {
                gate.numQubits == 1 && instruction.condition == nil
            } else {
                false
            }
            if !keepsLeading { for q in instruction.qubits { leadingOpen[q] = false } }
            switch instruction.operation {
            case .barrier:
                for q in instruction.qubits { open[q] = nil }
                barriers.insert(steps.count)
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
                   let index = open[instruction.qubits[0]], case .gates(.gate(let first, _)) = steps[index].action
                {
                    // Grown in place (a chain of 40,000 gates on one qubit, as randomized
                    // benchmarking writes, must not copy the run at every gate).
                    runs[index, default: [first]].append(gate)
                    continue
                }
                for q in instruction.qubits { open[q] = nil }
                steps.append(PlanStep(action: .gates(.gate(gate, qubits: instruction.qubits)), condition: instruction.condition))
                if gate.numQubits == 1, instruction.condition == nil {
                    open[instruction.qubits[0]] = steps.count - 1
                    if leadingOpen[instruction.qubits[0]] { leading.insert(steps.count - 1) }
                }
            }
        }
        for (index, gates) in runs {
            guard case .gates(.gate(_, let qubits)) = steps[index].action else { continue }
            steps[index] = PlanStep(action: .gates(.fused(qubit: qubits[0], gates: gates)), condition: nil)
        }
        self.steps = steps
        self.barriers = barriers
        // The product state costs one write sweep of the state, which pays once many qubits have
        // leading gates (docs/benchmarks.md: a 24-qubit QFT whose one leading gate is an h took
        // about 1.1× as long folded); with fewer than half, nothing is folded.
        let leadingQubits = Set(leading.compactMap { index -> Int? in
            guard case .gates(let block) = steps[index].action else { return nil }
            switch block {
            case .gate(_, let qubits): return qubits[0]
            case .fused(let q, _): return q
            }
        })
        if 2 * leadingQubits.count < circuit.numQubits { leading = [] }
        leadingSteps = leading.sorted()
        isLeading = steps.indices.map(leading.contains)
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
            var product = Matrix2<Double>.identity
            for gate in gates {
                product = Matrix2<Double>(GateDefinitions.structure(of: gate, values: try values(gate)).target) * product
            }
            return GateStructure(numControls: 0, target: product.smallMatrix)
        }
    }

    /// The kernel for step `index` (a gate block) with parameter values from `lookup`.
    func kernel<Real: StateScalar>(at index: Int, block: GateBlock, lookup: (Parameter) -> Double?) throws -> KernelCall<Real> {
        let (structure, qubits) = try bound(index, block, lookup)
        return KernelCall(structure: structure, qubits: qubits, numQubits: numQubits)
    }

    /// The numeric structure of a step's block and the qubits it acts on.
    func bound(_ index: Int, _ block: GateBlock, _ lookup: (Parameter) -> Double?) throws -> (GateStructure, [Int]) {
        let structure = try fixedStructures[index] ?? ExecutionPlan.structure(of: block, lookup: lookup)
        switch block {
        case .gate(_, let qubits): return (structure, qubits)
        case .fused(let q, _): return (structure, [q])
        }
    }

    /// The first columns U|0⟩ of each qubit's leading steps multiplied out, with parameter values
    /// from `lookup`: (c0 re, c0 im, c1 re, c1 im) per qubit, (1, 0, 0, 0) for a qubit without
    /// leading steps. A leading diagonal gate on a qubit still in |0⟩ leaves c1 = 0 and gives c0 its
    /// phase. Products are taken in Double, then rounded to `Real`.
    /// - Throws: ``QuantumError/unboundParameters(_:)`` when `lookup` lacks a parameter.
    func leadingColumns<Real: StateScalar>(lookup: (Parameter) -> Double?, as _: Real.Type) throws -> [Real] {
        var columns = [Complex<Double>](repeating: .zero, count: 2 * numQubits)
        for q in 0..<numQubits { columns[2 * q] = .one }
        for index in leadingSteps {
            guard case .gates(let block) = steps[index].action else { continue }
            let (structure, qubits) = try bound(index, block, lookup)
            assert(structure.numControls == 0 && structure.target.dimension == 2 && qubits.count == 1)
            let m = structure.target, q = qubits[0]
            let (c0, c1) = (columns[2 * q], columns[2 * q + 1])
            columns[2 * q] = m[0, 0] * c0 + m[0, 1] * c1
            columns[2 * q + 1] = m[1, 0] * c0 + m[1, 1] * c1
        }
        return columns.flatMap { [Real($0.real), Real($0.imaginary)] }
    }

    /// The number of gates in the leading steps.
    var leadingGateCount: Int {
        leadingSteps.reduce(0) { total, index in
            guard case .gates(let block) = steps[index].action else { return total }
            return total + block.gateCount
        }
    }

    /// The default number of local qubits of a pass: 512 KiB of amplitudes, half a core's L2.
    static func defaultBlockQubits<Real: StateScalar>(for _: Real.Type) -> Int {
        MemoryLayout<Real>.size == 8 ? 15 : 16
    }

    /// Applies every step (all must be unitary) to `state`.
    func applyUnitary<Real: StateScalar>(to state: inout StateVector<Real>, values: [Parameter: Double]) throws {
        try applyUnitarySteps(steps.indices, to: &state, values: values)
    }

    /// Applies the unitary steps in `range` to `state`; non-unitary steps are an internal error.
    /// `fromZero` (a range that starts at step 0): the run starts from |0…0⟩ whatever `state`
    /// holds, with the ``leadingSteps`` (of the whole plan) written as the initial product state;
    /// later ranges and the per-shot steps then skip them.
    func applyUnitarySteps<Real: StateScalar>(_ range: Range<Int>, to state: inout StateVector<Real>,
                                              values: [Parameter: Double], blockQubits: Int? = nil, fromZero: Bool = false,
                                              progress: (@Sendable (Int, Int) -> Void)? = nil) throws
    {
        let executables: [Executable<Real>] = try program(range, values: values,
                                                          blockQubits: blockQubits ?? ExecutionPlan.defaultBlockQubits(for: Real.self),
                                                          fromZero: fromZero)
        state.makeUnique()
        for (done, executable) in executables.enumerated() {
            executable.apply(to: &state)
            progress?(done + 1, executables.count)
        }
    }

    /// Formats classical bits as Qiskit's counts key: registers last-added first, separated by
    /// spaces, each with its highest bit first.
    func countsKey(_ bits: [UInt8]) -> String { classicalRegisters.countsKey(bits) }
}
