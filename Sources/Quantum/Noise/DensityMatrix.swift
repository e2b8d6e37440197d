import ComplexModule
import Foundation

/// A mixed state of n qubits: the 2^n × 2^n density matrix ρ, held as one vector of 4^n complex
/// `Double`s — entry ρ[r][c] at index r + c·2^n, so the row's bits are qubits 0 … n−1 and the
/// column's bits are qubits n … 2n−1 of a 2n-qubit state vector.
///
/// In that layout a unitary U on qubits Q acts as U on Q and conj(U) on Q + n (ρ → UρU†), and a
/// channel with Kraus operators K acts as its superoperator Σ conj(K) ⊗ K on Q ∪ (Q + n): the
/// state-vector kernels and gate fusion apply unchanged. Memory is 16·4^n bytes (checked before
/// allocating, as for state vectors).
public struct DensityMatrix: Sendable {
    /// vec(ρ) as a 2n-qubit state.
    var vector: StateVector<Double>
    /// The number of qubits n.
    public let numQubits: Int

    /// |0…0⟩⟨0…0|.
    /// - Parameters:
    ///   - numQubits: n ≥ 0.
    ///   - maxMemoryBytes: refuse to allocate more than this.
    ///   - threads: threads for kernels (default: all cores).
    /// - Throws: ``NoiseError/insufficientMemory(qubits:bytesNeeded:bytesAvailable:limitSource:)``,
    ///   ``QuantumError/invalidThreads(_:)``.
    public init(numQubits: Int, maxMemoryBytes: UInt64? = nil, threads: Int? = nil) throws {
        try DensityMatrix.checkMemory(numQubits: numQubits, userLimit: maxMemoryBytes)
        self.init(unchecked: numQubits, threads: try Simulator.resolveThreads(threads))
    }

    init(unchecked numQubits: Int, threads: Int) {
        self.numQubits = numQubits
        vector = StateVector<Double>(unchecked: 2 * numQubits, threads: threads)
    }

    /// The pure state |ψ⟩⟨ψ|.
    /// - Parameter state: a state vector.
    /// - Throws: ``NoiseError/insufficientMemory(qubits:bytesNeeded:bytesAvailable:limitSource:)``.
    public init<Real: StateScalar>(_ state: StateVector<Real>) throws {
        try DensityMatrix.checkMemory(numQubits: state.numQubits, userLimit: nil)
        self.init(unchecked: state.numQubits, threads: state.threads)
        let n = state.count
        let p = vector.storage.pointer
        for c in 0..<n {
            let b = state[c]
            for r in 0..<n {
                let a = state[r]
                // ρ[r][c] = a · conj(b)
                let re = Double(a.real) * Double(b.real) + Double(a.imaginary) * Double(b.imaginary)
                let im = Double(a.imaginary) * Double(b.real) - Double(a.real) * Double(b.imaginary)
                p[2 * (r + c * n)] = re
                p[2 * (r + c * n) + 1] = im
            }
        }
    }

    /// A density matrix from its rows.
    /// - Parameter rows: 2^n rows of 2^n entries, Hermitian within 1e-10 with trace 1 within 1e-8.
    /// - Throws: ``QuantumError/invalidState(_:)`` when the shape, Hermiticity or trace is off.
    public init(rows: [[Complex<Double>]]) throws {
        let d = rows.count
        guard d >= 1, d & (d - 1) == 0, rows.allSatisfy({ $0.count == d }) else {
            throw QuantumError.invalidState("a density matrix needs 2^n rows of 2^n entries; received \(d) rows of lengths \(rows.map(\.count))")
        }
        var trace = 0.0
        for r in 0..<d {
            trace += rows[r][r].real
            for c in 0..<d where (rows[r][c] - rows[c][r].conjugate).length > 1e-10 {
                throw QuantumError.invalidState("a density matrix must be Hermitian: entry [\(r)][\(c)] = \(rows[r][c]) but [\(c)][\(r)] = \(rows[c][r])")
            }
        }
        guard abs(trace - 1) <= 1e-8 else { throw QuantumError.invalidState("a density matrix must have trace 1; received \(trace)") }
        try self.init(numQubits: d.trailingZeroBitCount)
        let p = vector.storage.pointer
        p[0] = 0
        for r in 0..<d {
            for c in 0..<d {
                p[2 * (r + c * d)] = rows[r][c].real
                p[2 * (r + c * d) + 1] = rows[r][c].imaginary
            }
        }
    }

    /// The size up to which ``checkMemory(numQubits:userLimit:)`` trusts the system to have room.
    static let uncheckedBytes = 64.0 * 1024

