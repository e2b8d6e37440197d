import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The energy, carbon and cost of a window of time: a whole job, a span, or a timeline interval.
public struct EnergyUsage: Sendable, Equatable {
    /// Wall-clock seconds of the window (measured).
    public let seconds: Double
    /// Joules of the counted sources, with band and provenance.
    public let joules: Estimate
    /// Grams of CO2e: kWh × grid intensity.
    public let gCO2e: Estimate
    /// Cost: kWh × price per kWh + hours × price per hour.
    public let cost: Estimate
    /// The currency of ``cost``.
    public let currency: String
    /// CPU seconds of the job in the window (user + system).
    public let cpuSeconds: Double
    /// Every source's figure, counted or not.
    public let sources: [SourceFigure]

    /// Kilowatt-hours: joules / 3.6e6.
    public var kWh: Double { joules.value / 3.6e6 }
    /// The provenance of the energy figure (the weakest of its counted parts).
    public var provenance: Provenance { joules.provenance }
    /// Average power: joules / seconds (0 for an empty window).
    public var watts: Double { seconds > 0 ? joules.value / seconds : 0 }
    /// Several windows that ran side by side (e.g. the ranks of an MPI job, each measured by its own
    /// meter) as one: joules, carbon, cost and CPU seconds add (bands add, provenance is the
    /// weakest); seconds are the longest; sources with the same name add.
    ///
    /// - Parameter parts: The usages to combine (at least one, all in the same currency).
    /// - Returns: Their combination; for no parts, an empty usage.
    public static func combined(_ parts: [EnergyUsage]) -> EnergyUsage {
        var names: [String] = []
        var byName: [String: [SourceFigure]] = [:]
        for figure in parts.flatMap(\.sources) {
            if byName[figure.name] == nil { names.append(figure.name) }
            byName[figure.name, default: []].append(figure)
        }
        let sources = names.compactMap { name -> SourceFigure? in
            guard let figures = byName[name], let first = figures.first else { return nil }
            return SourceFigure(name: name, method: first.method, joules: Estimate.sum(figures.map(\.joules)),
                                counted: figures.contains { $0.counted }, inputs: [], parameters: first.parameters,
                                note: figures.count > 1 ? "\(first.note) (sum of \(figures.count) processes)" : first.note)
        }
        return EnergyUsage(seconds: parts.map(\.seconds).max() ?? 0, joules: Estimate.sum(parts.map(\.joules)),
                           gCO2e: Estimate.sum(parts.map(\.gCO2e)), cost: Estimate.sum(parts.map(\.cost)),
                           currency: parts.first?.currency ?? ElectricityPrice.default.currency,
                           cpuSeconds: parts.reduce(0) { $0 + $1.cpuSeconds }, sources: sources)
    }

    /// The share of the energy that comes from hardware counters (0…1).
    public var measuredFraction: Double {
        let counted = sources.filter(\.counted)
        let total = counted.reduce(0) { $0 + $1.joules.value }
        guard total > 0 else { return counted.allSatisfy { $0.joules.provenance == .measured } && !counted.isEmpty ? 1 : 0 }
        return counted.filter { $0.joules.provenance == .measured }.reduce(0) { $0 + $1.joules.value } / total
    }
}

/// A phase of a job measured with ``EnergyMeter/span(_:_:)``.
public struct SpanUsage: Sendable, Equatable {
    /// The span's name.
    public let name: String
    /// Nesting depth (0 for a top-level span).
    public let depth: Int
    /// Seconds from the meter's start to the span's start.
    public let startSeconds: Double
    /// Whether the span's body threw.
    public let failed: Bool
    /// Its energy, carbon and cost.
    public let usage: EnergyUsage
}

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

/// The meter's state and sampler; the public ``EnergyMeter`` owns one and stops it on `deinit`.
final class MeterCore: Sendable {
    struct SpanRecord {
        let name: String
        let depth: Int
        let start: Snapshot
        var end: Snapshot?
        var failed = false
    }

