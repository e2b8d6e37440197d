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

/// The bytes one shot takes while shots are drawn: its uniform and index (16), the sorted
/// target (8), the drawn basis index (8), its place in the result (8) and the counts' share (8);
/// with the per-shot memory, also its outcome string.
func bytesPerShot(memory: Bool, clbits: Int) -> Double { 48 + (memory ? Double(32 + clbits) : 0) }

/// Throws unless `shots` is positive and its draws fit in the memory budget (so that a mistyped
/// `--shots 10000000000` is refused with a message instead of failing to allocate).
/// - Parameters:
///   - shots: the requested shots.
///   - memory: whether every shot's outcome is kept (`--memory`).
///   - clbits: the classical bits of an outcome.
///   - userLimit: `--max-memory`, if any.
/// - Throws: ``QuantumError/invalidShots(_:)``,
///   ``QuantumError/tooManyShots(received:bytesNeeded:bytesAvailable:limitSource:)``.
func checkShots(_ shots: Int, memory: Bool = false, clbits: Int = 0, userLimit: UInt64? = nil) throws {
    guard shots >= 1 else { throw QuantumError.invalidShots(shots) }
    let needed = Double(shots) * bytesPerShot(memory: memory, clbits: clbits)
    // Small requests need no system read (shot loops call this per run).
    guard needed > Double(64 << 20) else { return }
    let budget = MemoryBudget.current(userLimit: userLimit)
    if needed > Double(budget.bytes) {
        throw QuantumError.tooManyShots(received: shots, bytesNeeded: needed, bytesAvailable: budget.bytes, limitSource: budget.source)
    }
}
