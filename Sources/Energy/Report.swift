import Foundation
import VerdantCommon
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How a measured command ended.
public struct CommandExit: Sendable, Equatable {
    /// The exit status when the command exited (`nil` when a signal ended it).
    public let status: Int32?
    /// The signal that ended it (`nil` when it exited).
    public let signal: Int32?

    /// The exit code a shell would give: the status, or 128 + the signal.
    public var shellCode: Int32 { status ?? (128 + (signal ?? 0)) }
}

/// One interval of the timeline.
public struct TimelinePoint: Sendable, Equatable {
    /// Seconds from the meter's start to the end of the interval.
    public let endSeconds: Double
    /// The interval's length.
    public let seconds: Double
    /// Joules of the counted sources in the interval.
    public let joules: Double
    /// CPU seconds of the job in the interval.
    public let cpuSeconds: Double
    /// Joules per counted source.
    public let bySource: [(String, Double)]

    /// Average power in the interval: joules / seconds.
    public var watts: Double { seconds > 0 ? joules / seconds : 0 }

    /// Whether two points hold the same figures.
    ///
    /// - Parameters:
    ///   - a: A point.
    ///   - b: Another point.
    /// - Returns: `true` when every field and every per-source figure is equal.
    public static func == (a: TimelinePoint, b: TimelinePoint) -> Bool {
        a.endSeconds == b.endSeconds && a.seconds == b.seconds && a.joules == b.joules && a.cpuSeconds == b.cpuSeconds
            && a.bySource.map(\.0) == b.bySource.map(\.0) && a.bySource.map(\.1) == b.bySource.map(\.1)
    }
}

/// Everything a meter found: totals with provenance and bands, each source, what was unavailable
/// and why, spans, the timeline, carbon and cost, and the meter's own overhead.
///
/// Formats: ``summary`` (a human block), ``oneLine`` (for stderr at the end of a command),
/// ``json`` (docs/energy-method.md gives the schema), ``csvRow(projectName:)`` with CodeCarbon's
/// `emissions.csv` columns (``csvHeader``).
public struct EnergyReport: Sendable {
    /// What was measured, e.g. `verdant run bell.qasm`.
    public let label: String?
    /// When the meter started.
    public let startDate: Date
    /// Whose energy is counted.
    public let scope: AccountingScope
    /// Seconds between timeline samples.
    public let sampleInterval: Double
    /// The whole job (every rank's, added, when ``ranks`` is not empty).
    public internal(set) var total: EnergyUsage
    /// The spans, in the order they started.
    public let spans: [SpanUsage]
    /// The timeline, one point per sampling interval.
    public let timeline: [TimelinePoint]
    /// Sources that could not be used, and why.
    public let unavailable: [UnavailableSource]
    /// Every RAPL domain found, counted or not.
    public let raplDomains: [RAPLDomain]
    /// The carbon intensity used.
    public let grid: GridIntensity
    /// The price used.
    public let price: ElectricityPrice
    /// `/proc/cpuinfo`'s model name.
    public let cpuModelName: String
    /// Logical CPUs of the machine.
    public let logicalCPUs: Int
    /// Installed memory.
    public let installedMemoryBytes: Double
    /// The job's peak resident memory.
    public let peakResidentBytes: Double
    /// The job's user CPU seconds.
    public let cpuUser: Double
    /// The job's system CPU seconds.
    public let cpuSystem: Double
    /// Samples the sampler thread took.
    public let samples: Int
    /// Readings of all sources (samples, span boundaries, start and stop).
    public let readings: Int
    /// CPU seconds the sampler thread used: the meter's own overhead.
    public let meterCPUSeconds: Double
    /// How a measured command ended (`nil` for an in-process job).
    public let exit: CommandExit?
    /// Things worth knowing (counter wraps, failed reads).
    public internal(set) var notes: [String]
    /// A random id for this run (CSV `run_id`).
    public let runID: String

