import Communication
import ComplexModule
import Foundation
import Testing
import _TestSupport
@testable import Quantum

// Expectation values and adjoint gradients on a split state, against the one-rank simulator, the
// dense reference simulator (ReferenceSimulator: Pauli letters applied one by one, no bit masks) and
// central finite differences of that reference; on in-process groups of 2 and 4 ranks and, through
// QuantumWorldTests, under mpirun -np 2 and 4.

/// The checks written once and run on any communicator (every rank computes the oracles itself).
enum DistributedObservableChecks {
    /// Pauli strings that put X, Y and Z on every qubit in turn, alone and among random letters
    /// (the plan's final layout decides which positions are global, so every qubit gets every
    /// letter), the highest qubit first; strings of one letter everywhere; random strings.
    static func observables(qubits n: Int, seed: UInt64) -> [[(String, Double)]] {
        var rng = SeededGenerator(seed: seed)
        func randomLetters() -> [Character] { (0..<n).map { _ in Array("IXYZ")[Int(rng.next() % 4)] } }
        var sums: [[(String, Double)]] = []
        for g in stride(from: n - 1, through: 0, by: -1) {
            var sum: [(String, Double)] = []
            for letter in "XYZ" {
                var letters = randomLetters()
                letters[n - 1 - g] = letter  // labels: the leftmost letter is the highest qubit
                sum.append((String(letters), rng.nextUniform() * 2 - 1))
                var alone = [Character](repeating: "I", count: n)
                alone[n - 1 - g] = letter
                sum.append((String(alone), rng.nextUniform() * 2 - 1))
            }
            sums.append(sum)
        }
        sums.append("XYZ".map { (String(repeating: $0, count: n), 0.5) })
        sums.append((0..<4).map { _ in (String(randomLetters()), rng.nextUniform() * 2 - 1) })
        return sums
    }

    /// A gradient circuit whose gates with free parameters fit a rank of `localQubits` qubits.
    static func gradientCircuit(qubits n: Int, gates: Int, localQubits l: Int, parameters: [Parameter], seed: UInt64) throws
        -> QuantumCircuit
    {
        var rng = SeededGenerator(seed: seed)
        let drawn = try GradientFixtures.circuit(qubits: n, gates: gates, parameters: parameters, &rng)
        var circuit = QuantumCircuit(numQubits: n)
        for instruction in drawn.instructions where CompiledCircuit.differentiatedQubits(instruction).count <= l {
            circuit.appendResolved(instruction)
        }
        return circuit
    }

