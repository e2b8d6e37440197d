import Foundation
import VerdantCommon

/// A processor model with its rated power, and where that figure comes from.
public struct CPUPowerEntry: Sendable, Equatable {
    /// The text matched in `/proc/cpuinfo`'s `model name` (a whole word sequence, e.g. `Platinum 8380`).
    public let match: String
    /// The full model name.
    public let model: String
    /// Thermal design power of the whole package, in watts.
    public let tdpWatts: Double
    /// Hardware threads (logical CPUs) of the package.
    public let threads: Int
    /// Where the TDP and thread count come from.
    public let source: String

    /// Watts per busy hardware thread: `tdpWatts / threads`.
    public var wattsPerThread: Double { tdpWatts / Double(threads) }
}

/// The documented model's parameters: CPU power per busy hardware thread, memory power per GiB,
/// and the idle share used for whole-machine accounting. docs/energy-method.md explains each.
public enum PowerModel {
    /// Rated power of common server and desktop processors (vendor specification pages).
    ///
    /// The model takes a fully busy package to draw about its TDP (on Intel the long-term power
    /// limit PL1 equals TDP), shared evenly by its hardware threads.
    public static let cpuTable: [CPUPowerEntry] = [
        CPUPowerEntry(match: "Platinum 8480+", model: "Intel Xeon Platinum 8480+", tdpWatts: 350, threads: 112,
                      source: "Intel ARK, Xeon Platinum 8480+ specifications (TDP 350 W, 56 cores, 112 threads)"),
        CPUPowerEntry(match: "Platinum 8380", model: "Intel Xeon Platinum 8380", tdpWatts: 270, threads: 80,
                      source: "Intel ARK, Xeon Platinum 8380 specifications (TDP 270 W, 40 cores, 80 threads)"),
        CPUPowerEntry(match: "Gold 6248", model: "Intel Xeon Gold 6248", tdpWatts: 150, threads: 40,
                      source: "Intel ARK, Xeon Gold 6248 specifications (TDP 150 W, 20 cores, 40 threads)"),
        CPUPowerEntry(match: "Gold 6130", model: "Intel Xeon Gold 6130", tdpWatts: 125, threads: 32,
                      source: "Intel ARK, Xeon Gold 6130 specifications (TDP 125 W, 16 cores, 32 threads)"),
        CPUPowerEntry(match: "E5-2690 v4", model: "Intel Xeon E5-2690 v4", tdpWatts: 135, threads: 28,
                      source: "Intel ARK, Xeon E5-2690 v4 specifications (TDP 135 W, 14 cores, 28 threads)"),
        CPUPowerEntry(match: "i9-13900K", model: "Intel Core i9-13900K", tdpWatts: 125, threads: 32,
                      source: "Intel ARK, Core i9-13900K specifications (processor base power 125 W, 24 cores, 32 threads)"),
        CPUPowerEntry(match: "i7-12700", model: "Intel Core i7-12700", tdpWatts: 65, threads: 20,
                      source: "Intel ARK, Core i7-12700 specifications (processor base power 65 W, 12 cores, 20 threads)"),
        CPUPowerEntry(match: "i7-1165G7", model: "Intel Core i7-1165G7", tdpWatts: 28, threads: 8,
                      source: "Intel ARK, Core i7-1165G7 specifications (TDP up to 28 W, 4 cores, 8 threads)"),
        CPUPowerEntry(match: "EPYC 9654", model: "AMD EPYC 9654", tdpWatts: 360, threads: 192,
                      source: "AMD product page, EPYC 9654 (default TDP 360 W, 96 cores, 192 threads)"),
        CPUPowerEntry(match: "EPYC 7763", model: "AMD EPYC 7763", tdpWatts: 280, threads: 128,
                      source: "AMD product page, EPYC 7763 (default TDP 280 W, 64 cores, 128 threads)"),
        CPUPowerEntry(match: "EPYC 7742", model: "AMD EPYC 7742", tdpWatts: 225, threads: 128,
                      source: "AMD product page, EPYC 7742 (default TDP 225 W, 64 cores, 128 threads)"),
        CPUPowerEntry(match: "Ryzen 9 5950X", model: "AMD Ryzen 9 5950X", tdpWatts: 105, threads: 32,
                      source: "AMD product page, Ryzen 9 5950X (default TDP 105 W, 16 cores, 32 threads)"),
        CPUPowerEntry(match: "Ryzen 7 5800X", model: "AMD Ryzen 7 5800X", tdpWatts: 105, threads: 16,
                      source: "AMD product page, Ryzen 7 5800X (default TDP 105 W, 8 cores, 16 threads)"),
    ]

    /// Watts per busy hardware thread when the processor is not in ``cpuTable``: the median of the
    /// table's per-thread figures (3.4 W; CodeCarbon uses 4 W per thread for unknown CPUs).
    public static let defaultWattsPerThread: Double = {
        let sorted = cpuTable.map(\.wattsPerThread).sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }()

