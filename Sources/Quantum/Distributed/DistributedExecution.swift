import Communication
import ComplexModule
import Foundation

// Runs a ``DistributedPlan`` on one rank: stretches with the single-node planner and kernels on the
// rank's slice (a StateVector of L qubits), remaps and rank permutations as pairwise exchanges in
// pieces of at most `exchangeBufferBytes`, measurements with an allgather of two numbers.

/// What the distributed state vector needs from a group of ranks. The communicators satisfy it
/// (an in-process group in tests, MPI under mpirun).
protocol RankGroup: AnyObject {
    /// This rank, 0..<size.
    var rank: Int { get }
    /// The number of ranks.
    var size: Int { get }
    /// Every rank's values, in rank order, on every rank.
    func allgatherDoubles(_ values: [Double]) throws -> [[Double]]
    /// Sends `send` to `destination` while receiving `receive.count` bytes from `source` (either
    /// may be empty); returns when both are done.
    func sendReceive(_ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer,
                     from source: Int) throws
}

/// Counts of what a distributed run moved and where its time went.
public struct DistributionStatistics: Sendable, Codable {
    /// Ranks (P = 2^globalQubits).
    public let ranks: Int
    /// Global qubits k: the top k positions of a basis index name the rank.
    public let globalQubits: Int
    /// Local qubits L = n − k: each rank holds 2^L amplitudes.
    public let localQubits: Int
    /// Remaps run (each swaps a set of global qubits with local ones in one all-to-all exchange).
    public internal(set) var remaps: Int = 0
    /// Rank permutations run (whole slices move; at most one, to restore the qubit order at the end).
    public internal(set) var rankPermutations: Int = 0
    /// Bytes this rank sent in exchanges (the same on every rank).
    public internal(set) var bytesSent: Int = 0
    /// Seconds in exchanges.
    public internal(set) var exchangeSeconds: Double = 0
    /// Seconds in local kernels, measurements and sampling.
    public internal(set) var computeSeconds: Double = 0
    /// Stretches of gates run without communication.
    public internal(set) var stretches: Int = 0
    /// The bytes of the exchange buffer of each rank.
    public let exchangeBufferBytes: Int
    /// One line per step of the plan: `stretch of 12 gates`, `remap: global bits [0, 1] ↔ local 22, 23`.
    public internal(set) var layout: [String] = []
    /// What fusion and cache blocking made of the stretches on this rank's slice, summed over the
    /// stretches: the split state's own figures, which differ from a one-rank run's (no gates are
    /// folded into an initial state, and a gate diagonal on global qubits becomes this rank's block
    /// of it — a phase, or nothing — so ranks may differ). Nil before a stretch ran.
    public internal(set) var localExecution: ExecutionSummary? = nil

    /// `4 ranks (2 global, 22 local qubits): 3 remaps, 0 rank permutations, 96.0 MiB sent per rank; exchange 0.12 s, compute 0.80 s`.
    public var summary: String {
        "\(ranks) ranks (\(globalQubits) global, \(localQubits) local qubits): \(remaps) remap\(remaps == 1 ? "" : "s"), "
            + "\(rankPermutations) rank permutation\(rankPermutations == 1 ? "" : "s"), \(formatBytes(Double(bytesSent))) sent per rank; "
            + String(format: "exchange %.3f s, compute %.3f s", exchangeSeconds, computeSeconds)
    }
}

/// A communicator as the distributed state sees it.
final class CommunicatorRanks: RankGroup {
    let communicator: any Communicator
    init(_ communicator: any Communicator) { self.communicator = communicator }
    var rank: Int { communicator.rank }
    var size: Int { communicator.size }
    func allgatherDoubles(_ values: [Double]) throws -> [[Double]] { try communicator.allgather(values) }
    func sendReceive(_ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer,
                     from source: Int) throws
    {
        try communicator.sendReceive(send, to: destination, receive, from: source)
    }
}

