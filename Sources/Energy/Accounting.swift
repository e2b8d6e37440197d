import Foundation

/// A named number with its unit, as listed among a figure's inputs and parameters.
public struct Quantity: Sendable, Equatable, Codable {
    /// What it is, e.g. `cpu_seconds`, `watts_per_thread`.
    public let name: String
    /// Its value.
    public let value: Double
    /// Its unit, e.g. `s`, `W`, `J`, `GiB·s`, `1` for a ratio.
    public let unit: String

    /// A quantity.
    ///
    /// - Parameters:
    ///   - name: What it is.
    ///   - value: Its value.
    ///   - unit: Its unit.
    public init(_ name: String, _ value: Double, _ unit: String) {
        self.name = name
        self.value = value
        self.unit = unit
    }
}

/// The energy of one source over a window (the whole job, a span or a timeline interval).
public struct SourceFigure: Sendable, Equatable, Codable {
    /// `cpu`, `memory`, `gpu:0`, `idle`.
    public let name: String
    /// How it was obtained: `rapl`, `cpu-time model`, `resident-memory model`, `nvml energy counter`, …
    public let method: String
    /// Joules, with band and provenance.
    public let joules: Estimate
    /// Whether the figure is part of the total.
    public let counted: Bool
    /// The measured inputs (CPU seconds, counter joules, GiB·s, the attribution share).
    public let inputs: [Quantity]
    /// The model's parameters (watts per thread, watts per GiB).
    public let parameters: [Quantity]
    /// Where the parameters come from, and anything the reader should know.
    public let note: String
}

/// The meter's running totals at one instant, all counted from the meter's start.
struct Snapshot: Sendable, Equatable {
    var wallSeconds: Double = 0
    var processCPU: CPUTimes = .zero
    /// Busy seconds of all CPUs of the machine (`nil` when `/proc/stat` is unreadable).
    var machineBusySeconds: Double?
    /// ∫ resident bytes dt of the job.
    var memoryByteSeconds: Double = 0
    var residentBytes: Double = 0
    var raplJoules: [String: Double] = [:]
    var gpuJoules: [Int: Double] = [:]
    /// GPUs on which a process of the job has been seen so far, or whose use cannot be told.
    var gpuAttribution: [Int: GPUAttribution] = [:]
}

/// Whose energy is counted.
public enum AccountingScope: String, Sendable, CaseIterable {
    /// The job alone: its own CPU time and memory (model), or its CPU-time share of the counters,
    /// and the GPUs it used.
    case process
    /// The whole machine while the job runs: every CPU's busy time plus an idle share (model), the
    /// whole counters, every GPU.
    case machine
}

/// What the meter counts, decided once when it starts (the single place that picks the backends).
struct MeterPlan: Sendable {
    enum CPU: Sendable {
        case rapl(zones: [RAPLDomain])
        case model(wattsPerThread: Double, provenance: Provenance, basis: String)
    }
    enum Memory: Sendable {
        case rapl(zones: [RAPLDomain])
        case model(wattsPerGiB: Double, basis: String)
    }
    struct GPU: Sendable {
        let index: Int
        let name: String
        let mode: NVMLDevices.Mode
    }

    var scope: AccountingScope
    var cpu: CPU
    var memory: Memory
    var gpus: [GPU]
    var logicalCPUs: Int
    var installedBytes: Double
    /// The model's watts per busy thread (also used for the idle share when the CPU is modelled).
    var modelWattsPerThread: Double
    var modelProvenance: Provenance
    var modelBasis: String
    var ticksPerSecond: Double

