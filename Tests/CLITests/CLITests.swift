import Foundation
import Testing
import Verdant
@_exported import _TestSupport

/// The `verdant` executable built beside this test bundle.
let verdantExecutable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    .deletingLastPathComponent().appendingPathComponent("verdant").path

struct ProcessResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// What a `verdant` run returned, with binary standard output.
struct RawResult {
    let status: Int32
    let stdout: Data
    let stderr: String
    var text: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs a program to its end: `stdin` written on a separate thread and both output pipes read to
/// their ends before waiting, so no amount of output can block the child. `COLUMNS=80`, the
/// `environment` entries added and the `removing` names taken out of this process's environment.
func runProcess(_ executable: String, _ arguments: [String], stdin: Data = Data(), environment: [String: String] = [:],
                removing: [String] = [], directory: URL? = nil) throws -> RawResult
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    var env = ProcessInfo.processInfo.environment
    env["COLUMNS"] = "80"
    for name in removing { env.removeValue(forKey: name) }
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = input
    try process.run()
    let group = DispatchGroup()
    nonisolated(unsafe) var errData = Data()
    group.enter()
    DispatchQueue.global().async {
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.leave()
    }
    group.enter()
    DispatchQueue.global().async {
        input.fileHandleForWriting.write(stdin)
        try? input.fileHandleForWriting.close()
        group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    process.waitUntilExit()
    return RawResult(status: process.terminationStatus, stdout: outData, stderr: String(decoding: errData, as: UTF8.self))
}

/// Runs `verdant` with arguments (and optional standard input), waiting for it to finish.
func verdant(_ arguments: [String], input: String? = nil, directory: URL? = nil) throws -> ProcessResult {
    let raw = try runProcess(verdantExecutable, arguments, stdin: Data((input ?? "").utf8), directory: directory)
    return ProcessResult(status: raw.status, stdout: raw.text, stderr: raw.stderr)
}

/// Runs `verdant` with extra environment variables.
func verdantWithEnvironment(_ arguments: [String], _ extra: [String: String]) throws -> ProcessResult {
    let raw = try runProcess(verdantExecutable, arguments, environment: extra)
    return ProcessResult(status: raw.status, stdout: raw.text, stderr: raw.stderr)
}

/// Runs `verdant` with binary standard input and extra environment variables, without an
/// inherited `$VERDANT_PASSPHRASE`.
func verdantRaw(_ arguments: [String], stdin: Data = Data(), environment: [String: String] = [:], directory: URL? = nil) throws -> RawResult {
    try runProcess(verdantExecutable, arguments, stdin: stdin, environment: environment, removing: ["VERDANT_PASSPHRASE"], directory: directory)
}

/// Runs `verdant` in a new session (`setsid`), so that it has no controlling terminal.
func verdantRawWithoutTerminal(_ arguments: [String]) throws -> RawResult {
    try runProcess("/usr/bin/setsid", ["-w", verdantExecutable] + arguments, removing: ["VERDANT_PASSPHRASE"])
}

/// Runs `verdant` through `/bin/sh` with a file-size limit (RLIMIT_FSIZE, `ulimit -f`, in the
/// shell's blocks of 512 or 1024 bytes): any write past it fails, which works on every machine.
func verdantWithFileSizeLimit(blocks: Int, _ arguments: [String]) throws -> RawResult {
    try runProcess("/bin/sh", ["-c", "ulimit -f \(blocks) && exec \"$0\" \"$@\"", verdantExecutable] + arguments,
                   removing: ["VERDANT_PASSPHRASE"])
}


/// The CLI tests' name for the shared temporary folder.
typealias TemporaryDirectory = TemporaryFolder

let bellQASM = """
    OPENQASM 2.0;
    include "qelib1.inc";
    qreg q[2];
    creg c[2];
    h q[0];
    cx q[0],q[1];
    measure q -> c;

    """

func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

/// No user error may show a Swift crash or backtrace.
func expectNoTrace(_ result: ProcessResult) {
    for marker in ["Fatal error", "Backtrace", "Program crashed", "Stack dump"] {
        #expect(!result.stderr.contains(marker), "stderr shows a trace: \(result.stderr)")
    }
}

@Suite("verdant CLI", .serialized)
struct CLITests {
    @Test("help text (golden)")
    func help() throws {
        let result = try verdant(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout == """
            OVERVIEW: Sustainable, private, distributed (quantum) machine learning.

            Exit codes: 0 success, 1 runtime error (e.g. not enough memory), 2 usage or
            input error; reading a sealed file: 3 no key given opens it (wrong key or
            passphrase), 4 not a sealed file, 5 unsupported format version, 6 header
            modified or malformed, 7 truncated (in the header or at a chunk boundary), 8 a
            chunk failed authentication (modified, reordered or appended data, or cut
            inside a chunk: the format cannot tell that from a change).
            Documentation: docs/ in the source tree.

            USAGE: verdant <subcommand>

            OPTIONS:
              --version               Show the version.
              -h, --help              Show help information.

            SUBCOMMANDS:
              demo                    The main job on the embedded Iris data: seal it,
                                      train a quantum SVM, an RBF baseline and a quantum
                                      neural network, seal models and predictions, report
                                      accuracy and energy.
              train                   Train a quantum SVM, a variational quantum classifier
                                      (vqc) or regressor (vqr), or a classical SVM; write
                                      the model, sealed on request.
              predict                 Predict classes (or values, with a vqr model) with a
                                      trained model; write the predictions as CSV, sealed
                                      on request.
              kernel                  Compute the fidelity quantum kernel matrix of a data
                                      set and write it as .npy or .csv.
              run                     Simulate an OpenQASM 2.0 circuit: counts, state
                                      vector, probabilities.
              bench                   Measure Verdant's speed; print a table or JSON.
              keygen                  Generate an X25519 identity and print its recipient
                                      (or a raw key with --symmetric).
              seal                    Encrypt and authenticate a file for recipients
                                      (X25519 keys, a passphrase, key files).
              unseal                  Authenticate and decrypt a sealed file.
              inspect                 Show a sealed file's format, content type, recipients
                                      and sizes (no key needed, no secrets shown).
              privacy-budget          Compute the privacy budget ε of DP-SGD (or the noise
                                      multiplier for a target ε) without training.
              measure                 Run a command and report its energy, carbon and cost.
              report                  Draw a self-contained HTML report (inline SVG and
                                      CSS, no script, no fetch) from what Verdant wrote.
              info                    Show cores, memory, whether MPI is compiled in, and
                                      this process's rank and size.

              See 'verdant help <subcommand>' for detailed help.

            """)
        let run = try verdant(["run", "--help"])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("OVERVIEW: Simulate an OpenQASM 2.0 circuit: counts, state vector,\nprobabilities."))
        for option in ["--shots", "--seed", "--statevector", "--probabilities", "--memory", "--precision", "--threads",
                       "--max-memory", "--no-fusion", "--json", "--distribute", "--expectation"]
        {
            #expect(run.stdout.contains(option), "run --help lacks \(option)")
        }
        #expect(try verdant(["--version"]).stdout == "0.1.0\n")
    }

