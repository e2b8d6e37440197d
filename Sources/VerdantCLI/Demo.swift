import ArgumentParser
import Foundation
import Verdant
import VerdantCommon

/// `verdant demo`: the main job, runnable with no set-up — encrypted data → quantum kernel in
/// parallel → sealed model and predictions → energy report.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The main job on the embedded Iris data: seal it, train a quantum SVM, an RBF baseline and a quantum neural network, seal models and predictions, report accuracy and energy.",
        discussion: """
            In a fresh work folder (or --work-dir): makes an X25519 identity, seals the embedded Iris CSV for it \
            (the plaintext never touches the disk), opens it in memory, holds out a stratified 25 % test split, trains \
            the quantum SVM (ZZ feature map, 4 qubits, 2 reps, α = 0.5; kernel in parallel chunks on every core), the \
            classical RBF SVM and a quantum neural network (angle encoding, RealAmplitudes with 2 repetitions, Adam, 20 \
            epochs, exact adjoint gradients in parallel), writes the three models and their test predictions sealed, opens the predictions again to \
            score them, and prints one table: model, accuracy, seconds, joules, gCO2e, cost, with the energy's \
            provenance. --circuits runs the foundation's demo instead (the seed's Bell state and a 20-qubit circuit).
            """
    )

    @Option(help: "Seed of the train/test split (and of sampling with --circuits).")
    var seed: UInt64 = 7

    @Option(name: .customLong("work-dir"), help: ArgumentHelp("The folder for the demo's files (default: a fresh folder under the temporary directory).", valueName: "dir"))
    var workDir: String?

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Print the table as JSON on standard output.")
    var json = false

    @Flag(help: "Run the foundation's circuit demo instead: the seed's Bell state and a 20-qubit circuit.")
    var circuits = false

    @Option(help: "--circuits: shots per circuit.")
    var shots: Int = 1024

    @Option(help: "--circuits: qubits of the large circuit.")
    var qubits: Int = 20

    @Option(name: .customLong("report"), help: ArgumentHelp("Also write an HTML report: accuracy against joules, confusion and kernel matrices, the training curves, power over time (sampled every 0.1 s at most).", valueName: "file"))
    var reportPath: String?

    @OptionGroup(title: "Energy options")
    var energy: EnergyOptions

    func validate() throws {
        guard shots >= 1 else { throw ValidationError("--shots must be at least 1, received \(shots)") }
        guard (2...30).contains(qubits) else { throw ValidationError("--qubits must be in 2...30, received \(qubits)") }
        if let threads, !(1...4096).contains(threads) { throw ValidationError("--threads must be in 1...4096, received \(threads)") }
        if workDir == "" { throw ValidationError("--work-dir: the path is empty; give a new or empty folder") }
        if circuits {
            let mainOnly = [("--json", json), ("--report", reportPath != nil), ("--work-dir", workDir != nil), ("--threads", threads != nil)]
            if let (option, _) = mainOnly.first(where: { $0.1 }) {
                throw ValidationError("\(option) belongs to the main demo, and --circuits runs the circuit demo instead "
                                      + "(its options: --shots, --qubits, --seed and the energy options)")
            }
        }
    }

    /// The files the demo writes in its work folder.
    static let workFiles = ["demo.key", "iris.csv.sealed"]
        + TrainingJob.Model.allCases.filter { $0 != .vqr && $0 != .svmLinear }.flatMap { ["\($0.rawValue).model.sealed", "\($0.rawValue).predictions.sealed"] }

    func run() throws {
        if circuits { return try runCircuits() }
        let world = try Distributed.world()
        guard world.size == 1 else {
            throw CLIError.usage("verdant demo runs in one process; under mpirun use verdant train (rank 0 writes and prints)")
        }
        AtomicOutput.removeOnInterrupt()
        // The demo makes keys and holds the plaintext data set: no core file from here on.
        SecretMemory.protectProcess()
        // The work folder first, so a report may go in it; removed again if an output is refused.
        let (folder, created) = try makeWorkFolder()
        let meter: EnergyMeter
        do {
            // The demo replaces its own outputs (it is run again and again, as the README's first command).
            try checkOutput(reportPath, force: true, option: "--report")
            try energy.checkReportFile(force: true)
            try checkDistinctFiles(outputs: [("--report", reportPath), ("--energy-report", energy.energyReport)], inputs: [])
            // A report may go in the work folder, but not over one of the demo's own files (the key).
            for (option, path) in [("--report", reportPath), ("--energy-report", energy.energyReport)] {
                guard let path, let name = Self.workFiles.first(where: { sameFile(path, folder.appendingPathComponent($0).path) }) else { continue }
                throw CLIError.usage("\(option) '\(path)' is the demo's own \(name) in the work folder; write it elsewhere")
            }
            // A report draws power over time: sample at least ten times a second.
            var configuration = try energy.configuration()
            if reportPath != nil { configuration.sampleInterval = min(configuration.sampleInterval, 0.1) }
            meter = try EnergyMeter(configuration: configuration)
        } catch {
            if created { rmdir(folder.path) }
            throw error
        }
        var reportContent = ReportContent()
        let scheduler = try threads.map { try Scheduler(threads: $0) } ?? .shared
        if !json { print("Verdant \(VerdantCommand.version) — the main job: sealed data → quantum kernel in parallel → sealed model → energy\n") }

        // 1. A key, and the data sealed for it.
        let identity = X25519Identity()
        let keyPath = folder.appendingPathComponent("demo.key").path
        let dataPath = folder.appendingPathComponent("iris.csv.sealed").path
        try AtomicOutput.write(Data(identity.fileText().utf8), toPath: keyPath, overwrite: false, mode: 0o600)
        let recipients: [Recipient] = [.x25519(identity.recipient)]
        try SealedFile.write(Data(DatasetLoader.irisCSV.utf8), toPath: dataPath, for: recipients, contentType: "dataset/csv")
        let keys = InputKeys(identities: [.x25519(identity)])
        let data = try DatasetLoader.csv(atPath: dataPath, keys: keys)

        // 2. Each model: train on a stratified 75 % (the same split for all three), seal the model,
        //    predict the held-out 25 %, seal the predictions, open them again and score them.
        struct Row { let name: String; let kind: String; let accuracy: Double; let usage: EnergyUsage; let model: String; let predictions: String }
        var rows: [Row] = []
        var counts = (train: 0, test: 0)
        let models: [(name: String, model: TrainingJob.Model)] = [("quantum SVM (ZZ map, 4 qubits, α 0.5)", .qsvm),
                                                                  ("classical SVM (RBF)", .svmRBF),
                                                                  ("quantum neural network (VQC, RealAmplitudes ×2)", .vqc)]
        for (step, (name, model)) in models.enumerated() {
            let kind = model.rawValue
            let modelPath = folder.appendingPathComponent("\(kind).model.sealed").path
            let predictionsPath = folder.appendingPathComponent("\(kind).predictions.sealed").path
            var job = TrainingJob(model: model, data: .dataset(data))
            job.seed = seed
            job.scheduler = scheduler
            // Qiskit's default α = 2 makes the 4-feature ZZ kernel nearly diagonal on Iris (test
            // accuracy 0.74); α = 0.5 widens its bandwidth (docs/qsvm.md).
            if model == .qsvm { job.featureMap = FeatureMapChoice(.zz, alpha: 0.5) }
            // Angle encoding (ry) and Qiskit's RealAmplitudes with 2 repetitions, Adam, 20 epochs.
            if model == .vqc { job.variational = VariationalSettings(ansatz: AnsatzChoice(.realAmplitudes, layers: 2)) }
            let bar = json ? nil : ProgressBar(model == .vqc ? "   vqc epochs" : "   \(kind) kernel")
            job.progress = progressReporter(bar)
            let (outcome, usage) = try meter.measure(kind) { () -> (accuracy: Double, trained: TrainingOutcome) in
                let trained = try TrainedModel.train(job)
                bar?.finish()
                var predict = PredictionJob(data: trained.testSamples ?? .dataset(data))
                predict.scheduler = scheduler
                let predictions = try trained.model.predict(predict)
                // The file holds the predictions alone (as a model holder without the labels would write it).
                try Predictions(predicted: predictions.predicted).write(toPath: predictionsPath, recipients: recipients)
                // The owner opens the predictions (in memory) and scores them.
                let opened = try Predictions.predictedLabels(atPath: predictionsPath, keys: keys)
                return (Predictions.accuracy(opened, predictions.truth ?? []), trained)
            }
            if step == 0 { counts = (outcome.trained.model.trainingSamples, outcome.trained.model.testSamples) }
            if step == 0, !json {
                print("1. identity \(keyPath) (mode 600), recipient \(identity.recipient.string)")
                print("2. Iris (\(data.count) samples, \(data.features.columns) features, \(data.classes.count) classes) sealed → \(dataPath);")
                print("   opened in memory: \(counts.train) training and \(counts.test) test samples (stratified, seed \(seed))")
            }
            // The sealed model records its test accuracy, split and the energy of its row.
            let model = outcome.trained.model.withEnergy(EnergyRecord(usage))
            try model.write(toPath: modelPath, recipients: recipients, overwrite: false)
            if reportPath != nil {
                try reportContent.add(model: model, name: name, training: outcome.trained.trainingSamples, test: outcome.trained.testSamples,
                                      source: (modelPath as NSString).lastPathComponent)
            }
            if !json { print("\(step + 3). \(name): model → \(modelPath), predictions → \(predictionsPath)") }
            rows.append(Row(name: name, kind: kind, accuracy: outcome.accuracy, usage: usage, model: modelPath, predictions: predictionsPath))
        }
        let report = meter.stop(label: "verdant demo")
        if let reportPath {
            try reportContent.add(energy: report, source: "verdant demo")
            try writeRunReport(reportContent, to: reportPath, title: "Verdant demo: sealed Iris, quantum and classical models, energy", overwrite: true)
        }

        if json {
            JSON.object([
                ("workDir", .string(folder.path)), ("identity", .string(keyPath)), ("data", .string(dataPath)),
                ("trainSamples", .integer(counts.train)), ("testSamples", .integer(counts.test)),
                ("models", .array(rows.map { row in
                    .object([
                        ("model", .string(row.kind)), ("name", .string(row.name)), ("accuracy", .number(row.accuracy)),
                        ("seconds", .number(row.usage.seconds)), ("joules", .number(row.usage.joules.value)),
                        ("joules_band", .array([.number(row.usage.joules.low), .number(row.usage.joules.high)])),
                        ("gCO2e", .number(row.usage.gCO2e.value)), ("cost", .number(row.usage.cost.value)),
                        ("currency", .string(row.usage.currency)), ("provenance", .string(row.usage.provenance.rawValue)),
                        ("modelFile", .string(row.model)), ("predictionsFile", .string(row.predictions)),
                    ])
                })),
                ("total", .object([
                    ("seconds", .number(report.total.seconds)), ("joules", .number(report.total.joules.value)),
                    ("joules_band", .array([.number(report.total.joules.low), .number(report.total.joules.high)])),
                    ("gCO2e", .number(report.total.gCO2e.value)), ("cost", .number(report.total.cost.value)),
                    ("provenance", .string(report.total.provenance.rawValue)),
                ])),
            ]).print()
        } else {
            print("")
            let table = rows.map { row in
                [row.name, String(format: "%.3f", row.accuracy), String(format: "%.3f", row.usage.seconds),
                 String(format: "%.3g ", row.usage.joules.value) + row.usage.joules.bandText, String(format: "%.3g", row.usage.gCO2e.value),
                 String(format: "%.2e %@", row.usage.cost.value, row.usage.currency), row.usage.provenance.rawValue]
            }
            print(Format.table(["model", "test accuracy", "seconds", "joules (band)", "gCO2e", "cost", "energy provenance"], table))
            print("\nfiles: \(folder.path) (open them with: verdant unseal -i \(keyPath) FILE)")
        }
        try energy.finish(meter, label: "verdant demo")
    }

    /// A fresh folder for the demo's files, and whether this run made it (an empty one given by
    /// --work-dir is used as it is).
    private func makeWorkFolder() throws -> (URL, created: Bool) {
        let url: URL
        if let workDir {
            url = URL(fileURLWithPath: workDir)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: workDir, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else { throw CLIError.usage("--work-dir '\(workDir)' is a file; give a folder") }
                let contents = (try? FileManager.default.contentsOfDirectory(atPath: workDir)) ?? []
                guard contents.isEmpty else { throw CLIError.usage("--work-dir '\(workDir)' is not empty; give a new or empty folder") }
                return (url, false)
            }
        } else {
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            url = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-demo-\(stamp)-\(getpid())")
        }
        // Folder by folder, so a failure names the system's reason (Foundation's says only
        // "NSCocoaErrorDomain error 512").
        var path = url.path.hasPrefix("/") ? "" : "."
        for component in url.path.split(separator: "/") {
            path += "/" + component
            if mkdir(path, 0o700) == 0 || errno == EEXIST {
                var info = stat()
                if stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { continue }
                throw CLIError.usage("\(workDir == nil ? "the work folder" : "--work-dir") '\(url.path)': '\(path)' is a file, not a folder")
            }
            let reason = String(cString: strerror(errno))
            let message = "cannot create the work folder '\(url.path)' ('\(path)': \(reason))"
            throw workDir != nil ? CLIError.usage("--work-dir: " + message) : CLIError.runtime(message)
        }
        return (url, true)
    }

    /// The foundation's demo: the seed's Bell state and a wide GHZ/QFT circuit.
    private func runCircuits() throws {
        let meter = try energy.start(force: true)
        print("Verdant \(VerdantCommand.version) — the seed's quantum example (§4.1), in Swift\n")
        // The seed's example, as written there.
        let q = QuantumRegister(2, name: "q"); let c = ClassicalRegister(2, name: "c")
        var bell = QuantumCircuit(q, c)
        bell.h(q[0]); bell.cx(q[0], q[1]); bell.measure(q, c)
        let small = try bell.run(shots: shots, seed: seed)
        print("1. Bell state: h q[0]; cx q[0], q[1]; measure q -> c")
        report(small)

        // A 20-qubit circuit whose answer is known: GHZ, then QFT and its inverse (which cancel).
        var large = QuantumCircuit.ghz(numQubits: qubits)
        large = try large.compose(.qft(numQubits: qubits)).compose(try QuantumCircuit.qft(numQubits: qubits).inverse())
        large.measureAll()
        let bar = ProgressBar("simulating")
        var simulator = Simulator()
        simulator.progress = { done, total in bar.update(done, total) }
        let result = try simulator.run(large, shots: shots, seed: seed)
        bar.finish()
        print("\n2. \(qubits) qubits: GHZ, then QFT and inverse QFT (\(large.size) instructions, depth \(large.depth())):")
        report(result, limit: 4)
        let ok = Set(result.counts.keys) == [String(repeating: "0", count: qubits), String(repeating: "1", count: qubits)]
        print(ok ? "   ✓ only all-zeros and all-ones, as a GHZ state must give" : "   ✗ unexpected outcomes")
        if !ok { throw CLIError.runtime("the 20-qubit demo circuit gave outcomes a GHZ state cannot give") }
        try energy.finish(meter, label: "verdant demo")
    }

    private func report(_ result: RunResult, limit: Int = 8) {
        let rows = result.counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(limit).map {
            ["   " + $0.key, String($0.value)]
        }
        print(Format.table(["   outcome", "count"], Array(rows)))
        print("   \(result.shots) shots, seed \(result.seed) · time \(Format.seconds(result.seconds)) · "
              + "state \(Format.bytes(result.stateBytes)) (\(result.numQubits) qubits, \(result.precision) precision)")
    }
}