    /// The figures of every source between two snapshots.
    func figures(from a: Snapshot, to b: Snapshot) -> [SourceFigure] {
        let wall = max(0, b.wallSeconds - a.wallSeconds)
        let user = max(0, b.processCPU.user - a.processCPU.user)
        let system = max(0, b.processCPU.system - a.processCPU.system)
        let processCPU = user + system
        let busy: Double?
        if let start = a.machineBusySeconds, let end = b.machineBusySeconds { busy = max(0, end - start) } else { busy = nil }
        var figures: [SourceFigure] = []

        // Attribution of whole-machine counters to the job: its share of the busy CPU time.
        let share = attributionShare(processCPU: processCPU, machineBusy: busy, wall: wall)

        switch cpu {
        case .rapl(let zones):
            let measured = zones.reduce(0.0) { $0 + (b.raplJoules[$1.zone] ?? 0) - (a.raplJoules[$1.zone] ?? 0) }
            figures.append(counterFigure(name: "cpu", zones: zones, measured: measured, share: share, wall: wall,
                                         processCPU: processCPU, busy: busy))
        case .model(let watts, let provenance, let basis):
            let band = provenance == .default ? PowerModel.Band.cpuDefault : PowerModel.Band.cpuKnown
            if scope == .process {
                figures.append(SourceFigure(
                    name: "cpu", method: "cpu-time model",
                    joules: Estimate(value: processCPU * watts, lowFactor: band.low, highFactor: band.high, provenance: provenance),
                    counted: true,
                    inputs: [Quantity("cpu_user_seconds", user, "s"), Quantity("cpu_system_seconds", system, "s")],
                    parameters: [Quantity("watts_per_thread", watts, "W")],
                    note: "job CPU seconds × watts per busy thread; \(basis)"))
            } else {
                // /proc/stat counts in 10 ms ticks: never charge the machine less than the job's own CPU time.
                let machineBusy = max(busy ?? processCPU, processCPU)
                figures.append(SourceFigure(
                    name: "cpu", method: "cpu-time model",
                    joules: Estimate(value: machineBusy * watts, lowFactor: band.low, highFactor: band.high, provenance: provenance),
                    counted: true,
                    inputs: [Quantity("machine_busy_cpu_seconds", machineBusy, "s"), Quantity("job_cpu_seconds", processCPU, "s")],
                    parameters: [Quantity("watts_per_thread", watts, "W")],
                    note: "busy CPU seconds of the whole machine × watts per busy thread; \(basis)"
                        + (busy == nil ? "; /proc/stat unreadable, so only the job's CPU time is counted" : "")))
            }
        }

        switch memory {
        case .rapl(let zones):
            let measured = zones.reduce(0.0) { $0 + (b.raplJoules[$1.zone] ?? 0) - (a.raplJoules[$1.zone] ?? 0) }
            figures.append(counterFigure(name: "memory", zones: zones, measured: measured, share: share, wall: wall,
                                         processCPU: processCPU, busy: busy))
        case .model(let wattsPerGiB, let basis):
            let band = PowerModel.Band.memory
            if scope == .process {
                let gibSeconds = max(0, b.memoryByteSeconds - a.memoryByteSeconds) / 1_073_741_824
                figures.append(SourceFigure(
                    name: "memory", method: "resident-memory model",
                    joules: Estimate(value: gibSeconds * wattsPerGiB, lowFactor: band.low, highFactor: band.high, provenance: .modelled),
                    counted: true,
                    inputs: [Quantity("resident_gib_seconds", gibSeconds, "GiB·s")],
                    parameters: [Quantity("watts_per_gib", wattsPerGiB, "W/GiB")],
                    note: "∫ resident memory dt × watts per GiB; \(basis)"))
            } else {
                let gib = installedBytes / 1_073_741_824
                figures.append(SourceFigure(
                    name: "memory", method: "installed-memory model",
                    joules: Estimate(value: gib * wall * wattsPerGiB, lowFactor: band.low, highFactor: band.high, provenance: .modelled),
                    counted: true,
                    inputs: [Quantity("installed_gib", gib, "GiB"), Quantity("seconds", wall, "s")],
                    parameters: [Quantity("watts_per_gib", wattsPerGiB, "W/GiB")],
                    note: "installed memory × seconds × watts per GiB; \(basis)"))
            }
        }

        for gpu in gpus {
            let joules = max(0, (b.gpuJoules[gpu.index] ?? 0) - (a.gpuJoules[gpu.index] ?? 0))
            let band = gpu.mode == .counter ? PowerModel.Band.nvmlCounter : PowerModel.Band.nvmlSampling
            let attribution = b.gpuAttribution[gpu.index]
            let counted = scope == .machine || attribution != nil
            let why: String
            var upperBound = false
            switch attribution {
            case _ where scope == .machine: why = ""
            case .used(shared: false): why = "; only processes of this job ran on it"
            case .used(shared: true):
                why = "; counted whole as an upper bound because processes of other jobs ran on it too"
                upperBound = true
            case .unknown(let reason):
                why = "; counted whole as an upper bound because \(reason)"
                upperBound = true
            case nil: why = "; not counted: no process of this job ran on it"
            }
            // An upper bound: the job used at most the whole device, and perhaps none of it.
            let estimate = upperBound
                ? Estimate(value: joules, low: 0, high: joules * band.high, provenance: .upperBound)
                : Estimate(value: joules, lowFactor: band.low, highFactor: band.high, provenance: .measured)
            figures.append(SourceFigure(
                name: "gpu:\(gpu.index)", method: "nvml \(gpu.mode.rawValue)",
                joules: estimate,
                counted: counted,
                inputs: [Quantity("device_joules", joules, "J")], parameters: [],
                note: "\(gpu.name); whole device (NVML has no per-process energy)" + why))
        }

        if scope == .machine, case .model = cpu {
            let idleWatts = PowerModel.idleFraction * modelWattsPerThread * Double(logicalCPUs)
            let band = PowerModel.Band.idle
            figures.append(SourceFigure(
                name: "idle", method: "idle-share model",
                joules: Estimate(value: idleWatts * wall, lowFactor: band.low, highFactor: band.high, provenance: modelProvenance),
                counted: true,
                inputs: [Quantity("seconds", wall, "s"), Quantity("logical_cpus", Double(logicalCPUs), "1")],
                parameters: [Quantity("idle_fraction", PowerModel.idleFraction, "1"), Quantity("watts_per_thread", modelWattsPerThread, "W")],
                note: "idle fraction × watts per thread × logical CPUs × seconds (whole-machine accounting)"))
        }
        return figures
    }

