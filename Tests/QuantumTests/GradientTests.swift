import ComplexModule
import Foundation
import Testing
import _TestSupport
@testable import Quantum

/// Random parameterised circuits, observables and the slow oracles for the gradient tests.
enum GradientFixtures {
    /// Parameterised kinds that fit `n` qubits; `shiftable` leaves out the controlled rotations.
    static func parameterisedKinds(width n: Int, shiftable: Bool) -> [GateKind] {
        var kinds: [GateKind] = [.rx, .ry, .rz, .p, .u1, .u2, .u, .u3]
        if n >= 2 {
            kinds += [.cp, .cu1, .cu, .cu3, .rxx, .ryy, .rzz, .rzx]
            if !shiftable { kinds += [.crx, .cry, .crz] }
        }
        for c in stride(from: 2, to: n, by: 1) { kinds.append(.mcp(controls: c)) }
        return kinds
    }

    /// A gate angle: a parameter alone, inside an expression, or a number.
    static func angle(_ parameters: [Parameter], _ rng: inout SeededGenerator) -> ParameterExpression {
        let p = parameters[Int(rng.next() % UInt64(parameters.count))]
        let q = parameters[Int(rng.next() % UInt64(parameters.count))]
        switch rng.next() % 10 {
        case 0, 1: return .symbol(p)
        case 2: return ParameterExpression(2.0) * p
        case 3: return p + q
        case 4: return .sin(p)
        case 5: return p * q
        case 6: return -p + ParameterExpression(0.3)
        case 7: return .cos(p) / ParameterExpression(2.0) - q
        case 8: return .exp(ParameterExpression(0.5) * p)
        default: return .constant(RandomCircuits.angle(&rng))
        }
    }

    /// A circuit of `count` gates, about two thirds parameterised (angles drawn by `angle`), the
    /// rest fixed gates and random unitaries, on random distinct qubits. With `shiftable` the
    /// θ of cu/cu3 stays a number and controlled rotations are left out.
    static func circuit(qubits n: Int, gates count: Int, parameters: [Parameter], shiftable: Bool = false,
                        _ rng: inout SeededGenerator) throws -> QuantumCircuit
    {
        var circuit = QuantumCircuit(numQubits: n)
        let parameterised = parameterisedKinds(width: n, shiftable: shiftable)
        let fixed = RandomCircuits.kinds(fitting: n).filter { $0.numParameters == 0 && $0 != .id }
            + (1...min(2, n)).map { GateKind.unitary(qubits: $0) }
        for _ in 0..<count {
            var qubits = Array(0..<n)
            qubits.shuffle(using: &rng)
            if rng.next() % 3 != 0 {
                let kind = parameterised[Int(rng.next() % UInt64(parameterised.count))]
                var angles = (0..<kind.numParameters).map { _ in angle(parameters, &rng) }
                if shiftable, kind == .cu || kind == .cu3 { angles[0] = .constant(RandomCircuits.angle(&rng)) }
                circuit.append(try Gate(kind, angles), Array(qubits.prefix(kind.numQubits)))
            } else {
                let kind = fixed[Int(rng.next() % UInt64(fixed.count))]
                circuit.append(try RandomCircuits.gate(kind, &rng), Array(qubits.prefix(kind.numQubits)))
            }
        }
        return circuit
    }

    /// `count` observables of 1–3 random Pauli strings with weights in [−1, 1], as (label, weight).
    static func observables(qubits n: Int, count: Int, _ rng: inout SeededGenerator) -> [[(String, Double)]] {
        (0..<count).map { _ in
            (0..<(1 + Int(rng.next() % 3))).map { _ in
                let label = String((0..<n).map { _ in Array("IXYZ")[Int(rng.next() % 4)] })
                return (label, rng.nextUniform() * 2 - 1)
            }
        }
    }

    /// Expectation values from the dense reference simulator, the circuit bound to `values`.
    static func reference(_ circuit: QuantumCircuit, _ terms: [[(String, Double)]], values: [Double]) throws -> [Double] {
        let bound = try circuit.bind(Dictionary(uniqueKeysWithValues: zip(circuit.parameters, values)))
        let state = try ReferenceSimulator.statevector(of: bound)
        return terms.map { ReferenceSimulator.expectation($0, in: state) }
    }

