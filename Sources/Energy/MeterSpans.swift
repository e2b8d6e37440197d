import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// Spans (named windows inside a job) and stopping the meter: the final reading, the figures of the
// total, each span and the timeline, and the EnergyReport.

extension MeterCore {
    // MARK: - Spans

    struct SpanToken { let index: Int }

    func beginSpan(_ name: String) -> SpanToken {
        state.withLock { s in
            let snap = reading(&s)
            s.spans.append(SpanRecord(name: name, depth: s.openDepth, start: snap))
            s.openDepth += 1
            return SpanToken(index: s.spans.count - 1)
        }
    }

    func endSpan(_ token: SpanToken, failed: Bool) -> EnergyUsage {
        let (start, end) = state.withLock { s in
            let snap = s.stopped ? s.last : reading(&s)
            s.spans[token.index].end = snap
            s.spans[token.index].failed = failed
            s.openDepth = max(0, s.openDepth - 1)
            return (s.spans[token.index].start, snap)
        }
        return usage(from: start, to: end)
    }

    func usageSoFar() -> EnergyUsage {
        let end = state.withLock { s in s.stopped ? s.last : reading(&s) }
        return usage(from: first, to: end)
    }

    /// Energy, carbon and cost between two snapshots.
    func usage(from a: Snapshot, to b: Snapshot) -> EnergyUsage {
        let figures = plan.figures(from: a, to: b)
        let joules = Estimate.sum(figures.filter(\.counted).map(\.joules))
        let seconds = max(0, b.wallSeconds - a.wallSeconds)
        let grid = configuration.grid
        let price = configuration.price
        let gCO2e = joules.scaled(by: grid.gramsPerKWh / 3.6e6, provenance: grid.provenance)
        var cost = joules.scaled(by: price.perKWh / 3.6e6, provenance: price.provenance)
        let machineCost = price.perHour * seconds / 3600
        cost = Estimate(value: cost.value + machineCost, low: cost.low + machineCost, high: cost.high + machineCost, provenance: cost.provenance)
        return EnergyUsage(seconds: seconds, joules: joules, gCO2e: gCO2e, cost: cost, currency: price.currency,
                           cpuSeconds: max(0, b.processCPU.total - a.processCPU.total), sources: figures)
    }

    // MARK: - Stop

    /// For a measured command: its final CPU time and peak memory from `wait4`.
    func recordChildExit(cpu: CPUTimes, peakResidentBytes: Double?) {
        state.withLock { s in
            s.childFinal = (cpu, peakResidentBytes)
            if let peakResidentBytes { s.peakResidentBytes = max(s.peakResidentBytes, peakResidentBytes) }
        }
    }

    func stop(label: String?, exit: CommandExit?) -> EnergyReport {
        stopSampler()
        return state.withLock { s in
            if let report = s.report { return report }
            var final = reading(&s)
            if case .child = job, s.childFinal != nil, s.samples == 0 {
                // The command ended before the first sample: take its peak (wait4's ru_maxrss when it is
                // the command's own, else the largest reading) for the whole time.
                final.memoryByteSeconds = s.peakResidentBytes * final.wallSeconds
                s.last = final
            }
            if case .current = job {
                s.peakResidentBytes = max(s.peakResidentBytes, ProcessStats.currentPeakResidentBytes())
            }
            if configuration.keepTimeline { s.timeline.append(final) }
            s.stopped = true
            s.nvml?.close()
            let total = usage(from: first, to: final)
            let spans = s.spans.map { record in
                SpanUsage(name: record.name, depth: record.depth, startSeconds: record.start.wallSeconds, failed: record.failed,
                          usage: usage(from: record.start, to: record.end ?? final))
            }
            var timeline: [TimelinePoint] = []
            for (a, b) in zip(s.timeline, s.timeline.dropFirst()) where b.wallSeconds > a.wallSeconds {
                let u = usage(from: a, to: b)
                timeline.append(TimelinePoint(endSeconds: b.wallSeconds, seconds: u.seconds, joules: u.joules.value,
                                              cpuSeconds: u.cpuSeconds,
                                              bySource: u.sources.filter(\.counted).map { ($0.name, $0.joules.value) }))
            }
            var notes: [String] = []
            for t in s.rapl?.tracked ?? [] {
                if t.wraps > 0 { notes.append("RAPL \(t.domain.name) wrapped \(t.wraps) time(s); corrected with max_energy_range_uj") }
                if t.failedReads > 0 { notes.append("RAPL \(t.domain.name): \(t.failedReads) reading(s) failed and were skipped") }
            }
            for d in s.nvml?.devices ?? [] {
                if d.failedReads > 0 { notes.append("GPU \(d.index): \(d.failedReads) NVML reading(s) failed and were skipped") }
                if plan.scope == .process, !d.usedByJob, let problem = d.processListProblem {
                    notes.append("GPU \(d.index): its process list could not be read (\(problem)); the whole device is counted as an upper bound")
                }
            }
            let report = EnergyReport(
                label: label, startDate: startDate, scope: plan.scope, sampleInterval: configuration.sampleInterval,
                total: total, spans: spans, timeline: timeline, unavailable: unavailable, raplDomains: raplDomains,
                grid: configuration.grid, price: configuration.price, cpuModelName: cpuModelName,
                logicalCPUs: plan.logicalCPUs, installedMemoryBytes: plan.installedBytes,
                peakResidentBytes: s.peakResidentBytes, cpuUser: final.processCPU.user, cpuSystem: final.processCPU.system,
                samples: s.samples, readings: s.readings, meterCPUSeconds: s.samplerCPUSeconds, exit: exit, notes: notes,
                runID: UUID().uuidString.lowercased())
            s.report = report
            return report
        }
    }
}
