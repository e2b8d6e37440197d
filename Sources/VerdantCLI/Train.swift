import ArgumentParser
import Foundation
import Verdant

/// `verdant train`: the main job — data (plain or sealed) → kernel in parallel → SVM → (sealed) model.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a quantum SVM, a variational quantum classifier (vqc) or regressor (vqr), or a classical SVM; write the model, sealed on request.",
        discussion: """
            Reads a CSV with a header row (the label is --label, else the last column), or a built-in set \
            (builtin:iris, builtin:adhoc). A sealed data file is opened in memory with -i/--key-file/--passphrase. \
            Holds out a stratified --test-size share (seeded) and prints its accuracy. The quantum kernel runs on \
            every core and, under mpirun (built with --traits MPI), across ranks; rank 0 alone writes and prints.
            --model vqr fits the label column as numbers (every cell must be one); its --test-size share is drawn at \
            random (seeded), and it reports MSE, MAE and R² instead of accuracy.
            DP-SGD (vqc, vqr): --dp-epsilon ε or --noise-multiplier σ with --dp-delta δ; Poisson batches of expected size \
            --batch-size, per-sample gradients clipped to --max-grad-norm, Gaussian noise; the model records ε, δ, σ, q and \
            the steps. Scaling must not come from the training rows: give --feature-bounds (or --scale none). A kernel SVM \
            refuses DP-SGD (its support vectors are training rows). See docs/privacy.md.
            Checkpoints (vqc, vqr): --checkpoint DIR writes the trainer's state, sealed like the model; --resume DIR \
            continues a run to the model it would have made without the interruption.
            Under mpirun: --encrypt-traffic --cluster-key FILE seals everything the ranks send each other; \
            --secure-aggregation --cluster-key FILE (vqc, vqr) masks each rank's gradient sum, so only the total is revealed. \
            See docs/secure-distributed.md.
            Federated shards (vqc, vqr, under mpirun): --data 'site-{rank}.csv[.sealed]' — each rank reads only the file \
            with its own rank number; the ranks agree on the columns, the class list and the scaling, and only gradient sums \
            leave a rank. --test-size holds out a share of each shard; a --test set must be sharded too. With --checkpoint \
            every rank keeps its own checkpoints (checkpoint-STEPS-rankR), and --resume refuses a rank whose shard changed.
            Examples:
              verdant train --data builtin:iris --model qsvm -o iris.model
              verdant train --data prices.csv --label price --model vqr -o price.model
              verdant train --data data.csv.sealed -i me.key -r verdant1… --model qsvm -o model.sealed
              verdant train --data builtin:iris --model vqc --feature-bounds 4:8,2:4.5,1:7,0:2.6 --dp-epsilon 3 --dp-delta 1e-5 -o dp.model
              mpirun -np 3 verdant train --data 'site-{rank}.csv.sealed' -i site.key --model vqc --secure-aggregation --cluster-key cluster.key -o fed.model
            """
    )

    @Option(help: ArgumentHelp("The training data: a CSV file (plain or sealed), builtin:iris, builtin:adhoc, or one shard per MPI rank ('site-{rank}.csv', vqc, vqr).", valueName: "file"))
    var data: String

    @Option(help: ArgumentHelp("The label column's name (default: the last column).", valueName: "column"))
    var label: String?

    @Option(help: ArgumentHelp("A test set (CSV, plain or sealed) to score on instead of holding out --test-size.", valueName: "file"))
    var test: String?

    @Option(help: "The model: qsvm, svm-rbf, svm-linear, vqc (a variational quantum classifier) or vqr (a variational quantum regressor).")
    var model: String = "qsvm"

    @OptionGroup var featureMapOptions: FeatureMapOptions

    @OptionGroup(title: "Variational models (--model vqc, vqr)")
    var variational: VariationalOptions

    @OptionGroup(title: "Differential privacy: DP-SGD (--model vqc, vqr)")
    var privacy: DifferentialPrivacyOptions

    @OptionGroup(title: "Checkpoints (--model vqc, vqr)")
    var checkpoints: CheckpointOptions

    @Flag(name: .customLong("secure-aggregation"),
          help: "vqc, vqr under mpirun: mask each rank's summed gradient (fixed point, pairwise masks) so that no rank sees another's; needs --cluster-key; see docs/secure-distributed.md.")
    var secureAggregation = false

    @OptionGroup(title: "Traffic between MPI ranks")
    var traffic: SecureTrafficOptions

    @Option(help: "Feature scaling fitted on the training data: minmax (to [0, π]), standard or none (default: minmax; none for builtin:adhoc, whose features are angles already).")
    var scale: String?

    @Option(name: .customLong("c"), help: "The SVM's C (penalty of margin violations).")
    var c: Double = 1

    @Option(help: "γ of svm-rbf (default: scikit-learn's 'scale', 1 / (features · variance)).")
    var gamma: Double?

    @Option(name: .customLong("test-size"), help: "Share of the samples held out for testing, in [0, 1); 0 trains on all.")
    var testSize: Double = 0.25

    @Option(help: "Seed of the train/test split (and of builtin:adhoc).")
    var seed: UInt64 = 7

    @Option(help: "Threads per process (default: all cores).")
    var threads: Int?

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Where to write the model.", valueName: "model"))
    var output: String

    @Flag(help: "Replace the model, --report and --energy-report files if they exist.")
    var force = false

    @Flag(help: "Print the result as JSON on standard output.")
    var json = false

    @Option(name: .customLong("report"), help: ArgumentHelp("Also write an HTML report of the model (sealed like the model when it is).", valueName: "file"))
    var reportPath: String?

    @OptionGroup var noise: MLNoiseOptions
    @OptionGroup var keys: JobKeyOptions
    @OptionGroup var energy: EnergyOptions

    /// Every model `--model` accepts.
    static let models = TrainingJob.Model.allCases.map(\.rawValue)

    func validate() throws {
        guard Train.models.contains(model) else {
            throw ValidationError("--model: '\(model)' is not one of \(Train.models.joined(separator: ", "))")
        }
        if let scale, Scaler.Kind(rawValue: scale) == nil { throw ValidationError("--scale: '\(scale)' is not one of minmax, standard, none") }
        guard testSize >= 0, testSize < 1 else { throw ValidationError("--test-size must be in [0, 1), received \(testSize)") }
        guard c > 0, c.isFinite else { throw ValidationError("--c must be a positive number, received \(c)") }
        if let gamma, !(gamma > 0 && gamma.isFinite) { throw ValidationError("--gamma must be a positive number, received \(gamma)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, received \(threads)") }
        try privacy.check()
        try checkpoints.check()
        if secureAggregation, model != TrainingJob.Model.vqc.rawValue, model != TrainingJob.Model.vqr.rawValue {
            throw ValidationError("--secure-aggregation masks the gradients that vqc and vqr sum over the ranks; --model \(model) exchanges "
                + "kernel tiles, not sums, so there is nothing to mask: protect its traffic with --encrypt-traffic --cluster-key FILE")
        }
        try traffic.check(secureAggregation: secureAggregation)
        if model == TrainingJob.Model.vqr.rawValue {
            if let conflict = variational.regressorConflict { throw ValidationError(conflict) }
            for path in [data] + (test.map { [$0] } ?? []) where path.hasPrefix("builtin:") {
                throw ValidationError("--model vqr needs numeric targets; '\(path)' is a classification set (class labels); give a CSV file whose label column holds numbers")
            }
        }
    }

    /// The library's description of this run.
    func job(keys: JobKeys, world: any Communicator, meter: EnergyMeter, progress: ProgressBar?) throws -> TrainingJob {
        guard let kind = TrainingJob.Model(rawValue: model) else { throw CLIError.usage("--model: '\(model)' is not one of \(Train.models.joined(separator: ", "))") }
        var job = TrainingJob(model: kind, data: try dataSource(data))
        job.test = try test.map { try dataSource($0, option: "--test") }
        job.labelColumn = label
        job.testFraction = testSize
        job.seed = seed
        job.scale = scale.flatMap(Scaler.Kind.init(rawValue:)) ?? job.data.defaultScale
        // qsvm: zz unless --feature-map says otherwise, with --reps/--alpha/--entanglement applied;
        // vqc and vqr: their own angle encoding unless --feature-map is given.
        job.featureMap = try featureMapOptions.choice(default: kind == .qsvm ? .zz : nil)
        job.svm = SVCParameters(c: c)
        job.gamma = gamma
        job.noise = try noise.settings(force: force)
        if model == "qsvm", world.rank == 0 { MLNoiseOptions.noteKernelReadout(job.noise) }
        if job.noise != nil, kind == .svmRBF || kind == .svmLinear {
            throw CLIError.usage("--noise: \(kind.rawValue) is a classical model (no circuit to be noisy); use qsvm, vqc or vqr")
        }
        if kind == .vqc || kind == .vqr { job.variational = try variational.settings(underNoise: job.noise != nil) }
        job.privacy = privacy.configuration()
        job.featureBounds = try privacy.parsedFeatureBounds()
        job.targetBounds = try privacy.parsedTargetBounds()
        job.checkpoint = try checkpoints.settings(keys: keys)
        job.sharesShardClassCounts = reportPath != nil
        job.keys = keys.inputs
        job.scheduler = try threads.map { try Scheduler(threads: $0) } ?? .shared
        job.communicator = world
        job.meter = meter
        job.progress = progressReporter(progress)
        return job
    }

    func run() throws {
        AtomicOutput.removeOnInterrupt()
        let world = try traffic.world(secureAggregation: secureAggregation, command: self)
        let isRoot = world.rank == 0
        if isRoot {
            try checkOutput(output, force: force)
            try checkOutput(reportPath, force: force, option: "--report")
            try checkDistinctFiles(outputs: [("-o", output), ("--report", reportPath), ("--energy-report", energy.energyReport),
                                             ("--write-noise", noise.model.writeNoise)],
                                   inputs: [("--data", data.contains("{rank}") ? nil : data), ("--test", test),
                                            ("--noise", noise.model.noise)] + keys.inputFiles)
        }
        let meter = try energy.start(force: force, writesReport: world.rank == 0)
        let jobKeys = try keys.resolve()
        let bar = isRoot && !json ? ProgressBar(model == "vqc" || model == "vqr" ? "epochs" : "kernel") : nil
        let trainingJob = try job(keys: jobKeys, world: world, meter: meter, progress: bar)
        if isRoot, !json, let seed = trainingJob.privacy?.randomSeed {
            printNote("verdant: warning: DP-SGD draws its batches and noise from --dp-seed \(seed): the run is reproducible, "
                      + "and gives no privacy against anyone who knows the seed")
        }
        let outcome = try TrainedModel.train(trainingJob)
        bar?.finish()
        // Every rank worked: the report (and the model's energy record) adds them all.
        let report = try energy.stop(meter, label: "verdant train", over: world)
        let trained = outcome.model.withEnergy(EnergyRecord(report.total))
        guard isRoot else { return }
        try noise.model.write(trainingJob.noise?.model, force: force)
        let mode = plainOutputMode("the model", path: output, sealedInputs: anySealed([data, test], rank: world.rank),
                                   sealedOutput: !jobKeys.recipients.isEmpty)
        try trained.write(toPath: output, recipients: jobKeys.recipients, overwrite: force, mode: mode)
        let sealed = !jobKeys.recipients.isEmpty
        if json {
            trained.json(output: output, sealed: sealed, energy: report).print()
        } else {
            print(trained.summary(output: output, sealed: sealed))
            if let line = TerminalLook.lossLine(outcome.history, bestEpoch: trained.bestEpoch) { print(line) }
        }
        if let reportPath {
            var content = ReportContent()
            try content.add(model: trained, name: (output as NSString).lastPathComponent, training: outcome.trainingSamples,
                            test: outcome.testSamples, shards: outcome.shards, source: output)
            try content.add(energy: report, source: "verdant train")
            try writeRunReport(content, to: reportPath, recipients: jobKeys.recipients, overwrite: force)
        }
        try energy.publish(report)
    }
}

extension Train: CustomOptionNames {
    static let customOptionNames = ["reportPath": "--report"]
}
