import Foundation
import Testing
import Verdant
import _TestSupport

@Suite("verdant measure and the energy options", .serialized)
struct EnergyCLITests {
    @Test("measure passes the exit code through and prints the report")
    func measure() throws {
        let three = try verdant(["measure", "--model-only", "--", "sh", "-c", "echo out; exit 3"])
        #expect(three.status == 3)
        #expect(three.stdout == "out\n")
        #expect(three.stderr.hasPrefix("energy of sh -c echo out; exit 3\nenergy  "))
        #expect(three.stderr.contains("counters  unavailable (disabled)") || three.stderr.contains("unavailable (disabled)"))

        let dir = try TemporaryDirectory()
        let csv = dir.url.appendingPathComponent("emissions.csv").path
        let report = dir.url.appendingPathComponent("report.json").path
        let json = try verdant(["measure", "--json", "--country", "FR", "--csv", csv, "--energy-report", report, "--", "sleep", "0.2"])
        #expect(json.status == 0)
        let object = try jsonObject(json.stdout)
        #expect(object["joules"] is Double && object["gCO2e"] is Double && object["cost"] is Double)
        #expect((object["seconds"] as? Double ?? 0) >= 0.2)
        #expect(Provenance.allCases.map(\.rawValue).contains(object["provenance"] as? String ?? ""))
        #expect((object["carbon"] as? [String: Any])?["region"] as? String == "France")
        #expect((object["job"] as? [String: Any])?["exit_status"] as? Int == 0)
        let lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2 && lines[0].hasPrefix("timestamp,project_name,run_id,experiment_id,duration,emissions,"))
        #expect(try jsonObject(try String(contentsOfFile: report, encoding: .utf8))["run_id"] as? String == object["run_id"] as? String)

