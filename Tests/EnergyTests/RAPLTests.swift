import Foundation
import Testing
@testable import Energy

@Suite("RAPL (fake powercap trees)")
struct RAPLTests {
    @Test("discovery counts packages and DRAM, never a domain that contains or is contained in another")
    func discovery() throws {
        let folder = try TemporaryFolder()
        let tree = FakePowercap(in: folder)
        try tree.makeServerTree()
        let found = RAPLDiscovery.discover(root: tree.root, files: .live)
        let counted = Dictionary(uniqueKeysWithValues: found.domains.map { ($0.zone, $0.counted) })
        #expect(counted == ["intel-rapl:0": true, "intel-rapl:0:0": false, "intel-rapl:0:1": false, "intel-rapl:0:2": true,
                            "intel-rapl:1": false, "intel-rapl-mmio:0": false])
        #expect(found.domains.first { $0.name == "core" }?.note == "contained in package-0; not added, so nothing is counted twice")
        #expect(found.domains.first { $0.name == "psys" }?.note.contains("contains the packages and DRAM") == true)
        #expect(found.domains.first { $0.zone == "intel-rapl-mmio:0" }?.note.hasPrefix("MMIO view of a package") == true)
        #expect(found.unavailable.isEmpty)
        #expect(found.initialMicrojoules == ["intel-rapl:0": 1_000_000, "intel-rapl:0:2": 500_000])
        #expect(found.unreadableKinds.isEmpty)
    }

    @Test("wrap-around is corrected with max_energy_range_uj", arguments: [
        (UInt64(100), UInt64(250), UInt64(1000), UInt64(150)),
        (UInt64(900), UInt64(50), UInt64(1000), UInt64(150)),  // wrapped: (1000 − 900) + 50
        (UInt64(1000), UInt64(0), UInt64(1000), UInt64(0)),
        (UInt64(262_143_328_000), UInt64(1_000), UInt64(262_143_328_850), UInt64(1_850)),
    ])
    func wrapDelta(last: UInt64, now: UInt64, range: UInt64, expected: UInt64) {
        #expect(RAPLCounters.delta(from: last, to: now, range: range) == expected)
    }

    @Test("a meter reading a fake tree measures its counters, through a wrap, in whole-machine scope")
    func meterMeasuresCounters() throws {
        let folder = try TemporaryFolder()
        let tree = FakePowercap(in: folder)
        let range: UInt64 = 10_000_000  // 10 J, so a wrap is easy to provoke
        try tree.makeServerTree(package: 9_000_000, dram: 100_000, range: range)
        var configuration = testConfiguration(powercap: tree.root)
        configuration.scope = .machine
        let meter = try EnergyMeter(configuration: configuration)
        try tree.set("intel-rapl:0", 2_000_000)        // wrapped: 1 J to the top, then 2 J
        try tree.set("intel-rapl:0:2", 600_000)        // 0.5 J
        try tree.set("intel-rapl:0:0", 9_999_999)      // core: never counted
        try tree.set("intel-rapl:1", 99_000_000)       // psys: never counted
        let middle = meter.usageSoFar()
        #expect(abs(middle.joules.value - 3.5) < 1e-9)
        try tree.set("intel-rapl:0", 4_500_000)        // 2.5 J more
        let report = meter.stop()
        let cpu = try #require(report.total.sources.first { $0.name == "cpu" })
        let memory = try #require(report.total.sources.first { $0.name == "memory" })
        #expect(cpu.method == "rapl")
        #expect(abs(cpu.joules.value - 5.5) < 1e-9)
        #expect(memory.method == "rapl")
        #expect(abs(memory.joules.value - 0.5) < 1e-9)
        #expect(abs(report.total.joules.value - 6.0) < 1e-9)
        #expect(report.total.provenance == .measured)
        #expect(report.total.measuredFraction == 1)
        #expect(abs(report.total.joules.low - 6.0 * 0.95) < 1e-9 && abs(report.total.joules.high - 6.0 * 1.05) < 1e-9)
        #expect(report.notes.contains("RAPL package-0 wrapped 1 time(s); corrected with max_energy_range_uj"))
        #expect(report.raplDomains.count == 6)
        #expect(report.unavailable.map(\.source) == ["nvml"])
    }

    @Test("process scope attributes the counters by the job's share of busy CPU time")
    func processShare() throws {
        let folder = try TemporaryFolder()
        let tree = FakePowercap(in: folder)
        try tree.makeServerTree()
        let meter = try EnergyMeter(configuration: testConfiguration(powercap: tree.root))
        try tree.set("intel-rapl:0", 11_000_000)  // 10 J for the machine
        var x = 0.0
        for i in 0..<2_000_000 { x += Double(i).squareRoot() }  // some CPU time of our own
        #expect(x > 0)
        let report = meter.stop()
        let cpu = try #require(report.total.sources.first { $0.name == "cpu" })
        let share = try #require(cpu.inputs.first { $0.name == "share" }?.value)
        #expect(share > 0 && share <= 1)
        #expect(abs(cpu.joules.value - 10 * share) < 1e-9)
        #expect(cpu.joules.low <= cpu.joules.value && cpu.joules.value <= cpu.joules.high)
        #expect(cpu.note.contains("attributed to the job by its share of the machine's busy CPU time"))
        // Labelled as a model on a measurement, with the attribution error in its band: the band is
        // at least ±ε·(1 − share) wider than the counter's ±5 % alone (ε = 0.3).
        #expect(cpu.joules.provenance == .attributed && report.total.provenance == .attributed)
        #expect(cpu.inputs.contains { $0.name == "attribution_error" && $0.value == 0.3 })
        if share < 0.99 {
            #expect(cpu.joules.low < cpu.joules.value * 0.95 * (1 - 0.3 * (1 - share)) + 1e-12)
            #expect(cpu.joules.high > cpu.joules.value * 1.05 * (1 + 0.3 * (1 - share) / (1 + 0.3 * share)) - 1e-12)
        }
        #expect(report.total.measuredFraction == 1)  // attributed joules still come from counters
    }

    @Test("a permission-denied package is reported, and the CPU figure is modelled, not silently")
    func permissionDenied() throws {
        let folder = try TemporaryFolder()
        let tree = FakePowercap(in: folder)
        try tree.makeServerTree()
        let denied = "\(tree.root)/intel-rapl:0/energy_uj"
        let meter = try EnergyMeter(configuration: testConfiguration(powercap: tree.root, files: .denying([denied])))
        let report = meter.stop()
        let problem = try #require(report.unavailable.first { $0.source == "rapl:package-0" })
        #expect(problem.reason == .permissionDenied)
        #expect(problem.detail == "permission denied reading '\(denied)' (root-only since Linux 5.10, CVE-2020-8694); "
                + "run as root or make it readable (chmod o+r, or a udev rule)")
        let cpu = try #require(report.total.sources.first { $0.name == "cpu" })
        #expect(cpu.method == "cpu-time model")
        #expect(cpu.joules.provenance == .default)  // "Test CPU" is not in the table
        // DRAM stays measured.
        #expect(report.total.sources.first { $0.name == "memory" }?.method == "rapl")
        #expect(report.summary.contains(" unavailable (permission denied): permission denied reading '\(denied)'"))
        #expect(report.oneLine.contains("rapl: permission denied"))
    }

    @Test("one unreadable package of two: no partial sum")
    func partialPackages() throws {
        let folder = try TemporaryFolder()
        let tree = FakePowercap(in: folder)
        try tree.makeServerTree()
        try tree.zone("intel-rapl:2", name: "package-1", microjoules: 5)
        let denied = "\(tree.root)/intel-rapl:2/energy_uj"
        let report = try EnergyMeter(configuration: testConfiguration(powercap: tree.root, files: .denying([denied]))).stop()
        #expect(report.unavailable.contains { $0.source == "rapl:package" && $0.detail.contains("a partial sum would under-count") })
        #expect(report.total.sources.first { $0.name == "cpu" }?.method == "cpu-time model")
    }

    @Test("a missing powercap folder, a tree without RAPL zones and a missing wrap range are reported")
    func missing() throws {
        let none = try EnergyMeter(configuration: testConfiguration()).stop()
        let rapl = try #require(none.unavailable.first { $0.source == "rapl" })
        #expect(rapl.reason == .missing)
        #expect(rapl.detail.contains("does not exist: no powercap driver"))

        let folder = try TemporaryFolder()
        let empty = RAPLDiscovery.discover(root: folder.path, files: .live)
        #expect(empty.unavailable.first?.detail.contains("has no intel-rapl zones") == true)

        let tree = FakePowercap(in: folder)
        try tree.zone("intel-rapl:0", name: "package-0", microjoules: 1)
        try FileManager.default.removeItem(atPath: "\(tree.root)/intel-rapl:0/max_energy_range_uj")
        let noRange = RAPLDiscovery.discover(root: tree.root, files: .live)
        #expect(noRange.domains.isEmpty)
        #expect(noRange.unavailable.first?.detail.contains("a wrap-around of the counter could not be corrected") == true)
        #expect(noRange.unreadableKinds == [.package])
    }

    @Test("an explicit powercap root that does not exist is a usage error")
    func explicitRoot() {
        var configuration = testConfiguration()
        configuration.powercapRoot = "/no/such/powercap"
        #expect(throws: EnergyError.unusablePath(option: "--powercap-root", path: "/no/such/powercap", reason: "is not a readable folder")) {
            try EnergyMeter(configuration: configuration)
        }
    }

    @Test("counters required but none readable: the error lists why")
    func requireCounters() {
        var configuration = testConfiguration()
        configuration.requireCounters = true
        do {
            _ = try EnergyMeter(configuration: configuration)
            Issue.record("expected noCounterReadable")
        } catch {
            guard case .noCounterReadable(let reasons) = error else { Issue.record("wrong error \(error)"); return }
            #expect(reasons.contains { $0.hasPrefix("rapl: ") })
            #expect(reasons.contains { $0.hasPrefix("nvml: ") })
        }
    }
}
