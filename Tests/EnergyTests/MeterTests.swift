import Foundation
import Testing
@testable import Energy

/// Burns CPU for about `seconds` of wall time.
func burn(_ seconds: Double) -> Double {
    let end = monotonicSeconds() + seconds
    var x = 0.0
    while monotonicSeconds() < end {
        for i in 0..<10_000 { x += Double(i).squareRoot() }
    }
    return x
}

struct Marker: Error {}

@Suite("meter: spans, timeline, commands, reports", .timeLimit(.minutes(1)))
struct MeterTests {
    @Test("spans nest, return their value and energy, and are recorded even when they throw")
    func spans() throws {
        var configuration = testConfiguration()
        configuration.grid = try CarbonIntensity.lookup("SE")
        let meter = try EnergyMeter(configuration: configuration)
        let (value, usage) = meter.measure("train") {
            meter.span("kernel matrix") { burn(0.05) }
        }
        #expect(value > 0)
        #expect(usage.joules.value > 0 && usage.cpuSeconds > 0.01)
        #expect(abs(usage.gCO2e.value - usage.kWh * 40.695) < 1e-15)
        #expect(throws: Marker.self) { try meter.span("fails") { throw Marker() } }
        let report = meter.stop(label: "test job")
        #expect(report.spans.map(\.name) == ["train", "kernel matrix", "fails"])
        #expect(report.spans.map(\.depth) == [0, 1, 0])
        #expect(report.spans.map(\.failed) == [false, false, true])
        #expect(report.spans[0].usage.joules.value >= report.spans[1].usage.joules.value)
        #expect(report.total.joules.value >= report.spans[0].usage.joules.value)
        #expect(report.summary.contains("spans\n  train: "))
        #expect(report.summary.contains("\n    kernel matrix: "))
        // Stopping again gives the same report.
        #expect(meter.stop().runID == report.runID)
    }

    @Test("the timeline: one point per interval, adding up to the total")
    func timeline() throws {
        var configuration = testConfiguration()
        configuration.sampleInterval = 0.05
        let meter = try EnergyMeter(configuration: configuration)
        _ = burn(0.3)
        let report = meter.stop()
        #expect(report.timeline.count >= 3)
        #expect(report.samples >= 3)
        let sum = report.timeline.reduce(0) { $0 + $1.joules }
        #expect(abs(sum - report.total.joules.value) <= 1e-9 * max(1, report.total.joules.value))
        #expect(abs(report.timeline.reduce(0) { $0 + $1.seconds } - report.total.seconds) < 1e-9)
        #expect(report.timeline.allSatisfy { $0.bySource.map(\.0) == ["cpu", "memory"] })
        #expect(report.meterCPUSeconds > 0)
    }

    @Test("a CPU-burning command is measured higher than a sleeping one of the same wall time")
    func burnVersusSleep() throws {
        var configuration = testConfiguration()
        configuration.useCounters = false
        let burner = try EnergyMeter.measure(command: ["timeout", "-k", "1", "0.4", "sh", "-c", "while :; do :; done"], configuration: configuration)
        let sleeper = try EnergyMeter.measure(command: ["sleep", "0.4"], configuration: configuration)
        #expect(burner.exit.status == 124)  // timeout's code when it stopped the loop
        #expect(sleeper.exit.status == 0)
        // On a loaded machine the burner gets less than a full core, but far more than the sleeper.
        #expect(burner.report.total.cpuSeconds > 10 * sleeper.report.total.cpuSeconds)
        #expect(sleeper.report.total.cpuSeconds < 0.1)
        #expect(burner.report.total.joules.value > 5 * sleeper.report.total.joules.value)
        #expect(burner.report.total.sources.first?.method == "cpu-time model")
        #expect(burner.report.unavailable.first?.reason == .disabled)
    }

    @Test("a measured command's memory is its whole process tree's, and a short command's peak is its own")
    func commandMemory() throws {
        var configuration = testConfiguration()
        configuration.useCounters = false
        configuration.sampleInterval = 0.05
        // The shell leaves the work to a child: `tail` holds 64 MiB of zeros until its input ends
        // (the input stays open for 0.8 s), then writes them out.
        let script = "(head -c 67108864 /dev/zero; sleep 0.8) | tail -c 67108864 > /dev/null; true"
        let tree = try EnergyMeter.measure(command: ["sh", "-c", script], configuration: configuration)
        #expect(tree.exit.status == 0)
        let memory = try #require(tree.report.total.sources.first { $0.name == "memory" })
        let gibSeconds = try #require(memory.inputs.first { $0.name == "resident_gib_seconds" }).value
        // 1/16 GiB held for most of the 0.8 s: the shell alone (a few MiB) would give < 0.005 GiB·s.
        #expect(gibSeconds > 0.025, "\(gibSeconds) GiB·s")
        #expect(tree.report.peakResidentBytes > 60 * 1_048_576)

        // posix_spawn's child inherits this process's high-water mark in ru_maxrss: a 1.6 MiB
        // `sleep` must not be charged this test process's size.
        let short = try EnergyMeter.measure(command: ["sleep", "0.3"], configuration: testConfiguration())
        #expect(short.report.peakResidentBytes < 16 * 1_048_576, "\(short.report.peakResidentBytes)")
        #expect(short.report.peakResidentBytes > 0)
        #expect(ProcessStats.currentPeakResidentBytes() > short.report.peakResidentBytes)
    }

