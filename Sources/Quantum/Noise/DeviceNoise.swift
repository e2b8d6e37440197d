import Foundation

/// A noise model from a few device numbers, the common case (`--depolarizing 1e-3,1e-2 --t1 50us
/// --t2 70us --gate-time 50ns,300ns --readout-error 0.02`), built as Aer's basic device model is:
///
/// - every gate on k ≤ 3 qubits gets the k-qubit depolarizing error (the one-qubit parameter for
///   one-qubit gates, the two-qubit parameter for gates on two and three qubits), followed by
///   thermal relaxation on each of its qubits over the gate's duration (the one-qubit time for
///   one-qubit gates, the two-qubit time otherwise);
/// - every measured qubit gets the readout error;
/// - gates on four or more qubits (`c3sx`, `rcccx`, `mcx`, `mcz`, `mcphase`, wide `unitary`),
///   `measure` and `reset` get no quantum error (transpile to one- and two-qubit gates first).
public struct DeviceNoise: Sendable, Equatable {
    /// The depolarizing parameter λ of one-qubit gates.
    public var depolarizingOneQubit: Double?
    /// The depolarizing parameter λ of two- and three-qubit gates.
    public var depolarizingTwoQubit: Double?
    /// T1 in seconds.
    public var t1Seconds: Double?
    /// T2 in seconds (default: T1).
    public var t2Seconds: Double?
    /// The duration of one-qubit gates in seconds.
    public var oneQubitGateSeconds: Double?
    /// The duration of two- and three-qubit gates in seconds.
    public var twoQubitGateSeconds: Double?
    /// The population of |1⟩ that relaxation tends to (0: decay to |0⟩).
    public var excitedStatePopulation: Double = 0
    /// P(1|0) of every measurement.
    public var readoutOneGivenZero: Double?
    /// P(0|1) of every measurement.
    public var readoutZeroGivenOne: Double?

    /// No noise; set the fields you need.
    public init() {}

    /// Whether no number is set.
    public var isEmpty: Bool {
        depolarizingOneQubit == nil && depolarizingTwoQubit == nil && t1Seconds == nil && t2Seconds == nil
            && oneQubitGateSeconds == nil && twoQubitGateSeconds == nil && readoutOneGivenZero == nil && readoutZeroGivenOne == nil
    }

    /// Parses the command-line forms; every argument is optional.
    /// - Parameters:
    ///   - depolarizing: `λ1,λ2` (one-qubit, two-qubit gates) or one `λ` for both.
    ///   - t1: a duration with its unit: `50us`, `50µs`, `0.05ms`, `50000ns`, `5e-5s`.
    ///   - t2: a duration (default: T1).
    ///   - gateTime: `t1q,t2q` durations (`50ns,300ns`) or one duration for both.
    ///   - readoutError: `p` (P(1|0) = P(0|1) = p) or `p10,p01`.
    /// - Returns: the numbers.
    /// - Throws: ``NoiseError/invalidOption(option:received:valid:)`` naming the option.
    public static func parse(depolarizing: String? = nil, t1: String? = nil, t2: String? = nil, gateTime: String? = nil,
                             readoutError: String? = nil) throws -> DeviceNoise
    {
        var noise = DeviceNoise()
        if let depolarizing {
            let values = try numbers(depolarizing, option: "--depolarizing", valid: "λ1,λ2 (one- and two-qubit gates, e.g. 1e-3,1e-2) or one λ")
            noise.depolarizingOneQubit = values[0]
            noise.depolarizingTwoQubit = values.count > 1 ? values[1] : values[0]
        }
        if let t1 { noise.t1Seconds = try duration(t1, option: "--t1") }
        if let t2 { noise.t2Seconds = try duration(t2, option: "--t2") }
        if let gateTime {
            let parts = gateTime.split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
            guard (1...2).contains(parts.count) else {
                throw NoiseError.invalidOption(option: "--gate-time", received: gateTime, valid: "expected t1q,t2q (e.g. 50ns,300ns) or one duration")
            }
            noise.oneQubitGateSeconds = try duration(parts[0], option: "--gate-time")
            noise.twoQubitGateSeconds = try duration(parts.count > 1 ? parts[1] : parts[0], option: "--gate-time")
        }
        if let readoutError {
            let values = try numbers(readoutError, option: "--readout-error", valid: "p (P(1|0) = P(0|1) = p) or p10,p01, each in 0...1")
            noise.readoutOneGivenZero = values[0]
            noise.readoutZeroGivenOne = values.count > 1 ? values[1] : values[0]
        }
        return noise
    }

