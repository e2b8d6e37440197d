import Foundation

/// A circuit with its noise model's errors placed: the one place that decides where errors go
/// (after a gate or reset, before a measurement, under the instruction's condition), shared by the
/// density-matrix and trajectory methods.
struct NoisyProgram: Sendable {
    enum Step: Sendable {
        /// A gate of the circuit (identity gates kept: their errors still apply).
        case gate(Gate, qubits: [Int], condition: Condition?)
        /// A noise channel on qubits (in the instruction's argument order).
        case channel(QuantumChannel, qubits: [Int], condition: Condition?)
        /// A measurement, with the readout error of its qubit.
        case measure(qubit: Int, clbit: Int, readout: ReadoutError?, condition: Condition?)
        /// A reset to |0⟩.
        case reset(qubit: Int, condition: Condition?)
        /// A barrier (stops gate fusion).
        case barrier(qubits: [Int])
    }

    let numQubits: Int
    let numClbits: Int
    let steps: [Step]
    /// The circuit's free parameters (sorted by name).
    let parameters: [Parameter]
    /// Instruction names (with counts) that ran without any error, for reports.
    let idealInstructions: [String: Int]
    /// Instruction names (with counts) that carried an error.
    let noisyInstructions: [String: Int]
    /// Whether every measurement is terminal, nothing is conditioned and nothing reset: then one
    /// final state vector gives every shot of a noiseless circuit.
    let measuresAtEnd: Bool
    /// Whether a measured qubit is used again (a mid-circuit measurement).
    let hasMidCircuitMeasurement: Bool
    /// Whether the circuit has a condition on classical bits.
    let hasConditions: Bool
    /// Whether the circuit resets a qubit.
    let hasResets: Bool
    /// (qubit, clbit, readout) of every measurement in order.
    let measurements: [(qubit: Int, clbit: Int, readout: ReadoutError?)]
    /// The classical registers, for formatting counts.
    let classicalRegisters: [ClassicalRegister]

    /// Places the model's errors in a circuit (angles may be free parameters: errors never depend on them).
    /// - Throws: the circuit's validation errors.
    init(circuit: QuantumCircuit, noise: NoiseModel) throws {
        try circuit.validate()
        parameters = circuit.parameters
        numQubits = circuit.numQubits
        numClbits = circuit.numClbits
        classicalRegisters = circuit.classicalRegisters
        var steps: [Step] = []
        var ideal: [String: Int] = [:], noisy: [String: Int] = [:]
        var measured = Set<Int>()
        var midCircuit = false
        var resets = false
        var conditions = false
        var measurements: [(Int, Int, ReadoutError?)] = []
        for instruction in circuit.instructions {
            let qubits = instruction.qubits
            let condition = instruction.condition
            if condition != nil { conditions = true }
            if instruction.operation != .barrier, qubits.contains(where: measured.contains) { midCircuit = true }
            let error = instruction.operation == .barrier ? nil : noise.error(for: instruction.operation.name, on: qubits)
            if instruction.operation != .barrier {
                if error != nil { noisy[instruction.operation.name, default: 0] += 1 } else { ideal[instruction.operation.name, default: 0] += 1 }
            }
            switch instruction.operation {
            case .barrier:
                steps.append(.barrier(qubits: qubits))
            case .gate(let gate):
                steps.append(.gate(gate, qubits: qubits, condition: condition))
                if let error { steps.append(.channel(error, qubits: qubits, condition: condition)) }
            case .measure:
                if let error { steps.append(.channel(error, qubits: qubits, condition: condition)) }
                let readout = noise.readoutError(forQubit: qubits[0])
                steps.append(.measure(qubit: qubits[0], clbit: instruction.clbits[0], readout: readout, condition: condition))
                measurements.append((qubits[0], instruction.clbits[0], readout))
                measured.insert(qubits[0])
            case .reset:
                resets = true
                steps.append(.reset(qubit: qubits[0], condition: condition))
                if let error { steps.append(.channel(error, qubits: qubits, condition: condition)) }
            }
        }
        self.steps = steps
        idealInstructions = ideal
        noisyInstructions = noisy
        measuresAtEnd = !midCircuit && !conditions && !resets
        hasMidCircuitMeasurement = midCircuit
        hasConditions = conditions
        hasResets = resets
        self.measurements = measurements
    }

    /// For each step, whether it is a measurement that can be sampled from the final state of a
    /// trajectory (deferred to the leaves): nothing after it touches its qubit, writes its bit
    /// again or reads its bit in a condition. The trajectory engines (one node and split) share it.
    var deferrableMeasurements: [Bool] {
        var deferrable = [Bool](repeating: false, count: steps.count)
        var touchedQubits = Set<Int>(), writtenBits = Set<Int>(), readBits = Set<Int>()
        for (i, step) in steps.enumerated().reversed() {
            switch step {
            case .measure(let q, let c, _, let condition):
                deferrable[i] = condition == nil && !touchedQubits.contains(q) && !writtenBits.contains(c) && !readBits.contains(c)
                touchedQubits.insert(q)
                writtenBits.insert(c)
                if let condition { readBits.formUnion(condition.clbits) }
            case .gate(_, let qubits, let condition), .channel(_, let qubits, let condition):
                touchedQubits.formUnion(qubits)
                if let condition { readBits.formUnion(condition.clbits) }
            case .reset(let q, let condition):
                touchedQubits.insert(q)
                if let condition { readBits.formUnion(condition.clbits) }
            case .barrier:
                break
            }
        }
        return deferrable
    }

