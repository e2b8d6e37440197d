import Energy
import Foundation
import Parallel
import Privacy
import VerdantCommon

/// A quantum kernel matrix to compute for use elsewhere (scikit-learn's `SVC(kernel="precomputed")`):
/// the training kernel K[i][j] = |⟨ψ(xᵢ)|ψ(xⱼ)⟩|² of ``data`` (N × N), or with ``test`` the test
/// kernel (N_test × N_train). Features are scaled as `train` scales them (fitted on ``data``).
/// Give it to ``QuantumKernel/compute(_:)``.
public struct KernelJob: Sendable {
    /// The samples the scaler is fitted on (the columns of a test kernel).
    public var data: DataSource
    /// Test samples: the rows of a test kernel (nil: the training kernel of ``data``).
    public var test: DataSource?
    /// The label column of CSV files, which is not a feature (nil: the last column).
    public var labelColumn: String?
    /// The encoding (default: ZZ with 2 repetitions, full entanglement, α = 2).
    public var featureMap: FeatureMapChoice
    /// Feature scaling fitted on ``data`` (``Scaler/Kind/none`` takes the features as given; default:
    /// ``DataSource/defaultScale``).
    public var scale: Scaler.Kind
    /// The seed of `builtin:adhoc`.
    public var seed: UInt64
    /// What opens sealed inputs.
    public var keys: InputKeys
    /// This process's threads.
    public var scheduler: Scheduler
    /// The ranks sharing the work (nil: this process alone).
    public var communicator: (any Communicator)?
    /// A meter that gets the span `kernel matrix` (nil: none).
    public var meter: EnergyMeter?
    /// Progress of the kernel computation.
    public var progress: (@Sendable (JobProgress) -> Void)?
    /// The kernel under noise (nil: ideal): Tr(ρ(x)·ρ(x′)), exact or from shots (``NoiseSettings``).
    public var noise: NoiseSettings?

    /// A job with `verdant kernel`'s defaults: the ZZ map, min-max scaling to [0, π], seed 7, all cores.
    ///
    /// - Parameter data: The samples.
    public init(data: DataSource) {
        self.data = data
        test = nil
        labelColumn = nil
        featureMap = FeatureMapChoice(.zz)
        scale = data.defaultScale
        seed = 7
        keys = InputKeys()
        scheduler = .shared
        communicator = nil
        meter = nil
        progress = nil
    }
}

/// A computed kernel matrix and how it was made.
public struct KernelResult: Sendable {
    /// The matrix: N × N (training kernel) or N_test × N (test kernel).
    public var matrix: Matrix
    /// The feature map's qubits.
    public var qubits: Int
    /// Seconds of the whole job (loading, scaling and the kernel).
    public var seconds: Double

    /// The matrix as CSV: one row per line, numbers in shortest round-trip form, no header.
    public var csv: String {
        var text = ""
        text.reserveCapacity(matrix.values.count * 20)
        for i in 0..<matrix.rows {
            text += (0..<matrix.columns).map { "\(matrix[i, $0])" }.joined(separator: ",")
            text += "\n"
        }
        return text
    }

    /// The content type of a sealed kernel matrix: `kernel/npy` or `kernel/csv`.
    public static func contentType(npy: Bool) -> String { npy ? "kernel/npy" : "kernel/csv" }

    /// Whether a path names the `.npy` form: it ends in `.npy`, or `.npy.sealed`.
    public static func isNPY(path: String) -> Bool { path.hasSuffix(".npy") || path.hasSuffix(".npy.sealed") }

    /// The matrix's bytes: a NumPy `.npy` file (little-endian float64) or CSV (``csv``), sealed for
    /// `recipients` when there are any (content type ``contentType(npy:)``).
    ///
    /// - Parameters:
    ///   - npy: Whether to encode it as `.npy` (else CSV).
    ///   - recipients: Who can open it (none: plain bytes).
    /// - Returns: The bytes.
    /// - Throws: Privacy's errors when sealing fails.
    public func encoded(npy: Bool, for recipients: [Recipient] = []) throws -> Data {
        let plain = npy ? try ChunkedArray(matrix.values, shape: [matrix.rows, matrix.columns]).npyData() : Data(csv.utf8)
        return recipients.isEmpty ? plain : try SealedFile.seal(plain, for: recipients, contentType: Self.contentType(npy: npy))
    }

