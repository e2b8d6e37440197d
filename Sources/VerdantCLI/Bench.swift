import ArgumentParser
import Foundation
import Verdant
import VerdantCommon

/// `verdant bench`: speed measured in this process and reported (never asserted).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Verdant's speed; print a table or JSON.",
        discussion: """
            Suite 'quantum': an in-place streaming sweep of the state (the memory-bandwidth reference), one H \
            on qubit 0 and on qubit n−1, a QFT, the same QFT transpiled to u+cx ('qft-ucx') and to rz+sx+cx \
            ('qft-rzsx'), a seeded random circuit (depth 20, u and cx), a QAOA ring ansatz ('qaoa', rz+sx+x+cx), \
            EfficientSU2 with full entanglement ('su2', u+cx), and drawing 100,000 shots from a prepared state into \
            the counts dictionary 'run' returns ('sample'), and 200 bindings of a compiled 8-qubit ansatz with free \
            parameters ('bind': the plan is fused once and re-used), at each qubit count, precision and thread count. Times \
            are medians of the repeats after one untimed warm-up and include validating, fusing and scheduling the \
            plan; the state's allocation is not timed. Effective bandwidth = sweeps × state bytes × 2 / time. \
            '--cases kernels' times each kernel form the fuser chooses among in one cache block (its cost model). \
            Benchmarks/quantum_side_by_side.py runs Qiskit Aer, Qulacs and qsim on the same circuits (--export-qasm).
            Suite 'parallel': see docs/parallel.md (sum of squares, per-task overhead, matmul, allreduce; \
            Benchmarks/parallel_side_by_side.py runs Dask, NumPy and mpi4py on the same work).
            Suite 'privacy': seal and open --size bytes in memory (AES-256-GCM, 64 KiB chunks) at 1 and all cores \
            (or --threads), and the time of each key wrap; Benchmarks/privacy_side_by_side.py compares with \
            Python's cryptography and age.
            Suite 'energy': the energy meter's overhead on a CPU-bound job (docs/energy-method.md).
            Suite 'qml': the ZZ-map training kernel of --samples random samples at --kernel-qubits (per thread count), \
            SMO on the Iris quantum kernel, test accuracy of the quantum and RBF SVMs on Iris and ad hoc data, \
            one forward pass and one adjoint gradient of ⟨Z0⟩ for StronglyEntanglingLayers (--layers, \
            --gradient-qubits, one thread), and --batch-size per-sample gradients at each thread count (forward \
            and gradient, and the thread counts, alternate within each repeat; ratios are medians of \
            per-repeat ratios); \
            Benchmarks/qml_side_by_side.py and Benchmarks/qnn_side_by_side.py compare with qiskit-machine-learning \
            and PennyLane.
            """
    )

    @Option(help: "The suite to run: quantum, energy, parallel, privacy, qml.")
    var suite: String = "quantum"

    @Option(help: "Comma-separated qubit counts.")
    var qubits: String = "20,24,26"

    @Option(help: "Comma-separated thread counts (default: all cores).")
    var threads: String?

    @Option(help: "double, single or both.")
    var precision: String = "both"

    @Option(help: "Timed repeats per case (the median is reported).")
    var repeats: Int = 3

    @Option(help: ArgumentHelp("Comma-separated cases (quantum: \(Bench.knownCases.joined(separator: ", ")); parallel: "
                               + "\(Bench.parallelCases.joined(separator: ", ")); qml: \(Bench.qmlCases.joined(separator: ", ")); "
                               + "default: all, except cipher)."))
    var cases: String?

    @Option(name: .customLong("export-qasm"), help: "Write each timed circuit to DIR/<case>-<n>.qasm for other simulators.")
    var exportQASM: String?

    @Flag(name: .customLong("no-fusion"), help: "Time without gate fusion.")
    var noFusion = false

    @Flag(help: "quantum: split each state across the MPI ranks (run under mpirun; cases qft, qft-ucx, random by default): time, remaps, bytes exchanged, exchange and compute seconds, each rank's peak memory.")
    var distributed = false

    @Option(name: .customLong("max-memory"), help: "Refuse states larger than this (e.g. 8G).")
    var maxMemory: String?

    @Option(help: "privacy: bytes to seal and open per repeat (e.g. 1G, 256M).")
    var size: String = "1G"

    @Option(name: .customLong("work-factor"), help: "privacy: the scrypt work factor (log2 N) timed for passphrases.")
    var workFactor: Int = 18

    @Flag(help: "Print JSON on standard output.")
    var json = false

    @Option(help: "Seconds of CPU-bound work per timed job (suite energy).")
    var seconds: Double = 2

    @OptionGroup(title: "Energy options")
    var energy: EnergyOptions

    @Flag(help: "Replace the --energy-report file if it exists.")
    var force = false

    @OptionGroup(title: "Parallel suite")
    var parallel: ParallelBenchOptions

    @OptionGroup(title: "QML suite")
    var qml: QMLBenchOptions

    static let knownCases = QuantumBenchmark.names + ["kernels"]

    /// Refuses, before allocating, a size whose buffers would not fit in the memory available now
    /// (MemAvailable): the allocation would end the process ("failed to allocate") or push the
    /// machine into swap. An audit found `--size 60G` and `--elements 1e11` crashing.
    /// - Parameters:
    ///   - bytes: what the case allocates.
    ///   - what: the option and case, for the message.
    static func checkMemory(_ bytes: Double, _ what: String) throws {
        guard let available = SystemInfo.availableMemoryBytes(), bytes > Double(available) else { return }
        throw CLIError.runtime("\(what) needs \(Format.bytes(Int(min(bytes, 9e18)))) but \(Format.bytes(Int(available))) is available "
                               + "(MemAvailable in /proc/meminfo); choose a smaller size")
    }

    func integers(_ text: String, _ option: String, minimum: Int, maximum: Int) throws -> [Int] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var values: [Int] = []
        for part in parts {
            guard let v = Int(part), v >= minimum, v <= maximum else {
                throw CLIError.usage("--\(option): '\(part)' is not a whole number in \(minimum)...\(maximum)")
            }
            values.append(v)
        }
        guard !values.isEmpty else { throw CLIError.usage("--\(option): give at least one value") }
        return values
    }

    /// The suites, each run by its own function (one file per suite).
    static let suites = ["quantum", "energy", "parallel", "privacy", "qml"]

    func run() throws {
        if cases != nil, suite == "energy" || suite == "privacy" {
            throw CLIError.usage("--cases selects cases of the quantum, parallel and qml suites; --suite \(suite) has none")
        }
        if let cases, cases.split(separator: ",").allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw CLIError.usage("--cases: '\(cases)' names no case")
        }
        // The energy suite times meters against a run without one: its own meter samples only every
        // 60 s (never, in practice), so the baseline has no sampler beside it.
        let meter = try energy.start(sampleInterval: suite == "energy" ? 60 : nil, force: force, writesReport: try Distributed.world().rank == 0)
        switch suite {
        case "quantum": try runQuantumSuite()
        case "energy": try runEnergySuite()
        case "parallel": try runParallelSuite()
        case "privacy": try runPrivacySuite()
        case "qml": try runQMLSuite()
        default: throw CLIError.usage("unknown suite '\(suite)' (available: \(Bench.suites.joined(separator: ", ")))")
        }
        // Under mpirun every rank ran (its part of) the suite: rank 0 reports the sum of all ranks.
        let world = try Distributed.world()
        let report = try energy.stop(meter, label: "verdant bench --suite \(suite)", over: world)
        if world.rank == 0 { try energy.publish(report) }
    }

    /// `--suite quantum`.
    func runQuantumSuite() throws {
        guard repeats >= 1 else { throw CLIError.usage("--repeats must be at least 1, received \(repeats)") }
        // Two qubits at least: the families have two-qubit gates (qaoa's ring, the QFT's cp).
        let qubitCounts = try integers(qubits, "qubits", minimum: 2, maximum: Simulator.maximumQubits)
        let threadCounts = try threads.map { try integers($0, "threads", minimum: 1, maximum: 4096) } ?? [Simulator.defaultThreads]
        let precisions: [Precision]
        switch precision {
        case "both": precisions = [.double, .single]
        case "double": precisions = [.double]
        case "single": precisions = [.single]
        default: throw CLIError.usage("--precision: '\(precision)' is not one of double, single, both")
        }
        let wanted = (cases ?? QuantumBenchmark.names.joined(separator: ",")).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for name in wanted where !Bench.knownCases.contains(name) {
            throw CLIError.usage("--cases: unknown case '\(name)' (available: \(Bench.knownCases.joined(separator: ", ")))")
        }
        let limit = try maxMemory.map(parseBytes)
        if distributed { return try runDistributedQuantumSuite(qubitCounts, threadCounts, precisions, limit) }

        if let directory = exportQASM {
            do {
                guard !directory.isEmpty else { throw CocoaError(.fileNoSuchFile) }
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                var isDirectory: ObjCBool = false
                let reason = directory.isEmpty ? "the path is empty"
                    : FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) && !isDirectory.boolValue ? "it is a file"
                    : "the folder cannot be made (a part of the path is a file, or permission is denied)"
                throw CLIError.usage("--export-qasm '\(directory)': \(reason); give a folder")
            }
            for n in qubitCounts {
                for benchmarkCase in QuantumBenchmark.cases(numQubits: n) where wanted.contains(benchmarkCase.name) {
                    guard let circuit = benchmarkCase.circuit, circuit.parameters.isEmpty else { continue }
                    try writeAtomically(try circuit.qasm(), to: (directory as NSString).appendingPathComponent("\(benchmarkCase.name)-\(n).qasm"))
                }
            }
        }

        var results: [QuantumBenchmark.Result] = []
        let interactive = isatty(STDERR_FILENO) != 0
        for n in qubitCounts {
            for p in precisions {
                for t in threadCounts {
                    for benchmarkCase in QuantumBenchmark.cases(numQubits: n) where wanted.contains(benchmarkCase.name) {
                        if interactive {
                            FileHandle.standardError.write(Data("\r\u{1B}[2Kbench: \(benchmarkCase.name), \(n) qubits, \(p), \(t) thread\(t == 1 ? "" : "s")…".utf8))
                        }
                        results.append(try QuantumBenchmark.run(benchmarkCase, numQubits: n, precision: p, threads: t,
                                                                repeats: repeats, fusion: !noFusion, maxMemoryBytes: limit))
                    }
                }
            }
        }
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        // 'kernels': each kernel form the fuser chooses among, timed in one cache block (1 thread).
        let kernelTimes: [(Precision, [QuantumBenchmark.KernelTime])] = wanted.contains("kernels")
            ? precisions.map { ($0, QuantumBenchmark.kernelTimes(precision: $0, repeats: repeats)) } : []

        if json {
            let machine: [(String, JSON)] = [
                ("cores", .integer(ProcessInfo.processInfo.activeProcessorCount)),
                ("memory_bytes", .integer(Int(ProcessInfo.processInfo.physicalMemory))),
                ("cpu", .string(SystemInfo.cpuModelName())),
                ("verdant", .string(VerdantCommand.version)),
                ("fusion", .bool(!noFusion)),
                ("repeats", .integer(repeats)),
            ]
            let items: [JSON] = results.map { r in
                .object([
                    ("case", .string(r.case)), ("qubits", .integer(r.qubits)), ("precision", .string(r.precision)),
                    ("threads", .integer(r.threads)), ("seconds_median", .number(r.secondsMedian)),
                    ("seconds", .array(r.seconds.map { .number($0) })), ("gates", .integer(r.gates)),
                    ("kernel_calls", .integer(r.kernelCalls)), ("sweeps", .integer(r.sweeps)),
                    ("gates_per_second", .number(r.gatesPerSecond)),
                    ("bandwidth_gb_per_s", .number(r.bandwidthGBPerSecond)), ("state_bytes", .integer(r.stateBytes)),
                    ("time_vs_sweep", .number(r.secondsMedian / Double(r.sweeps) / sweepSeconds(for: r, in: results))),
                    ("planning_seconds_median", .number(r.planningSecondsMedian)),
                    ("cpu_seconds_median", .number(r.cpuSecondsMedian)),
                ] + (r.execution.map { [("execution", Run.json($0))] } ?? []))
            }
            let kernelItems: [JSON] = kernelTimes.flatMap { precision, rows in
                rows.map { k in .object([
                    ("precision", .string(precision.rawValue)), ("kernel", .string(k.kernel)), ("form", .string(k.form)),
                    ("targets", .array(k.targets.map { .integer($0) })), ("controls", .integer(k.controls)),
                    ("ns_per_amplitude", .number(k.nanosecondsPerAmplitude)), ("relative_to_dense1", .number(k.relativeToDense1)),
                ]) }
            }
            print(JSON.object([("suite", .string("quantum")), ("machine", .object(machine)), ("results", .array(items))]
                + (kernelItems.isEmpty ? [] : [("kernels", .array(kernelItems))])).text)
        } else {
            let rows = results.map { r in
                [r.case, String(r.qubits), r.precision, String(r.threads), Format.seconds(r.secondsMedian),
                 String(r.gates), String(r.kernelCalls), String(r.sweeps), String(format: "%.3g", r.gatesPerSecond),
                 String(format: "%.1f", r.bandwidthGBPerSecond),
                 String(format: "%.2f", r.secondsMedian / Double(r.sweeps) / sweepSeconds(for: r, in: results))]
            }
            if !results.isEmpty {
                print(Format.table(["case", "qubits", "precision", "threads", "median", "gates", "kernels", "sweeps", "gates/s", "GB/s",
                                    "per sweep ÷ sweep"], rows))
                print("kernels: calls after gate fusion. sweeps: passes over the state's memory (a cache-blocked pass applies many kernels in one). "
                      + "GB/s: sweeps × state bytes × 2 (read + write) / median time. "
                      + "'per sweep ÷ sweep': time per sweep over one streaming sweep of the same state (1.00 = at the memory limit). "
                      + "Times include validating, fusing and scheduling the plan.")
            }
            for (precision, rows) in kernelTimes {
                print(Format.table(["kernel (\(precision), one cache block, 1 thread)", "ns/amplitude", "÷ dense 1 target"], rows.map { k in
                    [k.kernel, String(format: "%.3f", k.nanosecondsPerAmplitude), String(format: "%.2f", k.relativeToDense1)]
                }))
            }
        }
    }

    /// `--suite quantum --distributed`: every case split across the world's ranks; rank 0 prints.
    private func runDistributedQuantumSuite(_ qubitCounts: [Int], _ threadCounts: [Int], _ precisions: [Precision],
                                            _ limit: UInt64?) throws
    {
        let world = try Distributed.world()
        let wanted = (cases ?? "qft,qft-ucx,random").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var results: [QuantumBenchmark.DistributedResult] = []
        for n in qubitCounts {
            for p in precisions {
                for t in threadCounts {
                    for benchmarkCase in QuantumBenchmark.cases(numQubits: n) where wanted.contains(benchmarkCase.name) {
                        results.append(try QuantumBenchmark.runDistributed(benchmarkCase, numQubits: n, precision: p, threads: t,
                                                                           repeats: repeats, communicator: world, maxMemoryBytes: limit))
                    }
                }
            }
        }
        guard world.rank == 0 else { return }
        if json {
            let machine: [(String, JSON)] = [
                ("cores", .integer(ProcessInfo.processInfo.activeProcessorCount)),
                ("memory_bytes", .integer(Int(ProcessInfo.processInfo.physicalMemory))),
                ("cpu", .string(SystemInfo.cpuModelName())), ("verdant", .string(VerdantCommand.version)),
                ("backend", .string(world.backend)), ("repeats", .integer(repeats)),
            ]
            let items: [JSON] = results.map(Bench.json)
            print(JSON.object([("suite", .string("quantum-distributed")), ("machine", .object(machine)), ("results", .array(items))]).text)
        } else {
            let header = ["case", "qubits", "precision", "ranks × threads", "median", "exchange", "compute", "remaps", "sent/rank",
                          "peak RSS ÷ slice"]
            print(Format.table(header, results.map(Bench.row)))
            print("median: the slowest rank's time per run (compile, simulate, exchange). exchange, compute: rank 0's. "
                  + "peak RSS ÷ slice: the largest rank's high-water mark over its slice of the state.")
        }
    }

    /// One distributed result as JSON.
    private static func json(_ r: QuantumBenchmark.DistributedResult) -> JSON {
        var members: [(String, JSON)] = [("case", .string(r.case)), ("qubits", .integer(r.qubits)), ("precision", .string(r.precision))]
        members.append(("ranks", .integer(r.ranks)))
        members.append(("threads", .integer(r.threads)))
        members.append(("seconds_median", .number(r.secondsMedian)))
        members.append(("seconds", .array(r.seconds.map { JSON.number($0) })))
        members.append(("exchange_seconds", .number(r.exchangeSeconds)))
        members.append(("compute_seconds", .number(r.computeSeconds)))
        members.append(("remaps", .integer(r.remaps)))
        members.append(("bytes_sent_per_rank", .integer(r.bytesSentPerRank)))
        members.append(("gates", .integer(r.gates)))
        members.append(("slice_bytes", .integer(r.sliceBytes)))
        members.append(("peak_resident_bytes", .array(r.peakResidentBytes.map { JSON.integer($0) })))
        return .object(members)
    }

    /// One distributed result as a table row.
    private static func row(_ r: QuantumBenchmark.DistributedResult) -> [String] {
        let peak = Double(r.peakResidentBytes.max() ?? 0) / Double(r.sliceBytes)
        return [r.case, String(r.qubits), r.precision, "\(r.ranks) × \(r.threads)", Format.seconds(r.secondsMedian),
                Format.seconds(r.exchangeSeconds), Format.seconds(r.computeSeconds), String(r.remaps),
                Format.bytes(r.bytesSentPerRank), String(format: "%.2f", peak)]
    }

    /// The sweep time of the same size, precision and threads (NaN when the sweep was not run).
    private func sweepSeconds(for r: QuantumBenchmark.Result, in results: [QuantumBenchmark.Result]) -> Double {
        results.first { $0.case == "sweep" && $0.qubits == r.qubits && $0.precision == r.precision && $0.threads == r.threads }?
            .secondsMedian ?? .nan
    }

}

/// Writes text to `path` atomically (VerdantCommon's `AtomicFile`): no partial file is ever
/// visible, and a failure leaves nothing behind.
func writeAtomically(_ text: String, to path: String) throws {
    do throws(AtomicFileError) {
        try AtomicFile.write(Data(text.utf8), toPath: path, replacing: true)
    } catch {
        throw CLIError.runtime(error.description)
    }
}