    /// PennyLane's StronglyEntanglingLayers: on every wire Rot(φ, θ, ω) = RZ(ω)·RY(θ)·RZ(φ), then
    /// CNOTs i → (i + r) mod n with r = (layer mod (n − 1)) + 1.
    static func stronglyEntanglingLayers(qubits n: Int, layers: Int) -> QuantumCircuit {
        var circuit = QuantumCircuit(numQubits: n)
        for layer in 0..<layers {
            for q in 0..<n {
                let name = "w\(layer)_\(String(format: "%02d", q))_"
                circuit.rz(Parameter(name + "0"), q)
                circuit.ry(Parameter(name + "1"), q)
                circuit.rz(Parameter(name + "2"), q)
            }
            if n > 1 {
                let r = (layer % (n - 1)) + 1
                for q in 0..<n { circuit.cx(q, (q + r) % n) }
            }
        }
        return circuit
    }

    static func randomValues(_ count: Int, _ rng: inout SeededGenerator) -> [Double] {
        (0..<count).map { _ in RandomCircuits.angle(&rng) }
    }
}

@Suite("Gradients")
struct GradientTests {
    let parameters = [Parameter("a"), Parameter("b"), Parameter("c")]

    @Test("adjoint gradients equal central finite differences of the dense reference (all parameterised gates, shared parameters, expressions)",
          arguments: [1, 2, 3, 4])
    func adjointAgainstFiniteDifferences(qubits n: Int) throws {
        var rng = SeededGenerator(seed: 800 + UInt64(n))
        for _ in 0..<3 {
            let circuit = try GradientFixtures.circuit(qubits: n, gates: 14, parameters: parameters, &rng)
            let terms = GradientFixtures.observables(qubits: n, count: 3, &rng)
            let observables = try terms.map { try PauliSum($0) }
            let values = GradientFixtures.randomValues(circuit.parameters.count, &rng)
            let expected = try FiniteDifference.jacobian({ try GradientFixtures.reference(circuit, terms, values: $0) }, at: values)
            let expectedValues = try GradientFixtures.reference(circuit, terms, values: values)
            for fusion in [true, false] {
                let compiled = try Simulator(threads: 1, fusion: fusion).compile(circuit)
                let result = try compiled.gradient(of: observables, values: values)
                #expect(FiniteDifference.maxDifference(result.jacobian, expected) < 1e-6, "\(circuit.instructions)")
                #expect(FiniteDifference.maxDifference(result.values, expectedValues) < 1e-10)
            }
        }
    }

    @Test("adjoint equals parameter-shift to 1e-10 where the shift rule applies", arguments: [1, 2, 3, 4])
    func adjointAgainstParameterShift(qubits n: Int) throws {
        var rng = SeededGenerator(seed: 900 + UInt64(n))
        for _ in 0..<3 {
            let circuit = try GradientFixtures.circuit(qubits: n, gates: 16, parameters: parameters, shiftable: true, &rng)
            let observables = try GradientFixtures.observables(qubits: n, count: 2, &rng).map { try PauliSum($0) }
            let values = GradientFixtures.randomValues(circuit.parameters.count, &rng)
            for fusion in [true, false] {
                let compiled = try Simulator(threads: 1, fusion: fusion).compile(circuit)
                let adjoint = try compiled.gradient(of: observables, values: values, method: .adjoint)
                let shift = try compiled.gradient(of: observables, values: values, method: .parameterShift)
                #expect(FiniteDifference.maxDifference(adjoint.jacobian, shift.jacobian) < 1e-10)
                #expect(adjoint.values == shift.values)
            }
        }
    }

