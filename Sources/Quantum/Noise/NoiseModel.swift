import Foundation

/// A noise model as Qiskit Aer's `NoiseModel` holds one: quantum errors attached to instruction
/// names, on all qubits or on given qubits, and readout errors on measured qubits.
///
/// Semantics are Aer's, so a model read from `NoiseModel.to_dict(serializable=True)` JSON gives
/// the same results in Verdant as in Aer:
/// - the error of a gate or reset comes right after it; the error of a `measure` right before it;
/// - an error for an instruction on exactly these qubits (in this order) wins over its
///   all-qubit error; an instruction with neither runs ideally;
/// - adding a second error to the same instruction and qubits composes it after the first;
/// - a readout error flips recorded bits; only 1-qubit readout errors take effect (Verdant's
///   measurements are one qubit each, and Aer applies a k-qubit readout error to k-qubit measure
///   instructions only).
public struct NoiseModel: Sendable, Equatable {
    /// Where an error is attached: an instruction name and, for a local error, its qubits.
    struct Key: Hashable, Sendable {
        let instruction: String
        let qubits: [Int]?
    }

    /// Quantum errors by key, and the keys in the order they were added (for writing files).
    private(set) var quantumErrors: [Key: QuantumChannel] = [:]
    private(set) var quantumOrder: [Key] = []
    /// Readout errors by qubits (nil: all qubits), in the order added.
    private(set) var readoutErrors: [[Int]?: ReadoutError] = [:]
    private(set) var readoutOrder: [[Int]?] = []

    /// An ideal model (no errors).
    public init() {}

    /// Whether the model has no errors at all.
    public var isIdeal: Bool { quantumErrors.isEmpty && readoutErrors.isEmpty }

    /// The instruction names that carry quantum errors, sorted.
    public var noisyInstructions: [String] { Array(Set(quantumOrder.map(\.instruction))).sorted() }

    /// Whether any readout error applies to a one-qubit measurement.
    public var hasReadoutErrors: Bool { readoutErrors.contains { $0.value.numQubits == 1 } }

    /// Instruction names Verdant's circuits can hold (gates, `measure`, `reset`).
    public static let knownInstructions: [String] = {
        var names = GateKind.standard.map(\.name)
        names += ["mcx", "mcz", "mcphase", "unitary", "measure", "reset"]
        return names
    }()

    /// The fixed width of an instruction name (nil for the variable-width ones: mcx, mcz, mcphase, unitary).
    static func width(of instruction: String) -> Int? {
        switch instruction {
        case "measure", "reset": return 1
        case "mcx", "mcz", "mcphase", "unitary": return nil
        default: return GateKind.standard.first { $0.name == instruction }?.numQubits
        }
    }

    /// Attaches a quantum error to instructions, on every qubit or on given qubits (composing it
    /// after an error already attached there, as Aer does).
    /// - Parameters:
    ///   - channel: the error.
    ///   - instructions: instruction names (`"cx"`, `"sx"`, `"measure"`, `"reset"`, …).
    ///   - qubits: the qubits, in the instruction's argument order; nil for all qubits.
    /// - Throws: ``NoiseError/unsupportedInstructions(path:names:known:)`` for a name Verdant does
    ///   not have, ``NoiseError/widthMismatch(subject:received:expected:)`` when the widths differ,
    ///   ``NoiseError/invalidParameter(name:received:valid:)`` for repeated or negative qubits.
    public mutating func add(_ channel: QuantumChannel, on instructions: [String], qubits: [Int]? = nil) throws {
        let unknown = instructions.filter { !Self.knownInstructions.contains($0) }
        if !unknown.isEmpty {
            throw NoiseError.unsupportedInstructions(path: "noise model", names: unknown, known: Self.knownInstructions)
        }
        if let qubits {
            guard Set(qubits).count == qubits.count, qubits.allSatisfy({ $0 >= 0 }) else {
                throw NoiseError.invalidParameter(name: "error qubits", received: "\(qubits)", valid: "distinct qubit indices ≥ 0")
            }
            guard qubits.count == channel.numQubits else {
                throw NoiseError.widthMismatch(subject: "error on qubits \(qubits)", received: channel.numQubits, expected: qubits.count)
            }
        }
        for name in instructions {
            if let width = Self.width(of: name), width != channel.numQubits {
                throw NoiseError.widthMismatch(subject: "error for '\(name)'", received: channel.numQubits, expected: width)
            }
            let key = Key(instruction: name, qubits: qubits)
            if let existing = quantumErrors[key] {
                quantumErrors[key] = try existing.composed(with: channel)
            } else {
                quantumErrors[key] = channel
                quantumOrder.append(key)
            }
        }
    }