/// The largest piece one exchange call moves; the only extra memory a rank needs besides its slice.
let defaultExchangeBufferBytes = 8 << 20

/// The rank-local executor of a distributed plan.
final class DistributedExecutor<Real: StateScalar> {
    let plan: DistributedPlan
    let group: any RankGroup
    let simulator: Simulator
    let values: [Parameter: Double]
    let threads: Int
    let bufferBytes: Int
    let buffer: UnsafeMutableRawPointer
    var statistics: DistributionStatistics
    private var programs: [Int: [Executable<Real>]] = [:]

    var l: Int { plan.localQubits }
    var rank: Int { group.rank }

    init(plan: DistributedPlan, group: any RankGroup, simulator: Simulator, values: [Parameter: Double], threads: Int,
         bufferBytes: Int = defaultExchangeBufferBytes)
    {
        self.plan = plan
        self.group = group
        self.simulator = simulator
        self.values = values
        self.threads = threads
        let sliceBytes = 2 * MemoryLayout<Real>.size << plan.localQubits
        self.bufferBytes = max(2 * MemoryLayout<Real>.size, min(bufferBytes, sliceBytes))
        buffer = UnsafeMutableRawPointer.allocate(byteCount: self.bufferBytes, alignment: 64)
        statistics = DistributionStatistics(ranks: group.size, globalQubits: plan.globalQubits, localQubits: plan.localQubits,
                                            exchangeBufferBytes: self.bufferBytes)
        statistics.layout = plan.steps.map { step in
            switch step {
            case .stretch(let operations):
                let gates = operations.count { if case .gate = $0.operation { true } else { false } }
                return "stretch of \(gates) gate\(gates == 1 ? "" : "s") on local qubits"
            case .remap(let bits):
                let m = bits.count
                return "remap: global bits \(bits) ↔ local positions \(Array((plan.localQubits - m)..<plan.localQubits))"
                    + " (\(formatBytes(Double((2 * MemoryLayout<Real>.size << plan.localQubits) - (2 * MemoryLayout<Real>.size << (plan.localQubits - m))))) sent per rank)"
            case .permuteRanks(let destination): return "rank permutation: global bit j → \(destination)"
            case .measure(let p, let c, let condition): return "measure position \(p) → c\(c)\(condition == nil ? "" : " (conditioned)")"
            case .reset(let p, let condition): return "reset position \(p)\(condition == nil ? "" : " (conditioned)")"
            case .conditioned(let op, _): return "conditioned \(op.operation.name) on positions \(op.positions)"
            case .channel(let id, let positions, let condition):
                return "noise channel \(id) on positions \(positions)\(condition == nil ? "" : " (conditioned)")"
            }
        }
    }

    deinit { buffer.deallocate() }

    /// This rank's slice of |0…0⟩: 2^L amplitudes, the first 1 on rank 0 only.
    func initialSlice() -> StateVector<Real> {
        let slice = StateVector<Real>(unchecked: plan.localQubits, threads: threads)
        if group.rank != 0 { slice.storage.pointer[0] = 0 }
        return slice
    }

    // MARK: - Steps

    /// Runs steps `range` of the plan on `state` (the slice, or a per-shot copy of it).
    func run(_ range: Range<Int>, on state: inout StateVector<Real>, bits: inout [UInt8], rng: inout SeededGenerator) throws {
        for index in range {
            switch plan.steps[index] {
            case .stretch(let operations):
                let program = try self.program(at: index, operations)
                let start = ContinuousClock.now
                state.makeUnique()
                for executable in program { executable.apply(to: &state) }
                statistics.computeSeconds += seconds(since: start)
                statistics.stretches += 1
            case .remap(let bits):
                try remap(bits, on: &state)
            case .permuteRanks(let destination):
                try permuteRanks(destination, on: &state)
            case .measure(let position, let clbit, let condition):
                guard holds(condition, bits) else { continue }
                bits[clbit] = UInt8(try measure(&state, position: position, rng: &rng))
            case .reset(let position, let condition):
                guard holds(condition, bits) else { continue }
                if try measure(&state, position: position, rng: &rng) == 1 {
                    flip(state.storage.pointer, numQubits: l, qubit: position, threads: threads)
                }
            case .conditioned(let operation, let condition):
                guard holds(condition, bits) else { continue }
                let program = try self.program(at: index, [operation])
                state.makeUnique()
                for executable in program { executable.apply(to: &state) }
            case .channel:
                // Shots split at channels: only the trajectory walk (DistributedTrajectories.swift) runs plans with them.
                assertionFailure("a plan with noise channels runs through DistributedTrajectories")
            }
        }
    }

