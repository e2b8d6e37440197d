import ComplexModule
import Foundation
import Synchronization

// Differentiation of compiled circuits: the internal program behind `CompiledCircuit.expectations`
// and `CompiledCircuit.gradient`. The files of Gradients/: CompiledCircuit+Gradients.swift, the
// public, validating layer; AdjointProgram.swift (this file), the program and how it is built;
// AdjointProgram+Forward.swift, binding and the forward pass; AdjointProgram+Backward.swift, the
// backward sweep; GateFactors.swift, the factor form of parameterised gates and their angle slots;
// ParameterExpression+Derivative.swift, symbolic ∂angle/∂parameter; PauliObservables.swift, Pauli
// sums on raw states. The range loops are in Kernels/AdjointKernels.swift.
//
// An `AdjointProgram` is built once per compiled circuit (lazily, on first use) from the
// execution plan's gate steps — one operation per step, so fusion never hides which angles a
// kernel holds. Operations without free parameters keep prebuilt kernels for U and U†.
// Parameterised operations keep their geometry and a list of factors; binding writes their
// numbers (U and U†) into one buffer per call, so a bind allocates nothing per gate.
//
// Every parameterised gate's target matrix is a product of factors in application order, each
// angle x entering as exp(i·x·K) with a fixed generator term K (K = −iσ/2 for rotations,
// K = i|1⟩⟨1| for phases, K = i·1 for a global phase):
//   rx/ry/rz(θ)       = R_σ(θ)                u/u3(θ, φ, λ) = P(φ) · R_y(θ) · P(λ)
//   p/u1/cp/cu1/mcp(λ) = P(λ) = diag(1, e^{iλ}) u2(φ, λ)      = P(φ) · R_y(π/2) · P(λ)
//   cu(θ, φ, λ, γ)    = e^{iγ} · u(θ, φ, λ)     rxx/ryy/rzz/rzx(θ) = exp(−iθ/2 · P⊗P)
// so for U = A · F(x) · B, ∂U/∂x = A·K·A† · U exactly: with M_ab = Σ conj(λ_a)ψ_b over the gate's
// pairs (Kernels/AdjointKernels.swift), ∂⟨O⟩/∂x = 2·Re Σ_ab (A K A†)_ab · M_ab.

// MARK: - Operations

/// A parameterised operation: geometry fixed at compile time, numbers written per bind.
struct BoundOperation<Real: StateScalar>: Sendable {
    enum Shape: Sendable { case dense1, dense1Real, diagonal, dense2 }
    let shape: Shape
    /// The kernel geometry for applying U or U† (its own numbers are placeholders).
    let kernel: KernelCall<Real>
    /// One target: the backward step's pair geometry and the factors in application order.
    let pair: PairGeometry?
    let factors: [GateFactor]
    /// Two targets: P⊗P (real, row-major 4 × 4), the matrix-index offsets and free-index geometry.
    let pauliProduct: [Double]
    let groupOffsets: [Int]
    let groupPositions: [Int]
    /// Angle slots of this operation.
    let angles: [Int]
    /// Offset of U's numbers in the bind buffer; U†'s follow at offset + size.
    let offset: Int
    let size: Int
    /// Whether some angle depends on a parameter.
    let differentiated: Bool
}

/// The differentiable form of a compiled circuit's unitary steps.
struct AdjointProgram<Real: StateScalar>: Sendable {
    indirect enum Operation: Sendable {
        case fixed(forward: KernelCall<Real>, adjoint: KernelCall<Real>)
        case bound(BoundOperation<Real>)
    }

    let numQubits: Int
    let parameterCount: Int
    let operations: [Operation]
    let angles: [AngleSlot]
    let parameterIndex: [Parameter: Int]
    /// Reals in a bind buffer.
    let numbersCount: Int
    /// The first operation (in circuit order) with a differentiated angle: the backward sweep
    /// stops there.
    let firstDifferentiated: Int?
    /// Whether some operation has two targets (the backward sweep then needs 4 × 4 correlations).
    let hasTwoTargetOperations: Bool
    /// The leading layer: operations 0 ..< leadingLayer.count are one-qubit, uncontrolled and on
    /// distinct qubits. From |0…0⟩ they make a product state (built in one doubling pass), and they
    /// commute, so the backward sweep reads all their correlations at the layer's end (see
    /// `backward`).
    let leadingLayer: [LeadingOperation]

