import ComplexModule
import Foundation
import Synchronization

// Differentiation of compiled circuits: the internal program behind `CompiledCircuit.expectations`
// and `CompiledCircuit.gradient` (Gradients.swift holds the public, validating layer).
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
// pairs (Kernels/Adjoint.swift), ∂⟨O⟩/∂x = 2·Re Σ_ab (A K A†)_ab · M_ab.

// MARK: - Small exact matrices

/// A 2 × 2 complex matrix held inline, row-major [[a, b], [c, d]]: bind-time arithmetic without
/// heap allocation.
struct Mat2: Sendable, Equatable {
    var a, b, c, d: Complex<Double>

    static let identity = Mat2(a: .one, b: .zero, c: .zero, d: .one)

    init(a: Complex<Double>, b: Complex<Double>, c: Complex<Double>, d: Complex<Double>) {
        (self.a, self.b, self.c, self.d) = (a, b, c, d)
    }

    init(_ m: SmallMatrix) {
        assert(m.dimension == 2)
        self.init(a: m.entries[0], b: m.entries[1], c: m.entries[2], d: m.entries[3])
    }

    static func * (x: Mat2, y: Mat2) -> Mat2 {
        Mat2(a: x.a * y.a + x.b * y.c, b: x.a * y.b + x.b * y.d,
             c: x.c * y.a + x.d * y.c, d: x.c * y.b + x.d * y.d)
    }

    /// The conjugate transpose.
    var adjoint: Mat2 { Mat2(a: a.conjugate, b: c.conjugate, c: b.conjugate, d: d.conjugate) }

    var isDiagonal: Bool { b == .zero && c == .zero }
    var isReal: Bool { a.imaginary == 0 && b.imaginary == 0 && c.imaginary == 0 && d.imaginary == 0 }

    /// Σ_ab self_ab · M_ab, with M laid out as (M00, M01, M10, M11), each (re, im).
    func contracted(with m: SIMD8<Double>) -> Complex<Double> {
        a * Complex(m[0], m[1]) + b * Complex(m[2], m[3]) + c * Complex(m[4], m[5]) + d * Complex(m[6], m[7])
    }

    /// Writes (a, b, c, d) as 8 interleaved Reals (the layout of `Matrix2`).
    func write<Real: StateScalar>(to p: UnsafeMutablePointer<Real>) {
        (p[0], p[1], p[2], p[3]) = (Real(a.real), Real(a.imaginary), Real(b.real), Real(b.imaginary))
        (p[4], p[5], p[6], p[7]) = (Real(c.real), Real(c.imaginary), Real(d.real), Real(d.imaginary))
    }
}

extension Matrix2 {
    /// A matrix from 8 interleaved Reals (row-major (re, im)).
    init(_ p: UnsafePointer<Real>) {
        (m00r, m00i, m01r, m01i) = (p[0], p[1], p[2], p[3])
        (m10r, m10i, m11r, m11i) = (p[4], p[5], p[6], p[7])
    }
}

// MARK: - Factors and angles

/// One factor of a parameterised one-target matrix (see the top of this file).
enum GateFactor: Sendable {
    enum Axis: Sendable { case x, y, z }
    /// A matrix without free angles.
    case fixed(Mat2)
    /// exp(−i·x·σ/2), angle slot `angle`.
    case rotation(Axis, angle: Int)
    /// diag(1, e^{ix}).
    case phase(angle: Int)
    /// e^{ix} · 1.
    case globalPhase(angle: Int)

    var angle: Int? {
        switch self {
        case .fixed: nil
        case .rotation(_, let a), .phase(let a), .globalPhase(let a): a
        }
    }

    var isDiagonal: Bool {
        switch self {
        case .fixed(let m): m.isDiagonal
        case .rotation(let axis, _): axis == .z
        case .phase, .globalPhase: true
        }
    }