    /// Expectation values equal one rank's to 1e-12 and the dense reference's to 1e-10; Jacobians
    /// equal the one-rank adjoint Jacobian to 1e-12 and finite differences of the reference to 1e-6.
    static func all(_ comm: any Communicator, bufferBytes: Int = 48) throws {
        let k = comm.size.trailingZeroBitCount
        let group = CommunicatorRanks(comm)
        for seed in 0..<3 {
            let n = 5 + seed % 2
            guard n - 2 >= k else { continue }
            // The first circuit of the seeds from 900 + seed whose gates fit a rank.
            var draw = UInt64(900 + seed)
            var circuit = try randomCircuit(qubits: n, gates: 40, seed: draw)
            while widest(circuit) > n - k {
                draw += 100
                circuit = try randomCircuit(qubits: n, gates: 40, seed: draw)
            }
            let terms = observables(qubits: n, seed: UInt64(seed))
            let sums = try terms.map { try PauliSum($0) }
            let compiled = try smallBlocks().compile(circuit)
            let oneRank = try compiled.expectations(sums, binding: [:])
            let state = try ReferenceSimulator.statevector(of: circuit)
            let reference = terms.map { ReferenceSimulator.expectation($0, in: state) }
            let split = try compiled.distributedExpectations(sums, binding: [:], group: group, bufferBytes: bufferBytes, as: Double.self)
            #expect(FiniteDifference.maxDifference(split.values, oneRank) < 1e-12, "\(n) qubits on \(comm.size) ranks")
            #expect(FiniteDifference.maxDifference(split.values, reference) < 1e-10)
        }

        let parameters = [Parameter("a"), Parameter("b"), Parameter("c")]
        for seed in 0..<2 {
            let n = 5
            let circuit = try gradientCircuit(qubits: n, gates: 24, localQubits: n - k, parameters: parameters, seed: UInt64(40 + seed))
            let terms = observables(qubits: n, seed: UInt64(70 + seed))
            let sums = try terms.map { try PauliSum($0) }
            let compiled = try smallBlocks().compile(circuit)
            let values = [0.3 + Double(seed), -0.7, 1.1]
            let binding = try compiled.binding(values)
            let oneRank = try compiled.gradient(of: sums, values: values)
            let split = try compiled.distributedGradient(sums, binding: binding, group: group, bufferBytes: bufferBytes, as: Double.self)
            #expect(FiniteDifference.maxDifference(split.values, oneRank.values) < 1e-12)
            #expect(FiniteDifference.maxDifference(split.jacobian, oneRank.jacobian) < 1e-12, "seed \(seed) on \(comm.size) ranks")
            let differences = try FiniteDifference.jacobian({ try GradientFixtures.reference(circuit, terms, values: $0) }, at: values)
            #expect(FiniteDifference.maxDifference(split.jacobian, differences) < 1e-6)
            // The parameter shift on the split state (angles whose generator has two eigenvalues only).
            var shiftable = QuantumCircuit(numQubits: n)
            for instruction in circuit.instructions {
                if case .gate(let gate) = instruction.operation, !gate.freeParameters.isEmpty,
                   [.crx, .cry, .crz, .cu, .cu3].contains(gate.kind) { continue }
                shiftable.appendResolved(instruction)
            }
            let shiftCompiled = try smallBlocks().compile(shiftable)
            let shiftBinding = try shiftCompiled.binding(values)
            let shiftOne = try shiftCompiled.gradient(of: sums, binding: shiftBinding, method: .parameterShift)
            let shiftSplit = try shiftCompiled.distributedParameterShift(sums, binding: shiftBinding, group: group, bufferBytes: bufferBytes)
            #expect(FiniteDifference.maxDifference(shiftSplit.values, shiftOne.values) < 1e-12)
            #expect(FiniteDifference.maxDifference(shiftSplit.jacobian, shiftOne.jacobian) < 1e-12, "shift, seed \(seed) on \(comm.size) ranks")
            let shiftDifferences = try FiniteDifference.jacobian({ try GradientFixtures.reference(shiftable, terms, values: $0) }, at: values)
            #expect(FiniteDifference.maxDifference(shiftSplit.jacobian, shiftDifferences) < 1e-6)
            #expect(shiftSplit.jacobian.joined().contains { abs($0) > 1e-3 }, "a Jacobian that is not all zero")
        }
    }
}

@Suite("Distributed expectation values and gradients (in-process rank groups against one rank)")
struct DistributedObservableTests {
    @Test("the shared checks on in-process groups of 2 and 4 ranks", arguments: [2, 4])
    func sharedChecks(ranks: Int) throws {
        _ = try LocalCommunicator.run(ranks: ranks) { comm in try DistributedObservableChecks.all(comm) }
    }

    @Test("a term with X or Y on global qubits moves one slice per pair of ranks, in pieces; Z on global qubits moves nothing")
    func exchangesPerGroup() throws {
        let n = 6
        // Qubit 5 is made local for its gates, then global again for the gates on 0…4 (it is the
        // one not needed any more), so it ends global on 2 ranks.
        var circuit = QuantumCircuit(numQubits: n)
        circuit.h(5); circuit.ry(0.4, 5)
        for q in 0..<5 { circuit.h(q); circuit.ry(0.3 * Double(q + 1), q) }
        for q in 0..<4 { circuit.cx(q, q + 1) }
        circuit.cz(4, 5)
        let compiled = try Simulator().compile(circuit)
        let plan = try DistributedPlan(numQubits: n, globalQubits: 1, instructions: compiled.plan.instructions(droppingMeasurements: false),
                                       restoresLayout: false, mixing: ExecutionPlan.mixedQubits)
        try #require(plan.finalLayout[5] == 5)
        // No term flips a global bit: only the circuit's own remaps move data.
        let zOnly = try PauliSum("ZZIIII + 0.5*ZIIIIZ")
        // Three terms with X/Y on qubit 5 (global on 2 ranks) share one exchange.
        let crossing = try PauliSum("XIIIII + 0.5*YIIIIZ - XIIZZI")
        let results = try LocalCommunicator.run(ranks: 2) { comm in
            let group = CommunicatorRanks(comm)
            let plain = try compiled.distributedExpectations([zOnly], binding: [:], group: group, bufferBytes: 64, as: Double.self)
            let crossed = try compiled.distributedExpectations([crossing], binding: [:], group: group, bufferBytes: 64, as: Double.self)
            return (plain.statistics?.bytesSent ?? -1, crossed.statistics?.bytesSent ?? -1, crossed.values)
        }
        let slice = 16 << (n - 1)
        // Rank 1 sends its slice once for the three terms; rank 0 only receives.
        #expect(results[1].1 - results[1].0 == slice)
        #expect(results[0].1 == results[0].0)
        let expected = try compiled.expectations([crossing], binding: [:])
        #expect(FiniteDifference.maxDifference(results[0].2, expected) < 1e-12)
        #expect(results[1].2 == results[0].2)
    }