    @Test("each parameterised gate alone, on every placement of its qubits (target 0 or not, low controls), against finite differences")
    func everyGateEveryPlacement() throws {
        let n = 3
        let theta = Parameter("t"), phi = Parameter("u")
        var rng = SeededGenerator(seed: 42)
        let observable = try PauliSum("0.7*XYZ - 0.4*ZIX + 0.2*YYI + 0.5*IZZ")
        let terms = observable.terms.map { ($0.label, $0.coefficient) }
        for kind in GradientFixtures.parameterisedKinds(width: n, shiftable: false) {
            let placements: [[Int]] = switch kind.numQubits {
            case 1: [[0], [1], [2]]
            case 2: [[0, 1], [1, 0], [0, 2], [2, 0], [1, 2], [2, 1]]
            default: [[0, 1, 2], [2, 1, 0], [1, 2, 0]]
            }
            for qubits in placements {
                var circuit = QuantumCircuit(numQubits: n)
                RandomCircuits.prepareGenericState(&circuit, &rng)
                let angles: [ParameterExpression] = (0..<kind.numParameters).map { i in
                    i % 2 == 0 ? .symbol(theta) : ParameterExpression(0.5) * phi + theta
                }
                circuit.append(try Gate(kind, angles), qubits)
                let values = GradientFixtures.randomValues(circuit.parameters.count, &rng)
                let expected = try FiniteDifference.gradient({ try GradientFixtures.reference(circuit, [terms], values: $0)[0] }, at: values)
                let result = try Simulator(threads: 1).compile(circuit).gradient(of: observable, values: values)
                #expect(FiniteDifference.maxDifference(result.gradient, expected) < 1e-6, "\(kind.name) on \(qubits)")
            }
        }
    }

    @Test("expectations equal the dense reference and StateVector.expectation; gradient values equal expectations exactly",
          arguments: [1, 3, 5])
    func expectationsAgainstReference(qubits n: Int) throws {
        var rng = SeededGenerator(seed: 1000 + UInt64(n))
        let circuit = try GradientFixtures.circuit(qubits: n, gates: 20, parameters: parameters, &rng)
        let terms = GradientFixtures.observables(qubits: n, count: 4, &rng)
        let observables = try terms.map { try PauliSum($0) }
        let values = GradientFixtures.randomValues(circuit.parameters.count, &rng)
        let compiled = try Simulator(threads: 1).compile(circuit)
        let binding = try compiled.binding(values)
        let fast = try compiled.expectations(observables, binding: binding)
        #expect(FiniteDifference.maxDifference(fast, try GradientFixtures.reference(circuit, terms, values: values)) < 1e-10)
        let state = try compiled.statevector(binding: binding)
        #expect(FiniteDifference.maxDifference(fast, try observables.map { try state.expectation($0) }) < 1e-12)
        #expect(try compiled.expectations(observables, values: values) == fast)
        #expect(try compiled.gradient(of: observables, values: values).values == fast)
        #expect(try compiled.expectations([], values: values).isEmpty)
    }

    @Test("the StronglyEntanglingLayers circuit of the benchmark: adjoint, parameter-shift and finite differences agree")
    func stronglyEntanglingLayers() throws {
        let circuit = GradientFixtures.stronglyEntanglingLayers(qubits: 4, layers: 4)
        let compiled = try Simulator(threads: 1).compile(circuit)
        #expect(compiled.parameters.count == 48)
        var rng = SeededGenerator(seed: 7)
        let values = GradientFixtures.randomValues(48, &rng)
        let z0 = try PauliSum("IIIZ")
        let adjoint = try compiled.gradient(of: z0, values: values)
        let shift = try compiled.gradient(of: z0, values: values, method: .parameterShift)
        let expected = try FiniteDifference.gradient({ try GradientFixtures.reference(circuit, [[("IIIZ", 1)]], values: $0)[0] }, at: values)
        #expect(FiniteDifference.maxDifference(adjoint.gradient, expected) < 1e-6)
        #expect(FiniteDifference.maxDifference(adjoint.gradient, shift.gradient) < 1e-10)
        #expect(abs(adjoint.value - (try GradientFixtures.reference(circuit, [[("IIIZ", 1)]], values: values)[0])) < 1e-12)
    }

    @Test("binding by dictionary or by values, one observable or several: the same numbers")
    func entryPointsAgree() throws {
        var rng = SeededGenerator(seed: 5)
        let circuit = try GradientFixtures.circuit(qubits: 3, gates: 12, parameters: parameters, &rng)
        let observables = try GradientFixtures.observables(qubits: 3, count: 2, &rng).map { try PauliSum($0) }
        let compiled = try Simulator(threads: 1).compile(circuit)
        let values = GradientFixtures.randomValues(compiled.parameters.count, &rng)
        let binding = try compiled.binding(values)
        let many = try compiled.gradient(of: observables, values: values)
        let byBinding = try compiled.gradient(of: observables, binding: binding)
        #expect(many.values == byBinding.values && many.jacobian == byBinding.jacobian)
        for (k, observable) in observables.enumerated() {
            let one = try compiled.gradient(of: observable, values: values)
            #expect(one.value == many.values[k])
            #expect(FiniteDifference.maxDifference(one.gradient, many.jacobian[k]) < 1e-14)
            let oneByBinding = try compiled.gradient(of: observable, binding: binding, method: .adjoint)
            #expect(oneByBinding.gradient == one.gradient)
        }
    }

