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

    @Option(help: "Feature scaling fitted on --data: minmax (to [0, π]), standard or none.")
    var scale: String = "minmax"

    @Option(help: ArgumentHelp("Where to write the matrix: *.npy or *.csv ('-' or absent: CSV on standard output).", valueName: "file"))
    var out: String?

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    @Flag(help: "Print a JSON summary on standard output (needs --out).")
    var json = false

    @OptionGroup var keys: JobKeyOptions
    @OptionGroup var energy: EnergyOptions

    func validate() throws {
        guard Scaler.Kind(rawValue: scale) != nil else { throw ValidationError("--scale: '\(scale)' is not one of minmax, standard, none") }
        if let out, out != "-", !(out.hasSuffix(".npy") || out.hasSuffix(".csv")) {
            throw ValidationError("--out: '\(out)' must end in .npy or .csv")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, received \(threads)") }
        if json, out == nil || out == "-" { throw ValidationError("--json prints a summary on standard output; give --out FILE for the matrix") }
    }

    func run() throws {
        AtomicOutput.removeOnInterrupt()
        let world = try parallelCall { try Distributed.world() }
        if world.rank == 0 { try checkOutput(out, force: force, option: "--out") }
        let meter = try energy.start()
        let jobKeys = try keys.resolve()
        let start = DispatchTime.now().uptimeNanoseconds
        let (train, testSet) = try mlErrors { () -> (Dataset, Dataset?) in
            let train = try DataSource.load(data, label: label, keys: jobKeys, seed: 7).data
            let testSet = try test.map { try DataSource.load($0, label: label, keys: jobKeys, seed: 7).data }
            if let test, let testSet, testSet.featureNames != train.featureNames {
                throw QuantumMLError.shapeMismatch(
                    subject: "the features of \(test) (--test)", received: testSet.featureNames.joined(separator: ", "),
                    expected: "those of \(data) (--data), \(train.featureNames.joined(separator: ", ")), in the same order")
            }
            return (train, testSet)
        }
        let matrix = try mlErrors { () -> Matrix in
            let scaler = try Scaler.fit(train.features, kind: Scaler.Kind(rawValue: scale) ?? .minmax)
            let map = try featureMapOptions.kernelMap(features: train.features.columns)
            var kernel = QuantumKernel(featureMap: map, scheduler: try threads.map { try Scheduler(threads: $0) } ?? .shared,
                                       communicator: world)
            let bar = ProgressBar("kernel")
            if world.rank == 0, !json, out != nil, out != "-" { kernel.progress = { bar.update($0, $1) } }
            defer { bar.finish() }
            let x = try scaler.transform(train.features)
            return try meter.span("kernel matrix") {
                if let testSet { return try kernel.matrix(try scaler.transform(testSet.features), x) }
                return try kernel.trainingMatrix(x)
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let report = meter.stop(label: "verdant kernel")
        guard world.rank == 0 else { return }
        try mlErrors {
            if let out, out.hasSuffix(".npy") {
                try parallelCall { try ChunkedArray(matrix.values, shape: [matrix.rows, matrix.columns]).writeNPY(to: out) }
            } else {
                var csv = ""
                csv.reserveCapacity(matrix.values.count * 20)
                for i in 0..<matrix.rows {
                    csv += (0..<matrix.columns).map { "\(matrix[i, $0])" }.joined(separator: ",")
                    csv += "\n"
                }
                if let out, out != "-" {
                    try withPrivacyErrors { try AtomicOutput.write(Data(csv.utf8), toPath: out, overwrite: true) }
                } else {
                    FileHandle.standardOutput.write(Data(csv.utf8))
                }
            }
        }
        if json {
            JSON.object([
                ("out", .string(out ?? "-")), ("rows", .integer(matrix.rows)), ("columns", .integer(matrix.columns)),
                ("qubits", .integer(try featureMapOptions.kernelMap(features: train.features.columns).numQubits)),
                ("seconds", .number(seconds)), ("joules", .number(report.total.joules.value)),
                ("provenance", .string(report.total.provenance.rawValue)),
            ]).print()
        } else if let out, out != "-" {
            printNote(String(format: "%d × %d kernel matrix → %@ (%.3f s)", matrix.rows, matrix.columns, out, seconds))
        }
        if !energy.noEnergySummary { printNote(report.oneLine) }
        if let path = energy.energyReport {
            try report.writeJSON(to: path)
        }
    }
}