    struct State {
        var rapl: RAPLCounters?
        var nvml: NVMLDevices?
        var last: Snapshot
        var lastClock: Double
        var timeline: [Snapshot] = []
        var spans: [SpanRecord] = []
        var openDepth = 0
        var samples = 0
        var readings = 0
        var samplerCPUSeconds = 0.0
        var stopped = false
        var report: EnergyReport?
        /// For a child job: its CPU times and peak memory from `wait4`, once it has ended.
        /// (`peakResidentBytes` is nil when wait4's figure is only the meter's own, see ``Command``.)
        var childFinal: (cpu: CPUTimes, peakResidentBytes: Double?)?
        var peakResidentBytes = 0.0
    }

    let configuration: EnergyConfiguration
    let job: JobProcess
    let plan: MeterPlan
    let unavailable: [UnavailableSource]
    let raplDomains: [RAPLDomain]
    let cpuModelName: String
    let startDate: Date
    let startClock: Double
    let stats: ProcessStats
    let initialCPU: CPUTimes
    let initialBusy: Double?
    /// Whether this process is in a PID namespace below the host's (NVML's process ids are the host's).
    let nestedPIDNamespace: Bool
    /// The running totals at the start (all zero).
    let first: Snapshot
    let state: Mutex<State>
    let stopSignal = DispatchSemaphore(value: 0)
    let samplerDone = DispatchSemaphore(value: 0)
    let samplerStarted = Atomic<Bool>(false)

    convenience init(configuration: EnergyConfiguration, job: JobProcess) throws(EnergyError) {
        try configuration.validate()
        let stats = ProcessStats(files: configuration.files)
        let selection = try MeterCore.select(configuration, stats: stats)
        self.init(configuration: configuration, job: job, selection: selection, stats: stats)
    }

    /// - Parameter startClock: when the job started (`monotonicSeconds()`); default now. A command
    ///   is spawned before its meter exists, so its start is taken before the spawn.
    init(configuration: EnergyConfiguration, job: JobProcess, selection: Selection, stats: ProcessStats,
         startClock: Double = monotonicSeconds()) {
        self.configuration = configuration
        self.job = job
        self.stats = stats
        plan = selection.plan
        unavailable = selection.unavailable
        raplDomains = selection.domains
        cpuModelName = selection.cpuModelName
        startDate = Date(timeIntervalSinceNow: startClock - monotonicSeconds())
        self.startClock = startClock
        switch job {
        case .current: initialCPU = ProcessStats.currentCPU()
        case .child: initialCPU = .zero  // everything the command used since it started
        }
        initialBusy = stats.machineBusySeconds()
        nestedPIDNamespace = stats.inNestedPIDNamespace()
        var first = Snapshot()
        first.machineBusySeconds = 0
        if initialBusy == nil { first.machineBusySeconds = nil }
        first.residentBytes = job.pid.map { stats.treeResidentBytes(root: $0) ?? 0 } ?? stats.residentBytes(nil) ?? 0
        first.raplJoules = selection.rapl?.joulesByZone ?? [:]
        first.gpuJoules = Dictionary(uniqueKeysWithValues: (selection.nvml?.devices ?? []).map { ($0.index, 0.0) })
        self.first = first
        var initial = State(rapl: selection.rapl, nvml: selection.nvml, last: first, lastClock: startClock)
        initial.timeline = configuration.keepTimeline ? [first] : []
        initial.peakResidentBytes = first.residentBytes
        state = Mutex(initial)
    }

    // MARK: - Selection (the one place that picks the backends)

    struct Selection {
        var plan: MeterPlan
        var rapl: RAPLCounters?
        var nvml: NVMLDevices?
        var unavailable: [UnavailableSource]
        var domains: [RAPLDomain]
        var cpuModelName: String
    }

