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

/// What a bound plan runs: a single kernel over the whole state, or a cache-blocked pass.
enum Executable<Real: StateScalar>: Sendable {
    case kernel(KernelCall<Real>)
    case pass(BlockedPass<Real>)

    func apply(to state: inout StateVector<Real>) {
        switch self {
        case .kernel(let call): call.apply(to: state.storage.pointer, threads: state.threads)
        case .pass(let pass): pass.apply(to: state.storage.pointer, numQubits: state.numQubits, threads: state.threads)
        }
    }
}

/// How a range of unitary steps is grouped: single kernels, or passes over local qubits.
enum ScheduleItem: Sendable, Equatable {
    case single(Int)
    case pass(steps: [Int], localQubits: [Int])
}

/// The schedules (passes and single kernels) of a plan's step ranges, made once per range and
/// block size; they depend on the circuit's structure only, never on parameter values.
final class ScheduleCache: Sendable {
    private struct Key: Hashable {
        let lower: Int, upper: Int, blockQubits: Int
    }
    private let made = Mutex<[Key: [ScheduleItem]]>([:])

    /// The schedule for `range` at `blockQubits`, made by `make` the first time only.
    func items(range: Range<Int>, blockQubits: Int, make: () -> [ScheduleItem]) -> [ScheduleItem] {
        let key = Key(lower: range.lowerBound, upper: range.upperBound, blockQubits: blockQubits)
        if let known = made.withLock({ $0[key] }) { return known }
        let items = make()
        made.withLock { $0[key] = items }
        return items
    }

    /// How many schedules have been made (for tests).
    var count: Int { made.withLock { $0.count } }
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
    /// Whether one-qubit runs are fused and gates grouped into cache-blocked passes.
    let fusion: Bool
    /// Schedules already made, shared by every copy of the plan: binding new parameter values
    /// re-uses the fused, cache-blocked plan and only evaluates matrices.
    let schedules = ScheduleCache()

    var hasNonUnitarySteps: Bool { steps.contains { !$0.isUnitary } }

