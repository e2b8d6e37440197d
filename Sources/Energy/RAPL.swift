import Foundation
import VerdantCommon

/// A source of energy figures that could not be used, and why. Reports list every one of these,
/// so a figure never falls back to the model silently.
public struct UnavailableSource: Error, Sendable, Equatable {
    /// Why a source could not be used.
    public enum Reason: String, Sendable {
        /// The counter, driver or library does not exist on this machine.
        case missing
        /// The counter exists but this user may not read it.
        case permissionDenied = "permission denied"
        /// The hardware or driver does not offer the figure.
        case unsupported
        /// Reading failed for another reason (named in the detail).
        case failed
        /// Not read because the user turned hardware counters off.
        case disabled
    }

    /// Which source: `rapl`, `rapl:package-0`, `nvml`, `nvml:0`.
    public let source: String
    /// Why it could not be used.
    public let reason: Reason
    /// What exactly happened and what the user can do about it.
    public let detail: String

    /// An unavailable source.
    ///
    /// - Parameters:
    ///   - source: Which source (`rapl`, `nvml:0`, …).
    ///   - reason: Why it could not be used.
    ///   - detail: What happened and what to do.
    public init(source: String, reason: Reason, detail: String) {
        self.source = source
        self.reason = reason
        self.detail = detail
    }
}

/// One Linux powercap zone of the RAPL driver: a package, its DRAM, cores, uncore, or the platform.
public struct RAPLDomain: Sendable, Equatable {
    /// What a domain covers.
    public enum Kind: String, Sendable {
        /// A whole processor package (cores, caches, uncore).
        case package
        /// The DRAM attached to a package (not part of the package's energy).
        case dram
        /// The cores of a package (contained in the package).
        case core
        /// The uncore/graphics of a package (contained in the package).
        case uncore
        /// The whole platform (contains the packages, DRAM and more).
        case psys
        /// A domain this meter does not know.
        case other
    }

    /// The zone's folder name, e.g. `intel-rapl:0:1`.
    public let zone: String
    /// The zone's `name` file, e.g. `package-0`, `dram`.
    public let name: String
    /// What the domain covers.
    public let kind: Kind
    /// The counter's range from `max_energy_range_uj`: it wraps to 0 after this many microjoules.
    public let maxEnergyRangeMicrojoules: UInt64
    /// Whether the domain's energy is added to the total (packages and DRAM only, never a domain
    /// that contains or is contained in another counted one).
    public let counted: Bool
    /// Why the domain is or is not counted.
    public let note: String
}

/// Finds the RAPL domains under a powercap root and decides which are counted.
enum RAPLDiscovery {
    /// The result of looking for RAPL: the domains that can be read and what could not be used.
    struct Result {
        var domains: [RAPLDomain]
        var unavailable: [UnavailableSource]
        /// The first readings of the counted domains (microjoules).
        var initialMicrojoules: [String: UInt64]
        /// Kinds of counted domain of which at least one zone could not be read: a partial sum
        /// would under-count, so the meter uses none of that kind.
        var unreadableKinds: Set<RAPLDomain.Kind> = []
    }

    static let defaultRoot = "/sys/class/powercap"

    static func kind(ofName name: String) -> RAPLDomain.Kind {
        if name.hasPrefix("package") { return .package }
        switch name {
        case "dram": return .dram
        case "core": return .core
        case "uncore": return .uncore
        case "psys": return .psys
        default: return .other
        }
    }

    /// `intel-rapl:0:1` → `intel-rapl:0`; a top-level zone has no parent.
    static func parent(of zone: String) -> String? {
        let parts = zone.split(separator: ":")
        guard parts.count > 2 else { return nil }
        return parts.dropLast().joined(separator: ":")
    }

