import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

// Readings of every source (one Snapshot of running totals) and the sampler thread that takes
// them every sampleInterval seconds.

extension MeterCore {
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
}
