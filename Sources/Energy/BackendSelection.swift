import Foundation

// The one place that picks the meter's backends: RAPL or the CPU-time model for the CPU, RAPL or
// the resident-memory model for memory, NVML per GPU; anything unreadable becomes an UnavailableSource.

extension MeterCore {
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
}