    var isReal: Bool {
        switch self {
        case .fixed(let m): m.isReal
        case .rotation(let axis, _): axis == .y
        case .phase, .globalPhase: false
        }
    }

    /// The factor's matrix at angle x.
    func matrix(_ x: Double) -> Mat2 {
        switch self {
        case .fixed(let m):
            return m
        case .rotation(let axis, _):
            let c = cos(x / 2), s = sin(x / 2)
            switch axis {
            case .x: return Mat2(a: Complex(c), b: Complex(0, -s), c: Complex(0, -s), d: Complex(c))
            case .y: return Mat2(a: Complex(c), b: Complex(-s), c: Complex(s), d: Complex(c))
            case .z: return Mat2(a: Complex(c, -s), b: .zero, c: .zero, d: Complex(c, s))
            }
        case .phase:
            return Mat2(a: .one, b: .zero, c: .zero, d: Complex(cos(x), sin(x)))
        case .globalPhase:
            let e = Complex(cos(x), sin(x))
            return Mat2(a: e, b: .zero, c: .zero, d: e)
        }
    }

    /// K with ∂F/∂x = K · F.
    var generatorTerm: Mat2 {
        switch self {
        case .fixed: return Mat2(a: .zero, b: .zero, c: .zero, d: .zero)
        case .rotation(.x, _): return Mat2(a: .zero, b: Complex(0, -0.5), c: Complex(0, -0.5), d: .zero)
        case .rotation(.y, _): return Mat2(a: .zero, b: Complex(-0.5), c: Complex(0.5), d: .zero)
        case .rotation(.z, _): return Mat2(a: Complex(0, -0.5), b: .zero, c: .zero, d: Complex(0, 0.5))
        case .phase: return Mat2(a: .zero, b: .zero, c: .zero, d: Complex(0, 1))
        case .globalPhase: return Mat2(a: Complex(0, 1), b: .zero, c: .zero, d: Complex(0, 1))
        }
    }
}

/// ∂angle/∂p for one parameter p.
struct AngleDerivative: Sendable {
    /// The index of p in the circuit's parameters.
    let parameter: Int
    let expression: ParameterExpression
    /// The value when the derivative is a number (θ, 2θ, θ + φ, …).
    let constant: Double?
}

