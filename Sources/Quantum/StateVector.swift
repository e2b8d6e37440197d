import ComplexModule
import Foundation
import RealModule

/// The real types a state vector can be stored in: `Double` (default) and `Float` (half the
/// memory and time, about 1e-6 relative error).
public protocol StateScalar: BinaryFloatingPoint, SIMDScalar, RealModule.Real, Codable, Sendable
where SIMD4Storage: Sendable {
    /// "double" or "single".
    static var precisionName: String { get }
}

extension Double: StateScalar {
    /// "double".
    public static var precisionName: String { "double" }
}

extension Float: StateScalar {
    /// "single".
    public static var precisionName: String { "single" }
}

/// Whether large states ask Linux for transparent huge pages: `VERDANT_HUGE_PAGES=1` in the
/// environment. Off by default (docs/benchmarks.md, "Pages of a fresh state"): on this project's
/// virtual machine a 24-qubit `verdant run` then took 10–25 % less time in steady state, but the
/// first run after other programs paid 0.2–0.65 s more, faulting huge pages the host had taken
/// back.
let requestsHugePages = ProcessInfo.processInfo.environment["VERDANT_HUGE_PAGES"] == "1"

/// The size of a transparent huge page on x86-64 and arm64 Linux.
let hugePageBytes = 2 << 20

/// `byteCount` bytes for amplitudes, 64-byte aligned. With `hugePages` (on Linux, from two huge
/// pages up) the buffer is aligned to a huge page and advised `MADV_HUGEPAGE`, which the kernel
/// honours when its setting is "madvise" or "always" (NumPy does the same for its large arrays).
func allocateStateBuffer(byteCount: Int, hugePages: Bool = requestsHugePages) -> UnsafeMutableRawPointer {
    #if os(Linux)
    if hugePages, byteCount >= 2 * hugePageBytes {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: hugePageBytes)
        // Advisory: a kernel without transparent huge pages answers EINVAL and keeps 4 KiB pages.
        _ = madvise(raw, byteCount & ~(hugePageBytes - 1), Int32(MADV_HUGEPAGE))
        return raw
    }
    #endif
    return UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 64)
}

/// One contiguous, 64-byte-aligned buffer of interleaved (re, im) amplitudes.
final class AmplitudeStorage<Real: StateScalar>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Real>
    /// The number of complex amplitudes.
    let count: Int

    /// Allocates `count` amplitudes, all zero (zeroed in parallel so pages land near their threads);
    /// left unwritten when `zeroed` is false, for a caller that overwrites every amplitude first.
    init(count: Int, threads: Int, zeroed: Bool = true) {
        self.count = count
        let raw = allocateStateBuffer(byteCount: 2 * count * MemoryLayout<Real>.size)
        pointer = raw.bindMemory(to: Real.self, capacity: 2 * count)
        guard zeroed else { return }
        let shared = SharedPointer(base: pointer)
        forEachRange(count: 2 * count, threads: threads) { start, end in
            (shared.base + start).initialize(repeating: 0, count: end - start)
        }
    }

    /// A copy of `other`.
    init(copying other: AmplitudeStorage<Real>, threads: Int) {
        count = other.count
        let raw = allocateStateBuffer(byteCount: 2 * count * MemoryLayout<Real>.size)
        pointer = raw.bindMemory(to: Real.self, capacity: 2 * count)
        let source = SharedPointer(base: other.pointer)
        let destination = SharedPointer(base: pointer)
        forEachRange(count: 2 * count, threads: threads) { start, end in
            (destination.base + start).initialize(from: source.base + start, count: end - start)
        }
    }

    deinit {
        UnsafeMutableRawPointer(pointer).deallocate()
    }
}

/// A pure state of n qubits: 2^n complex amplitudes in Qiskit's order (qubit 0 is the least
/// significant bit of the index), stored as one contiguous buffer of `Real`.
///
/// `StateVector` has value semantics (copy on write).
public struct StateVector<Real: StateScalar>: Sendable {
    var storage: AmplitudeStorage<Real>
    /// The number of qubits.
    public let numQubits: Int
    /// The number of threads kernels and reductions on this state may use.
    public var threads: Int