    /// Throws unless 4^n complex Doubles fit in the memory budget.
    static func checkMemory(numQubits: Int, userLimit: UInt64?) throws {
        guard numQubits >= 0, 2 * numQubits <= Simulator.maximumQubits else {
            throw QuantumError.tooManyQubits(received: numQubits, maximum: Simulator.maximumQubits / 2)
        }
        let needed = 16 * pow(4.0, Double(numQubits))
        // Small matrices (up to 6 qubits) skip reading the system's figures, which cost a fifth of
        // a noisy training run that evaluates thousands of them; a user's limit still holds.
        if needed <= DensityMatrix.uncheckedBytes, userLimit.map({ needed <= Double($0) }) ?? true { return }
        let budget = MemoryBudget.current(userLimit: userLimit)
        if needed > Double(budget.bytes) {
            throw NoiseError.insufficientMemory(qubits: numQubits, bytesNeeded: needed, bytesAvailable: budget.bytes, limitSource: budget.source)
        }
    }

    /// The side 2^n of the matrix.
    public var dimension: Int { 1 << numQubits }

    /// The bytes the entries occupy, 16·4^n.
    public var memoryBytes: Int { vector.memoryBytes }

    /// The number of threads kernels and reductions may use.
    public var threads: Int {
        get { vector.threads }
        set { vector.threads = newValue }
    }

    /// ρ[row][column].
    /// - Parameters:
    ///   - row: 0 ..< 2^n.
    ///   - column: 0 ..< 2^n.
    public subscript(row: Int, column: Int) -> Complex<Double> {
        precondition(row >= 0 && row < dimension && column >= 0 && column < dimension, "entry [\(row)][\(column)] is outside \(dimension)×\(dimension)")
        return vector[row + column * dimension]
    }

