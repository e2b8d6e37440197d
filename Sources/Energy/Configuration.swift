import Foundation
import VerdantCommon

/// How an ``EnergyMeter`` measures and prices a job. Every field has a stated default.
public struct EnergyConfiguration: Sendable {
    /// Whose energy is counted (default: the job's own).
    public var scope: AccountingScope = .process
    /// Seconds between samples of the timeline (default 1; 0.01 to 60).
    public var sampleInterval: Double = 1
    /// Watts drawn by one fully busy hardware thread; `nil` uses the CPU table, else the default.
    public var cpuWattsPerThread: Double?
    /// Watts per GiB of memory; `nil` uses ``PowerModel/memoryWattsPerGiB``.
    public var memoryWattsPerGiB: Double?
    /// Grid carbon intensity: from a country (`FR`, `FRA`, `France`), a user figure, or the world default.
    public var grid: GridIntensity = CarbonIntensity.worldDefault
    /// Electricity price and machine price per hour.
    public var price: ElectricityPrice = .default
    /// Whether to read hardware counters (RAPL, NVML); `false` uses the model alone.
    public var useCounters = true
    /// Fail (``EnergyError/noCounterReadable(reasons:)``) when no hardware counter can be read.
    public var requireCounters = false
    /// The powercap folder holding the RAPL zones.
    public var powercapRoot = RAPLDiscovery.defaultRoot
    /// The NVML library to `dlopen`.
    public var nvmlLibrary = NVMLLoader.defaultLibrary
    /// Whether to keep a timeline of samples in the report.
    public var keepTimeline = true

    /// How the meter reads kernel files (replaced in tests).
    var files: SystemFiles = .live
    /// How the meter opens NVML (replaced in tests by a fake library).
    var loadNVML: @Sendable (String) -> Result<NVMLFunctions, UnavailableSource> = NVMLLoader.load
    /// The CPU model name; `nil` reads `/proc/cpuinfo`.
    var cpuModelName: String?

    /// The defaults: process scope, 1 s samples, counters when readable, world carbon intensity,
    /// the default price.
    public init() {}

    /// Checks every numeric field.
    ///
    /// - Throws: ``EnergyError/invalidParameter(name:received:valid:)`` naming the first bad field.
    public func validate() throws(EnergyError) {
        guard sampleInterval.isFinite, sampleInterval >= 0.01, sampleInterval <= 60 else {
            throw .invalidParameter(name: "--sample-interval", received: "\(sampleInterval)", valid: "give seconds between 0.01 and 60")
        }
        if let watts = cpuWattsPerThread, !(watts.isFinite && watts > 0 && watts <= 1000) {
            throw .invalidParameter(name: "--cpu-watts", received: "\(watts)",
                                    valid: "give the watts of one busy hardware thread, above 0 and at most 1000 (typical: 2 to 7)")
        }
        if let watts = memoryWattsPerGiB, !(watts.isFinite && watts >= 0 && watts <= 100) {
            throw .invalidParameter(name: "--memory-watts", received: "\(watts)", valid: "give watts per GiB between 0 and 100 (default 0.375)")
        }
    }
}