    /// The state |0…0⟩.
    /// - Parameters:
    ///   - numQubits: the number of qubits.
    ///   - maxMemoryBytes: refuse to allocate more than this (the system's available memory is
    ///     always a limit).
    ///   - threads: threads for kernels (default: all cores).
    /// - Throws: ``QuantumError/insufficientMemory(qubits:precision:bytesNeeded:bytesAvailable:limitSource:)``
    ///   before allocating when the state does not fit; ``QuantumError/tooManyQubits(received:maximum:)``.
    public init(numQubits: Int, maxMemoryBytes: UInt64? = nil, threads: Int? = nil) throws {
        try checkMemory(numQubits: numQubits, as: Real.self, userLimit: maxMemoryBytes)
        let t = try Simulator.resolveThreads(threads)
        self.init(unchecked: numQubits, threads: t)
    }

    /// |0…0⟩ without the memory check (the caller has done it). `zeroed: false` leaves every
    /// amplitude but the first unwritten, for a caller whose first step overwrites them all (a
    /// plan's initial product state), saving one sweep over memory.
    init(unchecked numQubits: Int, threads: Int, zeroed: Bool = true) {
        self.numQubits = numQubits
        self.threads = threads
        storage = AmplitudeStorage(count: 1 << numQubits, threads: threads, zeroed: zeroed)
        storage.pointer[0] = 1
        storage.pointer[1] = 0
    }

    /// A state with the given amplitudes.
    /// - Parameter amplitudes: 2^n amplitudes with Σ|a|² = 1 (within 1e-8 for Double, 1e-4 for Float).
    /// - Throws: ``QuantumError/invalidState(_:)`` when the count is not a power of two or the
    ///   norm is off.
    public init(amplitudes: [Complex<Real>]) throws {
        let count = amplitudes.count
        guard count >= 1, count & (count - 1) == 0 else {
            throw QuantumError.invalidState("a state needs 2^n amplitudes; received \(count)")
        }
        let norm = amplitudes.reduce(0.0) { $0 + Double($1.lengthSquared) }
        let tolerance = Real.self == Float.self ? 1e-4 : 1e-8
        guard abs(norm - 1) <= tolerance else {
            throw QuantumError.invalidState(
                "the amplitudes are not normalised: Σ|a|² = \(norm), expected 1 within \(tolerance)")
        }
        self.init(unchecked: count.trailingZeroBitCount, threads: Simulator.defaultThreads)
        for (i, a) in amplitudes.enumerated() {
            storage.pointer[2 * i] = a.real
            storage.pointer[2 * i + 1] = a.imaginary
        }
    }

    /// The number of amplitudes, 2^numQubits.
    public var count: Int { storage.count }

    /// The bytes the amplitudes occupy.
    public var memoryBytes: Int { 2 * storage.count * MemoryLayout<Real>.size }

    /// The amplitude of basis state `index`.
    /// - Parameter index: 0 ..< 2^numQubits (out-of-range indices trap, as for arrays).
    public subscript(index: Int) -> Complex<Real> {
        precondition(index >= 0 && index < count, "basis index \(index) is out of range 0..<\(count)")
        return Complex(storage.pointer[2 * index], storage.pointer[2 * index + 1])
    }

    /// The first `limit` amplitudes whose |a|² exceeds `threshold`, in index order, and how many
    /// there are in all; reads the state in place (no copy), for printing large states.
    /// - Parameters:
    ///   - limit: the most amplitudes to return.
    ///   - threshold: the |a|² at or below which an amplitude counts as zero.
    @_specialize(exported: true, where Real == Double)
    @_specialize(exported: true, where Real == Float)
    public func leadingNonzeroAmplitudes(limit: Int, threshold: Double = 1e-24) -> (amplitudes: [(index: Int, amplitude: Complex<Double>)], nonzero: Int) {
        var found: [(index: Int, amplitude: Complex<Double>)] = []
        var nonzero = 0
        let p = storage.pointer
        for i in 0..<count {
            let re = Double(p[2 * i]), im = Double(p[2 * i + 1])
            guard re * re + im * im > threshold else { continue }
            nonzero += 1
            if found.count < limit { found.append((i, Complex(re, im))) }
        }
        return (found, nonzero)
    }