    /// Commuting layers: maximal runs of consecutive one-qubit, uncontrolled operations on distinct
    /// qubits (the leading layer is the first when it starts at operation 0), and for each
    /// operation the layer that holds it.
    let layers: [Range<Int>]
    let layerOf: [Int?]
    /// Layers that hold a differentiated operation, in circuit order.
    let differentiatedLayers: [Int]
    /// The selection of every parameter (built once; most calls differentiate them all).
    let everyParameter: Selection

    /// An operation of the leading layer: its qubit and, for fixed ones, U|0⟩.
    struct LeadingOperation: Sendable {
        let qubit: Int
        let fixedColumn: (Complex<Double>, Complex<Double>)?
    }

    /// Builds the program of a plan whose steps are all unitary (non-unitary steps are skipped;
    /// callers refuse such circuits first).
    init(plan: ExecutionPlan) {
        let n = plan.numQubits
        numQubits = n
        parameterCount = plan.parameters.count
        var index: [Parameter: Int] = [:]
        for (i, p) in plan.parameters.enumerated() { index[p] = i }
        parameterIndex = index

        var operations: [Operation] = []
        var angles: [AngleSlot] = []
        var numbers = 0
        var firstDifferentiated: Int?
        var twoTargets = false

        func slot(_ expression: ParameterExpression, gate: Gate, angle: Int, gap: Double?, operation: Int) -> Int {
            var derivatives: [AngleDerivative] = []
            for p in expression.parameters {
                guard let j = index[p] else { continue }
                let d = expression.derivative(withRespectTo: p)
                if d.isZero { continue }
                derivatives.append(AngleDerivative(parameter: j, expression: d, constant: d.value))
            }
            var single: Int?
            if case .symbol(let p) = expression { single = index[p] }
            angles.append(AngleSlot(expression: expression, parameter: single, derivatives: derivatives, gate: gate.name,
                                    angleName: gate.kind.parameterNames[angle], shiftGap: gap, operation: operation))
            return angles.count - 1
        }

        /// The factors of a one-target gate (`controlled`: the gate has controls).
        func factors(of gate: Gate, controlled: Bool, operation: Int) -> [GateFactor] {
            if gate.parameters.allSatisfy(\.isNumeric), let values = try? gate.numericParameters() {
                return [.fixed(Matrix2<Double>(GateDefinitions.structure(of: gate, values: values).target))]
            }
            let rotationGap: Double? = controlled ? nil : 1  // P_c ⊗ σ/2 has eigenvalues 0, ±1/2
            func a(_ i: Int, _ gap: Double?) -> Int {
                slot(gate.parameters[i], gate: gate, angle: i, gap: gap, operation: operation)
            }
            switch gate.kind {
            case .rx, .crx: return [.rotation(.x, angle: a(0, rotationGap))]
            case .ry, .cry: return [.rotation(.y, angle: a(0, rotationGap))]
            case .rz, .crz: return [.rotation(.z, angle: a(0, rotationGap))]
            case .p, .u1, .cp, .cu1, .mcp: return [.phase(angle: a(0, 1))]
            case .u, .u3, .cu3:
                // Slots in the gate's order (θ, φ, λ); factors in application order P(λ), R_y(θ), P(φ).
                let theta = a(0, rotationGap), phi = a(1, 1), lambda = a(2, 1)
                return [.phase(angle: lambda), .rotation(.y, angle: theta), .phase(angle: phi)]
            case .cu:
                let theta = a(0, rotationGap), phi = a(1, 1), lambda = a(2, 1), gamma = a(3, 1)
                return [.phase(angle: lambda), .rotation(.y, angle: theta), .phase(angle: phi), .globalPhase(angle: gamma)]
            case .u2:
                let phi = a(0, 1), lambda = a(1, 1)
                let half = GateFactor.rotation(.y, angle: 0).matrix(.pi / 2)
                return [.phase(angle: lambda), .fixed(half), .phase(angle: phi)]
            default:
                assertionFailure("\(gate.kind) has no factor form")
                return []
            }
        }

        var leading: [LeadingOperation] = []
        var leadingOpen = true
        var leadingQubits = Set<Int>()
        var singleQubit: [Int?] = []
        /// Records operation `opIndex`'s qubit when it is one-qubit and uncontrolled, and extends
        /// the leading layer with it or closes that layer.
        func lead(_ qubit: Int?, _ column: (Complex<Double>, Complex<Double>)?) {
            singleQubit.append(qubit)
            guard leadingOpen else { return }
            if let qubit, leadingQubits.insert(qubit).inserted {
                leading.append(LeadingOperation(qubit: qubit, fixedColumn: column))
            } else {
                leadingOpen = false
            }
        }

        for (stepIndex, step) in plan.steps.enumerated() {
            guard step.isUnitary, case .gates(let block) = step.action else { continue }
            let opIndex = operations.count
            if let structure = plan.fixedStructures[stepIndex] {
                let qubits: [Int] = switch block {
                case .gate(_, let q): q
                case .fused(let q, _): [q]
                }
                if structure.numControls == 0, structure.target.dimension == 2 {
                    lead(qubits[0], (structure.target[0, 0], structure.target[1, 0]))
                } else {
                    lead(nil, nil)
                }
                let adjoint = GateStructure(numControls: structure.numControls, target: structure.target.adjoint())
                operations.append(.fixed(forward: KernelCall(structure: structure, qubits: qubits, numQubits: n),
                                         adjoint: KernelCall(structure: adjoint, qubits: qubits, numQubits: n)))
                continue
            }
            let firstSlot = angles.count
            let operation: BoundOperation<Real>
            switch block {
            case .fused(let q, let gates):
                let f = gates.flatMap { factors(of: $0, controlled: false, operation: opIndex) }
                operation = AdjointProgram.oneTarget(factors: f, target: q, controlMask: 0, numQubits: n,
                                                     angles: Array(firstSlot..<angles.count), offset: numbers,
                                                     anglesTable: angles)
            case .gate(let gate, let qubits):
                switch gate.kind {
                case .rxx, .ryy, .rzz, .rzx:
                    let slotIndex = slot(gate.parameters[0], gate: gate, angle: 0, gap: 1, operation: opIndex)
                    operation = AdjointProgram.twoTarget(gate.kind, qubits: qubits, numQubits: n, angle: slotIndex,
                                                         offset: numbers, differentiated: !angles[slotIndex].derivatives.isEmpty)
                    twoTargets = true
                default:
                    let controlled = gate.numQubits > 1
                    let f = factors(of: gate, controlled: controlled, operation: opIndex)
                    var target = qubits[qubits.count - 1]
                    var controls = qubits.dropLast().reduce(0) { $0 | (1 << $1) }
                    switch gate.kind {
                    case .cp, .cu1, .mcp:
                        // diag(1, e^{iλ}) on the all-ones state is symmetric in its qubits: the lowest
                        // one as target gives the longest runs.
                        let all = controls | (1 << target)
                        target = all.trailingZeroBitCount
                        controls = all & ~(1 << target)
                    default: break
                    }
                    operation = AdjointProgram.oneTarget(factors: f, target: target, controlMask: controls, numQubits: n,
                                                         angles: Array(firstSlot..<angles.count), offset: numbers,
                                                         anglesTable: angles)
                }
            }
            numbers += 2 * operation.size
            if let pair = operation.pair, pair.controlMask == 0 { lead(pair.target, nil) } else { lead(nil, nil) }
            if operation.differentiated, firstDifferentiated == nil { firstDifferentiated = opIndex }
            operations.append(.bound(operation))
        }
        self.operations = operations
        self.angles = angles
        numbersCount = numbers
        self.firstDifferentiated = firstDifferentiated
        hasTwoTargetOperations = twoTargets
        leadingLayer = leading

        var layers: [Range<Int>] = []
        var layerOf = [Int?](repeating: nil, count: operations.count)
        var start: Int?
        var used = Set<Int>()
        for (i, qubit) in singleQubit.enumerated() {
            if let qubit, start != nil, used.insert(qubit).inserted { continue }
            if let s = start { layers.append(s..<i) }
            start = qubit == nil ? nil : i
            used = qubit.map { [$0] } ?? []
        }
        if let s = start { layers.append(s..<operations.count) }
        var differentiatedLayers: [Int] = []
        for (l, range) in layers.enumerated() {
            var differentiated = false
            for i in range {
                layerOf[i] = l
                if case .bound(let op) = operations[i], op.differentiated { differentiated = true }
            }
            if differentiated { differentiatedLayers.append(l) }
        }
        self.layers = layers
        self.layerOf = layerOf
        self.differentiatedLayers = differentiatedLayers
        everyParameter = Selection(
            parameters: [Bool](repeating: true, count: parameterCount),
            operations: operations.map { operation -> Bool in
                if case .bound(let op) = operation { return op.differentiated }
                return false
            },
            first: firstDifferentiated, layers: differentiatedLayers)
        assert(leading.isEmpty || layers.first == 0..<leading.count)
    }