    @Test("an in-process meter counts the CPU time of finished children (getrusage RUSAGE_CHILDREN)")
    func finishedChildren() throws {
        var configuration = testConfiguration()
        configuration.useCounters = false
        let meter = try EnergyMeter(configuration: configuration)
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        // A fixed amount of work (about 0.4 s of CPU here), not a fixed wall time: on a loaded
        // machine a child that burns for 0.3 s of wall time may get far less CPU than that.
        child.arguments = ["-k", "1", "60", "sh", "-c", "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done"]
        try child.run()
        child.waitUntilExit()
        let report = meter.stop()
        // This thread only waited; the busy child's CPU time is the job's.
        #expect(report.total.cpuSeconds > 0.1, "\(report.total.cpuSeconds) s")
    }

    @Test("cost adds the machine price per hour; a user grid intensity replaces the country's")
    func priceAndGrid() throws {
        var configuration = testConfiguration()
        configuration.useCounters = false
        configuration.price = try ElectricityPrice.userGiven(perKWh: 0.2, perHour: 3.6, currency: "EUR")
        configuration.grid = try CarbonIntensity.userGiven(100, region: "France")
        let report = try EnergyMeter.measure(command: ["sleep", "0.2"], configuration: configuration).report
        let total = report.total
        let expected = total.joules.value / 3.6e6 * 0.2 + 3.6 * total.seconds / 3600
        #expect(abs(total.cost.value - expected) < 1e-12 * max(1, expected))
        #expect(total.cost.value > 3.6 * 0.2 / 3600 * 0.99)  // the hourly part dominates
        #expect(abs(total.gCO2e.value - total.joules.value / 3.6e6 * 100) < 1e-15)
        #expect(report.grid.gramsPerKWh == 100 && report.grid.region == "France")
    }