    /// Each rank's own usage, in rank order, when the report covers every rank of an MPI job
    /// (``combiningRanks(_:)``); empty for one process.
    public internal(set) var ranks: [EnergyUsage] = []

    /// This report for every rank of an MPI job: ``total`` becomes the combination of the ranks'
    /// usages (``EnergyUsage/combined(_:)``: joules, carbon, cost and CPU seconds add, bands add,
    /// the provenance is the weakest, seconds are the longest), each rank's usage is kept in
    /// ``ranks``, and a note says so. Spans, timeline, job and machine figures stay this process's.
    ///
    /// - Parameter usages: Every rank's ``total``, in rank order (this process's among them).
    /// - Returns: The combined report; this report unchanged for fewer than two usages.
    public func combiningRanks(_ usages: [EnergyUsage]) -> EnergyReport {
        guard usages.count > 1 else { return self }
        var report = self
        report.total = EnergyUsage.combined(usages)
        report.ranks = usages
        report.notes.append("the total adds the \(usages.count) ranks of an MPI job, each measured by its own meter "
                            + "(seconds: the longest); spans, timeline, job and machine figures are this rank's")
        return report
    }

    /// The format's version in JSON (`"version"`).
    public static let formatVersion = 1

    // MARK: - Human

    /// One line for standard error at the end of a command, e.g.
    /// `energy: 41.2 J −30%/+50% (modelled; rapl: missing, nvml: missing) · 0.0055 gCO2e (World 480 g/kWh) · 1.4e-06 USD · 1.23 s`.
    public var oneLine: String {
        let t = total
        var why = t.provenance.rawValue
        let problems = unavailableSummary
        if !problems.isEmpty { why += "; " + problems }
        // A --grid-intensity figure is the user's, not the named country's table value.
        let intensity = grid.isoCode.isEmpty && grid.year == nil
            ? "\(grid.region == "user" ? "" : "\(grid.region): ")\(Self.short(grid.gramsPerKWh)) g/kWh as given"
            : "\(grid.region) \(Self.short(grid.gramsPerKWh)) g/kWh"
        return "energy: \(Self.joules(t.joules.value)) \(Self.bandPercent(t.joules)) (\(why)) · "
            + "\(Self.grams(t.gCO2e.value)) gCO2e (\(intensity)) · "
            + "\(Self.money(t.cost.value)) \(t.currency) · \(Self.short(t.seconds)) s"
            + (ranks.isEmpty ? "" : " · \(ranks.count) ranks")
    }

    /// Unavailable sources in a few words, e.g. `rapl: missing, nvml: missing`.
    var unavailableSummary: String {
        var seen: [String] = []
        for u in unavailable {
            let group = u.source.split(separator: ":").first.map(String.init) ?? u.source
            let entry = "\(group): \(u.reason.rawValue)"
            if !seen.contains(entry) { seen.append(entry) }
        }
        return seen.joined(separator: ", ")
    }