    static func oneTarget(factors: [GateFactor], target: Int, controlMask: Int, numQubits n: Int, angles: [Int],
                                  offset: Int, anglesTable: [AngleSlot]) -> BoundOperation<Real>
    {
        let shape: BoundOperation<Real>.Shape = factors.allSatisfy(\.isDiagonal) ? .diagonal
            : factors.allSatisfy(\.isReal) ? .dense1Real : .dense1
        let placeholder = Matrix2<Real>(SmallMatrix.identity(2))
        let kernel: KernelCall<Real> = switch shape {
        case .diagonal: KernelCall(.diagonal([1, 0, 1, 0]), targets: [target], controlMask: controlMask, numQubits: n)
        case .dense1Real: KernelCall(.dense1Real(placeholder), targets: [target], controlMask: controlMask, numQubits: n)
        default: KernelCall(.dense1(placeholder), targets: [target], controlMask: controlMask, numQubits: n)
        }
        return BoundOperation(shape: shape, kernel: kernel,
                              pair: PairGeometry(target: target, controlMask: controlMask, numQubits: n),
                              factors: factors, pauliProduct: [], groupOffsets: [], groupPositions: [], angles: angles,
                              offset: offset, size: shape == .diagonal ? 4 : 8,
                              differentiated: angles.contains { !anglesTable[$0].derivatives.isEmpty })
    }

