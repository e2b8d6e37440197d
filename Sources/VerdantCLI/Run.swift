import ArgumentParser
import Foundation
import Verdant

/// `--precision double|single`.
enum PrecisionOption: String, ExpressibleByArgument, CaseIterable {
    case double, single
    var precision: Precision { self == .double ? .double : .single }
}

/// `--distribute always|auto|never`.
extension DistributionMode: ExpressibleByArgument {}

/// `verdant run FILE.qasm`: simulate a circuit, print counts, the state vector or probabilities.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate an OpenQASM 2.0 circuit: counts, state vector, probabilities.",
        discussion: """
            Counts are printed when the circuit measures; --statevector and --probabilities show the \
            state before the final measurements. Bit order is Qiskit's: the highest classical bit is \
            leftmost, and amplitude index bit 0 is qubit 0. Under mpirun (built with --traits MPI) the state \
            is split across the ranks (a power of two) when it does not fit on one (--distribute auto), \
            always (--distribute always), or never (rank 0 simulates alone); rank 0 prints. --verbose shows \
            the layout, the remaps and the bytes exchanged. Noisy trajectories split the same way; when the \
            state fits one rank, each rank runs its share of the shots instead. The density-matrix method \
            runs on rank 0 (--distribute always refuses it).
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

    @Option(parsing: .unconditionalSingleValue, help: ArgumentHelp(
        "Print ⟨ψ|O|ψ⟩ of a Pauli sum on the state before the final measurements, e.g. '0.5*ZZI - XII' (one letter per "
            + "qubit, the leftmost on the highest); repeat for several (JSON key 'expectations'). Split across the ranks "
            + "as the state is. Under noise: Tr(ρO), exact with the density-matrix method, else the mean over --shots "
            + "trajectories with its standard error.", valueName: "pauli-sum"))
    var expectation: [String] = []

    @Option(help: "Amplitude precision: double or single.")
    var precision: PrecisionOption = .double

    @Option(help: "Threads for the simulator (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("max-memory"), help: "Refuse states larger than this (e.g. 8G, 512M); per rank when the state is split.")
    var maxMemory: String?

    @Flag(name: .customLong("no-fusion"), help: "Apply every gate separately (no gate fusion).")
    var noFusion = false

    @Option(help: "Under mpirun: split the state across the ranks 'always', when it does not fit on one rank ('auto'), or 'never'.")
    var distribute: DistributionMode = .auto

    @Flag(help: "Print machine-readable JSON on standard output.")
    var json = false

    @Flag(name: .shortAndLong, help: "Report what gate fusion and cache blocking did (kernels by form and size, passes, sweeps, flops).")
    var verbose = false

    @Flag(help: "Draw the top outcomes as a bar chart (instead of the counts table; on standard error with --json).")
    var histogram = false

    @OptionGroup(title: "Noise options")
    var noise: NoiseOptions

    @Option(help: ArgumentHelp("Noisy simulation method: auto (the cheaper; --verbose says why), density-matrix or trajectories.",
                               valueName: "method"))
    var method: SimulationMethod = .automatic

    @Flag(name: .customLong("density-matrix"), help: "Print the final density matrix (JSON key 'density_matrix': rows of [re, im] pairs).")
    var densityMatrix = false

    @Flag(help: "Replace the --write-noise and --energy-report files if they exist.")
    var force = false

    @OptionGroup(title: "Energy options")
    var energy: EnergyOptions

    func validate() throws {
        guard shots >= 1 else { throw ValidationError("--shots must be at least 1, received \(shots)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, received \(threads)") }
        if memory, !json { throw ValidationError("--memory keeps each shot's outcome in the JSON output (key 'memory'): add --json") }
        if densityMatrix, method == .trajectories {
            throw ValidationError("--density-matrix prints the density-matrix method's final state, and --method trajectories samples "
                                  + "pure states instead: drop one of them")
        }
    }

    func run() throws {
        // Every rank reads the circuit and takes part when the state is split; otherwise rank 0
        // simulates alone. Every rank measures its energy, and the report adds them; rank 0 alone
        // prints and writes files.
        let world = try Distributed.world()
        try Distributed.agreeOnSettings(rankSettings(of: self), over: world)
        let isRoot = world.rank == 0
        if isRoot {
            try checkDistinctFiles(outputs: [("--energy-report", energy.energyReport), ("--write-noise", noise.writeNoise)],
                                   inputs: [("the circuit", file), ("--noise", noise.noise)])
        }
        let meter = try energy.start(force: force, writesReport: isRoot)
        // The text is kept: a noisy run reads it again with native gates up to a global phase.
        let text: String, name: String, directory: String?
        if file == "-" {
            let data = FileHandle.standardInput.readDataToEndOfFile()
            guard let stdin = String(data: data, encoding: .utf8) else {
                throw CLIError.usage("standard input is not UTF-8 text")
            }
            (text, name, directory) = (stdin, "<stdin>", nil)
        } else {
            (text, name, directory) = (try QuantumCircuit.qasmText(ofFile: file), file, QuantumCircuit.includeDirectory(ofFile: file))
        }
        // Conditions on bits no measurement has written yet are decided (the bits are 0), as Aer runs them.
        let circuit = try QuantumCircuit(qasm: text, file: name, directory: directory).resolvingUnwrittenConditions()
        // Observables are read before anything runs, so bad text fails with no output.
        let observables = try expectation.map { try PauliSum($0) }
        for observable in observables where observable.numQubits != circuit.numQubits {
            throw QuantumError.observableWidth(received: observable.numQubits, numQubits: circuit.numQubits)
        }
        var simulator = Simulator(precision: precision.precision, threads: threads,
                                  maxMemoryBytes: try maxMemory.map(parseBytes), fusion: !noFusion)
        let model = try noise.model(force: force)
        if model != nil || method != .automatic || densityMatrix {
            // Under noise a global phase changes nothing, so Qiskit's `gate ecr …` (e^{iπ/4}·ECR in
            // OpenQASM 2) is read as ECR, as Aer reads it, and the model's ecr error applies.
            var circuit = try QuantumCircuit(qasm: text, file: name, directory: directory, nativeDefinitions: .upToGlobalPhase)
                .resolvingUnwrittenConditions()
            switch try noise.basis(fallback: .none) {
            case .none: break
            case .gates(let gates): circuit = try circuit.translated(toBasis: gates)
            case .automatic: if let gates = model?.basisNeeded(for: circuit) { circuit = try circuit.translated(toBasis: gates) }
            }
            // A circuit transpiled for a device names all its qubits but may act on a few: for
            // counts and expectation values only those are simulated, with the model and the
            // observables renumbered (an error acts on its instruction's qubits alone, so an
            // untouched qubit stays |0⟩ and unread, exactly).
            var model = model
            var observables = observables
            let declared = circuit.numQubits
            if circuit.countOps()["measure", default: 0] > 0 || !observables.isEmpty, !probabilities, !densityMatrix,
               let compact = try circuit.removingIdleQubits()
            {
                if verbose && isRoot {
                    printNote("\(file): \(declared - compact.circuit.numQubits) of its \(declared) qubits are idle "
                              + "(no gate, measurement or reset); simulating the other \(compact.circuit.numQubits), the noise model renumbered")
                }
                circuit = compact.circuit
                model = try model?.restricted(to: compact.qubits)
                observables = try observables.map { try $0.restricted(toQubits: compact.qubits) }
            }
            simulator.noise = model
            simulator.method = method == .automatic && model == nil ? .densityMatrix : method
            try runNoisy(circuit, declaredQubits: declared, observables: observables, simulator: simulator, world: world, meter: meter)
            return
        }
        let bar = ProgressBar("simulating")
        if isRoot { simulator.progress = { done, total in bar.update(done, total) } }
        defer { bar.finish() }

        let measures = circuit.countOps()["measure", default: 0] > 0
        if histogram, !measures {
            throw CLIError.usage("--histogram draws counts, and \(file) measures nothing: add measurements (or use --probabilities)")
        }
        let showState = statevector || probabilities || (!measures && observables.isEmpty)
        var members: [(String, JSON)] = [
            ("file", .string(file)), ("qubits", .integer(circuit.numQubits)), ("clbits", .integer(circuit.numClbits)),
            ("precision", .string(precision.rawValue)), ("threads", .integer(threads ?? Simulator.defaultThreads)),
        ]
        // A circuit transpiled for a device names every qubit of the device (127 on an IBM Eagle)
        // but may act on a few; counts are keyed by classical bits, so they need only those.
        var simulated = circuit
        if measures, !showState, observables.isEmpty, let compact = try circuit.removingIdleQubits() {
            simulated = compact.circuit
            members.append(("simulated_qubits", .integer(compact.circuit.numQubits)))
            if verbose && isRoot {
                printNote("\(file): \(circuit.numQubits - compact.circuit.numQubits) of its \(circuit.numQubits) qubits are idle "
                          + "(no gate, measurement or reset); simulating the other \(compact.circuit.numQubits)")
            }
        }
        var lines: [String] = []
        var seconds = 0.0
        // Each circuit is compiled (validated, fused, scheduled) once. The counts run's plan has the
        // same kernels as the circuit without its measurements when they are all final, so it gives
        // the summary then (SimulatorTests, "one compile per run", checks that the summaries agree).
        let countsCompiled = measures ? try simulator.compile(simulated) : nil
        // Without counts `simulated` is `circuit` (idle qubits are dropped only for counts).
        var unitaryCompiled: CompiledCircuit?
        func compiledUnitary() throws -> CompiledCircuit {
            if let unitaryCompiled { return unitaryCompiled }
            let compiled = try simulator.compile(circuit.removingFinalMeasurements())
            unitaryCompiled = compiled
            return compiled
        }
        let execution: ExecutionSummary
        if let countsCompiled, countsCompiled.samplesFromFinalState {
            execution = countsCompiled.execution
        } else if !measures {
            execution = try compiledUnitary().execution
        } else {
            execution = try simulator.compile(simulated.removingFinalMeasurements()).execution
        }
        members.append(("execution", Run.json(execution)))
        if verbose && isRoot { printNote("fusion: \(execution)") }
        var distribution: [(String, DistributionStatistics?)] = []
        if !observables.isEmpty,
           circuit.removingFinalMeasurements().instructions.contains(where: { $0.condition != nil || $0.operation == .measure })
        {
            throw CLIError.usage(notUnitaryForExpectation)
        }
        // With both counts and --expectation, one simulation gives both (set when it ran).
        var observedValues: [Double]?

        if measures, let compiled = countsCompiled {
            let outcome: DistributedRunResult?
            if observables.isEmpty {
                outcome = try compiled.run(shots: shots, seed: seed, memory: memory, on: world, distribution: distribute)
            } else {
                do {
                    outcome = try compiled.run(shots: shots, seed: seed, memory: memory, observing: observables, on: world,
                                               distribution: distribute)
                } catch QuantumError.invalidState {
                    throw CLIError.usage(notUnitaryForExpectation)
                }
                observedValues = outcome?.expectations ?? []
            }
            distribution.append(("counts", outcome?.statistics))
            if let result = outcome?.run, isRoot {
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
                lines += countsLines(result.counts, heading: "counts (\(shots) shots, seed \(result.seed)):")
                let method = result.sampledFromFinalState ? "sampled once from the final state" : "simulated shot by shot (mid-circuit measurement, reset or conditions)"
                lines.append("\(result.gateCount) gates in \(result.kernelCount) kernel calls; \(method)")
                lines.append("state \(Format.bytes(result.stateBytes)) (\(precision.rawValue) precision) · time \(Format.seconds(result.seconds))")
            }
        }

        if !observables.isEmpty {
            let start = Date()
            let values: [Double]?
            if measures {
                // Taken from the state the counts were sampled from (timed with them).
                values = observedValues
            } else {
                let result: DistributedExpectationResult?
                do {
                    // A reset before a qubit is used is dropped; any other reset makes the simulator refuse.
                    result = try compiledUnitary().expectations(observables, on: world, distribution: distribute)
                } catch QuantumError.invalidState {
                    throw CLIError.usage(notUnitaryForExpectation)
                }
                distribution.append(("expectation", result?.statistics))
                values = result?.values
                seconds += Date().timeIntervalSince(start)
            }
            if let values, isRoot {
                bar.finish()
                members.append(("expectations", .array(zip(expectation, values).map { text, value in
                    .object([("observable", .string(text)), ("value", .number(value))])
                })))
                for (observable, value) in zip(observables, values) {
                    lines.append("expectation ⟨\(observable)⟩ = \(String(format: "%.12g", value))")
                }
            }
        }

        if showState {
            let unitary = circuit.removingFinalMeasurements()
            let notUnitary = statevector || probabilities
                ? "\(file): --statevector and --probabilities need a circuit whose measurements all come at the end; "
                    + "this one has mid-circuit measurement, reset or conditioned gates (counts work: drop the flag)"
                // Measuring nothing, only a reset after a gate gets here: conditions on bits no
                // measurement wrote were decided when the circuit was read.
                : "\(file): the circuit measures nothing, so its final state is shown, but it has a reset after a gate "
                    + "(a state that is not one pure state): add measurements to get counts"
            if unitary.instructions.contains(where: { $0.condition != nil || $0.operation == .measure }) {
                throw CLIError.usage(notUnitary)
            }
            let start = Date()
            var stateLines: [String] = []
            var stateMembers: [(String, JSON)] = []
            do {
                // A reset before a qubit is used is dropped; any other reset makes the simulator refuse.
                let compiled = try compiledUnitary()
                switch precision {
                case .double:
                    let result = try compiled.statevector(on: world, distribution: distribute, as: Double.self)
                    distribution.append(("state", result.statistics))
                    if let state = result.state { (stateLines, stateMembers) = try describeState(state, includeBytes: !measures) }
                case .single:
                    let result = try compiled.statevector(on: world, distribution: distribute, as: Float.self)
                    distribution.append(("state", result.statistics))
                    if let state = result.state { (stateLines, stateMembers) = try describeState(state, includeBytes: !measures) }
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
        let report = try energy.stop(meter, label: "verdant run \(file)", over: world)
        guard isRoot else { return }
        let split = distribution.compactMap { name, statistics in statistics.map { (name, $0) } }
        if world.size > 1 && split.isEmpty {
            let others = world.size == 2 ? "the other rank waits" : "the other \(world.size - 1) ranks wait"
            printNote("note: the state fits on one rank, so rank 0 simulates alone and \(others) (--distribute always splits it)")
        }
        for (name, statistics) in split {
            if verbose {
                printNote("distributed (\(name)): \(statistics.summary)")
                for line in statistics.layout { printNote("  \(line)") }
                if let local = statistics.localExecution { printNote("  fusion on rank 0's slice: \(local)") }
            }
            members.append(("distribution_\(name)", Run.json(statistics)))
        }
        members.append(("seconds", .number(seconds)))
        if json {
            JSON.object(members).print()
        } else {
            print(lines.joined(separator: "\n"))
        }
        try energy.publish(report)
    }

    /// The statistics of a split run as JSON.
    static func json(_ s: DistributionStatistics) -> JSON {
        .object([
            ("ranks", .integer(s.ranks)), ("global_qubits", .integer(s.globalQubits)), ("local_qubits", .integer(s.localQubits)),
            ("remaps", .integer(s.remaps)), ("rank_permutations", .integer(s.rankPermutations)),
            ("bytes_sent_per_rank", .integer(s.bytesSent)), ("exchange_buffer_bytes", .integer(s.exchangeBufferBytes)),
            ("stretches", .integer(s.stretches)),
            ("exchange_seconds", .number(s.exchangeSeconds)), ("compute_seconds", .number(s.computeSeconds)),
            ("layout", .array(s.layout.map { .string($0) })),
            ("local_execution", s.localExecution.map(json) ?? .null),
        ])
    }

    /// What fusion and cache blocking made of a circuit, as JSON.
    static func json(_ e: ExecutionSummary) -> JSON {
        .object([
            ("gates", .integer(e.gates)), ("kernels", .integer(e.kernels)),
            ("fused_blocks", .integer(e.fusedBlocks)), ("diagonal_kernels", .integer(e.diagonalKernels)),
            ("permutation_kernels", .integer(e.permutationKernels)),
            ("dense_kernels_by_targets", .array(e.denseKernelsByTargets.map { .integer($0) })),
            ("dropped_gates", .integer(e.droppedGates)), ("folded_gates", .integer(e.foldedGates)),
            ("max_fused_qubits", .integer(e.maxFusedQubits)),
            ("passes", .integer(e.passes)), ("sweeps", .integer(e.sweeps)),
            ("sweeps_saved", .integer(e.sweepsSaved)), ("block_qubits", .integer(e.blockQubits)),
            ("flops", .number(e.flops)), ("layered_gates", .integer(e.layeredGates)),
        ])
    }

    /// Why `--expectation` refuses a circuit that is not unitary before its final measurements.
    private var notUnitaryForExpectation: String {
        "\(file): --expectation needs a circuit of unitary gates whose measurements all come at the end; "
            + "this one has mid-circuit measurement, reset or conditioned gates"
    }

    /// A noisy run (or an exact density matrix): counts with readout errors, the exact
    /// probabilities and density matrix from the density-matrix method, expectation values with
    /// their standard errors, and how the method was chosen. Under mpirun every rank calls it:
    /// trajectories on the split state or with the shots split, or the density matrix on rank 0
    /// (the library decides, ``NoisyRunInfo/reason`` says how); expectation values on rank 0.
    /// - Parameters:
    ///   - observables: the `--expectation` sums, as wide as `circuit`.
    ///   - declaredQubits: the file's qubits (more than `circuit`'s when idle ones were dropped).
    /// The counts under `heading`: a table, or with `--histogram` the chart (on standard error
    /// with `--json`, whose table stays in the text lines), most frequent first.
    private func countsLines(_ counts: [String: Int], heading: String) -> [String] {
        let total = max(counts.values.reduce(0, +), 1)
        let rows = counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map {
            [$0.key, String($0.value), String(format: "%.4f", Double($0.value) / Double(total))]
        }
        var lines = [heading]
        if histogram {
            let chart = TerminalLook.histogram(counts, top: 16)
            if json { printNote(chart) } else { lines.append(chart) }
        }
        if !histogram || json { lines.append(Format.table(["outcome", "count", "frequency"], rows)) }
        return lines
    }

    private func runNoisy(_ circuit: QuantumCircuit, declaredQubits: Int, observables: [PauliSum], simulator base: Simulator,
                          world: any Communicator, meter: EnergyMeter) throws {
        if statevector {
            throw CLIError.usage("--statevector: the noisy methods (chosen by a noise model, --method or --density-matrix) give a density "
                                 + "matrix, not a state vector (use --density-matrix, or drop the noise options for the state vector)")
        }
        if precision == .single {
            throw CLIError.usage("--precision single: the noisy methods (chosen by a noise model, --method or --density-matrix) run in "
                                 + "double precision (drop --precision)")
        }
        if densityMatrix, circuit.instructions.contains(where: { $0.condition != nil }) {
            throw CLIError.usage("--density-matrix: \(file) has classically conditioned gates, which only the trajectory method simulates "
                                 + "(shot by shot, each shot in its own pure state), so there is no one final density matrix to print; "
                                 + "drop --density-matrix (counts work)")
        }
        let unitary = circuit.removingFinalMeasurements()
        if !observables.isEmpty {
            if unitary.instructions.contains(where: { $0.condition != nil || $0.operation == .measure }) {
                throw CLIError.usage(notUnitaryForExpectation)
            }
            if world.size > 1, distribute == .always {
                throw CLIError.usage("--expectation under noise is computed by rank 0 alone, and --distribute always asks to split it: "
                                     + "use --distribute auto or never")
            }
        }
        let measures = circuit.countOps()["measure", default: 0] > 0
        if histogram, !measures {
            throw CLIError.usage("--histogram draws counts, and \(file) measures nothing: add measurements (or use --probabilities)")
        }
        // Expectation values alone need no run with shots (as without noise).
        let runsShots = measures || probabilities || densityMatrix || observables.isEmpty
        var simulator = base
        simulator.keepsDensityMatrix = densityMatrix
        simulator.wantsExactProbabilities = probabilities
        let bar = ProgressBar("simulating")
        if world.rank == 0 { simulator.progress = { done, total in bar.update(done, total) } }
        defer { bar.finish() }
        let outcome = runsShots ? try simulator.compile(circuit).run(shots: shots, seed: seed, memory: memory, on: world, distribution: distribute) : nil
        // ⟨O⟩ of the state before the final measurements: exact from the density matrix, or the mean
        // over `--shots` trajectories with its standard error (seeded like the counts).
        var expectation: (estimates: [ExpectationEstimate], execution: ExecutionSummary, seed: UInt64, seconds: Double)?
        if !observables.isEmpty, world.rank == 0 {
            let clock = ContinuousClock.now
            var estimator = simulator
            estimator.seed = outcome?.run.seed ?? seed ?? UInt64.random(in: .min ... .max)
            estimator.expectationTrajectories = shots
            let compiled = try estimator.compile(unitary)
            let estimates: [ExpectationEstimate]
            do {
                estimates = try compiled.estimateExpectations(observables)
            } catch QuantumError.invalidState {
                // A reset after a gate: no single state to take ⟨O⟩ of.
                throw CLIError.usage(notUnitaryForExpectation)
            }
            let elapsed = clock.duration(to: .now)
            expectation = (estimates, compiled.execution, estimator.seed,
                           Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        bar.finish()
        let report = try energy.stop(meter, label: "verdant run \(file)", over: world)
        guard world.rank == 0 else { return }
        var ran: (result: RunResult, info: NoisyRunInfo)?
        if runsShots {
            guard let result = outcome?.run, let info = result.noise else {
                throw CLIError.runtime("internal: a noisy run returned no noise report")
            }
            ran = (result, info)
        }
        if let info = ran?.info, densityMatrix, info.method != .densityMatrix {
            throw CLIError.usage("--density-matrix needs the density-matrix method; this run used \(info.method) (\(info.reason)): "
                                 + "add --method density-matrix")
        }
        if verbose {
            if let (result, info) = ran {
                printNote("method: \(info.method) (\(info.reason))")
                printNote("fusion: \(result.execution)")
            }
            if let expectation, let first = expectation.estimates.first {
                printNote("expectation values: " + (first.samples == 0 ? "exact, from the density matrix"
                              : "the mean over \(first.samples) trajectories (--shots), seed \(expectation.seed)"))
                printNote("fusion (expectation values): \(expectation.execution)")
            }
            if let model = simulator.noise { printNote(model.summary) }
            if let statistics = outcome?.statistics {
                printNote("distributed (counts): \(statistics.summary)")
                for line in statistics.layout { printNote("  \(line)") }
            }
        } else if world.size > 1, let info = ran?.info {
            printNote("note: \(info.method) (\(info.reason))")
        }
        if let info = ran?.info {
            for qubits in info.unusedReadoutErrors {
                printNote("note: the readout error on qubits \(qubits) never applies (one-qubit measurements only, as in Aer)")
            }
            if let model = simulator.noise, !model.isIdeal {
                // Gates the model has no error for run ideally (Aer's rule): say so, since a model made
                // for a device's basis (sx, x, cx) leaves other gates (h, ry) noiseless.
                let ideal = info.idealInstructions.filter { !["measure", "reset", "barrier"].contains($0.key) }.sorted { $0.key < $1.key }
                if !ideal.isEmpty {
                    let noisy = model.noisyInstructions
                    printNote("note: without error in the noise model (run ideally): \(ideal.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))"
                              + (noisy.isEmpty ? "; the model has readout errors only" : "; the model has errors for \(noisy.joined(separator: ", "))"))
                }
            }
        }
        let width = circuit.numQubits
        let compacted = declaredQubits != width
        var members: [(String, JSON)] = [
            ("file", .string(file)), ("qubits", .integer(declaredQubits)), ("clbits", .integer(circuit.numClbits)),
            ("precision", .string("double")), ("threads", .integer(threads ?? Simulator.defaultThreads)),
        ]
        if compacted { members.append(("simulated_qubits", .integer(width))) }
        var lines: [String] = []
        var seconds = 0.0
        if let (result, info) = ran {
            seconds += result.seconds
            members += [
                ("execution", .object([
                    ("gates", .integer(result.execution.gates)), ("kernels", .integer(result.execution.kernels)),
                    ("passes", .integer(result.execution.passes)), ("sweeps", .integer(result.execution.sweeps)),
                    ("sweeps_saved", .integer(result.execution.sweepsSaved)), ("block_qubits", .integer(result.execution.blockQubits)),
                ])),
                ("shots", .integer(shots)), ("seed", .string(String(result.seed))),
                ("method", .string(info.method.rawValue)), ("method_reason", .string(info.reason)),
                ("state_bytes", .integer(result.stateBytes)),
            ]
            var noiseMembers: [(String, JSON)] = [
                ("noisy_instructions", .object(info.noisyInstructions.sorted { $0.key < $1.key }.map { ($0.key, .integer($0.value)) })),
                ("ideal_instructions", .object(info.idealInstructions.sorted { $0.key < $1.key }.map { ($0.key, .integer($0.value)) })),
            ]
            if let branches = info.branches { noiseMembers.append(("branches", .integer(branches))) }
            if let applied = info.errorsApplied { noiseMembers.append(("errors_applied", .integer(applied))) }
            members.append(("noise", .object(noiseMembers)))
            if measures {
                members.append(("counts", .object(result.counts.sorted { $0.key < $1.key }.map { ($0.key, .integer($0.value)) })))
                if let outcomes = result.memory { members.append(("memory", .array(outcomes.map { .string($0) }))) }
                lines += countsLines(result.counts, heading: "counts (\(shots) shots, seed \(result.seed), \(info.method)):")
            }
            // Probabilities are over the qubits simulated: left out when idle qubits were dropped (they
            // were not asked for; --probabilities keeps every qubit).
            if let exact = info.probabilities, !compacted {
                members.append(("probabilities", .lazyObject(count: exact.count) { i in
                    exact[i] > 1e-24 ? (Run.bits(i, width), .number(exact[i])) : nil
                }))
                if probabilities || !measures {
                    let top = exact.enumerated().filter { $0.element > 1e-24 }.sorted { ($1.element, $0.offset) < ($0.element, $1.offset) }
                    lines.append("probabilities before readout errors (\(top.count) nonzero):")
                    lines.append(Format.table(["basis", "probability"], top.prefix(64).map { [Run.bits($0.offset, width), String(format: "%.10f", $0.element)] }))
                    if top.count > 64 { lines.append("… \(top.count - 64) more (use --json for all)") }
                }
            } else if probabilities {
                printNote("note: --probabilities needs the density-matrix method (trajectories sample counts only)")
            }
            if densityMatrix, let rho = info.densityMatrix {
                let d = rho.dimension
                members.append(("density_matrix", .lazyArray(count: d) { r in
                    .array((0..<d).map { c in
                        let z = rho[r, c]
                        return .array([.number(z.real), .number(z.imaginary)])
                    })
                }))
                if !json {
                    lines.append("density matrix (\(d)×\(d), trace \(String(format: "%.12f", rho.trace)), purity \(String(format: "%.6f", rho.purity))):")
                    if d <= 8 {
                        for r in 0..<d {
                            lines.append((0..<d).map { c in
                                let z = rho[r, c]
                                return String(format: "%+.4f%+.4fi", z.real, z.imaginary)
                            }.joined(separator: "  "))
                        }
                    } else {
                        lines.append("(\(d)×\(d) entries: use --json for all)")
                    }
                }
            }
            lines.append("\(info.method) · state \(Format.bytes(result.stateBytes)) · time \(Format.seconds(result.seconds))")
        }
        if let expectation {
            seconds += expectation.seconds
            if ran == nil {
                members.append(("execution", Run.json(expectation.execution)))
                if let method = expectation.estimates.first?.method { members.append(("method", .string(method.rawValue))) }
            }
            members.append(("expectations", .array(zip(self.expectation, expectation.estimates).map { text, estimate in
                .object([
                    ("observable", .string(text)), ("value", .number(estimate.value)),
                    ("standard_error", .number(estimate.standardError)), ("method", .string(estimate.method.rawValue)),
                    ("trajectories", .integer(estimate.samples)),
                ] + (estimate.samples > 0 ? [("seed", .string(String(expectation.seed)))] : []))
            })))
            for (observable, estimate) in zip(observables, expectation.estimates) {
                let how = estimate.samples == 0 ? "exact, density matrix"
                    : "± \(String(format: "%.2g", estimate.standardError)), \(estimate.samples) trajectories"
                lines.append("expectation ⟨\(observable)⟩ = \(String(format: "%.12g", estimate.value)) (\(how))")
            }
            if ran == nil { lines.append("time \(Format.seconds(expectation.seconds))") }
        }
        if let statistics = outcome?.statistics { members.append(("distribution_counts", Run.json(statistics))) }
        members.append(("seconds", .number(seconds)))
        try noise.write(simulator.noise, force: force)
        if json {
            JSON.object(members).print()
        } else {
            print(lines.joined(separator: "\n"))
        }
        try energy.publish(report)
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
