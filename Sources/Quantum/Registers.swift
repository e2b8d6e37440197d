import Synchronization

private let registerCounter = Atomic<Int>(0)

/// The next automatic register name with `prefix` ("q0", "q1", … as in Qiskit).
private func automaticName(_ prefix: String) -> String {
    "\(prefix)\(registerCounter.add(1, ordering: .relaxed).oldValue)"
}

/// A named group of qubits. Two registers are the same register when name and size agree.
public struct QuantumRegister: Hashable, Sendable, CustomStringConvertible {
    /// The register's name, as written in OpenQASM (`qreg q[2];`).
    public let name: String
    /// The number of qubits.
    public let size: Int

    /// Creates a register.
    /// - Parameters:
    ///   - size: the number of qubits (at least 1 to be usable in a circuit).
    ///   - name: the name; an automatic `q0`, `q1`, … when omitted.
    public init(_ size: Int, name: String? = nil) {
        self.size = size
        self.name = name ?? automaticName("q")
    }

    /// The qubit at `index`. An out-of-range index is reported when the circuit is used.
    public subscript(index: Int) -> Qubit { Qubit(register: self, index: index) }

    /// The register's qubits in order.
    public var qubits: [Qubit] { (0..<max(size, 0)).map { self[$0] } }

    /// `name[size]`.
    public var description: String { "\(name)[\(size)]" }
}

/// A named group of classical bits. Two registers are the same register when name and size agree.
public struct ClassicalRegister: Hashable, Sendable, CustomStringConvertible {
    /// The register's name, as written in OpenQASM (`creg c[2];`).
    public let name: String
    /// The number of bits.
    public let size: Int

    /// Creates a register.
    /// - Parameters:
    ///   - size: the number of bits.
    ///   - name: the name; an automatic `c0`, `c1`, … when omitted.
    public init(_ size: Int, name: String? = nil) {
        self.size = size
        self.name = name ?? automaticName("c")
    }

    /// The bit at `index`. An out-of-range index is reported when the circuit is used.
    public subscript(index: Int) -> Clbit { Clbit(register: self, index: index) }

    /// The register's bits in order.
    public var clbits: [Clbit] { (0..<max(size, 0)).map { self[$0] } }

    /// `name[size]`.
    public var description: String { "\(name)[\(size)]" }
}

/// One qubit of a ``QuantumRegister``.
public struct Qubit: Hashable, Sendable, CustomStringConvertible {
    /// The register the qubit belongs to.
    public let register: QuantumRegister
    /// The position within the register.
    public let index: Int
    /// `name[index]`.
    public var description: String { "\(register.name)[\(index)]" }
}

/// One classical bit of a ``ClassicalRegister``.
public struct Clbit: Hashable, Sendable, CustomStringConvertible {
    /// The register the bit belongs to.
    public let register: ClassicalRegister
    /// The position within the register.
    public let index: Int
    /// `name[index]`.
    public var description: String { "\(register.name)[\(index)]" }
}

/// Something that names one qubit of a circuit: a ``Qubit`` or its integer index in the circuit
/// (registers counted in the order they were added, as in Qiskit).
public protocol QubitConvertible: Sendable {
    /// The qubit's index in `circuit`, or an error that says why there is none.
    func qubitIndex(in circuit: QuantumCircuit) -> Result<Int, QuantumError>
}

/// Something that names one classical bit of a circuit: a ``Clbit`` or its integer index.
public protocol ClbitConvertible: Sendable {
    /// The bit's index in `circuit`, or an error that says why there is none.
    func clbitIndex(in circuit: QuantumCircuit) -> Result<Int, QuantumError>
}

extension Int: QubitConvertible, ClbitConvertible {
    /// The index itself, checked against the circuit's width.
    public func qubitIndex(in circuit: QuantumCircuit) -> Result<Int, QuantumError> {
        guard self >= 0, self < circuit.numQubits else {
            return .failure(.qubitOutOfRange(received: "\(self)", numQubits: circuit.numQubits))
        }
        return .success(self)
    }

    /// The index itself, checked against the circuit's number of classical bits.
    public func clbitIndex(in circuit: QuantumCircuit) -> Result<Int, QuantumError> {
        guard self >= 0, self < circuit.numClbits else {
            return .failure(.clbitOutOfRange(received: "\(self)", numClbits: circuit.numClbits))
        }
        return .success(self)
    }
}

extension Qubit: QubitConvertible {
    /// The register's offset in the circuit plus the index.
    public func qubitIndex(in circuit: QuantumCircuit) -> Result<Int, QuantumError> {
        guard let offset = circuit.offset(of: register) else {
            return .failure(.unknownRegister(name: register.name, size: register.size,
                                             known: circuit.quantumRegisters.map(\.description)))
        }
        guard index >= 0, index < register.size else {
            return .failure(.qubitOutOfRange(received: description, numQubits: register.size))
        }
        return .success(offset + index)
    }
}

extension Clbit: ClbitConvertible {
    /// The register's offset in the circuit plus the index.
    public func clbitIndex(in circuit: QuantumCircuit) -> Result<Int, QuantumError> {
        guard let offset = circuit.offset(of: register) else {
            return .failure(.unknownRegister(name: register.name, size: register.size,
                                             known: circuit.classicalRegisters.map(\.description)))
        }
        guard index >= 0, index < register.size else {
            return .failure(.clbitOutOfRange(received: description, numClbits: register.size))
        }
        return .success(offset + index)
    }
}

extension [ClassicalRegister] {
    /// Formats classical bits (all registers' bits in order, register by register) as Qiskit's
    /// counts key: registers last-added first, separated by spaces, each with its highest bit first.
    func countsKey(_ bits: [UInt8]) -> String {
        var parts: [String] = []
        var offset = 0
        for r in self {
            var chars = [Character](repeating: "0", count: r.size)
            for b in 0..<r.size where bits[offset + b] != 0 { chars[r.size - 1 - b] = "1" }
            parts.append(String(chars))
            offset += r.size
        }
        return parts.reversed().joined(separator: " ")
    }
}