    static func twoTarget(_ kind: GateKind, qubits: [Int], numQubits n: Int, angle: Int, offset: Int,
                                  differentiated: Bool) -> BoundOperation<Real>
    {
        let product: SmallMatrix = switch kind {
        case .rxx: .kron(GateDefinitions.pauliX, GateDefinitions.pauliX)
        case .ryy: .kron(GateDefinitions.pauliY, GateDefinitions.pauliY)
        case .rzz: .kron(GateDefinitions.pauliZ, GateDefinitions.pauliZ)
        default: .kron(GateDefinitions.pauliX, GateDefinitions.pauliZ)  // rzx: Z on the first qubit, X on the second
        }
        assert(product.entries.allSatisfy { $0.imaginary == 0 })
        let diagonal = kind == .rzz
        let kernel: KernelCall<Real> = diagonal
            ? KernelCall(.diagonal([Real](repeating: 0, count: 8)), targets: qubits, controlMask: 0, numQubits: n)
            : KernelCall(.dense2([Real](repeating: 0, count: 32)), targets: qubits, controlMask: 0, numQubits: n)
        let offsets = (0..<4).map { r in (r & 1 != 0 ? 1 << qubits[0] : 0) | (r & 2 != 0 ? 1 << qubits[1] : 0) }
        return BoundOperation(shape: diagonal ? .diagonal : .dense2, kernel: kernel, pair: nil, factors: [],
                              pauliProduct: product.entries.map { $0.real }, groupOffsets: offsets,
                              groupPositions: qubits.sorted(), angles: [angle], offset: offset,
                              size: diagonal ? 8 : 32, differentiated: differentiated)
    }
}

// MARK: - The per-circuit cache

/// Holds a compiled circuit's differentiable program, built on first use.
final class DifferentiationCache: Sendable {
    private let program = Mutex<(any Sendable)?>(nil)

    init() {}

    /// The program for `Real`, built from `plan` the first time.
    func program<Real: StateScalar>(for plan: ExecutionPlan, as _: Real.Type) -> AdjointProgram<Real> {
        program.withLock { stored in
            if let existing = stored as? AdjointProgram<Real> { return existing }
            let built = AdjointProgram<Real>(plan: plan)
            stored = built
            return built
        }
    }
}