        let signalled = try verdant(["measure", "--", "sh", "-c", "kill -TERM $$"])
        #expect(signalled.status == 143)
        #expect(signalled.stderr.contains("verdant: the command was ended by signal 15; exit code 143"))
    }

    @Test("measure --nvml-library: a compiled fake NVML is opened by path and its GPUs reported")
    func measureWithNVML() throws {
        let dir = try TemporaryDirectory()
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../EnergyTests/Fixtures/fake_nvml.c").standardizedFileURL
        let library = try CSharedLibrary.build(source: source, into: dir.url, name: "libfake-nvml.so")
        let machine = try verdant(["measure", "--json", "--energy-scope", "machine", "--nvml-library", library,
                                   "--sample-interval", "0.05", "--", "sleep", "0.3"])
        #expect(machine.status == 0)
        let object = try jsonObject(machine.stdout)
        let sources = try #require(object["sources"] as? [[String: Any]])
        let readings = try #require((object["meter"] as? [String: Any])?["readings"] as? Int)
        let gpu0 = try #require(sources.first { $0["name"] as? String == "gpu:0" })
        let gpu1 = try #require(sources.first { $0["name"] as? String == "gpu:1" })
        // 1000 mJ per counter read, one read per reading; 40 W sampled over the job's wall time.
        #expect(gpu0["method"] as? String == "nvml energy counter" && gpu0["counted"] as? Bool == true)
        #expect(gpu0["joules"] as? Double == Double(readings))
        #expect(gpu0["provenance"] as? String == "measured")
        let seconds = try #require(object["seconds"] as? Double)
        let gpu1Joules = try #require(gpu1["joules"] as? Double)
        #expect(gpu1["method"] as? String == "nvml power sampling" && abs(gpu1Joules - 40 * seconds) < 0.1 * 40 * seconds)
        #expect(!(object["unavailable"] as? [[String: Any]] ?? []).contains { ($0["source"] as? String ?? "").hasPrefix("nvml") })

        // Process scope: the fake lists verdant itself, not the measured command, so neither GPU is the job's.
        let process = try verdant(["measure", "--nvml-library", library, "--", "sleep", "0.1"])
        #expect(process.status == 0)
        #expect(process.stderr.contains("gpu:0    ") && process.stderr.contains("not counted: no process of this job ran on it"))
    }

    @Test("measure passes SIGTERM on to the command and still writes its report (found by an audit: the command was orphaned)")
    func terminateForwarded() throws {
        let dir = try TemporaryDirectory()
        let report = dir.url.appendingPathComponent("term.json").path
        let marker = dir.url.appendingPathComponent("started").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: verdantExecutable)
        process.arguments = ["measure", "--energy-report", report, "--no-energy-summary", "--", "sh", "-c",
                             "trap 'kill $!; exit 7' TERM; touch \"$0\"; sleep 30 & wait", marker]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: marker), Date() < deadline { usleep(20_000) }
        #expect(FileManager.default.fileExists(atPath: marker))
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 7)
        #expect(FileManager.default.fileExists(atPath: report))
        let directory = try verdant(["measure", "--", dir.url.path])
        #expect(directory.status == 2 && directory.stderr.contains("it is a directory"))
    }

    @Test("measure: bad input exits 2 with a clear message and writes nothing")
    func measureErrors() throws {
        let dir = try TemporaryDirectory()
        let csv = dir.url.appendingPathComponent("e.csv").path
        for (arguments, message) in [
            (["measure"], "no command to measure; give one after '--'"),
            (["measure", "--", "verdant-no-such-command"], "cannot run 'verdant-no-such-command': command not found in PATH"),
            (["measure", "--country", "Atlantis", "--", "true"], "--country: 'Atlantis' is not in the carbon-intensity table"),
            (["measure", "--cpu-watts=-3", "--", "true"], "--cpu-watts: received '-3.0'; give the watts of one busy hardware thread"),
            (["measure", "--sample-interval", "0", "--", "true"], "--sample-interval: received '0.0'; give seconds between 0.01 and 60"),
            (["measure", "--energy-scope", "galaxy", "--", "true"], "galaxy"),
            (["measure", "--powercap-root", "/no/such/dir", "--csv", csv, "--", "true"], "--powercap-root: '/no/such/dir' is not a readable folder"),
            (["measure", "--nvml-library", "libc.so.6", "--", "true"], "--nvml-library: 'libc.so.6' cannot be used"),
            (["measure", "--currency", "EUR", "--", "true"], "a currency other than USD needs --price-per-kwh"),
        ] {
            let result = try verdant(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            expectNoTrace(result)
        }
        #expect(!FileManager.default.fileExists(atPath: csv))
        let required = try verdant(["measure", "--require-counters", "--powercap-root", dir.url.path, "--", "true"])
        #expect(required.status == 1)
        #expect(required.stderr.contains("no hardware energy counter is readable and counters were required"))
        let unwritable = try verdant(["measure", "--energy-report", "/no/such/folder/r.json", "--", "sh", "-c", "echo ran"])
        #expect(unwritable.status == 2)
        #expect(unwritable.stdout.isEmpty)  // refused before the command ran
        #expect(unwritable.stderr.contains("--energy-report: '/no/such/folder/r.json' is in a folder that does not exist ('/no/such/folder')"))
        let badCSV = try verdant(["measure", "--csv", "/no/such/folder/e.csv", "--", "true"])
        #expect(badCSV.status == 2 && badCSV.stderr.contains("--csv: '/no/such/folder/e.csv' is in a folder that does not exist"))
        let foreign = try dir.write("foreign.csv", "a,b\n")
        // Refused before the command runs (an audit found it refused after, the command's exit 5 lost).
        let mismatch = try verdant(["measure", "--csv", foreign, "--", "sh", "-c", "echo ran; exit 5"])
        #expect(mismatch.status == 2 && mismatch.stderr.contains("its first line is not CodeCarbon's emissions.csv header"))
        #expect(mismatch.stdout.isEmpty)
        #expect(try String(contentsOfFile: foreign, encoding: .utf8) == "a,b\n")
        // A CSV that cannot be written once the command has run: the report is still written, and
        // the command's own status kept.
        let gone = dir.url.appendingPathComponent("gone").path
        try FileManager.default.createDirectory(atPath: gone, withIntermediateDirectories: false)
        let report = dir.url.appendingPathComponent("late.json").path
        let late = try verdant(["measure", "--csv", gone + "/e.csv", "--energy-report", report, "--no-energy-summary", "--",
                                "sh", "-c", "rmdir \"$0\"; exit 3", gone])
        #expect(late.status == 3 && late.stderr.contains("cannot write '\(gone)/e.csv'"), "\(late.stderr)")
        #expect(FileManager.default.fileExists(atPath: report))
    }

    @Test("run, demo and bench end with the energy line and write --energy-report")
    func longCommands() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("bell.qasm", bellQASM)
        let report = dir.url.appendingPathComponent("run.json").path
        let run = try verdant(["run", file, "--json", "--energy-report", report, "--country", "DE", "--price-per-kwh", "0.3",
                               "--currency", "EUR"])
        #expect(run.status == 0)
        #expect(try jsonObject(run.stdout)["counts"] != nil)
        let line = try #require(run.stderr.split(separator: "\n").last)
        #expect(line.hasPrefix("energy: ") && line.contains("gCO2e (Germany 380.9 g/kWh)") && line.contains(" EUR · "))
        let object = try jsonObject(try String(contentsOfFile: report, encoding: .utf8))
        #expect(object["label"] as? String == "verdant run \(file)")
        #expect((object["price"] as? [String: Any])?["provenance"] as? String == "modelled")
        #expect(try verdant(["run", file, "--no-energy-summary"]).stderr.isEmpty)
        // A figure of the user's own is not called the country's (an audit read "France 100 g/kWh").
        let given = try verdant(["run", file, "--country", "FR", "--grid-intensity", "100"])
        #expect(given.stderr.contains("gCO2e (France: 100 g/kWh as given)"), "\(given.stderr)")
        #expect(try verdant(["run", file, "--grid-intensity", "100"]).stderr.contains("gCO2e (100 g/kWh as given)"))
        let badCountry = try verdant(["run", file, "--country", "XX"])
        #expect(badCountry.status == 2 && badCountry.stdout.isEmpty)

        let demo = try verdant(["demo", "--circuits", "--qubits", "4", "--shots", "10"])
        #expect(demo.status == 0)
        #expect(demo.stderr.hasPrefix("energy: "))

        let bench = try verdant(["bench", "--suite", "energy", "--seconds", "0.05", "--repeats", "1", "--json"])
        #expect(bench.status == 0)
        let results = try #require(try jsonObject(bench.stdout)["results"] as? [[String: Any]])
        #expect(results.map { $0["case"] as? String } == ["no meter", "meter, 1 s samples", "meter, 0.1 s samples", "meter, 0.01 s samples"])
        #expect(results.dropFirst().allSatisfy { ($0["meter_cpu_fraction"] as? Double).map { $0 >= 0 } ?? false })
        let badSeconds = try verdant(["bench", "--suite", "energy", "--seconds", "0"])
        #expect(badSeconds.status == 2 && badSeconds.stderr.contains("--seconds must be between 0.05 and 600, received 0.0"))
    }
}
