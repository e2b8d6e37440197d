import ArgumentParser
import Foundation
import Verdant

/// `verdant kernel`: export a quantum kernel matrix for use elsewhere (e.g. scikit-learn's SVC).
struct KernelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernel",
        abstract: "Compute the fidelity quantum kernel matrix of a data set and write it as .npy or .csv.",
        discussion: """
            The training kernel K[i][j] = |⟨ψ(xᵢ)|ψ(xⱼ)⟩|² of --data (symmetric, N × N), or with --test the test \
            kernel (N_test × N_train). Features are scaled as in train (fitted on --data); --scale none takes them \
            as given. One state vector per sample, inner products in tiles, on every core and across MPI ranks.
            Example (then in Python: SVC(kernel="precomputed").fit(np.load("K.npy"), y)):
              verdant kernel --data iris.csv --feature-map zz --reps 2 --out K.npy
            """
    )

    @Option(help: ArgumentHelp("The data: a CSV file (plain or sealed), builtin:iris or builtin:adhoc.", valueName: "file"))
    var data: String

    @Option(help: ArgumentHelp("The label column's name (default: the last column); it is not a feature.", valueName: "column"))
    var label: String?

    @Option(help: ArgumentHelp("Test data: write the test kernel (rows: test samples, columns: --data samples).", valueName: "file"))
    var test: String?

    @OptionGroup var featureMapOptions: FeatureMapOptions

    @Option(help: "Feature scaling fitted on --data: minmax (to [0, π]), standard or none (default: minmax; none for builtin:adhoc, whose features are angles already).")
    var scale: String?

    @Option(help: "Seed of builtin:adhoc (the same seed as train's gives the same samples).")
    var seed: UInt64 = 7

    @Option(help: ArgumentHelp("Where to write the matrix: *.npy or *.csv, or *.npy.sealed / *.csv.sealed with -r, -R, --key-file or --passphrase ('-' or absent: CSV on standard output).", valueName: "file"))
    var out: String?

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Replace the output files (and --energy-report) if they exist.")
    var force = false

    @Flag(help: "Print a JSON summary on standard output (needs --out).")
    var json = false

    @OptionGroup var noise: MLNoiseOptions
    @OptionGroup var keys: JobKeyOptions
    @OptionGroup var energy: EnergyOptions
    @OptionGroup(title: "Traffic between MPI ranks") var traffic: SecureTrafficOptions

    func validate() throws {
        try traffic.check()
        if let scale, Scaler.Kind(rawValue: scale) == nil { throw ValidationError("--scale: '\(scale)' is not one of minmax, standard, none") }
        if let out, out != "-" {
            let sealedName = out.hasSuffix(".npy.sealed") || out.hasSuffix(".csv.sealed")
            guard out.hasSuffix(".npy") || out.hasSuffix(".csv") || sealedName else {
                throw ValidationError("--out: '\(out)' must end in .npy or .csv (or .npy.sealed, .csv.sealed when sealed)")
            }
            if sealedName, !keys.sealsOutputs {
                throw ValidationError("--out: '\(out)' ends in .sealed, but no -r, -R, --key-file or --passphrase seals it")
            }
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, received \(threads)") }
        if json, out == nil || out == "-" { throw ValidationError("--json prints a summary on standard output; give --out FILE for the matrix") }
    }

    func run() throws {
        AtomicOutput.removeOnInterrupt()
        let world = try traffic.world(command: self)
        let toFile = out != nil && out != "-"
        if world.rank == 0 {
            try checkOutput(out, force: force, option: "--out")
            try checkDistinctFiles(outputs: [("--out", out), ("--energy-report", energy.energyReport), ("--write-noise", noise.model.writeNoise)],
                                   inputs: [("--data", data), ("--test", test), ("--noise", noise.model.noise)] + keys.inputFiles)
        }
        let meter = try energy.start(force: force, writesReport: world.rank == 0)
        let jobKeys = try keys.resolve()
        if !toFile, !jobKeys.recipients.isEmpty, isatty(STDOUT_FILENO) != 0 {
            throw CLIError.usage("refusing to write a sealed kernel matrix to the terminal; use --out FILE or redirect standard output")
        }
        var job = KernelJob(data: try dataSource(data))
        job.test = try test.map { try dataSource($0, option: "--test") }
        job.noise = try noise.settings(force: force)
        if world.rank == 0 { MLNoiseOptions.noteKernelReadout(job.noise) }
        job.labelColumn = label
        job.featureMap = try featureMapOptions.choice(default: .zz) ?? FeatureMapChoice(.zz)
        job.scale = scale.flatMap(Scaler.Kind.init(rawValue:)) ?? job.data.defaultScale
        job.seed = seed
        job.keys = jobKeys.inputs
        job.scheduler = try threads.map { try Scheduler(threads: $0) } ?? .shared
        job.communicator = world
        job.meter = meter
        let bar = world.rank == 0 && !json && toFile ? ProgressBar("kernel") : nil
        job.progress = progressReporter(bar)
        let result = try QuantumKernel.compute(job)
        bar?.finish()
        let report = try energy.stop(meter, label: "verdant kernel", over: world)
        guard world.rank == 0 else { return }
        try noise.model.write(job.noise?.model, force: force)
        let sealed = !jobKeys.recipients.isEmpty
        if let out, toFile {
            let mode = plainOutputMode("the kernel matrix", path: out, sealedInputs: anySealed([data, test], rank: 0), sealedOutput: sealed)
            try result.write(toPath: out, recipients: jobKeys.recipients, overwrite: force, mode: mode)
        } else {
            FileHandle.standardOutput.write(try result.encoded(npy: false, for: jobKeys.recipients))
        }
        if json {
            JSON.object([
                ("out", .string(out ?? "-")), ("sealed", .bool(sealed)), ("rows", .integer(result.matrix.rows)), ("columns", .integer(result.matrix.columns)),
                ("qubits", .integer(result.qubits)), ("seconds", .number(result.seconds)),
                ("joules", .number(report.total.joules.value)), ("provenance", .string(report.total.provenance.rawValue)),
            ]).print()
        } else if let out, toFile {
            printNote(String(format: "%d × %d kernel matrix → %@%@ (%.3f s)", result.matrix.rows, result.matrix.columns, out,
                             sealed ? " (sealed)" : "", result.seconds))
        }
        try energy.publish(report)
    }
}