    /// A compact block for people: totals, each source with its basis, what was unavailable and
    /// why, spans, and the meter's overhead.
    public var summary: String {
        let t = total
        var lines: [String] = []
        if let label { lines.append("energy of \(label)") }
        lines.append("energy  \(Self.joules(t.joules.value)) (\(Self.short(t.kWh)) kWh), band \(Self.joules(t.joules.low))–\(Self.joules(t.joules.high)), "
                     + "\(t.provenance.rawValue) · \(Self.short(t.seconds)) s wall · \(Self.short(t.cpuSeconds)) s CPU · \(scope.rawValue) scope")
        let year = grid.year.map { ", \($0)" } ?? ""
        lines.append("carbon  \(Self.grams(t.gCO2e.value)) gCO2e at \(Self.short(grid.gramsPerKWh)) g/kWh (\(grid.region)\(year); \(grid.source)) · \(t.gCO2e.provenance.rawValue)")
        let hourly = price.perHour > 0 ? " + \(Self.short(price.perHour)) \(price.currency)/h" : ""
        lines.append("cost    \(Self.money(t.cost.value)) \(t.currency) at \(Self.short(price.perKWh)) \(price.currency)/kWh\(hourly) (\(price.source)) · \(t.cost.provenance.rawValue)")
        let width = max(8, (t.sources.map(\.name) + unavailable.map(\.source)).map(\.count).max() ?? 0)
        for f in t.sources {
            let name = f.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let counted = f.counted ? "" : " (not counted)"
            lines.append("  \(name) \(Self.joules(f.joules.value)) [\(Self.joules(f.joules.low))–\(Self.joules(f.joules.high))] "
                         + "\(f.joules.provenance.rawValue), \(f.method)\(counted): \(f.note)")
        }
        for u in unavailable {
            lines.append("  \(u.source.padding(toLength: width, withPad: " ", startingAt: 0)) unavailable (\(u.reason.rawValue)): \(u.detail)")
        }
        if !spans.isEmpty {
            lines.append("spans")
            for s in spans {
                let indent = String(repeating: "  ", count: s.depth + 1)
                lines.append("\(indent)\(s.name)\(s.failed ? " (failed)" : ""): \(Self.short(s.usage.seconds)) s, \(Self.joules(s.usage.joules.value)), "
                             + "\(Self.grams(s.usage.gCO2e.value)) gCO2e, \(Self.money(s.usage.cost.value)) \(s.usage.currency), \(s.usage.provenance.rawValue)")
            }
        }
        for note in notes { lines.append("note: \(note)") }
        lines.append("meter: \(samples) sample\(samples == 1 ? "" : "s") every \(Self.short(sampleInterval)) s, \(readings) readings, "
                     + "\(Self.short(meterCPUSeconds * 1000)) ms of CPU (\(Self.percent(overheadFraction, digits: 3)) of the job's CPU time)")
        return lines.joined(separator: "\n")
    }

    /// The sampler's CPU time over the job's CPU time (0 when the job used none).
    public var overheadFraction: Double {
        let job = cpuUser + cpuSystem
        return job > 0 ? meterCPUSeconds / job : 0
    }

    static func short(_ x: Double) -> String {
        if x == 0 { return "0" }
        if abs(x) >= 1e5 || abs(x) < 1e-3 { return String(format: "%.3g", x) }
        return String(format: "%.4g", x)
    }

    static func joules(_ x: Double) -> String {
        if x >= 3.6e6 { return String(format: "%.4g kWh", x / 3.6e6) }
        if x >= 1e3 { return String(format: "%.4g kJ", x / 1e3) }
        return short(x) + " J"
    }

    static func grams(_ x: Double) -> String { short(x) }
    static func money(_ x: Double) -> String { short(x) }
    static func percent(_ x: Double, digits: Int = 2) -> String { String(format: "%.\(digits)g%%", x * 100) }

    /// The band as percentages of the value, e.g. `−30%/+50%` (`±0%` for an exact zero).
    static func bandPercent(_ e: Estimate) -> String { e.bandText }

    // MARK: - JSON

    /// The report as JSON (format version 1; schema in docs/energy-method.md): `joules`, `seconds`,
    /// `gCO2e`, `cost` and `provenance` first, then bands, carbon, price, job, sources, unavailable
    /// sources, RAPL domains, spans, timeline, machine and meter.
    ///
    /// - Parameter indent: Spaces per level (0: one line).
    /// - Returns: The JSON text.
    public func json(indent: Int = 2) -> String { jsonValue.text(indent: indent) }