    /// Watts per GiB of memory: 3 W per 8 GB, CodeCarbon 2's rule of thumb. (Crucial's page on
    /// memory power, often cited for it, gives no per-GB figure; it budgets 5 W per consumer
    /// module for sizing a power supply. See docs/energy-method.md §2.)
    public static let memoryWattsPerGiB: Double = 3.0 / 8.0

    /// For whole-machine accounting only: the power of an idle machine as a fraction of its CPUs'
    /// full-load power. Published SPECpower_ssj2008 results of recent servers show active-idle
    /// power of roughly a fifth to a third of full-load power; 0.25 is taken, with a wide band.
    public static let idleFraction: Double = 0.25

    /// Band factors `(low, high)` around the modelled CPU energy.
    public enum Band {
        /// CPU in the table or `--cpu-watts` given: a busy thread draws less than its even share
        /// when its SMT sibling is busy, and more under single-thread turbo.
        public static let cpuKnown = (low: 0.7, high: 1.5)
        /// Unknown CPU: the default per-thread figure may be off by a factor of two or more.
        public static let cpuDefault = (low: 0.4, high: 3.0)
        /// Memory: power depends on DIMM count, type and traffic more than on resident size.
        public static let memory = (low: 0.5, high: 2.0)
        /// Idle share (whole-machine accounting).
        public static let idle = (low: 0.5, high: 2.0)
        /// RAPL package and DRAM counters.
        public static let rapl = (low: 0.95, high: 1.05)
        /// NVML total-energy counter ("accurate to within ±5 %", NVML API reference for power).
        public static let nvmlCounter = (low: 0.95, high: 1.05)
        /// NVML power readings integrated at the sampling interval.
        public static let nvmlSampling = (low: 0.85, high: 1.15)
        /// Attribution error ε of a counter shared with other work (process scope): the job's
        /// energy per busy CPU-second may differ from the rest of the machine's by a factor in
        /// [1 − ε, 1 + ε] (vector-heavy code draws more power per busy core than memory-bound or
        /// idle-spinning code). An assumption, not a measurement; see docs/energy-method.md §2.1.
        public static let attribution = 0.3

        /// The band of an attributed share: with the job's share `s` of the busy CPU time and its
        /// energy per CPU-second `r` times the rest's, the job's share of the energy is
        /// `s·r / (s·r + 1 − s)`; over `r` in [1 − ε, 1 + ε] that is
        /// `[s(1 − ε)/(1 − sε), s(1 + ε)/(1 + sε)]` — no widening when the job is the only work
        /// (s = 1), about ±ε when it is a small part of it.
        ///
        /// - Parameters:
        ///   - low: The share's lower end (from the tick granularity), in [0, 1].
        ///   - high: The share's upper end, in [0, 1].
        /// - Returns: The energy share's band.
        public static func attributedShare(low: Double, high: Double) -> (low: Double, high: Double) {
            let e = attribution
            let lowShare = low <= 0 ? 0 : low * (1 - e) / (1 - low * e)
            let highShare = high * (1 + e) / (1 + high * e)
            return (min(low, lowShare), min(1, max(high, highShare)))
        }
    }

    /// The table entry whose `match` occurs in `modelName` as whole words (the longest such entry).
    ///
    /// - Parameter modelName: `/proc/cpuinfo`'s `model name`, e.g. `Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz`.
    /// - Returns: The entry, or `nil` for a model not in the table.
    public static func entry(forModel modelName: String) -> CPUPowerEntry? {
        let cleaned = modelName.replacingOccurrences(of: "(R)", with: "").replacingOccurrences(of: "(TM)", with: "")
        func isWordCharacter(_ c: Character?) -> Bool { c.map { $0.isLetter || $0.isNumber } ?? false }
        var best: CPUPowerEntry?
        for entry in cpuTable {
            var searchRange = cleaned.startIndex..<cleaned.endIndex
            while let found = cleaned.range(of: entry.match, range: searchRange) {
                let before = found.lowerBound == cleaned.startIndex ? nil : cleaned[cleaned.index(before: found.lowerBound)]
                let after = found.upperBound == cleaned.endIndex ? nil : cleaned[found.upperBound]
                if !isWordCharacter(before) && !isWordCharacter(after) {
                    if best.map({ entry.match.count > $0.match.count }) ?? true { best = entry }
                    break
                }
                searchRange = found.upperBound..<cleaned.endIndex
            }
        }
        return best
    }

    /// This machine's processor model: `/proc/cpuinfo`'s first `model name` (or `unknown`).
    ///
    /// - Returns: The model name, e.g. `Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz`.
    public static func currentCPUModelName() -> String { cpuModelName(files: .live) }

    static func cpuModelName(files: SystemFiles) -> String {
        files.read("/proc/cpuinfo").text.flatMap(SystemInfo.cpuModelName(cpuinfo:)) ?? "unknown"
    }
}