    @Test("run --distribute: one process runs whole whatever the mode; a bad mode is a usage error")
    func runDistribute() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-distribute-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("bell.qasm").path
        try "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        let plain = try verdant(["run", file, "--seed", "3", "--json", "--no-energy-summary"])
        for mode in ["always", "auto", "never"] {
            let result = try verdant(["run", file, "--seed", "3", "--json", "--distribute", mode, "--no-energy-summary"])
            #expect(result.status == 0)
            #expect(result.stdout.contains("\"counts\""))
            #expect(!result.stdout.contains("distribution_"), "one rank never splits")
            // The counts object, e.g. {"00": 480, "11": 544}.
            let counts = { (text: String) -> String? in
                text.range(of: "\"counts\": \\{[^}]*\\}", options: .regularExpression).map { String(text[$0]) }
            }
            #expect(counts(result.stdout) != nil && counts(result.stdout) == counts(plain.stdout))
        }
        let bad = try verdant(["run", file, "--distribute", "sometimes"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("sometimes"))
    }

    @Test("run --expectation: ⟨O⟩ of the state before the final measurements, in text and JSON; bad observables are usage errors")
    func runExpectation() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("bell.qasm", bellQASM)
        // The Bell state: ⟨ZZ⟩ = ⟨XX⟩ = 1, ⟨YY⟩ = −1, ⟨ZI⟩ = 0.
        let text = try verdant(["run", file, "--seed", "7", "--expectation", "0.5*ZZ - 0.25*XX + YY", "--expectation", "ZI",
                                "--no-energy-summary"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("counts (1024 shots, seed 7):"))
        #expect(text.stdout.contains("expectation ⟨0.5*ZZ - 0.25*XX + 1*YY⟩ = -0.75"))
        let json = try jsonObject(try verdant(["run", file, "--expectation", "0.5*ZZ - 0.25*XX + YY", "--expectation", "ZI", "--json",
                                               "--no-energy-summary"]).stdout)
        let entries = try #require(json["expectations"] as? [[String: Any]])
        #expect(entries.map { $0["observable"] as? String } == ["0.5*ZZ - 0.25*XX + YY", "ZI"])
        let values = entries.compactMap { $0["value"] as? Double }
        #expect(values.count == 2 && abs(values[0] + 0.75) < 1e-12 && abs(values[1]) < 1e-12)
        // Counts and values come from one simulation: the counts are those of a run without --expectation.
        let plain = try jsonObject(try verdant(["run", file, "--seed", "7", "--json", "--no-energy-summary"]).stdout)
        let both = try jsonObject(try verdant(["run", file, "--seed", "7", "--expectation", "ZI", "--json", "--no-energy-summary"]).stdout)
        #expect((plain["counts"] as? [String: Int]) == (both["counts"] as? [String: Int]))
        // A sum that starts with a minus sign is a value, not an option.
        let negative = try verdant(["run", file, "--expectation", "-1*ZZ", "--no-energy-summary"])
        #expect(negative.status == 0, "\(negative.stderr)")
        #expect(negative.stdout.contains("expectation ⟨-1*ZZ⟩ = -1"), "\(negative.stdout)")
        let badLetter = try verdant(["run", file, "--expectation", "ZQ"])
        #expect(badLetter.status == 2)
        #expect(badLetter.stderr.contains("observable 'ZQ', column 2: 'Q' is not a Pauli letter (valid: I, X, Y, Z)"))
        let wide = try verdant(["run", file, "--expectation", "ZZZ"])
        #expect(wide.status == 2)
        #expect(wide.stderr.contains("the observable acts on 3 qubits but the state has 2"))
        #expect(!wide.stdout.contains("counts"), "nothing runs before the observables are checked")
        let mid = try dir.write("mid.qasm", "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncreg c[2];\nh q[0];\nmeasure q[0] -> c[0];\nh q[0];\n")
        let refused = try verdant(["run", mid, "--expectation", "ZZ"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--expectation needs a circuit of unitary gates whose measurements all come at the end"))
    }

    @Test("run of a circuit transpiled for a 127-qubit device that acts on 3: counts from the 3, the idle ones named with --verbose")
    func runDeviceWidth() throws {
        let dir = try TemporaryDirectory()
        var text = "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[127];\ncreg c[3];\nh q[0];\ncx q[0],q[1];\ncx q[1],q[2];\n"
        text += "barrier q;\nmeasure q[0] -> c[0];\nmeasure q[1] -> c[1];\nmeasure q[2] -> c[2];\n"
        let file = try dir.write("ghz127.qasm", text)
        let result = try verdant(["run", file, "--seed", "5", "--json", "--verbose", "--no-energy-summary"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try jsonObject(result.stdout)
        #expect(json["qubits"] as? Int == 127)
        #expect(json["simulated_qubits"] as? Int == 3)
        let counts = try #require(json["counts"] as? [String: Int])
        #expect(Set(counts.keys) == ["000", "111"] && counts.values.reduce(0, +) == 1024)
        #expect(result.stderr.contains("124 of its 127 qubits are idle (no gate, measurement or reset); simulating the other 3"))
        // Its final state would need all 127 qubits: refused as before.
        let state = try verdant(["run", file, "--probabilities"])
        #expect(state.status == 1)
        #expect(state.stderr.contains("cannot simulate 127 qubits"))
    }

    @Test("run prints counts as a table and as Qiskit-format JSON")
    func runCounts() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("bell.qasm", bellQASM)
        let table = try verdant(["run", file, "--shots", "1000", "--seed", "7"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("counts (1000 shots, seed 7):"))
        #expect(table.stdout.contains("outcome  count  frequency"))
        #expect(table.stdout.contains("time "))
        let json = try jsonObject(try verdant(["run", file, "--shots", "1000", "--seed", "7", "--json", "--memory"]).stdout)
        let counts = try #require(json["counts"] as? [String: Int])
        let expected = try QuantumCircuit(qasmFile: file).run(shots: 1000, seed: 7).counts
        #expect(counts == expected)
        #expect((json["memory"] as? [String])?.count == 1000)
        #expect(json["seed"] as? String == "7")
        #expect(json["seconds"] is Double)
        // Standard input.
        let piped = try jsonObject(try verdant(["run", "-", "--json", "--seed", "7", "--shots", "1000"], input: bellQASM).stdout)
        #expect(piped["counts"] as? [String: Int] == expected)
    }

    @Test("run --statevector and --probabilities in both precisions")
    func runState() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("bell.qasm", bellQASM)
        for precision in ["double", "single"] {
            let json = try jsonObject(try verdant(["run", file, "--statevector", "--probabilities", "--json", "--precision", precision]).stdout)
            let pairs = try #require(json["statevector"] as? [[Double]])
            let r = 1 / 2.0.squareRoot()
            let expected: [[Double]] = [[r, 0], [0, 0], [0, 0], [r, 0]]
            for (a, b) in zip(pairs, expected) {
                #expect(abs(a[0] - b[0]) < 1e-6 && abs(a[1] - b[1]) < 1e-6)
            }
            let probabilities = try #require(json["probabilities"] as? [String: Double])
            #expect(Set(probabilities.keys) == ["00", "11"])
        }
        let text = try verdant(["run", file, "--statevector"])
        #expect(text.stdout.contains("+0.7071067812"))
        // A reset before any gate is a no-op on |0⟩: the state is shown. One after a gate is refused.
        let leading = try dir.write("lead.qasm", "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\nreset q;\nh q[0];\n")
        let shown = try verdant(["run", leading, "--no-energy-summary"])
        #expect(shown.status == 0 && shown.stdout.contains("probabilities (2 nonzero)"), "\(shown.stdout)\(shown.stderr)")
        let late = try dir.write("late.qasm", "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\nh q[0];\nreset q[0];\n")
        let refused = try verdant(["run", late, "--no-energy-summary"])
        #expect(refused.status == 2 && refused.stderr.contains("the circuit measures nothing, so its final state is shown, but it has a reset after a gate"))
    }

    @Test("errors: exit code 2 for input, 1 for runtime, a clear message and no trace")
    func errors() throws {
        let dir = try TemporaryDirectory()
        let missing = try verdant(["run", dir.url.appendingPathComponent("nope.qasm").path])
        #expect(missing.status == 2)
        #expect(missing.stderr.hasSuffix("nope.qasm': no such file\n"))
        #expect(missing.stdout.isEmpty)

        let bad = try dir.write("bad.qasm", "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[2];\ncxx q[0],q[1];\n")
        let parse = try verdant(["run", bad])
        #expect(parse.status == 2)
        #expect(parse.stderr == "verdant: error: \(bad):4:1: unknown gate 'cxx'; did you mean 'cx'?\n")

        let wide = try dir.write("wide.qasm", "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[40];\nh q[0];\n")
        let memory = try verdant(["run", wide, "--probabilities"])
        #expect(memory.status == 1)
        #expect(memory.stderr.hasPrefix("verdant: error: cannot simulate 40 qubits in double precision: the state vector needs 16.0 TiB"))

        let small = try dir.write("small.qasm", "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[20];\nh q[0];\n")
        let limited = try verdant(["run", small, "--max-memory", "1M"])
        #expect(limited.status == 1)
        #expect(limited.stderr.contains("1.0 MiB (1048576 bytes) is available (the --max-memory limit)"))
        let badSize = try verdant(["run", small, "--max-memory", "lots"])
        #expect(badSize.status == 2)
        #expect(badSize.stderr.contains("--max-memory: 'lots' is not a size"))

        let mid = try dir.write("mid.qasm", "OPENQASM 2.0;\ninclude \"qelib1.inc\";\nqreg q[1];\ncreg c[1];\nmeasure q[0] -> c[0];\nx q[0];\n")
        let state = try verdant(["run", mid, "--statevector"])
        #expect(state.status == 2)
        #expect(state.stderr.contains("need a circuit whose measurements all come at the end"))
        #expect(try verdant(["run", mid, "--seed", "1"]).status == 0)

        let shots = try verdant(["run", small, "--shots", "0"])
        #expect(shots.status == 2)
        #expect(shots.stderr.contains("--shots must be at least 1, received 0"))
        let unknown = try verdant(["run", small, "--frobnicate"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("Unknown option '--frobnicate'"))
        let precision = try verdant(["run", small, "--precision", "half"])
        #expect(precision.status == 2)
        #expect(precision.stderr.contains("half"))
        let threads = try verdant(["run", small, "--threads", "0"])
        #expect(threads.status == 2)
        for result in [missing, parse, memory, limited, badSize, state, shots, unknown, precision, threads] { expectNoTrace(result) }
    }

    @Test("bench refuses sizes that cannot run before allocating, and options that name nothing (found by an audit)")
    func benchRefusals() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("afile", "x")
        let cases: [([String], Int32, String)] = [
            // Sizes no machine has the memory for (8 TB, 87 TiB): refused with the figures, exit 1.
            (["--suite", "parallel", "--cases", "sum-squares", "--elements", "1e12"], 1, "(sum-squares, Doubles) needs 7.3 TiB but"),
            (["--suite", "parallel", "--cases", "matmul", "--matrix-size", "2000000"], 1, "(matmul: A, B and C in Doubles) needs"),
            (["--suite", "qml", "--cases", "gradient", "--layers", "100000000"], 2, "--layers must be in 1...1000"),
            (["--qubits", "1"], 2, "--qubits: '1' is not a whole number in 2...50"),
            (["--suite", "qml", "--cases", "kernel", "--kernel-qubits", "1"], 2, "--kernel-qubits: '1' is not a whole number in 2...20"),
            (["--suite", "qml", "--cases", "dp-epoch", "--batch-size", "1", "--epoch-samples", "6"], 2, "--epoch-samples must be at least 8"),
            (["--suite", "qml", "--cases", "batch-gradient", "--batch-size", "0"], 2, "--batch-size must be at least 1"),
            (["--cases", "qft", "--qubits", "3", "--export-qasm", file], 2, "--export-qasm '\(file)': it is a file; give a folder"),
            (["--suite", "privacy", "--cases", "foo"], 2, "--suite privacy has none"),
            (["--cases", ""], 2, "--cases: '' names no case"),
        ]
        for (arguments, status, message) in cases {
            let result = try verdant(["bench"] + arguments + ["--repeats", "1", "--no-energy-summary"])
            #expect(result.status == status && result.stderr.contains(message), "\(arguments): \(result.status) \(result.stderr)")
            expectNoTrace(result)
        }
    }

    @Test("bench prints JSON with every case and exports the circuits as OpenQASM")
    func bench() throws {
        let dir = try TemporaryDirectory()
        let result = try verdant(["bench", "--suite", "quantum", "--qubits", "4,5", "--threads", "1,2", "--repeats", "1",
                                  "--json", "--export-qasm", dir.url.path])
        let verbose = try verdant(["run", "-", "--verbose", "--json"], input: bellQASM)
        // The leading h is folded into the initial product state (one sweep), the cx is one permutation kernel.
        #expect(verbose.stderr.hasPrefix(
            "fusion: 2 gates → 1 folded into the initial state, 1 kernel (1 permutation, blocks of up to 5 qubits) → 2 sweeps of memory"),
            "\(verbose.stderr)")
        let execution = try #require(try jsonObject(verbose.stdout)["execution"] as? [String: Any])
        #expect(execution["gates"] as? Int == 2 && execution["kernels"] as? Int == 1 && execution["sweeps"] as? Int == 2)
        #expect(execution["folded_gates"] as? Int == 1)
        #expect(execution["passes"] as? Int == 0 && execution["max_fused_qubits"] as? Int == 5)
        #expect(result.status == 0)
        let json = try jsonObject(result.stdout)
        let results = try #require(json["results"] as? [[String: Any]])
        #expect(results.count == 2 * 2 * 2 * QuantumBenchmark.names.count)
        let cases = Set(results.compactMap { $0["case"] as? String })
        #expect(cases == Set(QuantumBenchmark.names))
        for r in results where r["case"] as? String != "sample" {
            #expect((r["seconds_median"] as? Double ?? 0) > 0)
            #expect((r["gates_per_second"] as? Double ?? 0) > 0)
            #expect((r["bandwidth_gb_per_s"] as? Double ?? 0) > 0)
            // The initial product state that holds folded leading gates is a sweep but not a kernel
            // call, once per run of the circuit (bind: once per binding).
            let execution = r["execution"] as? [String: Any]
            let folded = execution?["folded_gates"] as? Int ?? 0
            let (sweeps, calls) = (r["sweeps"] as? Int ?? 0, r["kernel_calls"] as? Int ?? 0)
            let runs = max(1, calls / max(1, execution?["kernels"] as? Int ?? 1))
            #expect(sweeps >= 1 && sweeps <= calls + (folded > 0 ? runs : 0), "\(r)")
        }
        for name in ["qft-4", "qft-5", "qft-ucx-4", "qft-rzsx-5", "qaoa-4", "su2-5", "random-4", "h-first-5", "h-last-5", "sample-4"] {
            let path = dir.url.appendingPathComponent("\(name).qasm").path
            let circuit = try QuantumCircuit(qasmFile: path)
            #expect(circuit.numQubits == Int(name.split(separator: "-").last ?? "") ?? -1)
        }
        // The exported QFT is the library's QFT.
        let exported = try QuantumCircuit(qasmFile: dir.url.appendingPathComponent("qft-5.qasm").path)
        #expect(Distance.max(try ReferenceSimulator.unitary(of: exported), try ReferenceSimulator.unitary(of: .qft(numQubits: 5))) < 1e-12)
        let table = try verdant(["bench", "--qubits", "3", "--repeats", "1", "--precision", "single", "--cases", "sweep,qft,sample"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("per sweep ÷ sweep"))
        for (arguments, message) in [
            (["bench", "--suite", "nope"], "unknown suite 'nope' (available: quantum, energy, parallel, privacy, qml)"),
            (["bench", "--qubits", "3,x"], "--qubits: 'x' is not a whole number in 2...50"),
            (["bench", "--cases", "fft"], "--cases: unknown case 'fft'"),
            (["bench", "--precision", "quad"], "--precision: 'quad' is not one of double, single, both"),
            (["bench", "--repeats", "0"], "--repeats must be at least 1, received 0"),
        ] {
            let bad = try verdant(arguments)
            #expect(bad.status == 2, "\(arguments)")
            #expect(bad.stderr.contains(message), "\(bad.stderr)")
            expectNoTrace(bad)
        }
    }

    @Test("demo runs the seed's example and a wide circuit")
    func demo() throws {
        let result = try verdant(["demo", "--circuits", "--qubits", "8", "--shots", "200"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("1. Bell state: h q[0]; cx q[0], q[1]; measure q -> c"))
        #expect(result.stdout.contains("✓ only all-zeros and all-ones"))
        #expect(result.stdout.contains("state 64 B (2 qubits, double precision)"))
        #expect(try verdant(["demo", "--circuits", "--qubits", "1"]).status == 2)
    }
}
