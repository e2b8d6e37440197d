import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// The meter's state: what it counts (decided once, in BackendSelection.swift), the running totals
// and the sampler thread (Sampler.swift), spans and the final report (MeterSpans.swift).

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