    var jsonValue: JSONValue {
        let t = total
        func band(_ e: Estimate) -> JSONValue { .array([.number(e.low), .number(e.high)]) }
        func quantities(_ list: [Quantity]) -> JSONValue {
            .array(list.map { .object([("name", .string($0.name)), ("value", .number($0.value)), ("unit", .string($0.unit))]) })
        }
        func source(_ f: SourceFigure) -> JSONValue {
            .object([("name", .string(f.name)), ("method", .string(f.method)), ("joules", .number(f.joules.value)), ("band", band(f.joules)),
                     ("provenance", .string(f.joules.provenance.rawValue)), ("counted", .bool(f.counted)),
                     ("inputs", quantities(f.inputs)), ("parameters", quantities(f.parameters)), ("note", .string(f.note))])
        }
        var members: [(String, JSONValue)] = [
            ("joules", .number(t.joules.value)), ("seconds", .number(t.seconds)), ("gCO2e", .number(t.gCO2e.value)),
            ("cost", .number(t.cost.value)), ("provenance", .string(t.provenance.rawValue)),
            ("format", .string("verdant-energy-report")), ("version", .integer(Self.formatVersion)),
            ("kWh", .number(t.kWh)), ("watts", .number(t.watts)), ("currency", .string(t.currency)),
            ("bands", .object([("joules", band(t.joules)), ("gCO2e", band(t.gCO2e)), ("cost", band(t.cost))])),
            ("provenances", .object([("joules", .string(t.joules.provenance.rawValue)), ("gCO2e", .string(t.gCO2e.provenance.rawValue)),
                                     ("cost", .string(t.cost.provenance.rawValue)), ("seconds", .string(Provenance.measured.rawValue))])),
            ("measured_fraction", .number(t.measuredFraction)),
            ("scope", .string(scope.rawValue)),
            ("label", label.map { .string($0) } ?? .null),
            ("run_id", .string(runID)),
            ("started", .string(ISO8601DateFormatter().string(from: startDate))),
            ("carbon", .object([("gCO2e_per_kWh", .number(grid.gramsPerKWh)), ("region", .string(grid.region)), ("iso_code", .string(grid.isoCode)),
                                ("year", grid.year.map { .integer($0) } ?? .null), ("source", .string(grid.source)),
                                ("provenance", .string(grid.provenance.rawValue))])),
            ("price", .object([("per_kWh", .number(price.perKWh)), ("per_hour", .number(price.perHour)), ("currency", .string(price.currency)),
                               ("source", .string(price.source)), ("provenance", .string(price.provenance.rawValue))])),
        ]
        var job: [(String, JSONValue)] = [("cpu_user_seconds", .number(cpuUser)), ("cpu_system_seconds", .number(cpuSystem)),
                                         ("peak_resident_bytes", .number(peakResidentBytes))]
        if let exit {
            job.append(("exit_status", exit.status.map { .integer(Int($0)) } ?? .null))
            job.append(("signal", exit.signal.map { .integer(Int($0)) } ?? .null))
        }
        members.append(("job", .object(job)))
        members.append(("sources", .array(t.sources.map(source))))
        members.append(("unavailable", .array(unavailable.map {
            .object([("source", .string($0.source)), ("reason", .string($0.reason.rawValue)), ("detail", .string($0.detail))])
        })))
        members.append(("rapl_domains", .array(raplDomains.map {
            .object([("zone", .string($0.zone)), ("name", .string($0.name)), ("kind", .string($0.kind.rawValue)), ("counted", .bool($0.counted)),
                     ("max_energy_range_uj", .number(Double($0.maxEnergyRangeMicrojoules))), ("note", .string($0.note))])
        })))
        members.append(("spans", .array(spans.map { s in
            .object([("name", .string(s.name)), ("depth", .integer(s.depth)), ("start_seconds", .number(s.startSeconds)),
                     ("seconds", .number(s.usage.seconds)), ("joules", .number(s.usage.joules.value)), ("band", band(s.usage.joules)),
                     ("gCO2e", .number(s.usage.gCO2e.value)), ("cost", .number(s.usage.cost.value)),
                     ("provenance", .string(s.usage.provenance.rawValue)), ("cpu_seconds", .number(s.usage.cpuSeconds)),
                     ("failed", .bool(s.failed)),
                     ("sources", .object(s.usage.sources.filter(\.counted).map { ($0.name, .number($0.joules.value)) }))])
        })))
        members.append(("timeline", .object([("interval_seconds", .number(sampleInterval)), ("points", .array(timeline.map { p in
            .object([("t", .number(p.endSeconds)), ("seconds", .number(p.seconds)), ("joules", .number(p.joules)), ("watts", .number(p.watts)),
                     ("cpu_seconds", .number(p.cpuSeconds)), ("sources", .object(p.bySource.map { ($0.0, .number($0.1)) }))])
        }))])))
        members.append(("machine", .object([("cpu_model", .string(cpuModelName)), ("logical_cpus", .integer(logicalCPUs)),
                                            ("installed_memory_bytes", .number(installedMemoryBytes)), ("os", .string(Self.operatingSystem))])))
        members.append(("meter", .object([("samples", .integer(samples)), ("readings", .integer(readings)),
                                          ("cpu_seconds", .number(meterCPUSeconds)), ("overhead_fraction", .number(overheadFraction))])))
        if !ranks.isEmpty {
            members.append(("ranks", .array(ranks.enumerated().map { r, u in
                .object([("rank", .integer(r)), ("joules", .number(u.joules.value)), ("band", band(u.joules)),
                         ("provenance", .string(u.provenance.rawValue)), ("seconds", .number(u.seconds)),
                         ("cpu_seconds", .number(u.cpuSeconds)), ("gCO2e", .number(u.gCO2e.value)), ("cost", .number(u.cost.value))])
            })))
        }
        members.append(("notes", .array(notes.map { .string($0) })))
        return .object(members)
    }

