import ArgumentParser
import Foundation
import Verdant

/// `--precision double|single`.
enum PrecisionOption: String, ExpressibleByArgument, CaseIterable {
    case double, single
    var precision: Precision { self == .double ? .double : .single }
}

/// `verdant run FILE.qasm`: simulate a circuit, print counts, the state vector or probabilities.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate an OpenQASM 2.0 circuit: counts, state vector, probabilities.",
        discussion: """
            Counts are printed when the circuit measures; --statevector and --probabilities show the \
            state before the final measurements. Bit order is Qiskit's: the highest classical bit is \
            leftmost, and amplitude index bit 0 is qubit 0. Under mpirun (built with --traits MPI) rank 0 \
            simulates and prints, and the other ranks exit at once: the state is not split across ranks.
            """
    )

    @Argument(help: "The OpenQASM 2.0 file ('-' reads standard input).")
    var file: String

    @Option(help: "Shots to sample (at least 1).")
    var shots: Int = 1024

    @Option(help: "Seed for sampling; the same seed gives the same counts on every machine.")
    var seed: UInt64?

    @Flag(help: "Print the state vector (JSON key 'statevector': [re, im] pairs).")
    var statevector = false

    @Flag(help: "Print the probability of each basis state (JSON key 'probabilities').")
    var probabilities = false

    @Flag(help: "Keep each shot's outcome (JSON key 'memory').")
    var memory = false

    @Option(help: "Amplitude precision: double or single.")
    var precision: PrecisionOption = .double

    @Option(help: "Threads for the simulator (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("max-memory"), help: "Refuse states larger than this (e.g. 8G, 512M).")
    var maxMemory: String?

    @Flag(name: .customLong("no-fusion"), help: "Apply every gate separately (no gate fusion).")
    var noFusion = false

    @Flag(help: "Print machine-readable JSON on standard output.")
    var json = false

    @Flag(name: .shortAndLong, help: "Report what gate fusion and cache blocking did (gates, kernels, passes, sweeps saved).")
    var verbose = false

    @OptionGroup(title: "Energy options")
    var energy: EnergyOptions

    func validate() throws {
        guard shots >= 1 else { throw ValidationError("--shots must be at least 1, received \(shots)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, received \(threads)") }
    }

    func run() throws {
        // One simulation per job: under mpirun, rank 0 alone runs (N copies of the same state
        // would cost N times the energy for the same counts).
        let world = try Distributed.world()
        guard world.rank == 0 else { return }
        if world.size > 1 {
            let others = world.size == 2 ? "the other rank exits" : "the other \(world.size - 1) ranks exit"
            printNote("note: verdant run simulates on rank 0 only; \(others)")
        }
        let meter = try energy.start()
        let circuit: QuantumCircuit
        if file == "-" {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard let text = String(data: data, encoding: .utf8) else {
                throw CLIError.usage("standard input is not UTF-8 text")
            }
            circuit = try QuantumCircuit(qasm: text, file: "<stdin>")
        } else {
            circuit = try QuantumCircuit(qasmFile: file)
        }
        var simulator = Simulator(precision: precision.precision, threads: threads,
                                  maxMemoryBytes: try maxMemory.map(parseBytes), fusion: !noFusion)
        let bar = ProgressBar("simulating")
        simulator.progress = { done, total in bar.update(done, total) }
        defer { bar.finish() }

        let measures = circuit.countOps()["measure", default: 0] > 0
        let showState = statevector || probabilities || !measures
        var members: [(String, JSON)] = [
            ("file", .string(file)), ("qubits", .integer(circuit.numQubits)), ("clbits", .integer(circuit.numClbits)),
            ("precision", .string(precision.rawValue)), ("threads", .integer(threads ?? Simulator.defaultThreads)),
        ]
        var lines: [String] = []
        var seconds = 0.0
        let execution = try simulator.compile(circuit.removingFinalMeasurements()).execution
        members.append(("execution", .object([
            ("gates", .integer(execution.gates)), ("kernels", .integer(execution.kernels)),
            ("passes", .integer(execution.passes)), ("sweeps", .integer(execution.sweeps)),
            ("sweeps_saved", .integer(execution.sweepsSaved)), ("block_qubits", .integer(execution.blockQubits)),
        ])))
        if verbose { printNote("fusion: \(execution)") }

        if measures {
            let result = try simulator.run(circuit, shots: shots, seed: seed, memory: memory)
            bar.finish()
            seconds += result.seconds
            members += [
                ("shots", .integer(shots)), ("seed", .string(String(result.seed))),
                ("gates", .integer(result.gateCount)), ("kernel_calls", .integer(result.kernelCount)),
                ("sampled_from_final_state", .bool(result.sampledFromFinalState)),
                ("state_bytes", .integer(result.stateBytes)),
                ("counts", .object(result.counts.sorted { $0.key < $1.key }.map { ($0.key, .integer($0.value)) })),
            ]
            if let outcomes = result.memory { members.append(("memory", .array(outcomes.map { .string($0) }))) }
            let rows = result.counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map {
                [$0.key, String($0.value), String(format: "%.4f", Double($0.value) / Double(shots))]
            }
            lines.append("counts (\(shots) shots, seed \(result.seed)):")
            lines.append(Format.table(["outcome", "count", "frequency"], rows))
            let method = result.sampledFromFinalState ? "sampled once from the final state" : "simulated shot by shot (mid-circuit measurement, reset or conditions)"
            lines.append("\(result.gateCount) gates in \(result.kernelCount) kernel calls; \(method)")
            lines.append("state \(Format.bytes(result.stateBytes)) (\(precision.rawValue) precision) · time \(Format.seconds(result.seconds))")
        }

        if showState {
            let unitary = circuit.removingFinalMeasurements()
            let notUnitary = statevector || probabilities
                ? "\(file): --statevector and --probabilities need a circuit whose measurements all come at the end; "
                    + "this one has mid-circuit measurement, reset or conditioned gates (counts work: drop the flag)"
                : "\(file): the circuit measures nothing, so its final state is shown, but it has a reset after a gate "
                    + "(a state that is not one pure state): add measurements to get counts"
            if unitary.instructions.contains(where: { $0.condition != nil || $0.operation == .measure }) {
                throw CLIError.usage(notUnitary)
            }
            let start = Date()
            let stateLines: [String]
            let stateMembers: [(String, JSON)]
            do {
                // A reset before a qubit is used is dropped; any other reset makes the simulator refuse.
                switch precision {
                case .double:
                    (stateLines, stateMembers) = try describeState(try simulator.statevector(unitary, as: Double.self), includeBytes: !measures)
                case .single:
                    (stateLines, stateMembers) = try describeState(try simulator.statevector(unitary, as: Float.self), includeBytes: !measures)
                }
            } catch QuantumError.invalidState {
                throw CLIError.usage(notUnitary)
            }
            bar.finish()
            seconds += Date().timeIntervalSince(start)
            if !measures && !statevector && !probabilities {
                lines.append("the circuit measures nothing; showing probabilities (use --statevector for amplitudes)")
            }
            lines += stateLines
            members += stateMembers
            if !measures {
                lines.append("state \(Format.bytes(circuit.numQubits >= 0 ? (precision == .double ? 16 : 8) << circuit.numQubits : 0)) "
                             + "(\(precision.rawValue) precision) · time \(Format.seconds(seconds))")
            }
        }
        members.append(("seconds", .number(seconds)))
        if json {
            JSON.object(members).print()
        } else {
            print(lines.joined(separator: "\n"))
        }
        try energy.finish(meter, label: "verdant run \(file)")
    }

    /// The state's rows and JSON members, as the flags ask.
    private func describeState<Real: StateScalar>(_ state: StateVector<Real>, includeBytes: Bool) throws -> ([String], [(String, JSON)]) {
        var lines: [String] = []
        // `state_bytes` is already there when the circuit measures.
        var members: [(String, JSON)] = includeBytes ? [("state_bytes", .integer(state.memoryBytes))] : []
        let showProbabilities = probabilities || !statevector
        let limit = 64
        if statevector {
            members.append(("statevector", .lazyArray(count: state.count) { i in
                let a = state[i]
                return .array([.number(Double(a.real)), .number(Double(a.imaginary))])
            }))
            if !json {
                // Read in place: a copy of the amplitudes would break --max-memory.
                let (leading, nonzero) = state.leadingNonzeroAmplitudes(limit: limit)
                let rows = leading.map { entry in
                    [bits(entry.index, state.numQubits), String(format: "%+.10f", entry.amplitude.real),
                     String(format: "%+.10f", entry.amplitude.imaginary) + "i"]
                }
                lines.append("state vector (\(state.numQubits) qubits, \(nonzero) nonzero amplitudes, \(Format.bytes(state.memoryBytes))):")
                lines.append(Format.table(["basis", "real", "imaginary"], rows))
                if nonzero > limit { lines.append("… \(nonzero - limit) more (use --json for all)") }
            }
        }
        if showProbabilities {
            let width = state.numQubits
            members.append(("probabilities", .lazyObject(count: state.count) { i in
                let p = Double(state[i].lengthSquared)
                return p > 1e-24 ? (Run.bits(i, width), .number(p)) : nil
            }))
            if !json {
                // The largest probabilities first, read in place (no 2^n copy, so --max-memory holds).
                let (top, nonzero) = state.largestProbabilities(limit: limit)
                lines.append("probabilities (\(nonzero) nonzero):")
                lines.append(Format.table(["basis", "probability"], top.map { [bits($0.index, width), String(format: "%.10f", $0.probability)] }))
                if nonzero > limit { lines.append("… \(nonzero - limit) more (use --json for all)") }
            }
        }
        return (lines, members)
    }

    private func bits(_ index: Int, _ width: Int) -> String { Run.bits(index, width) }

    static func bits(_ index: Int, _ width: Int) -> String {
        String((0..<width).reversed().map { index & (1 << $0) != 0 ? "1" : "0" })
    }
}