    /// `50us` → 5e-5: a number and a unit among s, ms, us (µs, μs), ns, ps.
    /// - Parameters:
    ///   - text: the duration.
    ///   - option: the option name, for the message.
    /// - Returns: seconds.
    /// - Throws: ``NoiseError/invalidOption(option:received:valid:)``.
    public static func duration(_ text: String, option: String) throws -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // Units per second: dividing (rather than multiplying by 1e-6) gives 50us == 50e-6 exactly.
        let units: [(String, Double)] = [("ms", 1e3), ("us", 1e6), ("µs", 1e6), ("μs", 1e6), ("ns", 1e9), ("ps", 1e12), ("s", 1)]
        let valid = "expected a duration with its unit (s, ms, us, ns, ps), e.g. 50us or 300ns"
        for (unit, perSecond) in units where trimmed.hasSuffix(unit) {
            let number = trimmed.dropLast(unit.count).trimmingCharacters(in: .whitespaces)
            guard let value = Double(number), value.isFinite else {
                throw NoiseError.invalidOption(option: option, received: text, valid: valid)
            }
            guard value >= 0 else {
                throw NoiseError.invalidOption(option: option, received: text, valid: "a duration is at least 0, e.g. 50us or 300ns")
            }
            return value / perSecond
        }
        throw NoiseError.invalidOption(option: option, received: text, valid: valid)
    }

    private static func numbers(_ text: String, option: String, valid: String) throws -> [Double] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap(Double.init)
        guard (1...2).contains(parts.count), values.count == parts.count, values.allSatisfy(\.isFinite) else {
            throw NoiseError.invalidOption(option: option, received: text, valid: valid)
        }
        guard values.allSatisfy({ $0 >= 0 }) else {
            throw NoiseError.invalidOption(option: option, received: text, valid: valid + "; a probability is at least 0")
        }
        return values
    }

    /// The noise model these numbers describe.
    /// - Returns: a model with errors on every gate of one to three qubits and readout errors.
    /// - Throws: ``NoiseError/invalidOption(option:received:valid:)`` when T1 and gate times come
    ///   without each other; the channels' range errors (λ too large, T2 > 2·T1, …).
    public func model() throws -> NoiseModel {
        let relaxation = t1Seconds != nil || t2Seconds != nil
        let timed = oneQubitGateSeconds != nil
        if t2Seconds != nil, t1Seconds == nil {
            throw NoiseError.invalidOption(option: "--t2", received: "without --t1",
                                           valid: "T2 refines thermal relaxation, which needs T1: add --t1 (and --gate-time 50ns,300ns)")
        }
        if relaxation && !timed {
            throw NoiseError.invalidOption(option: "--t1/--t2", received: "without --gate-time",
                                           valid: "thermal relaxation needs the gates' durations: add --gate-time 50ns,300ns")
        }
        if timed && t1Seconds == nil {
            throw NoiseError.invalidOption(option: "--gate-time", received: "without --t1", valid: "gate times set thermal relaxation: add --t1 (and --t2)")
        }
        var model = NoiseModel()
        for width in 1...3 {
            var channel: QuantumChannel?
            if let lambda = width == 1 ? depolarizingOneQubit : depolarizingTwoQubit, lambda > 0 {
                channel = try QuantumChannel.depolarizing(lambda, qubits: width)
            }
            if let t1 = t1Seconds, let time = width == 1 ? oneQubitGateSeconds : twoQubitGateSeconds, time > 0 {
                let one = try QuantumChannel.thermalRelaxation(t1: t1, t2: t2Seconds ?? t1, time: time,
                                                               excitedStatePopulation: excitedStatePopulation)
                var relax = one
                for _ in 1..<width { relax = relax.expanded(with: one) }
                channel = try channel.map { try $0.composed(with: relax) } ?? relax
            }
            guard let channel else { continue }
            let names = GateKind.standard.filter { $0.numQubits == width }.map(\.name)
            try model.add(channel, on: names)
        }
        if readoutOneGivenZero != nil || readoutZeroGivenOne != nil {
            try model.add(try ReadoutError(oneGivenZero: readoutOneGivenZero ?? 0, zeroGivenOne: readoutZeroGivenOne ?? 0))
        }
        return model
    }
}