    /// The job's share of the machine's busy CPU time, with its band from the kernel's tick
    /// granularity: `(value, low, high)` in [0, 1]; `nil` in machine scope (no attribution). When
    /// `/proc/stat` cannot be read the whole counter is charged (value 1), and the band reaches down
    /// to the share the job would have had on a fully busy machine, `job CPU / (logical CPUs × wall)`.
    func attributionShare(processCPU: Double, machineBusy: Double?, wall: Double) -> (value: Double, low: Double, high: Double)? {
        guard scope == .process else { return nil }
        guard let machineBusy else {
            let lowest = wall > 0 ? min(1, processCPU / (Double(logicalCPUs) * wall)) : 0
            return (1, lowest, 1)
        }
        let tick = 1 / ticksPerSecond
        let processError = 2 * tick
        let busyError = 2 * tick * Double(logicalCPUs)
        guard machineBusy > 0 else { return processCPU > 0 ? (1, 1, 1) : (0, 0, min(1, processError / max(busyError, tick))) }
        let value = min(1, processCPU / machineBusy)
        let low = max(0, min(1, (processCPU - processError) / (machineBusy + busyError)))
        let high = min(1, (processCPU + processError) / max(machineBusy - busyError, tick))
        return (value, min(low, value), max(high, value))
    }

    private func counterFigure(name: String, zones: [RAPLDomain], measured: Double, share: (value: Double, low: Double, high: Double)?,
                               wall: Double, processCPU: Double, busy: Double?) -> SourceFigure {
        let band = PowerModel.Band.rapl
        let zoneList = zones.map(\.name).joined(separator: " + ")
        var inputs = [Quantity("counter_joules", measured, "J")]
        let joules: Estimate
        var note = "RAPL \(zoneList)"
        if let share {
            inputs += [Quantity("job_cpu_seconds", processCPU, "s"), Quantity("machine_busy_cpu_seconds", busy ?? .nan, "s"),
                       Quantity("share", share.value, "1")]
            // Attributed: the counter (±5 %) × the share (tick band), widened by the attribution error.
            let energyShare = PowerModel.Band.attributedShare(low: share.low, high: share.high)
            joules = Estimate(value: measured * share.value, low: measured * energyShare.low * band.low,
                              high: measured * energyShare.high * band.high, provenance: .attributed)
            inputs.append(Quantity("attribution_error", PowerModel.Band.attribution, "1"))
            note += busy == nil ? "; /proc/stat unreadable, so the whole counter is attributed to the job"
                : "; attributed to the job by its share of the machine's busy CPU time (counter × share)"
        } else {
            joules = Estimate(value: measured, lowFactor: band.low, highFactor: band.high, provenance: .measured)
            note += "; whole machine"
        }
        return SourceFigure(name: name, method: "rapl", joules: joules, counted: true, inputs: inputs, parameters: [], note: note)
    }
}