    /// Validates and compiles a circuit.
    /// - Parameter startsFromZero: whether the plan always runs on |0…0⟩ (then a reset before a
    ///   qubit is used is dropped); false for a plan applied to a state the caller made.
    /// - Throws: the circuit's recorded errors; ``QuantumError/invalidCondition(_:)``.
    init(circuit: QuantumCircuit, fusion: Bool, startsFromZero: Bool = true) throws {
        try circuit.validate()
        self.fusion = fusion
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
        // Qubits an instruction has acted on: a reset before any is a no-op on |0⟩ and is dropped,
        // so a file that starts with `reset q;` still samples its shots from one final state.
        var touched = Set<Int>()
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
    func kernel<Real: StateScalar>(at index: Int, block: GateBlock, lookup: (Parameter) -> Double?) throws -> KernelCall<Real> {
        let (structure, qubits) = try bound(index, block, lookup)
        return KernelCall(structure: structure, qubits: qubits, numQubits: numQubits)
    }

    /// The numeric structure of a block and the qubits it acts on.
    private func bound(_ index: Int, _ block: GateBlock, _ lookup: (Parameter) -> Double?) throws -> (GateStructure, [Int]) {
        let structure = try fixedStructures[index] ?? ExecutionPlan.structure(of: block, lookup: lookup)
        switch block {
        case .gate(_, let qubits): return (structure, qubits)
        case .fused(let q, _): return (structure, [q])
        }
    }

    // MARK: - Cache blocking

    /// Kinds whose matrix is diagonal for every angle.
    static func isDiagonalKind(_ kind: GateKind) -> Bool {
        switch kind {
        case .id, .z, .s, .sdg, .t, .tdg, .rz, .p, .u1, .cz, .cs, .csdg, .cp, .cu1, .crz, .rzz, .mcz, .mcp: true
        default: false
        }
    }

    /// The qubits a step needs among a pass's local qubits: its non-diagonal targets.
    func denseTargets(of index: Int) -> [Int] {
        guard case .gates(let block) = steps[index].action else { return [] }
        switch block {
        case .gate(let gate, let qubits):
            if ExecutionPlan.isDiagonalKind(gate.kind) { return [] }
            if case .unitary = gate.kind, let m = fixedStructures[index]?.target, m.isDiagonal { return [] }
            let controls: Int = switch gate.kind {
            case .cx, .cy, .cz, .ch, .cs, .csdg, .csx, .cp, .cu1, .crx, .cry, .crz, .cu, .cu3, .cswap: 1
            case .ccx: 2
            case .c3sqrtx: 3
            case .mcx(let c), .mcz(let c), .mcp(let c): c
            default: 0
            }
            return Array(qubits.dropFirst(controls))
        case .fused(let q, let gates):
            return gates.allSatisfy({ ExecutionPlan.isDiagonalKind($0.kind) }) ? [] : [q]
        }
    }

    /// Groups consecutive unitary steps into passes of `blockQubits` local qubits, the lowest
    /// `runQubits` always among them (so blocks are gathered in runs of 2^runQubits amplitudes).
    /// A step joins the current pass while the pass's dense targets still fit; a pass of one step
    /// is a single kernel. States of at most blockQubits + 1 qubits are not blocked.
    func schedule(_ range: Range<Int>, blockQubits: Int, runQubits: Int = 5) -> [ScheduleItem] {
        let gateSteps = range.filter { if case .gates = steps[$0].action { true } else { false } }
        guard fusion, numQubits > blockQubits + 1, blockQubits >= 2 else { return gateSteps.map { .single($0) } }
        let run = min(runQubits, blockQubits - 1)
        var items: [ScheduleItem] = []
        var current: [Int] = []
        var dense = Set<Int>()
        func flush() {
            if current.count == 1 {
                items.append(.single(current[0]))
            } else if current.count > 1 {
                // Local qubits: the dense targets, then the lowest others (0, 1, … first).
                var local = dense
                var q = 0
                while local.count < blockQubits {
                    local.insert(q)
                    q += 1
                }
                items.append(.pass(steps: current, localQubits: local.sorted()))
            }
            current = []
            dense = []
        }
        for index in gateSteps {
            let needed = denseTargets(of: index)
            let budget = blockQubits - (0..<run).filter { !dense.contains($0) && !needed.contains($0) }.count
            if dense.union(needed).count > budget {
                flush()
                if needed.count > blockQubits - run {
                    items.append(.single(index))
                    continue
                }
            }
            dense.formUnion(needed)
            current.append(index)
        }
        flush()
        return items
    }

    /// A step bound to numbers, as a gate of a pass over `localQubits`.
    func blockGate<Real: StateScalar>(_ index: Int, localQubits: [Int], lookup: (Parameter) -> Double?) throws -> BlockGate<Real> {
        guard case .gates(let block) = steps[index].action else {
            return BlockGate(outsideControlMask: 0, outsideTargetBits: [], calls: [], scalars: [])
        }
        let (structure, qubits) = try bound(index, block, lookup)
        var position: [Int: Int] = [:]
        for (local, q) in localQubits.enumerated() { position[q] = local }
        let L = localQubits.count
        let controls = qubits.prefix(structure.numControls)
        let targets = Array(qubits.dropFirst(structure.numControls))
        let localControls = controls.compactMap { position[$0] }
        let outsideControlMask = controls.filter { position[$0] == nil }.reduce(0) { $0 | (1 << $1) }
        let localControlMask = localControls.reduce(0) { $0 | (1 << $1) }
        let m = structure.target
        let outsideTargets = targets.enumerated().filter { position[$0.element] == nil }
        if outsideTargets.isEmpty {
            let call = KernelCall<Real>(structure: GateStructure(numControls: localControls.count, target: m),
                                        qubits: localControls + targets.compactMap { position[$0] }, numQubits: L)
            return BlockGate(outsideControlMask: outsideControlMask, outsideTargetBits: [], calls: [call], scalars: [(1, 0)])
        }
        // Diagonal with targets outside S: each value of those bits selects a sub-diagonal.
        assert(m.isDiagonal, "a dense target outside the pass's local qubits")
        let d = m.diagonalEntries
        let insideTargets = targets.enumerated().filter { position[$0.element] != nil }
        var calls: [KernelCall<Real>?] = []
        var scalars: [(Real, Real)] = []
        for variant in 0..<(1 << outsideTargets.count) {
            var outsideBits = 0
            for (m, t) in outsideTargets.enumerated() where variant & (1 << m) != 0 { outsideBits |= 1 << t.offset }
            if insideTargets.isEmpty {
                let factor = (Real(d[outsideBits].real), Real(d[outsideBits].imaginary))
                if let first = localControls.first {
                    // The factor applies where the local controls are 1: a phase on one of them.
                    let rest = localControls.dropFirst().reduce(0) { $0 | (1 << $1) }
                    calls.append(KernelCall(.diagonal([1, 0, factor.0, factor.1]), targets: [first], controlMask: rest, numQubits: L))
                    scalars.append((1, 0))
                } else {
                    calls.append(nil)
                    scalars.append(factor)
                }
                continue
            }
            var factors: [Real] = []
            for j in 0..<(1 << insideTargets.count) {
                var full = outsideBits
                for (m, t) in insideTargets.enumerated() where j & (1 << m) != 0 { full |= 1 << t.offset }
                factors += [Real(d[full].real), Real(d[full].imaginary)]
            }
            calls.append(KernelCall(.diagonal(factors), targets: insideTargets.compactMap { position[$0.element] },
                                    controlMask: localControlMask, numQubits: L))
            scalars.append((1, 0))
        }
        return BlockGate(outsideControlMask: outsideControlMask, outsideTargetBits: outsideTargets.map(\.element),
                         calls: calls, scalars: scalars)
    }

    /// A pass's operations: each gate, except that runs of two or more consecutive diagonal gates
    /// are folded into one `PhaseRun` where they fit its form.
    func passOperations<Real: StateScalar>(_ indices: [Int], localQubits: [Int], lookup: (Parameter) -> Double?) throws
        -> [BlockOperation<Real>]
    {
        var operations: [BlockOperation<Real>] = []
        var run: [Int] = []
        func flush() throws {
            defer { run = [] }
            if run.count >= 2 {
                var terms: [(mask: Int, angle: Double)] = []
                for index in run {
                    guard case .gates(let block) = steps[index].action else { continue }
                    let (structure, qubits) = try bound(index, block, lookup)
                    let controls = qubits.prefix(structure.numControls).reduce(0) { $0 | (1 << $1) }
                    terms += PhaseRun<Real>.terms(controls: controls, targets: Array(qubits.dropFirst(structure.numControls)),
                                                  factors: structure.target.diagonalEntries)
                }
                if let folded = PhaseRun<Real>(terms: terms, localQubits: localQubits) {
                    operations.append(.phases(folded))
                    return
                }
            }
            for index in run { operations.append(.gate(try blockGate(index, localQubits: localQubits, lookup: lookup))) }
        }
        for index in indices {
            if denseTargets(of: index).isEmpty, isDiagonalStep(index) {
                run.append(index)
            } else {
                try flush()
                operations.append(.gate(try blockGate(index, localQubits: localQubits, lookup: lookup)))
            }
        }
        try flush()
        return operations
    }

    /// Whether a step's matrix is diagonal for every parameter value.
    func isDiagonalStep(_ index: Int) -> Bool {
        guard case .gates(let block) = steps[index].action else { return false }
        switch block {
        case .gate(let gate, _):
            if ExecutionPlan.isDiagonalKind(gate.kind) { return true }
            if case .unitary = gate.kind { return fixedStructures[index]?.target.isDiagonal ?? false }
            return false
        case .fused(_, let gates): return gates.allSatisfy { ExecutionPlan.isDiagonalKind($0.kind) }
        }
    }

    /// The executables for a range of unitary steps with parameter values.
    func program<Real: StateScalar>(_ range: Range<Int>, values: [Parameter: Double], blockQubits: Int) throws -> [Executable<Real>] {
        let lookup: (Parameter) -> Double? = { values[$0] }
        let items = schedules.items(range: range, blockQubits: blockQubits) { schedule(range, blockQubits: blockQubits) }
        return try items.map { item in
            switch item {
            case .single(let index):
                guard case .gates(let block) = steps[index].action else { throw QuantumError.invalidState("internal: not a gate step") }
                return .kernel(try kernel(at: index, block: block, lookup: lookup))
            case .pass(let indices, let local):
                return .pass(BlockedPass(localQubits: local, numQubits: numQubits,
                                         operations: try passOperations(indices, localQubits: local, lookup: lookup)))
            }
        }
    }

    /// Memory sweeps of the unitary steps: the schedule of each run of consecutive unitary steps.
    func sweepSummary(blockQubits: Int) -> (passes: Int, sweeps: Int) {
        var passes = 0, sweeps = 0
        var start = 0
        for index in 0...steps.count {
            if index == steps.count || !steps[index].isUnitary {
                for item in schedule(start..<index, blockQubits: blockQubits) {
                    sweeps += 1
                    if case .pass = item { passes += 1 }
                }
                if index < steps.count, case .gates = steps[index].action { sweeps += 1 }
                start = index + 1
            }
        }
        return (passes, sweeps)
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
    func applyUnitarySteps<Real: StateScalar>(_ range: Range<Int>, to state: inout StateVector<Real>,
                                              values: [Parameter: Double], blockQubits: Int? = nil,
                                              progress: (@Sendable (Int, Int) -> Void)? = nil) throws
    {
        let executables: [Executable<Real>] = try program(range, values: values,
                                                          blockQubits: blockQubits ?? ExecutionPlan.defaultBlockQubits(for: Real.self))
        state.makeUnique()
        for (done, executable) in executables.enumerated() {
            executable.apply(to: &state)
            progress?(done + 1, executables.count)
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