    @Test("wide states take the plan's cache-blocked forward pass: same values and gradients")
    func blockedForward() throws {
        var rng = SeededGenerator(seed: 11)
        let circuit = try GradientFixtures.circuit(qubits: 6, gates: 30, parameters: parameters, &rng)
        let observables = try GradientFixtures.observables(qubits: 6, count: 2, &rng).map { try PauliSum($0) }
        var blocked = Simulator(threads: 1)
        blocked.blockQubits = 3
        let values = GradientFixtures.randomValues(circuit.parameters.count, &rng)
        let lean = try Simulator(threads: 1).compile(circuit).gradient(of: observables, values: values)
        let wide = try blocked.compile(circuit).gradient(of: observables, values: values)
        #expect(FiniteDifference.maxDifference(lean.values, wide.values) < 1e-12)
        #expect(FiniteDifference.maxDifference(lean.jacobian, wide.jacobian) < 1e-12)
        #expect(try blocked.compile(circuit).execution.passes > 0)
    }

    @Test("copies of ψ at layer ends (none, some, all) leave the Jacobian unchanged; deep layered circuits against finite differences",
          arguments: [(1, 3), (2, 3), (3, 3), (1, 7), (2, 8)])
    func checkpoints(observables count: Int, qubits n: Int) throws {
        var rng = SeededGenerator(seed: 21 + UInt64(count))
        // Layers of fused rotations and fixed gates between entanglers, parameterised two-qubit
        // gates in some of them, and more layers than the default number of copies. From 6 qubits
        // on, a layer's diagonal correlations are read in groups of amplitudes (a separate kernel
        // path); layers of diagonal operations (rz, p) and of mixed ones are included.
        var circuit = GradientFixtures.stronglyEntanglingLayers(qubits: n, layers: n > 3 ? 3 : 9)
        circuit.h(1)
        circuit.rzz(parameters[0] * parameters[1], 0, 2)
        for q in 0..<n { circuit.rz(ParameterExpression(Double(q + 1)) * parameters[q % 3], q) }
        circuit.cx(0, n - 1)
        for q in 0..<n {
            if q % 3 == 0 { circuit.p(parameters[1] + parameters[2], q) } else { circuit.rx(parameters[q % 3], q) }
        }
        circuit.ry(ParameterExpression.sin(parameters[2]), 1)
        circuit.x(0)
        circuit = try circuit.compose(try GradientFixtures.circuit(qubits: n, gates: 10, parameters: parameters, &rng))
        let terms = GradientFixtures.observables(qubits: n, count: count, &rng)
        let observables = try terms.map { try PauliSum($0) }
        let values = GradientFixtures.randomValues(circuit.parameters.count, &rng)
        var plain = Simulator(threads: 1)
        plain.adjointCheckpoints = 0
        let reference = try plain.compile(circuit).gradient(of: observables, values: values)
        for limit in [1, 3, nil, 100] {
            var simulator = Simulator(threads: 1)
            simulator.adjointCheckpoints = limit
            let result = try simulator.compile(circuit).gradient(of: observables, values: values)
            #expect(FiniteDifference.maxDifference(result.jacobian, reference.jacobian) < 1e-12, "limit \(String(describing: limit))")
            #expect(result.values == reference.values)
        }
        // Threads split the layer reads into fixed blocks: the same numbers (2^8 amplitudes are one
        // block; the 13-qubit thread test covers several).
        var threaded = Simulator(threads: 3)
        threaded.adjointCheckpoints = nil
        var single = Simulator(threads: 1)
        single.adjointCheckpoints = nil
        #expect(try threaded.compile(circuit).gradient(of: observables, values: values).jacobian
            == single.compile(circuit).gradient(of: observables, values: values).jacobian)
        if count == 1 {
            let expected = try FiniteDifference.jacobian({ try GradientFixtures.reference(circuit, terms, values: $0) }, at: values)
            #expect(FiniteDifference.maxDifference(reference.jacobian, expected) < 1e-6)
        }
    }

    @Test("a Jacobian with respect to some parameters: their columns as in the full one, zeros elsewhere, both methods")
    func selectedParameters() throws {
        // A data part (x, including a controlled rotation, which parameter shift refuses) in front
        // of a trained part (w): shift on the weights alone must work, the sweep may stop early.
        let x = [Parameter("x0"), Parameter("x1")], w = [Parameter("w0"), Parameter("w1"), Parameter("w2")]
        var circuit = QuantumCircuit(numQubits: 4)
        for q in 0..<4 { circuit.ry(x[q % 2], q) }
        circuit.crx(x[0] + x[1], 0, 3)
        circuit.cx(1, 2)
        for q in 0..<4 { circuit.rx(w[q % 3], q) }
        circuit.rzz(w[2] * x[0], 1, 3)
        circuit.cx(3, 0)
        for q in 0..<4 { circuit.rz(w[(q + 1) % 3], q) }
        let compiled = try Simulator(threads: 1).compile(circuit)
        let observables = [try PauliSum("ZIIZ"), try PauliSum("0.5*XYII + IIZX")]
        var rng = SeededGenerator(seed: 5)
        let values = GradientFixtures.randomValues(compiled.parameters.count, &rng)
        let full = try compiled.gradient(of: observables, values: values)
        for method in GradientMethod.allCases {
            let part = try compiled.gradient(of: observables, values: values, withRespectTo: w, method: method)
            #expect(part.values == full.values)
            for (j, p) in compiled.parameters.enumerated() {
                for k in observables.indices {
                    if w.contains(p) {
                        #expect(abs(part.jacobian[k][j] - full.jacobian[k][j]) < 1e-10, "\(method) \(p.name)")
                    } else {
                        #expect(part.jacobian[k][j] == 0, "\(method) \(p.name)")
                    }
                }
            }
        }
        // A selection made once gives the same numbers; one from another circuit is refused.
        let selected = try compiled.gradient(of: observables, values: values, withRespectTo: compiled.selection(w))
        let listed = try compiled.gradient(of: observables, values: values, withRespectTo: w)
        #expect(selected.jacobian == listed.jacobian && selected.values == listed.values)
        let other = try Simulator().compile(GradientFixtures.stronglyEntanglingLayers(qubits: 2, layers: 1))
        #expect(throws: QuantumError.invalidState(
            "the parameter selection was made for a circuit with \(other.parameters.count) parameters; this one has \(compiled.parameters.count)")) {
            try compiled.gradient(of: observables, values: values, withRespectTo: other.selection(other.parameters))
        }
        #expect(throws: QuantumError.self) { try compiled.gradient(of: observables, values: values, method: .parameterShift) }
        #expect(throws: QuantumError.unknownParameter(name: "v", known: compiled.parameters.map(\.name))) {
            try compiled.gradient(of: observables, values: values, withRespectTo: [Parameter("v")])
        }
    }

    @Test("a given input state equals preparing it with a gate: expectations and both gradients, both precisions")
    func initialState() throws {
        // The oracle: a Householder reflection H = 1 − 2uuᵀ, u ∝ e0 − v, maps |0…0⟩ to the real
        // unit vector v; prepended as a unitary gate, the ordinary |0…0⟩ path must agree.
        let n = 3, dimension = 1 << n
        var rng = SeededGenerator(seed: 31)
        var v = (0..<dimension).map { _ in 2 * rng.nextUniform() - 1 }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        v = v.map { $0 / norm }
        var u = v.map { -$0 }
        u[0] += 1
        let uNorm = u.reduce(0) { $0 + $1 * $1 }.squareRoot()
        u = u.map { $0 / uNorm }
        var householder = [Complex<Double>](repeating: .zero, count: dimension * dimension)
        for r in 0..<dimension {
            for c in 0..<dimension { householder[r * dimension + c] = Complex((r == c ? 1 : 0) - 2 * u[r] * u[c]) }
        }
        var trained = GradientFixtures.stronglyEntanglingLayers(qubits: n, layers: 2)
        trained.rzz(parameters[0], 0, 2)
        var prepared = QuantumCircuit(numQubits: n)
        prepared.unitary(householder, Array(0..<n))
        prepared = try prepared.compose(trained)
        let observables = [try PauliSum("ZII"), try PauliSum("0.5*XYZ - IZX")]
        let input = try StateVector<Double>(amplitudes: v.map { Complex($0) })
        for precision in [Precision.double, .single] {
            let tolerance = precision == .double ? 1e-10 : 1e-4
            let plain = try Simulator(precision: precision, threads: 1).compile(trained)
            let reference = try Simulator(precision: precision, threads: 1).compile(prepared)
            #expect(plain.parameters == reference.parameters)
            let values = GradientFixtures.randomValues(plain.parameters.count, &rng)
            let expected = try reference.gradient(of: observables, values: values)
            let given = try plain.expectations(observables, values: values, initialState: input)
            #expect(FiniteDifference.maxDifference(given, expected.values) < tolerance)
            for method in GradientMethod.allCases {
                let result = try plain.gradient(of: observables, values: values, withRespectTo: plain.parameters, method: method,
                                                initialState: input)
                #expect(FiniteDifference.maxDifference(result.values, expected.values) < tolerance, "\(method)")
                #expect(FiniteDifference.maxDifference(result.jacobian, expected.jacobian) < tolerance, "\(method) \(precision)")
            }
        }
        let wide = try StateVector<Double>(numQubits: n + 1)
        #expect(throws: QuantumError.invalidState("the initial state has 4 qubits; the circuit has 3")) {
            try Simulator().compile(trained).expectations(observables, values: [Double](repeating: 0, count: trained.parameters.count),
                                                          initialState: wide)
        }
    }

    @Test("15 qubits: layer reads with a target above the cache block equal the gate-by-gate sweep, any thread count")
    func wideLayers() throws {
        // Double layers are read in blocks of 2^14 amplitudes; qubit 14 takes the per-qubit path.
        let n = 15
        let circuit = GradientFixtures.stronglyEntanglingLayers(qubits: n, layers: 2)
        var rng = SeededGenerator(seed: 15)
        let values = GradientFixtures.randomValues(circuit.parameters.count, &rng)
        let observables = [try PauliSum(String(repeating: "I", count: n - 1) + "Z"),
                           try PauliSum("X" + String(repeating: "I", count: n - 2) + "Y")]
        var plain = Simulator(threads: 1)
        plain.adjointCheckpoints = 0
        let reference = try plain.compile(circuit).gradient(of: observables, values: values)
        for threads in [1, 2] {
            var layered = Simulator(threads: threads)
            layered.adjointCheckpoints = nil
            let result = try layered.compile(circuit).gradient(of: observables, values: values)
            #expect(FiniteDifference.maxDifference(result.jacobian, reference.jacobian) < 1e-12, "\(threads) threads")
        }
    }

    @Test("threads change nothing: 13 qubits, one and two observables, 1 thread against 3")
    func threadInvariance() throws {
        let n = 13
        var rng = SeededGenerator(seed: 13)
        // Commuting layers first (their correlations are read in fixed blocks of amplitudes).
        var circuit = GradientFixtures.stronglyEntanglingLayers(qubits: n, layers: 2)
        let (a, b) = (parameters[0], parameters[1])
        for q in [0, 1, 6, 12] {
            circuit.u(a, ParameterExpression(2.0) * b, 0.3, q)
            circuit.cx(q, (q + 5) % n)
            circuit.crx(a + b, (q + 1) % n, q)
            circuit.rzz(b, q, (q + 3) % n)
            circuit.mcp(a, [(q + 2) % n, (q + 7) % n], q)
            circuit.ryy(ParameterExpression.sin(a), (q + 4) % n, q)
        }
        let observables = [try PauliSum(String(repeating: "I", count: n - 1) + "Z"),
                           try PauliSum("0.5*" + String(repeating: "X", count: n) + " - 0.25*Y" + String(repeating: "Z", count: n - 1))]
        let values = GradientFixtures.randomValues(circuit.parameters.count, &rng)
        for count in [1, 2] {
            let one = try Simulator(threads: 1).compile(circuit).gradient(of: Array(observables.prefix(count)), values: values)
            let three = try Simulator(threads: 3).compile(circuit).gradient(of: Array(observables.prefix(count)), values: values)
            #expect(one.values == three.values)
            #expect(one.jacobian == three.jacobian)
        }
    }

    @Test("single precision: values and gradients within 1e-4 of double precision")
    func singlePrecision() throws {
        var rng = SeededGenerator(seed: 17)
        let circuit = try GradientFixtures.circuit(qubits: 4, gates: 20, parameters: parameters, &rng)
        let observables = try GradientFixtures.observables(qubits: 4, count: 2, &rng).map { try PauliSum($0) }
        let values = GradientFixtures.randomValues(circuit.parameters.count, &rng)
        let double = try Simulator(threads: 1).compile(circuit).gradient(of: observables, values: values)
        let single = try Simulator(precision: .single, threads: 1).compile(circuit).gradient(of: observables, values: values)
        #expect(FiniteDifference.maxDifference(double.values, single.values) < 1e-4)
        #expect(FiniteDifference.maxDifference(double.jacobian, single.jacobian) < 1e-4)
        #expect(double.jacobian != single.jacobian)
    }

    @Test("circuits without parameters, parameters only in constant-folded places, and no observables")
    func degenerateInputs() throws {
        var plain = QuantumCircuit(numQubits: 2)
        plain.h(0)
        plain.cx(0, 1)
        let compiled = try Simulator().compile(plain)
        let result = try compiled.gradient(of: [try PauliSum("ZZ"), try PauliSum("XX")], values: [])
        #expect(result.values.map { ($0 * 1e12).rounded() / 1e12 } == [1, 1])
        #expect(result.jacobian == [[], []])
        let none = try compiled.gradient(of: [], values: [], method: .parameterShift)
        #expect(none.values.isEmpty && none.jacobian.isEmpty)
        // A parameter whose every occurrence has zero derivative (θ − θ) has a zero column.
        let theta = Parameter("θ")
        var cancelling = QuantumCircuit(numQubits: 1)
        cancelling.rx(theta - theta, 0)
        cancelling.ry(0.4, 0)
        let zero = try Simulator().compile(cancelling).gradient(of: try PauliSum("Z"), values: [0.3])
        #expect(zero.gradient == [0])
    }

    @Test("error cases: shift rule on three-eigenvalue generators, non-unitary circuits, bindings and widths")
    func errors() throws {
        let theta = Parameter("θ"), phi = Parameter("φ")
        var controlled = QuantumCircuit(numQubits: 2)
        controlled.h(0)
        controlled.crx(theta, 0, 1)
        let compiled = try Simulator().compile(controlled)
        let z = try PauliSum("ZI")
        #expect(errorMessage { _ = try compiled.gradient(of: z, values: [0.1], method: .parameterShift) }
            == "the parameter-shift rule cannot differentiate gate 'crx' (angle theta) with respect to 'θ': the angle's generator has more than two eigenvalues; use the adjoint method (method: .adjoint)")
        #expect(try compiled.gradient(of: z, values: [0.1], method: .adjoint).gradient.count == 1)

        // cu: θ has generator P_c ⊗ Y/2 (eigenvalues 0, ±1/2): refused; φ, λ, γ are projectors: accepted.
        var cu = QuantumCircuit(numQubits: 2)
        cu.h(0)
        cu.cu(theta, phi, 0.2, 0.1, 0, 1)
        #expect(errorMessage { _ = try Simulator().compile(cu).gradient(of: try PauliSum("XX"), values: [0.3, 0.4], method: .parameterShift) }
            == "the parameter-shift rule cannot differentiate gate 'cu' (angle theta) with respect to 'θ': the angle's generator has more than two eigenvalues; use the adjoint method (method: .adjoint)")
        var cuPhase = QuantumCircuit(numQubits: 2)
        cuPhase.h(0)
        cuPhase.h(1)
        cuPhase.cu(0.7, phi, ParameterExpression(2.0) * phi, phi, 0, 1)
        cuPhase.h(1)
        let cuCompiled = try Simulator().compile(cuPhase)
        let shifted = try cuCompiled.gradient(of: try PauliSum("XZ + 0.5*YX"), values: [0.4], method: .parameterShift)
        let adjoint = try cuCompiled.gradient(of: try PauliSum("XZ + 0.5*YX"), values: [0.4])
        #expect(abs(shifted.gradient[0] - adjoint.gradient[0]) < 1e-12)
        #expect(abs(adjoint.gradient[0]) > 1e-3)

        var measured = QuantumCircuit(numQubits: 1, numClbits: 1)
        measured.rx(theta, 0)
        measured.measure(0, 0)
        let measuredCompiled = try Simulator().compile(measured)
        for method in GradientMethod.allCases {
            #expect(errorMessage { _ = try measuredCompiled.gradient(of: try PauliSum("Z"), values: [0.1], method: method) }
                == "cannot differentiate a circuit that contains measure: gradients need a circuit of unitary gates without classical conditions (remove final measurements with removingFinalMeasurements())")
        }
        #expect(errorMessage { _ = try measuredCompiled.expectations([try PauliSum("Z")], values: [0.1]) }
            == "the circuit contains measure: expectation values need a circuit of unitary gates only (use run(shots:) for counts, or removingFinalMeasurements())")
        var reset = QuantumCircuit(numQubits: 1)
        reset.rx(theta, 0)
        reset.reset(0)
        #expect(errorMessage { _ = try Simulator().compile(reset).gradient(of: try PauliSum("Z"), values: [0.1]) }
            .hasPrefix("cannot differentiate a circuit that contains reset:"))
        let register = ClassicalRegister(1, name: "m")
        var conditioned = QuantumCircuit(QuantumRegister(1, name: "q"), register)
        conditioned.conditioned(on: register, equals: 1) { $0.rx(theta, 0) }
        #expect(errorMessage { _ = try Simulator().compile(conditioned).gradient(of: try PauliSum("Z"), values: [0.1]) }
            .hasPrefix("cannot differentiate a circuit that contains a conditioned gate:"))

        #expect(errorMessage { _ = try compiled.gradient(of: z, binding: [phi: 1]) }
            == "the circuit has no parameter 'φ' (its parameters: θ)")
        #expect(errorMessage { _ = try compiled.gradient(of: z, binding: [:]) }
            == "parameters without values: θ; bind them first (circuit.bind([...]) or compiled.statevector(binding:))")
        #expect(errorMessage { _ = try compiled.expectations([z], binding: [theta: 1, phi: 2]) }
            == "the circuit has no parameter 'φ' (its parameters: θ)")
        #expect(errorMessage { _ = try compiled.gradient(of: z, values: [1, 2]) } == "received 2 values for 1 parameter (θ)")
        #expect(errorMessage { _ = try compiled.expectations([z], values: []) } == "received 0 values for 1 parameter (θ)")
        #expect(errorMessage { _ = try compiled.gradient(of: [z, try PauliSum("Z")], values: [1]) }
            == "the observable acts on 1 qubit but the state has 2")
        #expect(errorMessage { _ = try Simulator(threads: 0).compile(controlled).gradient(of: z, values: [1]) }
            == "threads must be at least 1, received 0")
        #expect(errorMessage { _ = try Simulator(maxMemoryBytes: 10).compile(controlled).gradient(of: [z, z], values: [1]) }
            .hasPrefix("cannot simulate 2 qubits in double precision: the 3 state vectors this needs (64 bytes each) take 192 bytes but 10 bytes is available"))
    }

    @Test("symbolic derivatives equal finite differences of the expression, and fold constants")
    func expressionDerivatives() throws {
        let x = Parameter("x"), y = Parameter("y")
        let X = ParameterExpression.symbol(x), Y = ParameterExpression.symbol(y)
        let expressions: [ParameterExpression] = [
            X, ParameterExpression(2.0) * X, X + Y, X - Y, X * Y, X / Y, Y / X, -X, .sin(X * Y), .cos(X + 1.0),
            .tan(X / 3.0), .exp(X - Y), .ln(X * X + 1.0), .sqrt(Y * Y + X * X), .binary(.power, X, .constant(3)),
            .binary(.power, Y, X), ParameterExpression.sin(ParameterExpression.cos(X)) * ParameterExpression.exp(Y), .constant(2.5),
        ]
        let point: [Parameter: Double] = [x: 0.7, y: 1.3]
        for e in expressions {
            for p in [x, y] {
                let d = e.derivative(withRespectTo: p)
                let numeric = FiniteDifference.gradient({ v in
                    e.evaluate { $0 == p ? v[0] : point[$0] } ?? .nan
                }, at: [point[p]!])[0]
                let symbolic = try #require(d.evaluate { point[$0] })
                #expect(abs(symbolic - numeric) < 1e-7 * max(1, abs(numeric)), "d(\(e))/d\(p.name) = \(d)")
            }
        }
        #expect(X.derivative(withRespectTo: x) == .constant(1))
        #expect((ParameterExpression(2.0) * X + Y).derivative(withRespectTo: x) == .constant(2))
        #expect(X.derivative(withRespectTo: y) == .constant(0))
        #expect(ParameterExpression.sin(Y).derivative(withRespectTo: x) == .constant(0))
    }
}