    @Test("exit codes and signals pass through; commands that cannot start fail clearly")
    func exits() throws {
        let configuration = testConfiguration()
        #expect(try EnergyMeter.measure(command: ["sh", "-c", "exit 3"], configuration: configuration).exit == CommandExit(status: 3, signal: nil))
        let killed = try EnergyMeter.measure(command: ["sh", "-c", "kill -TERM $$"], configuration: configuration)
        #expect(killed.exit == CommandExit(status: nil, signal: 15))
        #expect(killed.exit.shellCode == 143)
        #expect(throws: EnergyError.cannotStart(command: "verdant-no-such-command", reason: "command not found in PATH")) {
            try EnergyMeter.measure(command: ["verdant-no-such-command"], configuration: configuration)
        }
        #expect(throws: EnergyError.emptyCommand) { try EnergyMeter.measure(command: [], configuration: configuration) }
    }

    @Test("CSV: CodeCarbon's emissions.csv columns, appended to a file; a foreign file is left alone")
    func csv() throws {
        let codecarbon = try String(contentsOf: fixtures.appendingPathComponent("codecarbon_emissions.csv"), encoding: .utf8)
        let header = try #require(codecarbon.split(separator: "\n").first.map(String.init))
        #expect(EnergyReport.csvHeader == header)

        var configuration = testConfiguration()
        configuration.grid = try CarbonIntensity.lookup("FR")
        let report = try EnergyMeter.measure(command: ["sh", "-c", "echo 'a, \"quoted\" label' > /dev/null"], configuration: configuration).report
        let fields = csvFields(report.csvRow(projectName: "a, \"quoted\" project"))
        #expect(fields.count == EnergyReport.csvColumns.count)
        let row = Dictionary(uniqueKeysWithValues: zip(EnergyReport.csvColumns, fields))
        #expect(row["project_name"] == "a, \"quoted\" project")
        #expect(Double(row["energy_consumed"] ?? "") == report.total.kWh)
        #expect(Double(row["emissions"] ?? "") == report.total.gCO2e.value / 1000)
        #expect(row["country_iso_code"] == "FRA" && row["country_name"] == "France")
        #expect(row["tracking_mode"] == "process")
        #expect(Double(row["duration"] ?? "") == report.total.seconds)

        let folder = try TemporaryFolder()
        let path = folder.url.appendingPathComponent("emissions.csv").path
        try report.appendCSV(to: path)
        try report.appendCSV(to: path)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3 && lines[0] == header)
        let foreign = folder.url.appendingPathComponent("other.csv").path
        try "a,b\n1,2\n".write(toFile: foreign, atomically: true, encoding: .utf8)
        #expect(throws: EnergyError.csvHeaderMismatch(path: foreign, found: "a,b")) { try report.appendCSV(to: foreign) }
        #expect(try String(contentsOfFile: foreign, encoding: .utf8) == "a,b\n1,2\n")
        #expect(throws: EnergyError.self) { try report.writeJSON(to: "/no/such/folder/report.json") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["emissions.csv", "other.csv"])
    }

    @Test("JSON: the top-level figures first, then sources, unavailable sources, spans and timeline")
    func json() throws {
        let meter = try EnergyMeter(configuration: testConfiguration())
        meter.span("phase") { _ = burn(0.02) }
        let report = meter.stop(label: "json test")
        let text = report.json()
        let keys = text.split(separator: "\n").filter { $0.hasPrefix("  \"") }.prefix(5).map { $0.split(separator: "\"")[1] }
        #expect(keys == ["joules", "seconds", "gCO2e", "cost", "provenance"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        // Foundation's JSON reader on Linux may round the last digit: compare to 1e-12.
        #expect(abs((object["joules"] as? Double ?? -1) - report.total.joules.value) <= 1e-12 * report.total.joules.value)
        #expect(object["provenance"] as? String == "default")
        #expect(object["version"] as? Int == 1)
        #expect(object["label"] as? String == "json test")
        let sources = try #require(object["sources"] as? [[String: Any]])
        #expect(sources.map { $0["name"] as? String } == ["cpu", "memory"])
        #expect(sources.allSatisfy { ($0["band"] as? [Double])?.count == 2 && $0["provenance"] is String && $0["inputs"] is [Any] })
        let unavailable = try #require(object["unavailable"] as? [[String: Any]])
        #expect(unavailable.map { $0["source"] as? String } == ["rapl", "nvml"])
        let spans = try #require(object["spans"] as? [[String: Any]])
        #expect(spans.first?["name"] as? String == "phase")
        #expect(spans.first?["gCO2e"] is Double && spans.first?["cost"] is Double)
        let timeline = try #require(object["timeline"] as? [String: Any])
        #expect(timeline["interval_seconds"] as? Double == 1)
        let carbon = try #require(object["carbon"] as? [String: Any])
        #expect(carbon["region"] as? String == "World" && carbon["provenance"] as? String == "default")
        #expect((object["meter"] as? [String: Any])?["overhead_fraction"] is Double)
    }
}

@Suite("per-model table for the pipelines")
struct TableTests {
    @Test("rows from spans print aligned and as JSON")
    func table() throws {
        let meter = try EnergyMeter(configuration: testConfiguration())
        var table = EnergyTable()
        let (accuracy, usage) = meter.measure("qsvm") { burn(0.02) > 0 ? 0.95 : 0 }
        table.append("qsvm", accuracy: accuracy, usage: usage)
        table.append("svm-rbf", usage: meter.measure("svm-rbf") { () }.usage)
        meter.stop()
        let lines = table.text.split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("model    accuracy  seconds"))
        #expect(lines[1].hasPrefix("qsvm        0.950"))
        #expect(lines[1].hasSuffix("USD  default"))
        #expect(lines[2].contains("      —  "))
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(table.json().utf8)) as? [[String: Any]])
        #expect(rows.map { $0["model"] as? String } == ["qsvm", "svm-rbf"])
        #expect(rows[0]["accuracy"] as? Double == 0.95 && rows[1]["accuracy"] is NSNull)
        #expect(rows[0]["provenance"] as? String == "default" && rows[0]["cost_provenance"] as? String == "default")
    }
}

@Suite("combining usages (MPI ranks)")
struct CombineTests {
    @Test("joules, carbon, cost and CPU add; seconds are the longest; provenance the weakest")
    func combine() throws {
        let meter = try EnergyMeter(configuration: testConfiguration())
        let a = meter.measure("a") { burn(0.01) }.usage
        let b = meter.measure("b") { burn(0.02) }.usage
        meter.stop()
        let both = EnergyUsage.combined([a, b])
        #expect(abs(both.joules.value - (a.joules.value + b.joules.value)) < 1e-15)
        #expect(abs(both.joules.high - (a.joules.high + b.joules.high)) < 1e-15)
        #expect(abs(both.gCO2e.value - (a.gCO2e.value + b.gCO2e.value)) < 1e-18)
        #expect(both.seconds == max(a.seconds, b.seconds))
        #expect(both.cpuSeconds == a.cpuSeconds + b.cpuSeconds)
        #expect(both.provenance == .default)
        #expect(both.sources.map(\.name) == ["cpu", "memory"])
        #expect(EnergyUsage.combined([]).joules == .zero)
    }
}