    /// The `limit` largest probabilities |a|² above `threshold`, largest first (ties by index), and
    /// how many exceed `threshold` in all; reads the state in place (no copy of 2^n values).
    /// - Parameters:
    ///   - limit: the most probabilities to return.
    ///   - threshold: the probability at or below which a basis state counts as zero.
    @_specialize(exported: true, where Real == Double)
    @_specialize(exported: true, where Real == Float)
    public func largestProbabilities(limit: Int, threshold: Double = 1e-24) -> (probabilities: [(index: Int, probability: Double)], nonzero: Int) {
        let limit = max(0, min(limit, count))
        // A min-heap of the best `limit` seen so far: its root is the smallest kept.
        var heap: [(index: Int, probability: Double)] = []
        heap.reserveCapacity(limit)
        func worse(_ a: (index: Int, probability: Double), _ b: (index: Int, probability: Double)) -> Bool {
            a.probability < b.probability || (a.probability == b.probability && a.index > b.index)
        }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count, worse(heap[l], heap[m]) { m = l }
                if r < heap.count, worse(heap[r], heap[m]) { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        var nonzero = 0
        let p = storage.pointer
        for i in 0..<count {
            let re = Double(p[2 * i]), im = Double(p[2 * i + 1])
            let probability = re * re + im * im
            guard probability > threshold else { continue }
            nonzero += 1
            guard limit > 0 else { continue }
            let entry = (index: i, probability: probability)
            if heap.count < limit {
                heap.append(entry)
                var c = heap.count - 1
                while c > 0 {
                    let parent = (c - 1) / 2
                    guard worse(heap[c], heap[parent]) else { break }
                    heap.swapAt(c, parent)
                    c = parent
                }
            } else if worse(heap[0], entry) {
                heap[0] = entry
                siftDown(0)
            }
        }
        return (heap.sorted { worse($1, $0) }, nonzero)
    }

    /// All amplitudes, as a new array.
    public var amplitudes: [Complex<Real>] {
        (0..<count).map { Complex(storage.pointer[2 * $0], storage.pointer[2 * $0 + 1]) }
    }

    /// Makes the storage unique before a mutation.
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = AmplitudeStorage(copying: storage, threads: threads)
        }
    }

    /// The probability of each basis state, |a_i|².
    @_specialize(exported: true, where Real == Double)
    @_specialize(exported: true, where Real == Float)
    public func probabilities() -> [Double] {
        var result = [Double](repeating: 0, count: count)
        result.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            writeProbabilities(storage.pointer, numQubits: numQubits, into: base, threads: threads)
        }
        return result
    }

    /// The marginal distribution of some qubits: entry j is the probability that qubit
    /// `qubits[m]` reads bit m of j, for every m.
    /// - Parameter qubits: distinct qubit indices.
    /// - Returns: 2^qubits.count probabilities.
    /// - Throws: ``QuantumError/qubitOutOfRange(received:numQubits:)`` or
    ///   ``QuantumError/duplicateQubits(gate:qubits:)``.
    @_specialize(exported: true, where Real == Double)
    @_specialize(exported: true, where Real == Float)
    public func probabilities(of qubits: [Int]) throws -> [Double] {
        for q in qubits where q < 0 || q >= numQubits {
            throw QuantumError.qubitOutOfRange(received: "\(q)", numQubits: numQubits)
        }
        guard Set(qubits).count == qubits.count else {
            throw QuantumError.duplicateQubits(gate: "probabilities", qubits: qubits)
        }
        let full = probabilities()
        var marginal = [Double](repeating: 0, count: 1 << qubits.count)
        for (i, p) in full.enumerated() where p != 0 {
            var j = 0
            for (m, q) in qubits.enumerated() where i & (1 << q) != 0 { j |= 1 << m }
            marginal[j] += p
        }
        return marginal
    }

    /// The probabilities keyed by bitstring (qubit n−1 first, Qiskit's order), zero entries left out.
    /// - Parameter threshold: entries at or below this are left out.
    @_specialize(exported: true, where Real == Double)
    @_specialize(exported: true, where Real == Float)
    public func probabilitiesByBitstring(threshold: Double = 0) -> [String: Double] {
        var result: [String: Double] = [:]
        for (i, p) in probabilities().enumerated() where p > threshold {
            result[bitstring(i, width: numQubits)] = p
        }
        return result
    }

    /// ⟨ψ|O|ψ⟩ for a sum of Pauli strings.
    /// - Parameter observable: a ``PauliSum`` as wide as the state.
    /// - Returns: the real expectation value (observables are Hermitian: real coefficients).
    /// - Throws: ``QuantumError/observableWidth(received:numQubits:)``.
    @_specialize(exported: true, where Real == Double)
    @_specialize(exported: true, where Real == Float)
    public func expectation(_ observable: PauliSum) throws -> Double {
        guard observable.numQubits == numQubits else {
            throw QuantumError.observableWidth(received: observable.numQubits, numQubits: numQubits)
        }
        return pauliExpectation(storage.pointer, numQubits: numQubits, observable: observable, threads: threads)
    }

    /// ⟨self|other⟩.
    /// - Throws: ``QuantumError/invalidState(_:)`` when the widths differ.
    @_specialize(exported: true, where Real == Double)
    @_specialize(exported: true, where Real == Float)
    public func innerProduct(with other: StateVector<Real>) throws -> Complex<Double> {
        guard other.numQubits == numQubits else {
            throw QuantumError.invalidState("inner product of a \(numQubits)-qubit and a \(other.numQubits)-qubit state")
        }
        let (re, im) = Quantum.innerProduct(storage.pointer, other.storage.pointer, numQubits: numQubits, threads: threads)
        return Complex(re, im)
    }

    /// |⟨self|other⟩|².
    /// - Throws: ``QuantumError/invalidState(_:)`` when the widths differ.
    @_specialize(exported: true, where Real == Double)
    @_specialize(exported: true, where Real == Float)
    public func fidelity(with other: StateVector<Real>) throws -> Double {
        try innerProduct(with: other).lengthSquared
    }

    /// Σ|a_i|² (1 up to rounding for a state the simulator produced).
    public var normSquared: Double { Quantum.normSquared(storage.pointer, numQubits: numQubits, threads: threads) }

    /// Samples basis states.
    /// - Parameters:
    ///   - shots: the number of samples, at least 1.
    ///   - seed: the seed; the same seed gives the same samples on every machine and thread count.
    /// - Returns: the sampled basis indices in shot order.
    /// - Throws: ``QuantumError/invalidShots(_:)``.
    @_specialize(exported: true, where Real == Double)
    @_specialize(exported: true, where Real == Float)
    public func sample(shots: Int, seed: UInt64) throws -> [Int] {
        try checkShots(shots)
        var rng = SeededGenerator(seed: seed)
        return sampleIndices(shots: shots, using: &rng)
    }

    /// Samples `shots` basis indices: sorted uniforms are matched against the cumulative
    /// probability in two parallel passes over fixed blocks (see `sampleSortedTargets`), so no
    /// second state-sized array is made and the result does not depend on the thread count.
    func sampleIndices(shots: Int, using rng: inout SeededGenerator) -> [Int] {
        var draws: [(u: Double, shot: Int)] = (0..<shots).map { (rng.nextUniform(), $0) }
        draws.sort { $0.u < $1.u }
        let total = normSquared
        let indices = sampleSortedTargets(storage.pointer, numQubits: numQubits, targets: draws.map { $0.u * total },
                                          threads: threads)
        var result = [Int](repeating: 0, count: shots)
        for (draw, index) in zip(draws, indices) { result[draw.shot] = index }
        return result
    }

    /// Applies every gate of a circuit of unitary gates to this state.
    /// - Parameter circuit: a circuit as wide as the state, without measure, reset or conditions.
    /// - Throws: the circuit's validation errors, ``QuantumError/unboundParameters(_:)``,
    ///   ``QuantumError/invalidState(_:)`` for a width mismatch or non-unitary instructions.
    public mutating func apply(_ circuit: QuantumCircuit) throws {
        guard circuit.numQubits == numQubits else {
            throw QuantumError.invalidState(
                "a \(circuit.numQubits)-qubit circuit cannot act on a \(numQubits)-qubit state")
        }
        // The state is the caller's, not |0…0⟩: no reset may be dropped.
        let plan = try ExecutionPlan(circuit: circuit, fusion: true, startsFromZero: false)
        guard !plan.hasNonUnitarySteps else {
            throw QuantumError.invalidState(
                "apply(_:) takes unitary circuits; this one has measure, reset or conditioned gates (use run(shots:))")
        }
        makeUnique()
        try plan.applyUnitary(to: &self, values: [:])
    }
}

/// The bits of `index` as text, most significant first.
func bitstring(_ index: Int, width: Int) -> String {
    var chars = [Character](repeating: "0", count: width)
    for b in 0..<width where index & (1 << b) != 0 { chars[width - 1 - b] = "1" }
    return String(chars)
}
