import ArgumentParser
import Foundation
import Verdant

/// `verdant measure -- COMMAND [ARGS…]`: run a command and report its energy, carbon and cost.
struct Measure: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a command and report its energy, carbon and cost.",
        discussion: """
            The command's exit code is passed through (128 + N when signal N ended it). Its CPU time \
            comes from the kernel (wait4), so only its own process tree is counted. Hardware counters \
            (RAPL, NVML) are used where readable; otherwise the documented CPU-time model, and the \
            report says which and why. The summary goes to standard error; --json prints the report \
            on standard output after the command's own output (use --energy-report FILE to keep them \
            apart). Method and defaults: docs/energy-method.md.
            """
    )

    @Flag(help: "Print the JSON report on standard output (instead of the summary on standard error).")
    var json = false

    @Option(help: ArgumentHelp("Append a row with CodeCarbon's emissions.csv columns to this file.", valueName: "file"))
    var csv: String?

    @Option(name: .customLong("project-name"), help: "The project_name column of the CSV row.")
    var projectName = "verdant"

    @OptionGroup(title: "Energy options")
    var energy: EnergyOptions

    @Flag(help: "Replace the --energy-report file if it exists.")
    var force = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command to measure, after '--'.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError(EnergyError.emptyCommand.description) }
        do {
            if let csv { try EnergyOptions.checkFolder(of: csv, option: "--csv") }
        } catch {
            throw ValidationError(error.description)
        }
    }

    func run() throws {
        // Checked before the command runs: a refusal afterwards would lose its exit code.
        try energy.checkReportFile(force: force)
        // The CSV file is appended to: it may exist, but not be a folder, a device or a pipe.
        try checkOutput(csv, force: true, option: "--csv")
        try checkDistinctFiles(outputs: [("--energy-report", energy.energyReport), ("--csv", csv)], inputs: [])
        if let csv { try EnergyReport.checkCSV(atPath: csv) }
        let measurement = try EnergyMeter.measure(command: command, configuration: try energy.configuration())
        let report = measurement.report
        // After the command: a file that cannot be written (its folder gone, the disk full) is
        // reported, the other file is still written, and the command's own status is kept.
        var lateFailure: Int32?
        for write in [{ if let path = energy.energyReport { try report.writeJSON(to: path) } },
                      { if let csv { try report.appendCSV(to: csv, projectName: projectName) } }] as [() throws -> Void] {
            do {
                try write()
            } catch {
                let (message, code) = ExitCodes.failure(for: error) ?? ("\(error)", ExitStatus.runtimeError)
                printError(message)
                lateFailure = lateFailure ?? code
            }
        }
        if json {
            print(report.json())
        } else if !energy.noEnergySummary {
            printNote(report.summary)
        }
        let code = measurement.exit.shellCode != 0 ? measurement.exit.shellCode : lateFailure ?? 0
        if let signal = measurement.exit.signal, !json {
            printNote("verdant: the command was ended by signal \(signal); exit code \(code)")
        }
        fflush(nil)
        Foundation.exit(code)
    }
}