    func holds(_ condition: Condition?, _ bits: [UInt8]) -> Bool {
        guard let condition else { return true }
        // Bit m of the register against bit m of the value (0 beyond the value's 63 bits).
        return condition.clbits.enumerated().allSatisfy { m, c in Int(bits[c]) == (m < 63 ? (condition.value >> m) & 1 : 0) }
    }

    /// The kernels of a stretch on this rank, made once: gates on local positions as they are,
    /// gates diagonal on global positions restricted to this rank's bits.
    private func program(at index: Int, _ operations: [PlacedOperation]) throws -> [Executable<Real>] {
        if let known = programs[index] { return known }
        var circuit = QuantumCircuit(numQubits: l)
        for operation in operations {
            switch operation.operation {
            case .gate(let gate):
                if operation.positions.allSatisfy({ $0 < l }) {
                    circuit.appendResolved(Instruction(operation: .gate(gate), qubits: operation.positions, clbits: [], condition: nil))
                } else if let (restricted, positions) = try restrict(gate, on: operation.positions) {
                    circuit.appendResolved(Instruction(operation: .gate(restricted), qubits: positions, clbits: [], condition: nil))
                }
            case .barrier:
                circuit.appendResolved(Instruction(operation: .barrier, qubits: operation.positions, clbits: [], condition: nil))
            case .measure, .reset:
                assertionFailure("measure and reset are steps of their own")
            }
        }
        let local = try ExecutionPlan(circuit: circuit, fusion: simulator.fusion, maxFusedQubits: simulator.maxFusedQubits,
                                      fusesParameterised: simulator.fusesParameterised, startsFromZero: false)
        let blockQubits = simulator.blockQubits ?? ExecutionPlan.defaultBlockQubits(for: Real.self)
        let program: [Executable<Real>] = try local.program(local.steps.indices, values: values, blockQubits: blockQubits)
        programs[index] = program
        let summary = local.summary(blockQubits: blockQubits, precision: Real.self == Float.self ? .single : .double)
        statistics.localExecution = statistics.localExecution.map { $0.adding(summary) } ?? summary
        return program
    }

    /// A gate on some global positions, where it is diagonal, as this rank sees it: the block of its
    /// matrix whose global arguments hold the rank's bits, on the local positions (a phase on
    /// position 0 when none is local); nil when that block is the identity.
    func restrict(_ gate: Gate, on positions: [Int]) throws -> (Gate, [Int])? {
        let angles: [Double] = try gate.parameters.map { expression in
            guard let v = expression.evaluate({ values[$0] }) else {
                throw QuantumError.unboundParameters(gate.freeParameters.filter { values[$0] == nil }.map(\.name))
            }
            return v
        }
        let full = GateDefinitions.structure(of: gate, values: angles).fullMatrix()
        var fixed = 0
        var localArguments: [Int] = []
        for (j, p) in positions.enumerated() {
            if p >= l {
                if (rank >> (p - l)) & 1 == 1 { fixed |= 1 << j }
            } else {
                localArguments.append(j)
            }
        }
        // The full index of sub-index s: its bit m goes to argument localArguments[m].
        func expand(_ s: Int) -> Int {
            var index = fixed
            for (m, j) in localArguments.enumerated() where s & (1 << m) != 0 { index |= 1 << j }
            return index
        }
        let d = 1 << localArguments.count
        var entries: [Complex<Double>] = []
        entries.reserveCapacity(d * d)
        var isIdentity = true
        for r in 0..<d {
            for c in 0..<d {
                let e = full[expand(r), expand(c)]
                entries.append(e)
                if e != (r == c ? Complex<Double>.one : .zero) { isIdentity = false }
            }
        }
        if isIdentity { return nil }
        if localArguments.isEmpty {
            let phase = entries[0]
            return (Gate(kind: .unitary(qubits: 1), unitaryMatrix: [phase, .zero, .zero, phase], label: "phase"), [0])
        }
        return (Gate(kind: .unitary(qubits: localArguments.count), unitaryMatrix: entries, label: gate.name),
                localArguments.map { positions[$0] })
    }