    static func select(_ configuration: EnergyConfiguration, stats: ProcessStats) throws(EnergyError) -> Selection {
        var unavailable: [UnavailableSource] = []
        var domains: [RAPLDomain] = []
        var rapl: RAPLCounters?
        var nvml: NVMLDevices?
        var packages: [RAPLDomain] = []
        var drams: [RAPLDomain] = []
        let files = configuration.files

        if configuration.useCounters {
            if configuration.powercapRoot != RAPLDiscovery.defaultRoot, case .failure = files.entries(configuration.powercapRoot) {
                throw .unusablePath(option: "--powercap-root", path: configuration.powercapRoot, reason: "is not a readable folder")
            }
            let found = RAPLDiscovery.discover(root: configuration.powercapRoot, files: files)
            unavailable += found.unavailable
            domains = found.domains
            for kind in [RAPLDomain.Kind.package, .dram] {
                let readable = found.domains.filter { $0.counted && $0.kind == kind }
                if found.unreadableKinds.contains(kind) {
                    if !readable.isEmpty {
                        unavailable.append(UnavailableSource(
                            source: "rapl:\(kind.rawValue)", reason: .failed,
                            detail: "not every \(kind.rawValue) domain could be read: a partial sum would under-count, so none is used"))
                    }
                } else if kind == .package {
                    packages = readable
                } else {
                    drams = readable
                }
            }
            if !packages.isEmpty || !drams.isEmpty {
                rapl = RAPLCounters(root: configuration.powercapRoot, domains: packages + drams, initial: found.initialMicrojoules, files: files)
            }
            switch configuration.loadNVML(configuration.nvmlLibrary) {
            case .success(let functions):
                switch NVMLDevices.open(functions) {
                case .success(let session):
                    nvml = session
                    unavailable += session.unavailable
                    if session.devices.isEmpty && session.unavailable.isEmpty {
                        unavailable.append(UnavailableSource(source: "nvml", reason: .missing, detail: "NVML reports no GPU"))
                    }
                case .failure(let problem): unavailable.append(problem)
                }
            case .failure(let problem):
                if configuration.nvmlLibrary != NVMLLoader.defaultLibrary {
                    throw .unusablePath(option: "--nvml-library", path: configuration.nvmlLibrary, reason: "cannot be used: \(problem.detail)")
                }
                unavailable.append(problem)
            }
        } else {
            unavailable.append(UnavailableSource(source: "counters", reason: .disabled,
                                                 detail: "hardware counters (RAPL, NVML) were not read, as asked; every figure is modelled"))
        }

        if configuration.requireCounters && packages.isEmpty && (nvml?.devices.isEmpty ?? true) {
            throw .noCounterReadable(reasons: unavailable.map { "\($0.source): \($0.detail)" })
        }

        let cpuModelName = configuration.cpuModelName ?? PowerModel.cpuModelName(files: files)
        let model: (watts: Double, provenance: Provenance, basis: String)
        if let watts = configuration.cpuWattsPerThread {
            model = (watts, .modelled, "\(format(watts)) W per thread given by the user (--cpu-watts)")
        } else if let entry = PowerModel.entry(forModel: cpuModelName) {
            model = (entry.wattsPerThread, .modelled,
                     "\(entry.model): TDP \(format(entry.tdpWatts)) W / \(entry.threads) threads = \(format(entry.wattsPerThread)) W (\(entry.source))")
        } else {
            model = (PowerModel.defaultWattsPerThread, .default,
                     "CPU '\(cpuModelName)' is not in the table: default \(format(PowerModel.defaultWattsPerThread)) W per thread (the table's median)")
        }
        let cpu: MeterPlan.CPU = packages.isEmpty ? .model(wattsPerThread: model.watts, provenance: model.provenance, basis: model.basis)
            : .rapl(zones: packages)
        let memoryWatts = configuration.memoryWattsPerGiB ?? PowerModel.memoryWattsPerGiB
        let memoryBasis = configuration.memoryWattsPerGiB != nil ? "\(format(memoryWatts)) W/GiB given by the user (--memory-watts)"
            : "\(format(memoryWatts)) W/GiB: 3 W per 8 GB (CodeCarbon's rule of thumb)"
        let memory: MeterPlan.Memory = drams.isEmpty ? .model(wattsPerGiB: memoryWatts, basis: memoryBasis) : .rapl(zones: drams)
        let gpus = (nvml?.devices ?? []).map { MeterPlan.GPU(index: $0.index, name: $0.name, mode: $0.mode) }
        let plan = MeterPlan(scope: configuration.scope, cpu: cpu, memory: memory, gpus: gpus,
                             logicalCPUs: ProcessInfo.processInfo.activeProcessorCount,
                             installedBytes: stats.installedMemoryBytes(), modelWattsPerThread: model.watts,
                             modelProvenance: model.provenance, modelBasis: model.basis, ticksPerSecond: stats.ticksPerSecond)
        return Selection(plan: plan, rapl: rapl, nvml: nvml, unavailable: unavailable, domains: domains, cpuModelName: cpuModelName)
    }

    // MARK: - Readings