    /// Whether any step is a channel whose branch depends on the state, or a reset (so a pure
    /// state does not stay pure).
    var hasChannels: Bool { steps.contains { if case .channel = $0 { true } else { false } } }

    /// Formats classical bits as Qiskit's counts key: registers last-added first, separated by
    /// spaces, each with its highest bit first.
    func countsKey(_ bits: [UInt8]) -> String { classicalRegisters.countsKey(bits) }

    /// The exact distribution of recorded counts keys when the qubits' outcome probabilities are
    /// `probabilities` (bit j of an index is qubit j) and every measurement is terminal: each
    /// measured bit goes through its readout error's assignment matrix.
    func recordedDistribution(_ probabilities: [Double]) -> [String: Double] {
        var result: [String: Double] = [:]
        for (index, p) in probabilities.enumerated() where p > 0 {
            // (clbit values, weight) pairs after each measurement's readout.
            var branches: [([UInt8], Double)] = [([UInt8](repeating: 0, count: numClbits), p)]
            for m in measurements {
                let value = (index >> m.qubit) & 1
                var next: [([UInt8], Double)] = []
                for (bits, w) in branches {
                    for recorded in 0...1 {
                        let a = m.readout.map { $0.probabilities[value][recorded] } ?? (recorded == value ? 1 : 0)
                        guard a > 0 else { continue }
                        var b = bits
                        b[m.clbit] = UInt8(recorded)
                        next.append((b, w * a))
                    }
                }
                branches = next
            }
            for (bits, w) in branches { result[countsKey(bits), default: 0] += w }
        }
        return result
    }

    /// The counts keys of a trajectory's shots: each basis index (bit j: qubit j) of its final
    /// state recorded into `bits` by the deferred measurements, through their readout errors (one
    /// uniform each). Both trajectory engines (one node and split) read their leaves with it.
    func leafKeys(_ indices: [Int], bits start: [UInt8], deferred: [(qubit: Int, clbit: Int, readout: ReadoutError?)],
                  rng: inout SeededGenerator) -> [String]
    {
        var keys: [String] = []
        keys.reserveCapacity(indices.count)
        var bits = start
        for index in indices {
            for m in deferred {
                let value = (index >> m.qubit) & 1
                bits[m.clbit] = UInt8(m.readout.map { $0.record(value, uniform: rng.nextUniform()) } ?? value)
            }
            keys.append(countsKey(bits))
        }
        return keys
    }

    /// Counts (empty when nothing is measured) and, with `memory`, every shot's key: the leaves in
    /// seed order, then shuffled with the run's seed, so neither depends on the order the leaves ran in.
    func counts(of leaves: [TrajectoryEngine.Leaf], seed: UInt64, memory: Bool) -> (counts: [String: Int], memory: [String]?) {
        var counts: [String: Int] = [:]
        for leaf in leaves { for key in leaf.keys ?? [] { counts[key, default: 0] += 1 } }
        if measurements.isEmpty { counts = [:] }
        guard memory else { return (counts, nil) }
        var all = leaves.sorted { $0.seed < $1.seed }.flatMap { $0.keys ?? [] }
        var rng = SeededGenerator(seed: seed ^ 0x6D65_6D6F_7279)
        all.shuffle(using: &rng)
        return (counts, all)
    }

    /// Counts from outcome indices of the measured qubits at the end (bit j of an index is qubit
    /// j), each measurement recorded through its readout error with one uniform per measurement.
    func terminalCounts(_ indices: [Int], rng: inout SeededGenerator, memory: Bool) -> (counts: [String: Int], memory: [String]?) {
        var counts: [String: Int] = [:]
        var outcomes: [String]? = memory ? [] : nil
        var bits = [UInt8](repeating: 0, count: numClbits)
        let noisyReadout = measurements.contains { $0.readout != nil }
        var cache: [Int: String] = [:]
        for index in indices {
            let key: String
            if !noisyReadout, let known = cache[index] {
                key = known
            } else {
                for i in bits.indices { bits[i] = 0 }
                for m in measurements {
                    let value = (index >> m.qubit) & 1
                    bits[m.clbit] = UInt8(m.readout.map { $0.record(value, uniform: rng.nextUniform()) } ?? value)
                }
                key = countsKey(bits)
                if !noisyReadout { cache[index] = key }
            }
            counts[key, default: 0] += 1
            outcomes?.append(key)
        }
        return (counts, outcomes)
    }
}