    /// Measures the qubit at a local position on every rank: the same outcome everywhere (the
    /// same generator, and the probabilities summed in rank order on every rank).
    private func measure(_ state: inout StateVector<Real>, position: Int, rng: inout SeededGenerator) throws -> Int {
        let start = ContinuousClock.now
        state.makeUnique()
        let p = state.storage.pointer
        let local = [probabilityOfOne(p, numQubits: l, qubit: position, threads: threads),
                     normSquared(p, numQubits: l, threads: threads)]
        let all = try group.allgatherDoubles(local)
        var one = 0.0, total = 0.0
        for values in all {
            one += values[0]
            total += values[1]
        }
        one /= total
        let outcome = rng.nextUniform() < one ? 1 : 0
        let kept = outcome == 1 ? one : 1 - one
        let scale = Real(1 / (kept * total).squareRoot())
        collapse(p, numQubits: l, qubit: position, outcome: outcome, scale: scale, threads: threads)
        statistics.computeSeconds += seconds(since: start)
        return outcome
    }

    // MARK: - Exchanges

    /// Swaps local positions L − m + t with global positions L + bits[t]. Pieces are the 2^m
    /// contiguous blocks of the slice by their top m local bits: this rank's block p goes to the
    /// rank whose bits[t] read p, which sends back its block q (q: this rank's own bits[t]).
    func remap(_ bits: [Int], on state: inout StateVector<Real>) throws {
        let m = bits.count
        let pieceAmplitudes = 1 << (l - m)
        var own = 0
        for (t, b) in bits.enumerated() where (rank >> b) & 1 == 1 { own |= 1 << t }
        state.makeUnique()
        // Round j: the partner differs in pattern by j (xor), so partners pair up in every round.
        for j in 1..<(1 << m) {
            let pattern = own ^ j
            var partner = rank
            for (t, b) in bits.enumerated() {
                partner = (partner & ~(1 << b)) | (((pattern >> t) & 1) << b)
            }
            try exchange(state.storage.pointer + 2 * pattern * pieceAmplitudes, amplitudes: pieceAmplitudes,
                         to: partner, from: partner)
        }
        statistics.remaps += 1
    }

    /// Moves this rank's slice to the rank whose bit destination[j] is this rank's bit j.
    func permuteRanks(_ destination: [Int], on state: inout StateVector<Real>) throws {
        var to = 0, from = 0
        for (j, d) in destination.enumerated() {
            if (rank >> j) & 1 == 1 { to |= 1 << d }
            if (rank >> d) & 1 == 1 { from |= 1 << j }
        }
        state.makeUnique()
        if to != rank {
            try exchange(state.storage.pointer, amplitudes: 1 << l, to: to, from: from)
        }
        statistics.rankPermutations += 1
    }