    /// Attaches a readout error to measurements, on every qubit or on given qubits (replacing one
    /// already there).
    /// - Parameters:
    ///   - error: the assignment-matrix error.
    ///   - qubits: the measured qubits; nil for all qubits (then the error must be on 1 qubit).
    /// - Throws: ``NoiseError/widthMismatch(subject:received:expected:)``,
    ///   ``NoiseError/invalidParameter(name:received:valid:)`` for repeated or negative qubits.
    public mutating func add(_ error: ReadoutError, qubits: [Int]? = nil) throws {
        if let qubits {
            guard Set(qubits).count == qubits.count, qubits.allSatisfy({ $0 >= 0 }) else {
                throw NoiseError.invalidParameter(name: "readout error qubits", received: "\(qubits)", valid: "distinct qubit indices ≥ 0")
            }
            guard qubits.count == error.numQubits else {
                throw NoiseError.widthMismatch(subject: "readout error on qubits \(qubits)", received: error.numQubits, expected: qubits.count)
            }
        } else if error.numQubits != 1 {
            throw NoiseError.widthMismatch(subject: "an all-qubit readout error", received: error.numQubits, expected: 1)
        }
        if readoutErrors[qubits] == nil { readoutOrder.append(qubits) }
        readoutErrors[qubits] = error
    }

    /// The quantum error that follows (or, for `measure`, precedes) an instruction.
    /// - Parameters:
    ///   - instruction: the instruction name.
    ///   - qubits: its qubits in argument order.
    /// - Returns: the local error on exactly these qubits, else the all-qubit error when its
    ///   width matches, else nil (ideal).
    public func error(for instruction: String, on qubits: [Int]) -> QuantumChannel? {
        if let local = quantumErrors[Key(instruction: instruction, qubits: qubits)] { return local }
        if let all = quantumErrors[Key(instruction: instruction, qubits: nil)], all.numQubits == qubits.count { return all }
        return nil
    }

    /// The readout error of a one-qubit measurement of `qubit`: the local one, else the all-qubit one.
    /// - Parameter qubit: the measured qubit.
    /// - Returns: the error, or nil when the measurement is ideal.
    public func readoutError(forQubit qubit: Int) -> ReadoutError? {
        readoutErrors[[qubit]] ?? readoutErrors[nil]
    }

    /// Multi-qubit readout errors, which never apply to Verdant's one-qubit measurements.
    public var unusedReadoutErrors: [[Int]] {
        readoutOrder.compactMap { $0 }.filter { $0.count > 1 }
    }

    /// The errors of the model, for listing: instruction, qubits (nil for all) and channel, in the order added.
    public var quantumErrorList: [(instruction: String, qubits: [Int]?, channel: QuantumChannel)] {
        quantumOrder.compactMap { key in quantumErrors[key].map { (key.instruction, key.qubits, $0) } }
    }

    /// The readout errors, in the order added (qubits nil: all qubits).
    public var readoutErrorList: [(qubits: [Int]?, error: ReadoutError)] {
        readoutOrder.compactMap { q in readoutErrors[q].map { (q, $0) } }
    }

    /// `noise model: 33 quantum errors on cx, id, measure, reset, sx, x; 5 readout errors`.
    public var summary: String {
        if isIdeal { return "noise model: ideal (no errors)" }
        let names = noisyInstructions
        return "noise model: \(quantumOrder.count) quantum error\(quantumOrder.count == 1 ? "" : "s")"
            + (names.isEmpty ? "" : " on \(names.joined(separator: ", "))")
            + "; \(readoutOrder.count) readout error\(readoutOrder.count == 1 ? "" : "s")"
    }