    static var operatingSystem: String {
        var name = utsname()
        uname(&name)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return "\(field(name.sysname))-\(field(name.release))-\(field(name.machine))"
    }

    // MARK: - CSV (CodeCarbon's emissions.csv)

    /// CodeCarbon's `emissions.csv` columns (CodeCarbon 3.3.2), so dashboards built for it read ours.
    public static let csvColumns = [
        "timestamp", "project_name", "run_id", "experiment_id", "duration", "emissions", "emissions_rate", "cpu_power",
        "gpu_power", "ram_power", "cpu_energy", "gpu_energy", "ram_energy", "energy_consumed", "water_consumed",
        "country_name", "country_iso_code", "region", "cloud_provider", "cloud_region", "os", "python_version",
        "codecarbon_version", "cpu_count", "cpu_model", "gpu_count", "gpu_model", "longitude", "latitude",
        "ram_total_size", "tracking_mode", "cpu_utilization_percent", "gpu_utilization_percent",
        "ram_utilization_percent", "ram_used_gb", "on_cloud", "pue", "wue",
    ]

    /// The header line (no newline).
    public static var csvHeader: String { csvColumns.joined(separator: ",") }

    /// One row in CodeCarbon's units: seconds, kg CO2e, kg/s, W, kWh, GB (GiB, as CodeCarbon
    /// computes it).
    ///
    /// - Parameter projectName: The `project_name` column.
    /// - Returns: The row (no newline), quoted per RFC 4180 where needed.
    public func csvRow(projectName: String = "verdant") -> String {
        let t = total
        func joules(_ prefix: String) -> Double {
            t.sources.filter { $0.counted && $0.name.hasPrefix(prefix) }.reduce(0) { $0 + $1.joules.value }
        }
        let cpu = joules("cpu") + joules("idle"), gpu = joules("gpu"), ram = joules("memory")
        let seconds = t.seconds
        func watts(_ j: Double) -> Double { seconds > 0 ? j / seconds : 0 }
        let gib = 1_073_741_824.0
        let stamp = Date(timeInterval: seconds, since: startDate)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        let gpuNames = t.sources.filter { $0.name.hasPrefix("gpu:") }.map { $0.note.components(separatedBy: ";").first ?? "" }
        let values: [String] = [
            formatter.string(from: stamp), projectName, runID, "", "\(seconds)", "\(t.gCO2e.value / 1000)",
            "\(seconds > 0 ? t.gCO2e.value / 1000 / seconds : 0)", "\(watts(cpu))", "\(watts(gpu))", "\(watts(ram))",
            "\(cpu / 3.6e6)", "\(gpu / 3.6e6)", "\(ram / 3.6e6)", "\(t.kWh)", "0.0",
            grid.region, grid.isoCode, "", "", "", Self.operatingSystem, "", "",
            "\(logicalCPUs)", cpuModelName, "\(gpuNames.count)", gpuNames.joined(separator: " + "), "", "",
            "\(installedMemoryBytes / gib)", scope.rawValue,
            "\(seconds > 0 ? t.cpuSeconds / (seconds * Double(logicalCPUs)) * 100 : 0)", "0.0",
            "\(installedMemoryBytes > 0 ? peakResidentBytes / installedMemoryBytes * 100 : 0)", "\(peakResidentBytes / gib)",
            "N", "1.0", "0.0",
        ]
        return CSVText.row(values)
    }