    /// Reads vec(ρ) in place: 2·4^n Doubles, entry ρ[r][c] as (re, im) at 2·(r + c·2^n).
    /// - Parameter body: reads the entries (the buffer is valid only inside it).
    /// - Returns: what `body` returns.
    public func withUnsafeEntries<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: vector.storage.pointer, count: 2 * vector.count))
    }

    /// The matrix as rows of entries (2^n × 2^n).
    public var rows: [[Complex<Double>]] {
        (0..<dimension).map { r in (0..<dimension).map { c in self[r, c] } }
    }

    /// Tr ρ (1 up to rounding for a density matrix the simulator made).
    public var trace: Double {
        var sum = 0.0
        for r in 0..<dimension { sum += vector.storage.pointer[2 * (r + r * dimension)] }
        return sum
    }

    /// Tr ρ², 1 for a pure state and 1/2^n for the maximally mixed one: Σ |ρ[r][c]|².
    public var purity: Double { vector.normSquared }

    /// The probability of each basis state: the real parts of the diagonal, ρ[i][i].
    public func probabilities() -> [Double] {
        let p = vector.storage.pointer
        return (0..<dimension).map { p[2 * ($0 + $0 * dimension)] }
    }

    /// The probabilities keyed by bitstring (qubit n−1 first, Qiskit's order), entries at or below
    /// `threshold` left out.
    public func probabilitiesByBitstring(threshold: Double = 0) -> [String: Double] {
        var result: [String: Double] = [:]
        for (i, p) in probabilities().enumerated() where p > threshold { result[bitstring(i, width: numQubits)] = p }
        return result
    }

    /// Tr(ρ·O) for a sum of Pauli strings: for each string P with X-mask x, Z-mask z and y Y's,
    /// P|r⟩ = i^y·(−1)^|r ∧ z|·|r ⊕ x⟩, so Tr(ρP) = Σ_r ρ[r][r ⊕ x]·i^y·(−1)^|r ∧ z|.
    /// - Parameter observable: a ``PauliSum`` as wide as the matrix.
    /// - Returns: the real expectation value.
    /// - Throws: ``QuantumError/observableWidth(received:numQubits:)``.
    public func expectation(_ observable: PauliSum) throws -> Double {
        guard observable.numQubits == numQubits else {
            throw QuantumError.observableWidth(received: observable.numQubits, numQubits: numQubits)
        }
        let p = vector.storage.pointer
        let d = dimension
        var total = 0.0
        for term in observable.terms {
            var re = 0.0, im = 0.0
            for r in 0..<d {
                let index = r + (r ^ term.xMask) * d
                let sign = (r & term.zMask).nonzeroBitCount & 1 == 0 ? 1.0 : -1.0
                re += sign * p[2 * index]
                im += sign * p[2 * index + 1]
            }
            // Multiply by i^y and keep the real part.
            let real: Double = switch term.yCount & 3 {
            case 0: re
            case 1: -im
            case 2: -re
            default: im
            }
            total += term.coefficient * real
        }
        return total
    }

    /// ⟨ψ|ρ|ψ⟩, the fidelity with a pure state.
    /// - Throws: ``QuantumError/invalidState(_:)`` when the widths differ.
    public func fidelity<Real: StateScalar>(with state: StateVector<Real>) throws -> Double {
        guard state.numQubits == numQubits else {
            throw QuantumError.invalidState("fidelity of a \(numQubits)-qubit density matrix and a \(state.numQubits)-qubit state")
        }
        var re = 0.0
        let d = dimension
        let p = vector.storage.pointer
        for c in 0..<d {
            let b = state[c]
            // Σ_r conj(ψ_r) ρ[r][c] ψ_c
            var sr = 0.0, si = 0.0
            for r in 0..<d {
                let a = state[r]
                let xr = p[2 * (r + c * d)], xi = p[2 * (r + c * d) + 1]
                sr += Double(a.real) * xr + Double(a.imaginary) * xi
                si += Double(a.real) * xi - Double(a.imaginary) * xr
            }
            re += sr * Double(b.real) - si * Double(b.imaginary)
        }
        return re
    }

    /// Tr(ρσ), the overlap of two density matrices (the fidelity kernel under noise):
    /// Σ_rc ρ[r][c]·σ[c][r] = Σ_rc ρ[r][c]·conj(σ[r][c]) for Hermitian σ.
    /// - Throws: ``QuantumError/invalidState(_:)`` when the widths differ.
    public func overlap(with other: DensityMatrix) throws -> Double {
        guard other.numQubits == numQubits else {
            throw QuantumError.invalidState("overlap of a \(numQubits)-qubit and a \(other.numQubits)-qubit density matrix")
        }
        return try other.vector.innerProduct(with: vector).real
    }

    /// Applies a channel to some qubits: ρ → Σ K ρ K† (as one kernel over vec(ρ)).
    /// - Parameters:
    ///   - channel: the channel.
    ///   - qubits: distinct qubits, as many as the channel's width (bit j of its matrices on `qubits[j]`).
    /// - Throws: ``NoiseError/widthMismatch(subject:received:expected:)``,
    ///   ``QuantumError/qubitOutOfRange(received:numQubits:)``, ``QuantumError/duplicateQubits(gate:qubits:)``.
    public mutating func apply(_ channel: QuantumChannel, to qubits: [Int]) throws {
        guard channel.numQubits == qubits.count else {
            throw NoiseError.widthMismatch(subject: "applying a channel to qubits \(qubits)", received: channel.numQubits, expected: qubits.count)
        }
        for q in qubits where q < 0 || q >= numQubits { throw QuantumError.qubitOutOfRange(received: "\(q)", numQubits: numQubits) }
        guard Set(qubits).count == qubits.count else { throw QuantumError.duplicateQubits(gate: "channel", qubits: qubits) }
        vector.makeUnique()
        let kernel = KernelCall<Double>(structure: GateStructure(numControls: 0, target: channel.superoperatorMatrix()),
                                        qubits: qubits + qubits.map { $0 + numQubits }, numQubits: 2 * numQubits)
        kernel.apply(to: vector.storage.pointer, threads: vector.threads)
    }

    /// Applies a circuit with a noise model: every gate, reset and error, exactly (measurements
    /// at the end are ignored: use ``probabilities()``).
    /// - Parameters:
    ///   - circuit: a circuit as wide as the matrix, with numeric angles, no condition and no
    ///     mid-circuit measurement.
    ///   - noise: the noise model (default: ideal).
    /// - Throws: the circuit's validation errors, ``NoiseError/methodUnavailable(method:reason:remedy:)``
    ///   for mid-circuit measurements or conditions, ``QuantumError/invalidState(_:)`` for a width mismatch.
    public mutating func apply(_ circuit: QuantumCircuit, noise: NoiseModel = NoiseModel()) throws {
        guard circuit.numQubits == numQubits else {
            throw QuantumError.invalidState("a \(circuit.numQubits)-qubit circuit cannot act on a \(numQubits)-qubit density matrix")
        }
        let program = try NoisyProgram(circuit: circuit, noise: noise)
        let engine = try DensityMatrixEngine(program: program, fusion: true, startsFromZero: false)
        vector.makeUnique()
        try engine.evolve(&vector, progress: nil)
    }
}