    /// Reads every source now and returns the running totals (call with the lock held).
    func reading(_ s: inout State) -> Snapshot {
        let now = monotonicSeconds()
        let dt = max(0, now - s.lastClock)
        var snap = s.last
        snap.wallSeconds = now - startClock
        switch job {
        case .current:
            let cpu = ProcessStats.currentCPU()
            snap.processCPU = CPUTimes(user: cpu.user - initialCPU.user, system: cpu.system - initialCPU.system)
        case .child(let pid):
            if let final = s.childFinal {
                snap.processCPU = CPUTimes(user: final.cpu.user - initialCPU.user, system: final.cpu.system - initialCPU.system)
            } else if let cpu = stats.childCPU(pid) {
                snap.processCPU = CPUTimes(user: cpu.user - initialCPU.user, system: cpu.system - initialCPU.system)
            }
        }
        if let busy = stats.machineBusySeconds(), let initialBusy { snap.machineBusySeconds = busy - initialBusy }
        // A measured command's whole process tree (memory and GPU attribution); the meter's own
        // process for an in-process job.
        let needsTree = s.childFinal == nil && (job.pid != nil || (s.nvml != nil && plan.scope == .process))
        let tree: Set<Int32>? = needsTree ? stats.processTree(root: job.pid ?? getpid()) : nil
        // A process that has ended keeps its last resident size until the final reading.
        var current: Double? = nil
        if s.childFinal == nil {
            if let root = job.pid {
                current = stats.treeResidentBytes(root: root, tree: tree)
            } else {
                current = stats.residentBytes(nil)
            }
        }
        let resident = current ?? s.last.residentBytes
        snap.memoryByteSeconds += 0.5 * (s.last.residentBytes + resident) * dt
        snap.residentBytes = resident
        s.peakResidentBytes = max(s.peakResidentBytes, resident)
        if s.rapl != nil {
            s.rapl?.sample()
            snap.raplJoules = s.rapl?.joulesByZone ?? [:]
        }
        if s.nvml != nil {
            s.nvml?.sample(seconds: dt, jobProcesses: plan.scope == .process ? tree : nil)
            for device in s.nvml?.devices ?? [] { snap.gpuJoules[device.index] = device.joules }
            if plan.scope == .process, let nvml = s.nvml { snap.gpuAttribution = nvml.attribution(nestedPIDNamespace: nestedPIDNamespace) }
        }
        s.last = snap
        s.lastClock = now
        s.readings += 1
        return snap
    }

    func startSampler() {
        guard !samplerStarted.exchange(true, ordering: .relaxed) else { return }
        let interval = configuration.sampleInterval
        let thread = Thread { [self] in
            var stopped = false
            if job.pid != nil {
                // A measured command's memory can only be read from /proc while it runs, and wait4's
                // peak may be only this process's (see Command): three early readings (10, 60 and 260
                // ms in) give a command shorter than one interval its resident size. Not samples: the
                // timeline keeps its interval.
                for delay in [0.01, 0.05, 0.2] where delay < interval {
                    if stopSignal.wait(timeout: .now() + delay) == .success {
                        stopped = true
                        break
                    }
                    let before = threadCPUSeconds()
                    state.withLock { s in
                        guard !s.stopped else { return }
                        _ = reading(&s)
                    }
                    let spent = threadCPUSeconds() - before
                    state.withLock { $0.samplerCPUSeconds += spent }
                }
            }
            while !stopped, stopSignal.wait(timeout: .now() + interval) == .timedOut {
                let before = threadCPUSeconds()
                state.withLock { s in
                    guard !s.stopped else { return }
                    let snap = reading(&s)
                    if configuration.keepTimeline { s.timeline.append(snap) }
                    s.samples += 1
                }
                let spent = threadCPUSeconds() - before
                state.withLock { $0.samplerCPUSeconds += spent }
            }
            samplerDone.signal()
        }
        thread.name = "verdant-energy-sampler"
        thread.start()
    }

    /// Stops the sampler thread (idempotent).
    func stopSampler() {
        guard samplerStarted.exchange(false, ordering: .relaxed) else { return }
        stopSignal.signal()
        samplerDone.wait()
    }

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

extension JobProcess {
    var pid: pid_t? {
        if case .child(let pid) = self { return pid }
        return nil
    }
}

/// A number in at most 4 significant digits, for notes.
func format(_ value: Double) -> String {
    String(format: "%.4g", value)
}