    public static func == (a: NoiseModel, b: NoiseModel) -> Bool {
        a.quantumErrors == b.quantumErrors && a.readoutErrors == b.readoutErrors
    }
}

extension NoiseModel {
    /// Adds every error of `other` to this model, as Aer's `add_quantum_error` would one by one:
    /// a quantum error where this model already has one is composed after it; a readout error
    /// replaces this model's on the same qubits.
    /// - Parameter other: the model to add.
    /// - Throws: ``NoiseError/widthMismatch(subject:received:expected:)`` (never for models built
    ///   by ``add(_:on:qubits:)-(QuantumChannel,_,_)``, which checked their widths).
    public mutating func add(_ other: NoiseModel) throws {
        for item in other.quantumErrorList { try add(item.channel, on: [item.instruction], qubits: item.qubits) }
        for item in other.readoutErrorList { try add(item.error, qubits: item.qubits) }
    }

    /// This model for a compact register (``QuantumCircuit/removingIdleQubits()``): qubit k of it
    /// stands for `qubits[k]` of this model's. All-qubit errors are kept; an error on given qubits
    /// is kept, renumbered, when all of them are kept, and dropped otherwise (no instruction acts
    /// on a removed qubit, so it could never apply).
    /// - Parameter qubits: the kept qubits, in their new order.
    /// - Returns: the renumbered model.
    /// - Throws: only if a kept error were invalid, which the model's own checks rule out.
    public func restricted(to qubits: [Int]) throws -> NoiseModel {
        var position: [Int: Int] = [:]
        for (k, q) in qubits.enumerated() { position[q] = k }
        func mapped(_ local: [Int]?) -> [Int]?? {
            guard let local else { return .some(nil) }
            let renumbered = local.compactMap { position[$0] }
            return renumbered.count == local.count ? .some(renumbered) : nil
        }
        var model = NoiseModel()
        for item in quantumErrorList {
            guard let target = mapped(item.qubits) else { continue }
            try model.add(item.channel, on: [item.instruction], qubits: target)
        }
        for item in readoutErrorList {
            guard let target = mapped(item.qubits) else { continue }
            try model.add(item.error, qubits: target)
        }
        return model
    }

    /// The model given on a command line: an Aer JSON file, then the device numbers' errors added
    /// on top (composed after the file's).
    ///
    /// The device numbers give all-qubit errors, and in Aer's rules an error on given qubits wins
    /// over the all-qubit one — so a device model from a file (errors on every qubit and pair)
    /// would silently ignore them. Here each device error is also composed after every error the
    /// file has on given qubits for the same instruction and width, and the device readout error
    /// after every per-qubit readout error of the file (its assignment matrix multiplied in): every
    /// gate and measurement gets the file's error and then the options'.
    /// - Parameters:
    ///   - file: an Aer noise-model JSON file, or nil.
    ///   - device: device numbers (``DeviceNoise/parse(depolarizing:t1:t2:gateTime:readoutError:)``).
    /// - Returns: the model, or nil when neither is given (ideal).
    /// - Throws: the reader's and ``DeviceNoise/model()``'s errors.
    public static func combined(file: String?, device: DeviceNoise) throws -> NoiseModel? {
        if file == nil && device.isEmpty { return nil }
        var model = try file.map { try NoiseModel(aerJSONFile: $0) } ?? NoiseModel()
        guard !device.isEmpty else { return model }
        let extra = try device.model()
        let local = model.quantumErrorList.filter { $0.qubits != nil }
        let localReadout = model.readoutErrorList.filter { $0.qubits != nil }
        try model.add(extra)
        for item in extra.quantumErrorList where item.qubits == nil {
            for target in local where target.instruction == item.instruction && target.channel.numQubits == item.channel.numQubits {
                try model.add(item.channel, on: [item.instruction], qubits: target.qubits)
            }
        }
        if let readout = extra.readoutErrorList.first(where: { $0.qubits == nil })?.error {
            for target in localReadout where target.error.numQubits == 1 {
                try model.add(try target.error.followed(by: readout), qubits: target.qubits)
            }
        }
        return model
    }
}