    /// Writes the matrix atomically: NumPy's `.npy` (little-endian float64) when `path` ends in
    /// `.npy` or `.npy.sealed` (``isNPY(path:)``), else CSV (``csv``); sealed for `recipients` when
    /// there are any.
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - recipients: Who can open it (none: a plain file).
    ///   - overwrite: Whether an existing file may be replaced.
    ///   - mode: A plain file's permissions (nil: 0666 less the umask; 0o600 for outputs of sealed data).
    /// - Throws: Privacy's errors (`outputExists` without `overwrite`, I/O, sealing).
    public func write(toPath path: String, recipients: [Recipient] = [], overwrite: Bool = false, mode: mode_t? = nil) throws {
        let npy = Self.isNPY(path: path)
        if recipients.isEmpty {
            try AtomicOutput.write(try encoded(npy: npy), toPath: path, overwrite: overwrite, mode: mode)
        } else {
            let plain = try encoded(npy: npy)
            try SealedFile.write(plain, toPath: path, for: recipients, contentType: Self.contentType(npy: npy), overwrite: overwrite)
        }
    }
}

extension QuantumKernel {
    /// Computes the kernel matrix a job describes: loads the samples, fits the scaler on ``KernelJob/data``,
    /// and computes the training kernel (or the test kernel against ``KernelJob/data``) on every
    /// core and rank of the job. The matrix is the same bit for bit for any number of threads and ranks.
    ///
    /// - Parameter job: The job.
    /// - Returns: The matrix, the map's qubit count and the job's seconds.
    /// - Throws: The loaders' errors; ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when
    ///   the test samples' features differ from the training samples'; the kernel's errors.
    public static func compute(_ job: KernelJob) throws -> KernelResult {
        let start = Timing.now()
        let (train, test) = try agreeIfDistributed(job.communicator) { () -> (Dataset, Dataset?) in
            (try DatasetLoader.load(job.data, labelColumn: job.labelColumn, keys: job.keys, seed: job.seed).data,
             try job.test.map { try DatasetLoader.load($0, labelColumn: job.labelColumn, keys: job.keys, seed: job.seed).data })
        }
        try SameSamples.check([(job.data.name, SampleFingerprint(train))] + (test.map { [(job.test?.name ?? $0.name, SampleFingerprint($0))] } ?? []),
                              over: job.communicator)
        if let test, test.featureNames != train.featureNames {
            throw QuantumMLError.shapeMismatch(
                subject: "the features of the test samples \(job.test?.name ?? test.name)", received: test.featureNames.joined(separator: ", "),
                expected: "those of the training samples \(job.data.name) (\(train.featureNames.joined(separator: ", "))), in the same order")
        }
        let scaler = try Scaler.fit(train.features, kind: job.scale)
        let map = try job.featureMap.featureMap(features: train.features.columns)
        var kernel = QuantumKernel(featureMap: map, scheduler: job.scheduler, communicator: job.communicator)
        kernel.noise = job.noise
        if let progress = job.progress { kernel.progress = { progress(JobProgress(phase: .kernel, done: $0, total: $1)) } }
        let x = try scaler.transform(train.features)
        try map.checkScaledSamples(raw: train.features, scaled: x, featureNames: train.featureNames, data: job.data.name, scale: scaler.kind)
        let testX = try test.map { try scaler.transform($0.features) }
        if let test, let testX {
            try map.checkScaledSamples(raw: test.features, scaled: testX, featureNames: test.featureNames, data: job.test?.name ?? test.name,
                                       scale: scaler.kind)
        }
        let matrix = try TrainedModel.inSpan(job.meter, "kernel matrix") {
            if let testX { return try kernel.matrix(testX, x) }
            return try kernel.trainingMatrix(x)
        }
        return KernelResult(matrix: matrix, qubits: map.numQubits, seconds: Timing.now() - start)
    }
}