    @Test("single precision: expectation values within 1e-5, gradients within 1e-4 of double precision on 4 ranks")
    func singlePrecision() throws {
        let circuit = try randomCircuit(qubits: 6, gates: 40, seed: 12)
        let sums = try DistributedObservableChecks.observables(qubits: 6, seed: 5).map { try PauliSum($0) }
        let expected = try Simulator().compile(circuit).expectations(sums, binding: [:])
        let compiled = try Simulator(precision: .single).compile(circuit)
        let results = try LocalCommunicator.run(ranks: 4) { comm in
            try compiled.expectations(sums, distributedOver: comm)
        }
        for result in results { #expect(FiniteDifference.maxDifference(result.values, expected) < 1e-5) }
        // The gradient in single precision against the double-precision one-rank Jacobian.
        let parameters = [Parameter("a"), Parameter("b")]
        let differentiated = try DistributedObservableChecks.gradientCircuit(qubits: 6, gates: 20, localQubits: 4,
                                                                            parameters: parameters, seed: 3)
        let values = [0.4, -1.3]
        let oracle = try Simulator().compile(differentiated).gradient(of: sums, values: values)
        let single = try Simulator(precision: .single).compile(differentiated)
        let binding = try single.binding(values)
        let split = try LocalCommunicator.run(ranks: 4) { comm in try single.gradient(of: sums, binding: binding, distributedOver: comm) }
        for result in split {
            #expect(FiniteDifference.maxDifference(result.values, oracle.values) < 1e-4)
            #expect(FiniteDifference.maxDifference(result.jacobian, oracle.jacobian) < 1e-4)
        }
    }

    @Test("the public entry points: always splits; never and auto (when the state fits) leave it to rank 0")
    func modes() throws {
        let circuit = try randomCircuit(qubits: 5, gates: 30, seed: 8)
        let sums = [try PauliSum("XYZIX - 0.25*ZIIIZ")]
        let compiled = try Simulator().compile(circuit)
        let expected = try compiled.expectations(sums, binding: [:])
        for mode in DistributionMode.allCases {
            let results = try LocalCommunicator.run(ranks: 4) { comm in
                try compiled.expectations(sums, on: comm, distribution: mode)
            }
            #expect(FiniteDifference.maxDifference(try #require(results[0]).values, expected) < 1e-12, "\(mode)")
            if mode == .always {
                #expect(results.allSatisfy { $0?.statistics?.ranks == 4 })
            } else {
                #expect(results.dropFirst().allSatisfy { $0 == nil })
            }
        }
    }

    @Test("counts and expectation values from one simulation: the counts of a plain run, the values of the dense reference")
    func countsWithExpectations() throws {
        var circuit = try randomCircuit(qubits: 5, gates: 30, seed: 8)
        let terms = DistributedObservableChecks.observables(qubits: 5, seed: 3)
        let sums = try terms.map { try PauliSum($0) }
        let state = try ReferenceSimulator.statevector(of: circuit)
        let reference = terms.map { ReferenceSimulator.expectation($0, in: state) }
        circuit.measureAll()
        let compiled = try Simulator().compile(circuit)
        let counts = try compiled.run(shots: 500, seed: 6).counts
        for mode in [DistributionMode.always, .never] {
            let results = try LocalCommunicator.run(ranks: 4) { comm in
                try compiled.run(shots: 500, seed: 6, observing: sums, on: comm, distribution: mode)
            }
            let first = try #require(results[0])
            #expect(first.run.counts == counts, "\(mode)")
            #expect(FiniteDifference.maxDifference(try #require(first.expectations), reference) < 1e-12, "\(mode)")
            #expect((first.statistics != nil) == (mode == .always))
        }
        // A mid-circuit measurement has no one state to observe: refused before anything runs.
        var midCircuit = try randomCircuit(qubits: 5, gates: 10, seed: 8)
        midCircuit.add(ClassicalRegister(1, name: "m"))
        midCircuit.measure(0, 0)
        midCircuit.h(0)
        let refused = try Simulator().compile(midCircuit)
        #expect(throws: QuantumError.self) { try refused.run(shots: 10, seed: 1, observing: sums, on: LocalCommunicator(), distribution: .never) }
    }

    @Test("refusals on every rank: a measuring circuit, an observable of another width, a gate with parameters wider than a rank")
    func refusals() throws {
        var measured = QuantumCircuit(numQubits: 3)
        measured.add(ClassicalRegister(1, name: "c"))
        measured.h(2)
        measured.measure(2, 0)
        measured.h(0)
        let compiled = try Simulator().compile(measured)
        let sum = try PauliSum("ZZZ")
        let messages = try LocalCommunicator.run(ranks: 2) { comm in
            [Result { try compiled.expectations([sum], distributedOver: comm) }.error.map { "\($0)" } ?? "",
             Result { try compiled.gradient(of: [sum], binding: [:], distributedOver: comm) }.error.map { "\($0)" } ?? ""]
        }
        #expect(messages.allSatisfy { $0[0].contains("expectation values need a circuit of unitary gates only") })
        #expect(messages.allSatisfy { $0[1].contains("measure") })
        let wide = try Simulator().compile(QuantumCircuit.qft(numQubits: 3))
        let widths = try LocalCommunicator.run(ranks: 2) { comm in
            Result { try wide.expectations([try PauliSum("ZZ")], distributedOver: comm) }.error
        }
        for error in widths { #expect(error as? QuantumError == .observableWidth(received: 2, numQubits: 3)) }
        let theta = Parameter("θ")
        var controlled = QuantumCircuit(numQubits: 3)
        controlled.h(0)
        controlled.append(try Gate(.mcp(controls: 2), [theta]), [0, 1, 2])
        let mcp = try Simulator().compile(controlled)
        let gradients = try LocalCommunicator.run(ranks: 2) { comm in
            Result { try mcp.gradient(of: [sum], binding: [theta: 0.4], distributedOver: comm) }.error.map { "\($0)" } ?? ""
        }
        #expect(gradients.allSatisfy { $0.contains("has a free parameter and 3 qubits") && $0.contains("use at most 1 rank") })
    }

    @Test("memory: the gradient's check counts ψ and one λ per observable on every rank")
    func gradientMemory() throws {
        let theta = Parameter("θ")
        var circuit = QuantumCircuit(numQubits: 10)
        for q in 0..<10 { circuit.rx(theta, q) }
        var limited = Simulator()
        // 10 qubits on 2 ranks: 8 KiB slices. ψ + 2 λ + buffer = 32 KiB > 30 KiB ≥ ψ + 1 λ + buffer.
        limited.maxMemoryBytes = 30 << 10
        let compiled = try limited.compile(circuit)
        let one = [try PauliSum("ZIIIIIIIIZ")]
        let two = one + [try PauliSum("XIIIIIIIII")]
        let results = try LocalCommunicator.run(ranks: 2) { comm in
            (Result { try compiled.gradient(of: one, binding: [theta: 0.2], distributedOver: comm) }.error.map { "\($0)" },
             Result { try compiled.gradient(of: two, binding: [theta: 0.2], distributedOver: comm) }.error.map { "\($0)" } ?? "")
        }
        for (fits, refused) in results {
            #expect(fits == nil)
            #expect(refused.contains("on 2 ranks: each rank needs"))
        }
    }
}
