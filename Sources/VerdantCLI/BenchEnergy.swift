import Foundation
import Verdant
import VerdantCommon

/// `verdant bench --suite energy`: the meter's overhead on a CPU-bound job.
extension Bench {
    /// One configuration's repeats.
    private struct EnergyCase {
        let name: String
        let interval: Double?
        var seconds: [Double] = []
        var jobCPU: [Double] = []
        var meterCPU: [Double] = []
        var samples: [Int] = []
        var joules: [Double] = []
        var provenance = ""
    }

    /// Times the same single-threaded job (a 14-qubit QFT state vector, repeated for about
    /// `--seconds`) with no meter and with meters sampling every 1 s (the default), 0.1 s and
    /// 0.01 s, interleaved over `--repeats` rounds; reports medians, the wall-time overhead and the
    /// sampler thread's own CPU time.
    func runEnergySuite() throws {
        guard repeats >= 1 else { throw CLIError.usage("--repeats must be at least 1, received \(repeats)") }
        guard seconds.isFinite, seconds >= 0.05, seconds <= 600 else {
            throw CLIError.usage("--seconds must be between 0.05 and 600, received \(seconds)")
        }
        let base: EnergyConfiguration
        base = try energy.configuration()
        let circuit = QuantumCircuit.qft(numQubits: 14)
        let simulator = Simulator(threads: 1)
        let clock = ContinuousClock()
        func elapsed(_ start: ContinuousClock.Instant) -> Double {
            let d = clock.now - start
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        // Calibrate the number of state-vector simulations that fill the requested time.
        let calibration = clock.now
        var calibrationUnits = 0
        repeat {
            _ = try simulator.statevector(circuit)
            calibrationUnits += 1
        } while elapsed(calibration) < min(0.2, seconds / 4)
        let perUnit = elapsed(calibration) / Double(calibrationUnits)
        let units = max(1, Int((seconds / perUnit).rounded()))

        func cpuNow() -> Double {
            var usage = rusage()
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
            return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) * 1e-6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) * 1e-6
        }
        var cases = [EnergyCase(name: "no meter", interval: nil), EnergyCase(name: "meter, 1 s samples", interval: 1),
                     EnergyCase(name: "meter, 0.1 s samples", interval: 0.1), EnergyCase(name: "meter, 0.01 s samples", interval: 0.01)]
        let interactive = isatty(STDERR_FILENO) != 0
        for round in 0..<repeats {
            // Rotate the order every round so drift in the machine's load spreads over all cases.
            for k in 0..<cases.count {
                let i = (k + round) % cases.count
                if interactive {
                    FileHandle.standardError.write(Data("\r\u{1B}[2Kbench: energy, \(cases[i].name), round \(round + 1)/\(repeats)…".utf8))
                }
                var meter: EnergyMeter?
                if let interval = cases[i].interval {
                    var configuration = base
                    configuration.sampleInterval = interval
                    meter = try EnergyMeter(configuration: configuration)
                }
                let cpuStart = cpuNow()
                let start = clock.now
                for _ in 0..<units { _ = try simulator.statevector(circuit) }
                let wall = elapsed(start)
                let cpu = cpuNow() - cpuStart
                cases[i].seconds.append(wall)
                cases[i].jobCPU.append(cpu)
                if let report = meter?.stop(label: "bench energy") {
                    cases[i].meterCPU.append(report.meterCPUSeconds)
                    cases[i].samples.append(report.samples)
                    cases[i].joules.append(report.total.joules.value)
                    cases[i].provenance = report.total.provenance.rawValue
                }
            }
        }
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }

        let median = Timing.median
        let reference = median(cases[0].seconds)
        let referenceCPU = median(cases[0].jobCPU)
        struct Row {
            let name: String, interval: Double?, median: Double, overhead: Double, cpuOverhead: Double, meterCPU: Double, meterFraction: Double
            let samples: Double, perSampleMicroseconds: Double, joules: Double, provenance: String, seconds: [Double]
        }
        let rows: [Row] = cases.map { c in
            let meterCPU = median(c.meterCPU)
            let samples = median(c.samples.map(Double.init))
            let jobCPU = median(c.jobCPU)
            return Row(name: c.name, interval: c.interval, median: median(c.seconds), overhead: median(c.seconds) / reference - 1,
                       cpuOverhead: jobCPU / referenceCPU - 1,
                       meterCPU: c.interval == nil ? 0 : meterCPU, meterFraction: c.interval == nil ? 0 : meterCPU / jobCPU,
                       samples: c.interval == nil ? 0 : samples,
                       perSampleMicroseconds: c.interval == nil || samples == 0 ? 0 : meterCPU / samples * 1e6,
                       joules: c.interval == nil ? 0 : median(c.joules), provenance: c.provenance, seconds: c.seconds)
        }
        let job = "\(units) × 14-qubit QFT state vector, 1 thread (\(Format.seconds(perUnit)) each)"
        if json {
            let items: [JSON] = rows.map { r in
                .object([
                    ("case", .string(r.name)), ("interval_seconds", r.interval.map { .number($0) } ?? .null),
                    ("seconds_median", .number(r.median)), ("seconds", .array(r.seconds.map { .number($0) })),
                    ("overhead_fraction", .number(r.overhead)), ("cpu_overhead_fraction", .number(r.cpuOverhead)),
                    ("meter_cpu_seconds", .number(r.meterCPU)),
                    ("meter_cpu_fraction", .number(r.meterFraction)), ("samples", .number(r.samples)),
                    ("microseconds_per_sample", .number(r.perSampleMicroseconds)), ("joules", .number(r.joules)),
                    ("provenance", r.interval == nil ? .null : .string(r.provenance)),
                ])
            }
            let machine: [(String, JSON)] = [
                ("cores", .integer(ProcessInfo.processInfo.activeProcessorCount)), ("cpu", .string(PowerModel.currentCPUModelName())),
                ("verdant", .string(VerdantCommand.version)), ("repeats", .integer(repeats)),
            ]
            print(JSON.object([("suite", .string("energy")), ("machine", .object(machine)),
                               ("job", .object([("description", .string(job)), ("units", .integer(units)),
                                                ("seconds_per_unit", .number(perUnit))])),
                               ("goal", .string("meter overhead under 1% at the default 1 s interval")),
                               ("results", .array(items))]).text)
        } else {
            print("job: \(job); \(repeats) round\(repeats == 1 ? "" : "s"), order rotated each round")
            print(Format.table(
                ["case", "median", "overhead", "CPU overhead", "meter CPU", "meter CPU / job CPU", "samples", "per sample", "joules"],
                rows.map { r in
                    [r.name, Format.seconds(r.median), r.interval == nil ? "—" : String(format: "%+.2f%%", r.overhead * 100),
                     r.interval == nil ? "—" : String(format: "%+.2f%%", r.cpuOverhead * 100),
                     r.interval == nil ? "—" : Format.seconds(r.meterCPU), r.interval == nil ? "—" : String(format: "%.4f%%", r.meterFraction * 100),
                     r.interval == nil ? "—" : String(format: "%.0f", r.samples), r.interval == nil ? "—" : String(format: "%.1f µs", r.perSampleMicroseconds),
                     r.interval == nil ? "—" : String(format: "%.3g J %@", r.joules, r.provenance)]
                }))
            print("overhead: median wall time with the meter ÷ without − 1; CPU overhead: the same with the process's CPU time "
                  + "(both include the noise of a shared machine); meter CPU: the sampler thread's own CPU time, the direct measure. "
                  + "Goal: under 1% at the default 1 s interval.")
        }
    }
}
