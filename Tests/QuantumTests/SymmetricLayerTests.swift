import ComplexModule
import Foundation
import Testing
import _TestSupport
@testable import Quantum

/// X-symmetric one-qubit gates run two or three at a time (`SymmetricLayer`), and the phases
/// moved out of one-qubit and multiplexed gates so that their cores can run that way. Oracles: a
/// naive 2 × 2 loop in this file, plain matrix products in this file, and the reference simulator.
@Suite("Symmetric one-qubit layers")
struct SymmetricLayerTests {
    /// m applied to `target` of a state of interleaved Doubles, one pair at a time.
    static func naive(_ state: inout [Complex<Double>], target: Int, _ m: [Complex<Double>]) {
        for i in state.indices where i & (1 << target) == 0 {
            let (a, b) = (state[i], state[i | (1 << target)])
            state[i] = m[0] * a + m[1] * b
            state[i | (1 << target)] = m[2] * a + m[3] * b
        }
    }

    static func randomSymmetric(_ rng: inout SeededGenerator) -> [Complex<Double>] {
        let p = Complex(rng.nextUniform() - 0.5, rng.nextUniform() - 0.5)
        let q = Complex(rng.nextUniform() - 0.5, rng.nextUniform() - 0.5)
        return [p, q, q, p]
    }

    static func layer<Real: StateScalar>(_: Real.Type, tolerance: Double) {
        let n = 7
        var rng = SeededGenerator(seed: 404)
        let state = (0..<(1 << n)).map { _ in Complex(rng.nextUniform() - 0.5, rng.nextUniform() - 0.5) }
        let lowest = SymmetricLayer.lowestTarget(for: Real.self)
        for targets in [[lowest, lowest + 2], [lowest, lowest + 1, n - 1], [3, 5, 6], [lowest + 1, n - 1], [4, 5, 6]] {
            let matrices = targets.map { _ in randomSymmetric(&rng) }
            var expected = state
            for (t, m) in zip(targets, matrices) { naive(&expected, target: t, m) }
            let factors = SymmetricLayer.factors(matrices.map { m in
                Matrix2<Real>(SmallMatrix(dimension: 2, entries: m))
            })
            let call = KernelCall<Real>(.symmetricLayer(factors), targets: targets, controlMask: 0, numQubits: n)
            // Whole range (the wide loop where the CPU has it), a range cut at vector boundaries,
            // an odd cut (the portable loop), and the portable loop on the whole range.
            let width = Real.self == Float.self ? 4 : 2
            for (start, end, portable) in [(0, call.freeCount, false), (width, call.freeCount - width, false),
                                           (1, call.freeCount - 1, false), (0, call.freeCount, true)] {
                var ours = state.flatMap { [Real($0.real), Real($0.imaginary)] }
                ours.withUnsafeMutableBufferPointer { p in
                    targets.withUnsafeBufferPointer { targets in
                        factors.withUnsafeBufferPointer { factors in
                            if portable {
                                symmetricLayerRangePortable(p.baseAddress!, targets: targets, factors: factors, start: start, end: end)
                            } else {
                                symmetricLayerRange(p.baseAddress!, targets: targets, factors: factors, start: start, end: end)
                            }
                        }
                    }
                }
                // Outside the range nothing changes; inside it, the gates' product.
                var reference = state
                if start == 0 && end == call.freeCount {
                    reference = expected
                } else {
                    for free in start..<end {
                        let base = targets.sorted().reduce(free) { k, p in ((k >> p) << (p + 1)) | (k & ((1 << p) - 1)) }
                        let group = (0..<(1 << targets.count)).map { r in
                            (0..<targets.count).reduce(base) { r & (1 << $1) != 0 ? $0 | (1 << targets[$1]) : $0 }
                        }
                        for i in group { reference[i] = expected[i] }
                    }
                }
                var error = 0.0
                for i in 0..<(1 << n) {
                    let value = Complex(Double(ours[2 * i]), Double(ours[2 * i + 1]))
                    error = max(error, (value - reference[i]).length)
                }
                #expect(error < tolerance, "targets \(targets), range \(start)..<\(end), portable \(portable): \(error)")
            }
        }
    }

    @Test("a layer kernel equals its gates applied one pair at a time, both precisions, wide and portable")
    func layerKernel() {
        Self.layer(Double.self, tolerance: 1e-13)
        Self.layer(Float.self, tolerance: 2e-6)
    }

