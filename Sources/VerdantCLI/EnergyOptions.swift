import ArgumentParser
import Foundation
import Verdant

extension AccountingScope: ExpressibleByArgument {}

/// The energy options every long-running command shares (`run`, `bench`, `demo`, later `train`,
/// `predict`): where the report goes, carbon and price, the model's parameters, the counters.
///
/// A command adds `@OptionGroup var energy: EnergyOptions`, calls `let meter = try energy.start()`
/// before its work and `try energy.finish(meter, label: "…")` after it: the one-line summary goes
/// to standard error and, with `--energy-report FILE`, the JSON report to FILE.
struct EnergyOptions: ParsableArguments {
    @Option(name: .customLong("energy-report"), help: ArgumentHelp("Write the energy report (JSON) to this file.", valueName: "file"))
    var energyReport: String?

    @Option(help: ArgumentHelp("Country of the grid for carbon intensity: ISO code (FR, FRA) or name (default: world average).",
                               valueName: "country"))
    var country: String?

    @Option(name: .customLong("grid-intensity"), parsing: .unconditional, help: ArgumentHelp("Grid carbon intensity in gCO2e/kWh (overrides --country).", valueName: "g"))
    var gridIntensity: Double?

    @Option(name: .customLong("price-per-kwh"), parsing: .unconditional, help: ArgumentHelp("Electricity price per kWh (default 0.1268 USD, U.S. average 2023).", valueName: "price"))
    var pricePerKWh: Double?

    @Option(name: .customLong("price-per-hour"), parsing: .unconditional, help: ArgumentHelp("Machine price per hour (cloud instances), added to the cost.", valueName: "price"))
    var pricePerHour: Double?

    @Option(help: ArgumentHelp("Currency of the prices (default USD).", valueName: "code"))
    var currency: String?

    @Option(name: .customLong("cpu-watts"), parsing: .unconditional, help: ArgumentHelp("Watts of one busy hardware thread for the CPU-time model (default: CPU table, else 3.375).", valueName: "W"))
    var cpuWatts: Double?

    @Option(name: .customLong("memory-watts"), parsing: .unconditional, help: ArgumentHelp("Watts per GiB of memory for the model (default 0.375).", valueName: "W"))
    var memoryWatts: Double?

    @Option(name: .customLong("energy-scope"), help: ArgumentHelp("Count the job alone (process) or the whole machine (machine).", valueName: "scope"))
    var scope: AccountingScope = .process

    @Option(name: .customLong("sample-interval"), parsing: .unconditional, help: ArgumentHelp("Seconds between energy samples (timeline), 0.01 to 60.", valueName: "s"))
    var sampleInterval: Double = 1

    @Flag(name: .customLong("model-only"), help: "Do not read hardware counters (RAPL, NVML); use the CPU-time model.")
    var modelOnly = false

    @Flag(name: .customLong("require-counters"), help: "Fail unless a hardware energy counter (RAPL or NVML) is readable.")
    var requireCounters = false

    @Option(name: .customLong("powercap-root"), help: ArgumentHelp("Folder of the RAPL powercap zones.", valueName: "dir"))
    var powercapRoot: String?

    @Option(name: .customLong("nvml-library"), help: ArgumentHelp("NVML library to load (default libnvidia-ml.so.1).", valueName: "path"))
    var nvmlLibrary: String?

    @Flag(name: .customLong("no-energy-summary"), help: "Do not print the energy summary line on standard error.")
    var noEnergySummary = false

    func validate() throws {
        do {
            _ = try configuration()
            if let energyReport { try EnergyOptions.checkFolder(of: energyReport, option: "--energy-report") }
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// Fails before any work is done when a report file could not be written at the end.
    static func checkFolder(of path: String, option: String) throws(EnergyError) {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw .unusablePath(option: option, path: path, reason: "is in a folder that does not exist ('\(folder)')")
        }
    }

    /// The library configuration these options describe.
    func configuration() throws(EnergyError) -> EnergyConfiguration {
        var configuration = EnergyConfiguration()
        configuration.scope = scope
        configuration.sampleInterval = sampleInterval
        configuration.cpuWattsPerThread = cpuWatts
        configuration.memoryWattsPerGiB = memoryWatts
        if let gridIntensity {
            let region = try country.map { c throws(EnergyError) in try CarbonIntensity.lookup(c).region } ?? "user"
            configuration.grid = try CarbonIntensity.userGiven(gridIntensity, region: region)
        } else if let country {
            configuration.grid = try CarbonIntensity.lookup(country)
        }
        configuration.price = try ElectricityPrice.userGiven(perKWh: pricePerKWh, perHour: pricePerHour, currency: currency)
        configuration.useCounters = !modelOnly
        configuration.requireCounters = requireCounters
        if let powercapRoot { configuration.powercapRoot = powercapRoot }
        if let nvmlLibrary { configuration.nvmlLibrary = nvmlLibrary }
        try configuration.validate()
        return configuration
    }

    /// Refuses, before any work, an `--energy-report` file that exists (unless `force`), a
    /// folder, a device or a pipe, or one in a missing folder (exit 2): the report is written
    /// once the work is done, and it must not replace a file the user meant to keep.
    /// - Parameter force: the command's `--force`.
    func checkReportFile(force: Bool) throws {
        try checkOutput(energyReport, force: force, option: "--energy-report")
    }

    /// Starts a meter for this process, after ``checkReportFile(force:)`` on the rank that
    /// writes the report.
    /// - Parameters:
    ///   - force: the command's `--force` (replace an existing `--energy-report` file).
    ///   - writesReport: whether this process writes the report (rank 0 under mpirun).
    func start(force: Bool, writesReport: Bool = true) throws -> EnergyMeter {
        try start(sampleInterval: nil, force: force, writesReport: writesReport)
    }

    /// Starts a meter for this process; `sampleInterval` replaces the user's (used by
    /// `bench --suite energy`, whose own measurements must not run beside a sampler).
    func start(sampleInterval: Double?, force: Bool, writesReport: Bool = true) throws -> EnergyMeter {
        if writesReport { try checkReportFile(force: force) }
        var configuration = try configuration()
        if let sampleInterval {
            configuration.sampleInterval = sampleInterval
            configuration.keepTimeline = false
        }
        return try EnergyMeter(configuration: configuration)
    }

    /// Stops the meter, prints the one-line summary on standard error and writes the report file.
    @discardableResult
    func finish(_ meter: EnergyMeter, label: String) throws -> EnergyReport {
        let report = meter.stop(label: label)
        try publish(report)
        return report
    }

    /// Stops this rank's meter and adds every rank's energy (collective: every rank of `world`
    /// calls it); rank 0 then calls ``publish(_:)`` with the report.
    func stop(_ meter: EnergyMeter, label: String, over world: any Communicator) throws -> EnergyReport {
        try meter.stop(label: label).summed(over: world)
    }

    /// Prints the one-line summary on standard error and writes the report file.
    func publish(_ report: EnergyReport) throws {
        if !noEnergySummary {
            fflush(nil)  // the command's own output first, also when stdout is a pipe
            printNote(report.oneLine)
        }
        if let energyReport {
            try report.writeJSON(to: energyReport)
        }
    }
}
