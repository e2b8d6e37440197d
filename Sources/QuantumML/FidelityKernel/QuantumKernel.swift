import Foundation
import Parallel
import Quantum

/// The fidelity quantum kernel K(x, y) = |⟨ψ(x)|ψ(y)⟩|² of a ``FeatureMap``.
///
/// One state vector is simulated per sample (N simulations, not N²) from a circuit compiled once
/// and bound per sample; the matrix is then filled tile by tile from inner products. Samples and
/// tiles are split into chunks that run on every core of the ``Scheduler`` and, when the
/// communicator has several ranks (under `mpirun`), are spread across ranks and gathered, so every
/// rank ends with the whole matrix. Each entry is computed by the same code whatever the split, so
/// the matrix is bit for bit the same for any number of threads or ranks.
///
/// When the N states do not fit in ``memoryBudgetBytes``, the kernel streams: each tile simulates
/// the states of its own rows and columns, so at most two tiles of states per thread are alive.
public struct QuantumKernel: Sendable {
    /// The encoding of each sample.
    public let featureMap: FeatureMap
    /// Whether Z-only Pauli maps (ZZ, Z) build their states directly (Walsh–Hadamard transform and
    /// phases) instead of simulating gate by gate; on by default. Both give the same states to
    /// rounding; the switch exists for the tests (internal: not a user's choice).
    var directDiagonalStates = true
    /// The threads of this process.
    public var scheduler: Scheduler
    /// The ranks that share the work (a one-rank ``LocalCommunicator`` when nil).
    public var communicator: (any Communicator)?
    /// The most bytes of state vectors held at once (default: a quarter of physical memory, at most 4 GiB).
    public var memoryBudgetBytes: UInt64
    /// Samples (or rows) per tile; nil chooses automatically.
    public var tileSize: Int?
    /// Called on this process as work items finish: (done, total). Called from worker threads.
    public var progress: (@Sendable (_ done: Int, _ total: Int) -> Void)?
    /// Noise (nil: ideal, pure states). With noise the kernel is Tr(ρ(x)·ρ(x′)) of the noisy
    /// feature-map circuits' density matrices, exact or estimated from shots (NoisyFidelity.swift).
    public var noise: NoiseSettings?

    /// The default budget for state vectors held at once.
    public static var defaultMemoryBudget: UInt64 {
        min(ProcessInfo.processInfo.physicalMemory / 4, 4 << 30)
    }

    /// A kernel for the feature map.
    /// - Parameters:
    ///   - featureMap: the encoding.
    ///   - scheduler: the threads to use (default: all cores).
    ///   - communicator: the ranks to spread the work over (default: this process alone).
    ///   - memoryBudgetBytes: the most bytes of states held at once (default ``defaultMemoryBudget``).
    public init(featureMap: FeatureMap, scheduler: Scheduler = .shared, communicator: (any Communicator)? = nil,
                memoryBudgetBytes: UInt64? = nil)
    {
        self.featureMap = featureMap
        self.scheduler = scheduler
        self.communicator = communicator
        self.memoryBudgetBytes = memoryBudgetBytes ?? Self.defaultMemoryBudget
    }

    /// The symmetric training kernel of the rows of `x` (N × N, ones on the diagonal without
    /// noise, the states' purities Tr ρ² with it); each pair is computed once.
    /// - Throws: ``QuantumMLError/shapeMismatch(subject:received:expected:)`` when `x` has the wrong number of features,
    ///   ``QuantumMLError/data(location:found:valid:)`` for a non-finite feature or (amplitude encoding)
    ///   an all-zero sample, and parallel errors.
    public func trainingMatrix(_ x: Matrix) throws -> Matrix {
        try validate(x, name: "training data")
        return try compute(rows: x, columns: nil)
    }

    /// The kernel between the rows of `x` (e.g. test samples) and the rows of `y` (e.g. training
    /// samples or support vectors): `x.rows × y.rows`.
    /// - Throws: as ``trainingMatrix(_:)``.
    public func matrix(_ x: Matrix, _ y: Matrix) throws -> Matrix {
        try validate(x, name: "data")
        try validate(y, name: "reference data")
        return try compute(rows: x, columns: y)
    }

    /// The state vector of one sample, as interleaved (re, im) pairs — the reference path for tests
    /// and for users who want the states themselves.
    /// - Throws: as ``trainingMatrix(_:)``.
    public func state(_ sample: [Double]) throws -> [Double] {
        let x = try Matrix([sample])
        try validate(x, name: "sample")
        let block = try StateBlock(featureMap: featureMap, samples: x, rows: 0..<1, compiled: compiledCircuit(), diagonal: diagonalPlan())
        var out = [Double](repeating: 0, count: 2 * block.dimension)
        for k in 0..<block.dimension {
            out[2 * k] = block.real[k]
            out[2 * k + 1] = block.imaginary[k]
        }
        return out
    }

    // MARK: - Validation

