import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// EnergyMeter: the public, thread-safe facade over MeterCore (MeterCore.swift).

/// Measures the energy of a job while it runs: hardware counters where readable (RAPL, NVML), the
/// documented CPU-time model where not — never silently — with spans for phases and a timeline.
///
/// ```swift
/// let meter = try EnergyMeter(configuration: config)
/// let kernel = try meter.span("kernel matrix") { try computeKernel() }
/// let report = meter.stop()
/// print(report.summary)
/// ```
/// All methods may be called from any thread.
public final class EnergyMeter: Sendable {
    let core: MeterCore

    /// Starts a meter for this process (its threads and the children it waits for).
    ///
    /// - Parameter configuration: How to measure and price; validated here.
    /// - Throws: ``EnergyError/invalidParameter(name:received:valid:)`` for a bad setting,
    ///   ``EnergyError/unusablePath(option:path:reason:)`` for a counter path that was given explicitly
    ///   and cannot be used, ``EnergyError/noCounterReadable(reasons:)`` when counters are required
    ///   and none is readable.
    public convenience init(configuration: EnergyConfiguration = EnergyConfiguration()) throws(EnergyError) {
        try self.init(configuration: configuration, job: .current)
    }

    init(configuration: EnergyConfiguration, job: JobProcess) throws(EnergyError) {
        core = try MeterCore(configuration: configuration, job: job)
        core.startSampler()
    }

    deinit { core.stopSampler() }

    /// The configuration in use.
    public var configuration: EnergyConfiguration { core.configuration }

    /// Sources that could not be used, and why.
    public var unavailableSources: [UnavailableSource] { core.unavailable }

    /// Runs `body` as a named phase of the job; its energy appears in the report's spans.
    ///
    /// Spans measure the whole job during the span (all its threads), so concurrent spans overlap.
    /// - Parameters:
    ///   - name: The phase's name, e.g. `kernel matrix`.
    ///   - body: The work.
    /// - Returns: What `body` returns.
    /// - Throws: Whatever `body` throws (the span is still recorded, marked failed).
    public func span<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        try measure(name, body).value
    }

    /// Runs `body` as a named phase and returns its energy with its result, for per-phase tables.
    ///
    /// - Parameters:
    ///   - name: The phase's name.
    ///   - body: The work.
    /// - Returns: `body`'s value and the phase's energy, carbon and cost.
    /// - Throws: Whatever `body` throws (the span is still recorded, marked failed).
    public func measure<T>(_ name: String, _ body: () throws -> T) rethrows -> (value: T, usage: EnergyUsage) {
        let token = core.beginSpan(name)
        var finished = false
        defer { if !finished { _ = core.endSpan(token, failed: true) } }
        let value = try body()
        finished = true
        return (value, core.endSpan(token, failed: false))
    }

    /// The `async` form of `span(_:_:)`: runs `body` as a named phase of the job.
    ///
    /// - Parameters:
    ///   - name: The phase's name.
    ///   - body: The work.
    /// - Returns: What `body` returns.
    /// - Throws: Whatever `body` throws (the span is still recorded, marked failed).
    public func span<T>(_ name: String, _ body: () async throws -> T) async rethrows -> T {
        let token = core.beginSpan(name)
        var finished = false
        defer { if !finished { _ = core.endSpan(token, failed: true) } }
        let value = try await body()
        finished = true
        _ = core.endSpan(token, failed: false)
        return value
    }

    /// The energy so far, without stopping the meter.
    ///
    /// - Returns: The usage from the meter's start to now.
    public func usageSoFar() -> EnergyUsage { core.usageSoFar() }

    /// Stops sampling and returns the report. Calling it again returns the same report.
    ///
    /// - Parameter label: What was measured, e.g. `verdant run bell.qasm` (shown in reports).
    /// - Returns: The report: totals, sources, spans, timeline, what was unavailable and why.
    @discardableResult
    public func stop(label: String? = nil) -> EnergyReport { core.stop(label: label, exit: nil) }

    /// Measures a whole job: starts a meter, runs `body` with it, stops it.
    ///
    /// - Parameters:
    ///   - configuration: How to measure and price.
    ///   - label: What is measured (shown in reports).
    ///   - body: The job; it may open spans on the meter it is given.
    /// - Returns: `body`'s value and the report.
    /// - Throws: The meter's ``EnergyError``s, or whatever `body` throws.
    public static func measure<T>(configuration: EnergyConfiguration = EnergyConfiguration(), label: String? = nil,
                                  _ body: (EnergyMeter) throws -> T) throws -> (value: T, report: EnergyReport) {
        let meter = try EnergyMeter(configuration: configuration)
        let value = try body(meter)
        return (value, meter.stop(label: label))
    }
}

/// Monotonic seconds.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// CPU seconds of the calling thread.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