    /// The 2^k × 2^k matrix of a gate on `qubits` (matrix index bits in `qubits` order) embedded on
    /// the union `all` (ascending positions: bit j of the index is qubit all[j]).
    static func embedded(_ m: SmallMatrix, qubits: [Int], in all: [Int]) -> [[Complex<Double>]] {
        let d = 1 << all.count
        let index = qubits.map { q in all.firstIndex(of: q)! }
        var out = [[Complex<Double>]](repeating: [Complex<Double>](repeating: .zero, count: d), count: d)
        for r in 0..<d {
            for c in 0..<d {
                // The gate acts on its qubits; every other bit must agree.
                let outside = index.reduce(0) { $0 | (1 << $1) }
                guard r & ~outside == c & ~outside else { continue }
                let (gr, gc) = index.enumerated().reduce((0, 0)) { acc, e in
                    (acc.0 | (((r >> e.element) & 1) << e.offset), acc.1 | (((c >> e.element) & 1) << e.offset))
                }
                out[r][c] = m[gr, gc]
            }
        }
        return out
    }

    static func product(_ a: [[Complex<Double>]], _ b: [[Complex<Double>]]) -> [[Complex<Double>]] {
        let d = a.count
        return (0..<d).map { r in (0..<d).map { c in (0..<d).reduce(Complex<Double>.zero) { $0 + a[r][$1] * b[$1][c] } } }
    }

    static func unitary2(_ rng: inout SeededGenerator) -> SmallMatrix {
        let (theta, phi, lambda, gamma) = (RandomCircuits.angle(&rng), RandomCircuits.angle(&rng), RandomCircuits.angle(&rng),
                                           RandomCircuits.angle(&rng))
        func e(_ a: Double) -> Complex<Double> { Complex(cos(a), sin(a)) }
        let (c, s) = (Complex(cos(theta / 2)), Complex(sin(theta / 2)))
        return SmallMatrix(dimension: 2, entries: [e(gamma) * c, -e(gamma + lambda) * s, e(gamma + phi) * s, e(gamma + phi + lambda) * c])
    }

    @Test("phases around a core rebuild the gate: one-qubit unitaries and multiplexed two- and three-qubit gates")
    func splitRebuilds() throws {
        var rng = SeededGenerator(seed: 405)
        func check(_ structure: GateStructure, qubits: [Int]) throws {
            let split = try #require(SymmetricLayer.split(structure, qubits: qubits))
            let all = qubits.sorted()
            var m = Self.embedded(SmallMatrix(dimension: 2, entries: split.core.entries), qubits: [split.active], in: all)
            for (side, first) in [(split.before, false), (split.after, true)] {
                guard case .diagonal(let s, let q)? = side else { continue }
                let d = Self.embedded(s.target, qubits: q, in: all)
                m = first ? Self.product(d, m) : Self.product(m, d)
            }
            let expected = Self.embedded(structure.target, qubits: qubits, in: all)
            let error = zip(m, expected).flatMap { zip($0, $1).map { ($0 - $1).length } }.max() ?? 1
            #expect(error < 1e-12, "\(structure.target.entries): \(error)")
            // The core is X-symmetric with real diagonal and imaginary off-diagonal entries.
            let core = split.core.entries
            #expect(core[0] == core[3] && core[1] == core[2] && core[0].imaginary == 0 && core[1].real == 0)
        }
        for _ in 0..<40 {
            try check(GateStructure(numControls: 0, target: Self.unitary2(&rng)), qubits: [3])
        }
        // A mixer after (or before) a cost layer's ZZ phases: RX(β) on qubit 2 times diag on (2, 5),
        // and on three qubits (2, 5, 7); the held qubits may come first in the gate's order.
        for _ in 0..<10 {
            let beta = RandomCircuits.angle(&rng)
            let rx = SmallMatrix(dimension: 2, entries: [Complex(cos(beta / 2)), Complex(0, -sin(beta / 2)),
                                                         Complex(0, -sin(beta / 2)), Complex(cos(beta / 2))])
            let u = Self.unitary2(&rng)
            let core = SmallMatrix(dimension: 2, entries: Self.product([[u[0, 0], u[0, 1]], [u[1, 0], u[1, 1]]],
                                                                        [[rx[0, 0], rx[0, 1]], [rx[1, 0], rx[1, 1]]]).flatMap { $0 })
            for qubits in [[2, 5], [5, 2], [2, 5, 7], [7, 2, 5]] {
                let phases = (0..<(1 << qubits.count)).map { _ in Complex(cos(RandomCircuits.angle(&rng)), sin(RandomCircuits.angle(&rng))) }
                    .map { $0 / Complex($0.length) }
                let diagonal = Self.embedded(.diagonal(phases), qubits: qubits, in: qubits.sorted())
                let active = Self.embedded(core, qubits: [2], in: qubits.sorted())
                for order in [false, true] {
                    let full = order ? Self.product(diagonal, active) : Self.product(active, diagonal)
                    // Back into the gate's own index order.
                    let sorted = qubits.sorted()
                    let d = full.count
                    let map = (0..<d).map { g in
                        qubits.enumerated().reduce(0) { g & (1 << $1.offset) != 0 ? $0 | (1 << sorted.firstIndex(of: $1.element)!) : $0 }
                    }
                    let entries = (0..<d).flatMap { r in (0..<d).map { c in full[map[r]][map[c]] } }
                    try check(GateStructure(numControls: 0, target: SmallMatrix(dimension: d, entries: entries)), qubits: qubits)
                }
            }
        }
        // Near misses stay whole: parts with cores that differ by 1e-9, and a controlled gate.
        let a = 0.7, b = 0.7 + 1e-9
        let near = SmallMatrix(dimension: 4, entries: [
            Complex(cos(a / 2)), Complex(0, -sin(a / 2)), .zero, .zero,
            Complex(0, -sin(a / 2)), Complex(cos(a / 2)), .zero, .zero,
            .zero, .zero, Complex(cos(b / 2)), Complex(0, -sin(b / 2)),
            .zero, .zero, Complex(0, -sin(b / 2)), Complex(cos(b / 2)),
        ])
        #expect(SymmetricLayer.split(GateStructure(numControls: 0, target: near), qubits: [1, 2]) == nil)
        #expect(SymmetricLayer.split(GateStructure(numControls: 1, target: Self.unitary2(&rng)), qubits: [0, 3]) == nil)
        #expect(SymmetricLayer.split(GateStructure(numControls: 0, target: .diagonal([.one, Complex(0, 1)])), qubits: [3]) == nil)
        // A matrix within rounding of symmetric is grouped; one 1e-9 away is not.
        var m = Matrix2<Double>(SmallMatrix(dimension: 2, entries: [Complex(0.6), Complex(0, -0.8), Complex(0, -0.8), Complex(0.6)]))
        #expect(SymmetricLayer.isSymmetric(m))
        m.m11r += 1e-9
        #expect(!SymmetricLayer.isSymmetric(m))
    }