    static func discover(root: String, files: SystemFiles) -> Result {
        var result = Result(domains: [], unavailable: [], initialMicrojoules: [:])
        let entries: [String]
        switch files.entries(root) {
        case .success(let names): entries = names
        case .failure(let failure):
            let detail = failure.read == .missing
                ? "'\(root)' does not exist: no powercap driver (usual in virtual machines and containers, and on CPUs without RAPL)"
                : "'\(root)' cannot be listed (\(failure.read.failurePhrase))"
            result.unavailable.append(UnavailableSource(source: "rapl", reason: failure.read == .permissionDenied ? .permissionDenied : .missing,
                                                        detail: detail))
            return result
        }
        let zones = entries.filter { $0.hasPrefix("intel-rapl:") }
        // The MMIO interface repeats a package that the MSR zones already give: listed, never counted.
        for mmio in entries where mmio.hasPrefix("intel-rapl-mmio:") {
            let name = files.read("\(root)/\(mmio)/name").text?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            let range = files.read("\(root)/\(mmio)/max_energy_range_uj").text.flatMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            result.domains.append(RAPLDomain(zone: mmio, name: name, kind: kind(ofName: name), maxEnergyRangeMicrojoules: range, counted: false,
                                             note: "MMIO view of a package the intel-rapl zones already give; not added, so nothing is counted twice"))
        }
        guard !zones.isEmpty else {
            result.unavailable.append(UnavailableSource(
                source: "rapl", reason: .missing,
                detail: "'\(root)' has no intel-rapl zones (the intel_rapl_common/rapl driver is not loaded, or the CPU has no RAPL)"))
            return result
        }
        // Read every zone's name first: counting decisions depend on the whole tree.
        var named: [(zone: String, name: String)] = []
        for zone in zones {
            let path = "\(root)/\(zone)"
            guard let name = files.read("\(path)/name").text?.trimmingCharacters(in: .whitespacesAndNewlines), !name.isEmpty else {
                result.unavailable.append(UnavailableSource(source: "rapl:\(zone)", reason: .failed,
                                                            detail: "'\(path)/name' cannot be read; zone skipped"))
                continue
            }
            named.append((zone, name))
        }
        let packages = Set(named.filter { kind(ofName: $0.name) == .package }.map(\.zone))
        for (zone, name) in named {
            let path = "\(root)/\(zone)"
            let domainKind = kind(ofName: name)
            var counted: Bool
            var note: String
            switch domainKind {
            case .package:
                counted = true
                note = "processor package: cores, caches and uncore"
            case .dram:
                counted = true
                note = "DRAM: outside the package's energy, so added to it"
            case .core, .uncore:
                counted = false
                let owner = parent(of: zone).flatMap { p in named.first { $0.zone == p }?.name } ?? "its package"
                note = "contained in \(owner); not added, so nothing is counted twice"
            case .psys:
                counted = false
                note = "platform domain: contains the packages and DRAM; not added, so nothing is counted twice"
            case .other:
                counted = false
                note = "unknown domain '\(name)'; not added (it may contain or be contained in a counted one)"
            }
            if domainKind == .dram, let p = parent(of: zone), !packages.contains(p), !packages.isEmpty {
                // A DRAM zone at the top level is still outside the packages: count it.
                note = "DRAM (top-level zone): outside the packages' energy, so added to them"
            }
            let energyPath = "\(path)/energy_uj"
            let energy = files.read(energyPath)
            guard let energyText = energy.text, let raw = UInt64(energyText.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                if counted {
                    let reason: UnavailableSource.Reason = energy == .permissionDenied ? .permissionDenied : (energy == .missing ? .missing : .failed)
                    let what = energy == .permissionDenied
                        ? "permission denied reading '\(energyPath)' (root-only since Linux 5.10, CVE-2020-8694); run as root or make it readable (chmod o+r, or a udev rule)"
                        : "'\(energyPath)' \(energy.text == nil ? "cannot be read (\(energy.failurePhrase))" : "does not hold a whole number")"
                    result.unavailable.append(UnavailableSource(source: "rapl:\(name)", reason: reason, detail: what))
                    result.unreadableKinds.insert(domainKind)
                }
                continue
            }
            let rangePath = "\(path)/max_energy_range_uj"
            let rangeRead = files.read(rangePath)
            guard let rangeText = rangeRead.text, let range = UInt64(rangeText.trimmingCharacters(in: .whitespacesAndNewlines)), range > 0 else {
                if counted {
                    result.unavailable.append(UnavailableSource(
                        source: "rapl:\(name)",
                        reason: rangeRead == .permissionDenied ? .permissionDenied : (rangeRead == .missing ? .missing : .failed),
                        detail: "'\(rangePath)' cannot be read (\(rangeRead.failurePhrase)), so a wrap-around of the counter could not be corrected; domain not used"))
                    result.unreadableKinds.insert(domainKind)
                }
                continue
            }
            result.domains.append(RAPLDomain(zone: zone, name: name, kind: domainKind, maxEnergyRangeMicrojoules: range,
                                             counted: counted, note: note))
            if counted { result.initialMicrojoules[zone] = raw }
        }
        return result
    }
}

/// The running totals of the counted RAPL domains, unwrapped.
struct RAPLCounters: Sendable {
    struct Tracked: Sendable {
        let domain: RAPLDomain
        let path: String
        var lastRaw: UInt64
        var joules: Double
        var wraps: Int
        var failedReads: Int
    }

    private(set) var tracked: [Tracked]
    private let files: SystemFiles

    init(root: String, domains: [RAPLDomain], initial: [String: UInt64], files: SystemFiles) {
        self.files = files
        tracked = domains.compactMap { domain in
            guard domain.counted, let raw = initial[domain.zone] else { return nil }
            return Tracked(domain: domain, path: "\(root)/\(domain.zone)/energy_uj", lastRaw: raw, joules: 0, wraps: 0, failedReads: 0)
        }
    }

    /// The microjoules between two readings of a counter that wraps to 0 after `range`.
    ///
    /// Formula: `now − last` when `now ≥ last`, else `(range − last) + now` (one wrap; the sampling
    /// interval is far shorter than the time to wrap, which is minutes at full load).
    static func delta(from last: UInt64, to now: UInt64, range: UInt64) -> UInt64 {
        now >= last ? now - last : (range &- last) &+ now
    }

    /// Reads every counted domain once and adds what it used since the last reading.
    mutating func sample() {
        for i in tracked.indices {
            guard let text = files.read(tracked[i].path).text,
                  let raw = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines))
            else {
                tracked[i].failedReads += 1
                continue
            }
            if raw < tracked[i].lastRaw { tracked[i].wraps += 1 }
            let d = RAPLCounters.delta(from: tracked[i].lastRaw, to: raw, range: tracked[i].domain.maxEnergyRangeMicrojoules)
            tracked[i].joules += Double(d) * 1e-6
            tracked[i].lastRaw = raw
        }
    }

    /// Joules so far per zone.
    var joulesByZone: [String: Double] {
        Dictionary(uniqueKeysWithValues: tracked.map { ($0.domain.zone, $0.joules) })
    }
}