    /// Replaces `amplitudes` amplitudes at `base` by as many from `source`, sending them to
    /// `destination`, in pieces of the buffer's size: each piece is sent from its place while the
    /// incoming one lands in the buffer, then copied over it.
    private func exchange(_ base: UnsafeMutablePointer<Real>, amplitudes: Int, to destination: Int, from source: Int) throws {
        let start = ContinuousClock.now
        let bytes = amplitudes * 2 * MemoryLayout<Real>.size
        let raw = UnsafeMutableRawPointer(base)
        var done = 0
        while done < bytes {
            let n = min(bufferBytes, bytes - done)
            try group.sendReceive(UnsafeRawBufferPointer(start: raw + done, count: n), to: destination,
                                  UnsafeMutableRawBufferPointer(start: buffer, count: n), from: source)
            (raw + done).copyMemory(from: buffer, byteCount: n)
            done += n
        }
        statistics.bytesSent += bytes
        statistics.exchangeSeconds += seconds(since: start)
    }

    // MARK: - Results

    /// Samples `shots` basis indices of the whole state (its qubits in circuit order): every rank
    /// draws the same uniforms, the block sums are allgathered and scanned in block order on every
    /// rank, each rank resolves the draws that fall in its blocks, and one allgather joins them.
    func sample(_ state: StateVector<Real>, shots: Int, rng: inout SeededGenerator) throws -> [Int] {
        let start = ContinuousClock.now
        var draws: [(u: Double, shot: Int)] = (0..<shots).map { (rng.nextUniform(), $0) }
        draws.sort { $0.u < $1.u }
        let count = 1 << l
        let blockSize = min(reductionBlock, count)
        let localSums = blockProbabilities(state.storage.pointer, count: count, blockSize: blockSize, threads: threads)
        let sums = try group.allgatherDoubles(localSums).flatMap { $0 }
        let total = sums.reduce(0, +)
        let targets = draws.map { $0.u * total }
        let (starts, ranges) = targetRanges(blockSums: sums, targets: targets)
        var found = [Int](repeating: -1, count: shots)
        resolveTargets(state.storage.pointer, count: count, blockSize: blockSize, firstBlock: rank * localSums.count,
                       indexOffset: rank << l, starts: starts, ranges: ranges, targets: targets, into: &found, threads: threads)
        let all = try group.allgatherDoubles(found.map(Double.init))
        var indices = [Int](repeating: 0, count: shots)
        for (k, draw) in draws.enumerated() {
            var index = 0
            for values in all where values[k] >= 0 { index = Int(values[k]) }
            indices[draw.shot] = index
        }
        statistics.computeSeconds += seconds(since: start)
        return indices
    }

    /// The whole state on rank 0 (nil elsewhere): every rank sends its slice in pieces.
    func gather(_ state: StateVector<Real>) throws -> StateVector<Real>? {
        let start = ContinuousClock.now
        let sliceBytes = 2 * MemoryLayout<Real>.size << l
        defer { statistics.exchangeSeconds += seconds(since: start) }
        if rank == 0 {
            let whole = StateVector<Real>(unchecked: plan.numQubits, threads: threads)
            let raw = UnsafeMutableRawPointer(whole.storage.pointer)
            raw.copyMemory(from: state.storage.pointer, byteCount: sliceBytes)
            for r in 1..<group.size {
                var done = 0
                while done < sliceBytes {
                    let n = min(bufferBytes, sliceBytes - done)
                    try group.sendReceive(UnsafeRawBufferPointer(start: nil, count: 0), to: r,
                                          UnsafeMutableRawBufferPointer(start: raw + r * sliceBytes + done, count: n), from: r)
                    done += n
                }
            }
            return whole
        }
        let raw = UnsafeRawPointer(state.storage.pointer)
        var done = 0
        while done < sliceBytes {
            let n = min(bufferBytes, sliceBytes - done)
            try group.sendReceive(UnsafeRawBufferPointer(start: raw + done, count: n), to: 0,
                                  UnsafeMutableRawBufferPointer(start: nil, count: 0), from: 0)
            done += n
        }
        statistics.bytesSent += sliceBytes
        return nil
    }

    func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