/// One angle of one gate of the circuit.
struct AngleSlot: Sendable {
    let expression: ParameterExpression
    /// The parameter index when the angle is exactly one parameter.
    let parameter: Int?
    /// Nonzero derivatives by the circuit's parameters; empty for numeric angles.
    let derivatives: [AngleDerivative]
    /// The gate's name and the angle's name, for messages.
    let gate: String
    let angleName: String
    /// The gap between the two eigenvalues of the angle's generator, when it has exactly two
    /// (the parameter-shift rule applies); nil otherwise.
    let shiftGap: Double?
    /// The index of the operation that holds the angle.
    let operation: Int
}

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
                return [.fixed(Mat2(GateDefinitions.structure(of: gate, values: values).target))]
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

    private static func oneTarget(factors: [GateFactor], target: Int, controlMask: Int, numQubits n: Int, angles: [Int],
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

    private static func twoTarget(_ kind: GateKind, qubits: [Int], numQubits n: Int, angle: Int, offset: Int,
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
                              pauliProduct: product.entries.map(\.real), groupOffsets: offsets,
                              groupPositions: qubits.sorted(), angles: [angle], offset: offset,
                              size: diagonal ? 8 : 32, differentiated: differentiated)
    }

    // MARK: Binding

    /// Every angle's value for parameter values in the compiled circuit's order.
    func angleValues(_ values: [Double]) -> [Double] {
        angles.map { slot in
            if let j = slot.parameter { return values[j] }
            return slot.expression.evaluate { p in parameterIndex[p].map { values[$0] } } ?? .nan
        }
    }

    /// The value of ∂angle/∂p.
    func derivativeValue(_ d: AngleDerivative, _ values: [Double]) -> Double {
        d.constant ?? d.expression.evaluate { p in parameterIndex[p].map { values[$0] } } ?? .nan
    }

    /// Writes U and U† of every parameterised operation.
    func writeNumbers(angles values: [Double], into numbers: UnsafeMutablePointer<Real>) {
        for operation in operations {
            if case .bound(let op) = operation { writeNumbers(of: op, angles: values, into: numbers) }
        }
    }

    /// Writes U (at op.offset) and U† (at op.offset + op.size) of one operation.
    func writeNumbers(of op: BoundOperation<Real>, angles values: [Double], into numbers: UnsafeMutablePointer<Real>) {
        let forward = numbers + op.offset, adjoint = numbers + op.offset + op.size
        if op.pair != nil {
            var u = Mat2.identity
            for f in op.factors { u = f.matrix(f.angle.map { values[$0] } ?? 0) * u }
            if op.shape == .diagonal {
                (forward[0], forward[1], forward[2], forward[3]) = (Real(u.a.real), Real(u.a.imaginary), Real(u.d.real), Real(u.d.imaginary))
                (adjoint[0], adjoint[1], adjoint[2], adjoint[3]) = (Real(u.a.real), Real(-u.a.imaginary), Real(u.d.real), Real(-u.d.imaginary))
            } else {
                u.write(to: forward)
                u.adjoint.write(to: adjoint)
            }
            return
        }
        // exp(−iθ/2 · P⊗P) = cos(θ/2)·1 − i·sin(θ/2)·P⊗P, P⊗P real and symmetric.
        let x = values[op.angles[0]]
        let c = cos(x / 2), s = sin(x / 2)
        if op.shape == .diagonal {
            for r in 0..<4 {
                let pp = op.pauliProduct[5 * r]
                (forward[2 * r], forward[2 * r + 1]) = (Real(c), Real(-s * pp))
                (adjoint[2 * r], adjoint[2 * r + 1]) = (Real(c), Real(s * pp))
            }
        } else {
            for r in 0..<4 {
                for col in 0..<4 {
                    let pp = op.pauliProduct[4 * r + col]
                    let o = 2 * (4 * r + col)
                    let re = r == col ? c : 0
                    (forward[o], forward[o + 1]) = (Real(re), Real(-s * pp))
                    (adjoint[o], adjoint[o + 1]) = (Real(re), Real(s * pp))
                }
            }
        }
    }

    // MARK: Running

    /// Applies U (numbers at op.offset) or U† (at op.offset + op.size) to a state.
    func apply(_ op: BoundOperation<Real>, adjoint: Bool, numbers: UnsafeMutablePointer<Real>,
               to p: UnsafeMutablePointer<Real>, threads: Int)
    {
        let call = op.kernel
        let shared = SharedPointer(base: p)
        let matrix = SharedPointer(base: numbers + op.offset + (adjoint ? op.size : 0))
        let groupQubits = op.shape == .diagonal ? 0 : call.targets.count
        forEachRange(count: call.freeCount, threads: threads, alignment: min(call.runLength, 64),
                     grain: max(1, minimumIndicesPerThread >> groupQubits)) { start, end in
            call.positions.withUnsafeBufferPointer { positions in
                let p = shared.base, m = UnsafePointer(matrix.base)
                switch op.shape {
                case .dense1:
                    if call.adjacent {
                        dense1AdjacentRange(p, matrix: Matrix2(m), start: start, end: end)
                    } else {
                        dense1Range(p, target: call.targets[0], controlMask: call.controlMask, positions: positions,
                                    runLength: call.runLength, matrix: Matrix2(m), start: start, end: end)
                    }
                case .dense1Real:
                    if call.adjacent {
                        dense1RealAdjacentRange(p, matrix: Matrix2(m), start: start, end: end)
                    } else {
                        dense1RealRange(p, target: call.targets[0], controlMask: call.controlMask, positions: positions,
                                        runLength: call.runLength, matrix: Matrix2(m), start: start, end: end)
                    }
                case .diagonal:
                    let factors = UnsafeBufferPointer(start: m, count: 2 << call.targets.count)
                    if call.adjacent {
                        diagonalAdjacentRange(p, factors: factors, start: start, end: end)
                    } else {
                        call.targets.withUnsafeBufferPointer { targets in
                            diagonalRange(p, targets: targets, controlMask: call.controlMask, positions: positions,
                                          runLength: call.runLength, factors: factors, start: start, end: end)
                        }
                    }
                case .dense2:
                    dense2Range(p, target0: call.targets[0], target1: call.targets[1], controlMask: call.controlMask,
                                positions: positions, runLength: call.runLength,
                                matrix: UnsafeBufferPointer(start: m, count: 32), start: start, end: end)
                }
            }
        }
    }

    /// Writes the final state into `p` (every amplitude is overwritten): the leading layer as a
    /// product state, then every other operation. `checkpoints` (position → buffer, position p
    /// meaning after operation p − 1) receive copies of the state on the way.
    /// `fromGivenState`: `p` holds the input state; every operation is applied to it in turn.
    func forward(_ p: UnsafeMutablePointer<Real>, numbers: UnsafeMutablePointer<Real>, threads: Int,
                 checkpoints: [Int: UnsafeMutablePointer<Real>] = [:], fromGivenState: Bool = false)
    {
        func save(at position: Int) {
            guard let buffer = checkpoints[position] else { return }
            let source = SharedPointer(base: p), destination = SharedPointer(base: buffer)
            forEachRange(count: 2 << numQubits, threads: threads, alignment: 64) { start, end in
                (destination.base + start).update(from: source.base + start, count: end - start)
            }
        }
        if fromGivenState {
            for index in operations.indices {
                switch operations[index] {
                case .fixed(let call, _): call.apply(to: p, threads: threads)
                case .bound(let op): apply(op, adjoint: false, numbers: numbers, to: p, threads: threads)
                }
                save(at: index + 1)
            }
            return
        }
        withUnsafeTemporaryAllocation(of: Real.self, capacity: 4 * max(numQubits, 1)) { columns in
            let c = columns.baseAddress!
            for q in 0..<numQubits { (c[4 * q], c[4 * q + 1], c[4 * q + 2], c[4 * q + 3]) = (1, 0, 0, 0) }
            for (index, leading) in leadingLayer.enumerated() {
                let o = 4 * leading.qubit
                switch operations[index] {
                case .fixed:
                    guard let (u00, u10) = leading.fixedColumn else { continue }
                    (c[o], c[o + 1], c[o + 2], c[o + 3]) = (Real(u00.real), Real(u00.imaginary), Real(u10.real), Real(u10.imaginary))
                case .bound(let op):
                    // U|0⟩: the first column (dense: entries 00 and 10; diagonal: d0 and 0).
                    let u = numbers + op.offset
                    if op.shape == .diagonal {
                        (c[o], c[o + 1], c[o + 2], c[o + 3]) = (u[0], u[1], 0, 0)
                    } else {
                        (c[o], c[o + 1], c[o + 2], c[o + 3]) = (u[0], u[1], u[4], u[5])
                    }
                }
            }
            writeProductState(p, numQubits: numQubits, columns: c, threads: threads)
        }
        save(at: leadingLayer.count)
        for index in leadingLayer.count..<operations.count {
            switch operations[index] {
            case .fixed(let call, _): call.apply(to: p, threads: threads)
            case .bound(let op): apply(op, adjoint: false, numbers: numbers, to: p, threads: threads)
            }
            save(at: index + 1)
        }
    }

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
    private func pairStep(_ op: BoundOperation<Real>, _ pair: PairGeometry, numbers: UnsafeMutablePointer<Real>,
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
    private func diagonalCorrelations(psi: UnsafeMutablePointer<Real>, lambda: UnsafeMutablePointer<Real>,
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
    private func layerOffDiagonals(_ targets: [Int], psi: UnsafeMutablePointer<Real>, lambda: UnsafeMutablePointer<Real>,
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
                // Two targets: 4 × 4 correlations, then the update. K = −(i/2)·P⊗P, so
                // 2·Re Σ K_ab M_ab = Σ (P⊗P)_ab · Im M_ab.
                correlations4.withUnsafeMutableBufferPointer { buffer in
                    for i in buffer.indices { buffer[i] = 0 }
                    op.groupOffsets.withUnsafeBufferPointer { offsets in
                        op.groupPositions.withUnsafeBufferPointer { positions in
                            for (k, lambda) in lambdas.enumerated() {
                                correlationKRange(psi, lambda, offsets: offsets, controlMask: 0, positions: positions,
                                                  start: 0, end: (1 << numQubits) >> 2, into: buffer.baseAddress! + 32 * k)
                            }
                        }
                    }
                }
                let slot = angles[op.angles[0]]
                for k in 0..<count {
                    var g = 0.0
                    for e in 0..<16 { g += op.pauliProduct[e] * correlations4[32 * k + 2 * e + 1] }
                    for dv in slot.derivatives where selection.parameters[dv.parameter] {
                        jacobian[k * parameterCount + dv.parameter] += g * derivativeValue(dv, values)
                    }
                }
                if !last { undo(index, numbers: numbers, psi: psiBelow ? psi : nil, lambdas: lambdas, threads: threads) }
            }
            index -= 1
        }
    }

    /// Applies operation `index`'s U† to every λ and, when given, to ψ.
    private func undo(_ index: Int, numbers: UnsafeMutablePointer<Real>, psi: UnsafeMutablePointer<Real>?,
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
    private func accumulate(_ op: BoundOperation<Real>, correlations: [SIMD8<Double>], angles angleValues: [Double],
                            values: [Double], wanted: [Bool], scratch derivativeValues: inout [Double],
                            jacobian: inout [Double])
    {
        var after = Mat2.identity
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

// MARK: - Observables on raw states

/// ⟨ψ|O|ψ⟩ of a Pauli sum: Σ_t c_t · Re(i^y_t · Σ_i conj(a[i ⊕ x_t]) (−1)^{|i & z_t|} a[i]).
func pauliExpectation<Real: StateScalar>(_ p: UnsafeMutablePointer<Real>, numQubits: Int, observable: PauliSum,
                                         threads: Int) -> Double
{
    var total = 0.0
    for term in observable.terms {
        let (re, im) = pauliCorrelation(p, numQubits: numQubits, xMask: term.xMask, zMask: term.zMask, threads: threads)
        // Multiply by i^(number of Y) and keep the real part.
        let value: Double = switch term.yCount & 3 {
        case 0: re
        case 1: -im
        case 2: -re
        default: im
        }
        total += term.coefficient * value
    }
    return total
}

/// λ = O ψ for a Pauli sum (λ is overwritten).
func applyPauliSum<Real: StateScalar>(_ observable: PauliSum, to psi: UnsafeMutablePointer<Real>,
                                      into lambda: UnsafeMutablePointer<Real>, numQubits: Int, threads: Int)
{
    let source = SharedPointer(base: psi), destination = SharedPointer(base: lambda)
    for (t, term) in observable.terms.enumerated() {
        // c · i^y as (re, im).
        let c = term.coefficient
        let (fr, fi): (Double, Double) = switch term.yCount & 3 {
        case 0: (c, 0)
        case 1: (0, c)
        case 2: (-c, 0)
        default: (0, -c)
        }
        forEachRange(count: 1 << numQubits, threads: threads) { start, end in
            pauliTermRange(source.base, into: destination.base, xMask: term.xMask, zMask: term.zMask,
                           factorRe: Real(fr), factorIm: Real(fi), overwrite: t == 0, start: start, end: end)
        }
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