    // MARK: - Files

    /// Writes the JSON report atomically (a temporary file renamed into place; nothing partial is
    /// left on failure).
    ///
    /// - Parameter path: The file to write.
    /// - Throws: ``EnergyError/cannotWrite(path:reason:)``.
    public func writeJSON(to path: String) throws(EnergyError) {
        try Self.writeAtomically(json() + "\n", to: path)
    }

    /// Appends the CSV row to a file, writing the header first when the file is new or empty; an
    /// existing file must start with the same header. The new content replaces the file atomically.
    ///
    /// - Parameters:
    ///   - path: The CSV file.
    ///   - projectName: The `project_name` column.
    /// - Throws: ``EnergyError/csvHeaderMismatch(path:found:)`` for a foreign file,
    ///   ``EnergyError/cannotWrite(path:reason:)`` when it cannot be read or written.
    public func appendCSV(to path: String, projectName: String = "verdant") throws(EnergyError) {
        var text = try Self.existingCSV(atPath: path)
        if text.isEmpty {
            text = Self.csvHeader + "\n"
        } else if !text.hasSuffix("\n") {
            text += "\n"
        }
        text += csvRow(projectName: projectName) + "\n"
        try Self.writeAtomically(text, to: path)
    }

    /// Checks, before anything is measured, that ``appendCSV(to:projectName:)`` can append to
    /// `path`: absent, empty, or starting with CodeCarbon's header (so `measure` refuses a foreign
    /// file before the command runs, not after, which would lose the command's exit status).
    /// - Parameter path: the CSV file.
    /// - Throws: ``EnergyError/csvHeaderMismatch(path:found:)``, ``EnergyError/cannotWrite(path:reason:)``.
    public static func checkCSV(atPath path: String) throws(EnergyError) {
        _ = try existingCSV(atPath: path)
    }

    /// The text of an existing CSV file whose header is CodeCarbon's ("" when absent or empty).
    private static func existingCSV(atPath path: String) throws(EnergyError) -> String {
        guard FileManager.default.fileExists(atPath: path) else { return "" }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .cannotWrite(path: path, reason: "it exists but cannot be read")
        }
        let text = String(decoding: data, as: UTF8.self)
        guard !text.isEmpty else { return "" }
        let first = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard first.trimmingCharacters(in: .whitespacesAndNewlines) == csvHeader else {
            throw .csvHeaderMismatch(path: path, found: first)
        }
        return text
    }

    static func writeAtomically(_ text: String, to path: String) throws(EnergyError) {
        do throws(AtomicFileError) {
            try AtomicFile.write(Data(text.utf8), toPath: path, replacing: true)
        } catch {
            throw .cannotWrite(path: path, reason: error.reason)
        }
    }
}
