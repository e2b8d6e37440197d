import Foundation
import VerdantCommon

/// How much memory a new state may take, and where that figure came from.
struct MemoryBudget: Sendable {
    let bytes: UInt64
    let source: String

    /// The smallest of: the user's limit, the cgroup's remaining allowance, MemAvailable.
    static func current(userLimit: UInt64?) -> MemoryBudget {
        var best = MemoryBudget(bytes: UInt64.max, source: "no limit could be read")
        func consider(_ bytes: UInt64?, _ source: String) {
            if let bytes, bytes < best.bytes { best = MemoryBudget(bytes: bytes, source: source) }
        }
        consider(memAvailable(), "MemAvailable in /proc/meminfo")
        consider(cgroupRemaining(), "the cgroup's memory limit")
        consider(userLimit, "the --max-memory limit")
        return best
    }

    private static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func memAvailable() -> UInt64? { SystemInfo.availableMemoryBytes() }

    private static func cgroupRemaining() -> UInt64? {
        // cgroup v2, then v1.
        if let limit = read("/sys/fs/cgroup/memory.max").flatMap(UInt64.init) {
            let used = read("/sys/fs/cgroup/memory.current").flatMap(UInt64.init) ?? 0
            return limit > used ? limit - used : 0
        }
        if let limit = read("/sys/fs/cgroup/memory/memory.limit_in_bytes").flatMap(UInt64.init), limit < (1 << 62) {
            let used = read("/sys/fs/cgroup/memory/memory.usage_in_bytes").flatMap(UInt64.init) ?? 0
            return limit > used ? limit - used : 0
        }
        return nil
    }
}

/// Throws unless a state of `numQubits` qubits of `Real` fits in the memory budget.
/// - Throws: ``QuantumError/tooManyQubits(received:maximum:)`` beyond the simulator's width and
///   ``QuantumError/insufficientMemory(qubits:precision:bytesNeeded:bytesAvailable:limitSource:)``.
func checkMemory<Real: StateScalar>(numQubits: Int, as _: Real.Type, userLimit: UInt64?, copies: Int = 1) throws {
    guard numQubits >= 0, numQubits <= Simulator.maximumQubits else {
        throw QuantumError.tooManyQubits(received: numQubits, maximum: Simulator.maximumQubits)
    }
    let needed = Double(copies) * Double(2 * MemoryLayout<Real>.size) * pow(2.0, Double(numQubits))
    let budget = MemoryBudget.current(userLimit: userLimit)
    if needed > Double(budget.bytes) {
        throw QuantumError.insufficientMemory(qubits: numQubits, precision: Real.precisionName, bytesNeeded: needed,
                                              bytesAvailable: budget.bytes, limitSource: budget.source)
    }
}