    private func validate(_ x: Matrix, name: String) throws {
        guard x.columns == featureMap.featureCount else {
            throw QuantumMLError.shapeMismatch(subject: "the \(name)", received: "\(x.columns) features",
                                               expected: "\(featureMap.featureCount), as the \(featureMap.description) takes")
        }
        for i in 0..<x.rows {
            for j in 0..<x.columns where !x[i, j].isFinite {
                throw QuantumMLError.data(location: "\(name), sample \(i), feature \(j)",
                                          found: "\(x[i, j]) is not a finite number", valid: "features must be finite")
            }
            if case .amplitude = featureMap.kind, (0..<x.columns).allSatisfy({ x[i, $0] == 0 }) {
                throw QuantumMLError.data(location: "\(name), sample \(i)", found: "every feature is 0",
                                          valid: "amplitude encoding cannot normalise an all-zero sample")
            }
        }
        try featureMap.checkEncodable(x, name: name)
    }

    // MARK: - Work split

    private func compiledCircuit() throws -> CompiledFeatureCircuit? {
        if case .amplitude = featureMap.kind { return nil }
        let (circuit, parameters) = featureMap.parameterisedCircuit()
        let compiled = try Simulator(precision: .double, threads: 1).compile(circuit)
        return CompiledFeatureCircuit(compiled: compiled, parameters: parameters)
    }

    private func diagonalPlan() -> DiagonalFeaturePlan? {
        directDiagonalStates ? DiagonalFeaturePlan(featureMap) : nil
    }

    private func compute(rows x: Matrix, columns y: Matrix?) throws -> Matrix {
        if let noise { return try noisyCompute(rows: x, columns: y, noise: noise) }
        let world: any Communicator = communicator ?? LocalCommunicator()
        let diagonal = diagonalPlan()
        let compiled = diagonal == nil ? try compiledCircuit() : nil
        let stateBytes = UInt64(16) << UInt64(featureMap.numQubits)
        let total = UInt64(x.rows + (y?.rows ?? 0)) * stateBytes
        let plan = TilePlan(rows: x.rows, columns: y?.rows ?? x.rows, symmetric: y == nil,
                            tile: tileSize ?? Self.automaticTile(rows: x.rows, columns: y?.rows ?? x.rows, threads: scheduler.threads,
                                                                  ranks: world.size))
        let featureMap = self.featureMap
        let progress = self.progress
        let counter = ProgressCounter()

        if total <= memoryBudgetBytes {
            // Phase 1: every sample's state once, shared by all tiles.
            let chunk = max(1, min(64, (x.rows + (y?.rows ?? 0)) / max(1, 4 * scheduler.threads * world.size)))
            let xChunks = (x.rows + chunk - 1) / chunk
            let yRows = y?.rows ?? 0
            let yChunks = (yRows + chunk - 1) / chunk
            let workTotal = xChunks + yChunks + plan.count
            let blocks = try world.map(count: xChunks + yChunks, chunkSize: 1, using: scheduler) { k -> [Double] in
                let block: StateBlock
                if k < xChunks {
                    block = try StateBlock(featureMap: featureMap, samples: x, rows: (k * chunk)..<min(x.rows, (k + 1) * chunk), compiled: compiled, diagonal: diagonal)
                } else if let y {
                    let c = k - xChunks
                    block = try StateBlock(featureMap: featureMap, samples: y, rows: (c * chunk)..<min(yRows, (c + 1) * chunk), compiled: compiled, diagonal: diagonal)
                } else {
                    block = StateBlock(dimension: 0)
                }
                if let progress { progress(counter.add(), workTotal) }
                return block.real + block.imaginary
            }
            let dimension = 1 << featureMap.numQubits
            let left = StateBlock(joining: blocks[0..<xChunks], dimension: dimension)
            let right = y == nil ? left : StateBlock(joining: blocks[xChunks...], dimension: dimension)
            let tiles = try world.map(count: plan.count, chunkSize: 1, using: scheduler) { t -> [Double] in
                let (rows, columns) = plan.ranges(t)
                let values = fidelityTile(left, rows: rows, right, columns: columns, lowerOnly: plan.isDiagonal(t))
                if let progress { progress(counter.add(), workTotal) }
                return values
            }
            return plan.assemble(tiles)
        } else {
            // Streaming: each tile simulates its own rows' and columns' states.
            let workTotal = plan.count
            let tiles = try world.map(count: plan.count, chunkSize: 1, using: scheduler) { t -> [Double] in
                let (rows, columns) = plan.ranges(t)
                let left = try StateBlock(featureMap: featureMap, samples: x, rows: rows, compiled: compiled, diagonal: diagonal)
                let right = try StateBlock(featureMap: featureMap, samples: y ?? x, rows: columns, compiled: compiled, diagonal: diagonal)
                let values = fidelityTile(left, rows: 0..<rows.count, right, columns: 0..<columns.count, lowerOnly: plan.isDiagonal(t))
                if let progress { progress(counter.add(), workTotal) }
                return values
            }
            return plan.assemble(tiles)
        }
    }

    /// A tile edge that gives each thread of each rank several tiles, between 8 and 128 samples.
    static func automaticTile(rows: Int, columns: Int, threads: Int, ranks: Int) -> Int {
        let workers = max(1, threads * ranks)
        var tile = 128
        while tile > 8 {
            let r = (rows + tile - 1) / tile, c = (columns + tile - 1) / tile
            if r * c >= 4 * workers { break }
            tile /= 2
        }
        return tile
    }
}

/// The compiled feature-map circuit and its parameters (in feature order).
struct CompiledFeatureCircuit: Sendable {
    let compiled: CompiledCircuit
    let parameters: [Parameter]
}

/// A thread-safe counter for progress reports.
final class ProgressCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func add() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