    @Test("QAOA and one-qubit layers run as layer kernels in blocked passes and give the reference state",
          arguments: [Precision.double, .single])
    func blockedCircuits(precision: Precision) throws {
        var rng = SeededGenerator(seed: 406)
        let n = 12
        let angles = (0..<6).map { _ in RandomCircuits.angle(&rng) }
        var layers = QuantumCircuit(numQubits: n)
        for _ in 0..<3 {
            for q in 0..<n { layers.u(RandomCircuits.angle(&rng), RandomCircuits.angle(&rng), RandomCircuits.angle(&rng), q) }
            for q in 0..<n { layers.rx(RandomCircuits.angle(&rng), q) }
            for q in stride(from: 0, to: n - 1, by: 2) { layers.rzz(RandomCircuits.angle(&rng), q, q + 1) }
        }
        // rz·sx·rz on every qubit (a transpiled u) between CZ rings.
        var czLayers = QuantumCircuit(numQubits: n)
        for _ in 0..<3 {
            for q in 0..<n {
                czLayers.rz(RandomCircuits.angle(&rng), q)
                czLayers.sx(q)
                czLayers.rz(RandomCircuits.angle(&rng), q)
            }
            for q in 0..<n { czLayers.cz(q, (q + 1) % n) }
        }
        let qaoa = QuantumBenchmark.qaoaRing(numQubits: n, gammas: Array(angles[0..<3]), betas: Array(angles[3..<6]))
        for (name, circuit, expectsLayers) in [("qaoa", qaoa, true), ("cz layers", czLayers, false), ("u, rx, rzz", layers, false)] {
            var prepared = QuantumCircuit(numQubits: n)
            RandomCircuits.prepareGenericState(&prepared, &rng)
            let full = try prepared.compose(circuit)
            let expected = try ReferenceSimulator.statevector(of: full)
            let plan = try ExecutionPlan(circuit: full, fusion: true, maxFusedQubits: 5)
            func layered<Real: StateScalar>(_: Real.Type) throws -> Int {
                let program: [Executable<Real>] = try plan.program(plan.steps.indices, values: [:], blockQubits: 10)
                return program.reduce(0) { total, executable in
                    guard case .pass(let pass) = executable else { return total }
                    return total + pass.operations.filter { operation in
                        guard case .gate(let gate) = operation, case .symmetricLayer? = gate.calls.first??.operation else { return false }
                        return true
                    }.count
                }
            }
            var simulator = Simulator(precision: precision, threads: 2)
            simulator.blockQubits = 10
            if precision == .double {
                #expect(try layered(Double.self) > 0 || !expectsLayers, "\(name): no layer kernel")
                let ours = try simulator.statevector(full).amplitudes
                #expect(Distance.max(ours, expected) < doubleTolerance, "\(name)")
            } else {
                #expect(try layered(Float.self) > 0 || !expectsLayers, "\(name): no layer kernel")
                let ours = try simulator.statevector(full, as: Float.self).amplitudes
                #expect(Distance.max(ours.map { Complex(Double($0.real), Double($0.imaginary)) }, expected) < floatTolerance)
            }
        }
    }
}
