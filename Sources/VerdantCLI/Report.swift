import ArgumentParser
import Foundation
import Verdant
import VerdantCommon

/// `verdant report`: one self-contained HTML file of figures from what Verdant wrote.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Draw a self-contained HTML report (inline SVG and CSS, no script, no fetch) from what Verdant wrote.",
        discussion: """
            Inputs are told apart by their content: model files (plain or sealed: opened with -i, --key-file or \
            --passphrase as in predict), `run --json` output (counts histogram, probabilities), `measure --json` and \
            --energy-report files (power over time with spans, split by CPU, memory and GPU, with the error band), \
            `bench --json` output and the side-by-side scripts' Benchmarks/results files (ratio bars against the anchors; \
            not the A/B files of verdant_ab.py), `demo --json` and \
            `train --json` output, CSV data (plain or sealed) and `demo --work-dir` folders. Models are evaluated on \
            the data (--data, or a data file among the inputs): confusion matrix, kernel matrix sorted by class, \
            decision regions for two features; every model with an accuracy and an energy record is placed on one \
            accuracy-against-joules figure. With -r/-R/--key-file/--passphrase the report is sealed (content type text/html). \
            docs/report.md describes every figure.
            Examples:
              verdant report /tmp/verdant-demo-… -i /tmp/verdant-demo-…/demo.key -o report.html
              verdant report model.json --data data.csv energy.json -o report.html
              verdant run bell.qasm --json > bell.json && verdant report bell.json -o bell.html
            """
    )

    @Argument(help: ArgumentHelp("Files and folders to draw.", valueName: "input"))
    var inputs: [String] = []

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("The HTML file to write.", valueName: "file"))
    var output: String

    @Option(help: ArgumentHelp("Samples to evaluate the models on: a CSV file (plain or sealed), builtin:iris or builtin:adhoc.", valueName: "file"))
    var data: String?

    @Option(help: "Seed of builtin:adhoc data (as given to train).")
    var seed: UInt64 = 7

    @Option(help: "The report's title.")
    var title: String = "Verdant report"

    @Option(name: .customLong("outcomes"), help: "Outcomes a counts histogram keeps before summing the rest.")
    var outcomes: Int = 20

    @Option(help: "Threads for predictions and kernel matrices (default: all cores).")
    var threads: Int?

    @Flag(help: "Replace the output file if it exists.")
    var force = false

    @OptionGroup var keys: JobKeyOptions

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one input: a file Verdant wrote or a demo --work-dir folder") }
        guard outcomes >= 1 else { throw ValidationError("--outcomes must be at least 1, received \(outcomes)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, received \(threads)") }
    }

    func run() throws {
        AtomicOutput.removeOnInterrupt()
        try checkOutput(output, force: force)
        try checkDistinctFiles(outputs: [("-o", output)],
                               inputs: inputs.map { ("the input", $0) } + [("--data", data)] + keys.inputFiles)
        // A folder's files are read too: the report may not replace one of them.
        let parent = URL(fileURLWithPath: output).deletingLastPathComponent().path
        if FileManager.default.fileExists(atPath: output),
           let folder = inputs.first(where: { isFolder($0) && sameFile($0, parent.isEmpty ? "." : parent) })
        {
            throw CLIError.usage("-o '\(output)' is a file of the input folder '\(folder)', whose files the report reads; write the report elsewhere")
        }
        let jobKeys = try keys.resolve()
        var job = ReportJob(inputs: inputs)
        job.data = try data.map { try dataSource($0) }
        job.seed = seed
        job.keys = jobKeys.inputs
        job.options = ReportOptions(title: title, generator: "verdant \(VerdantCommand.version)",
                                    scheduler: try threads.map { try Scheduler(threads: $0) } ?? .shared, outcomesKept: outcomes)
        let start = Timing.now()
        let (report, content) = try Report.make(job)
        try report.write(toPath: output, recipients: jobKeys.recipients, overwrite: force)
        let seconds = Timing.now() - start
        for note in report.notes { printNote("note: \(note)") }
        if jobKeys.recipients.isEmpty, !content.sealedInputs.isEmpty {
            printNote("note: the report shows figures drawn from sealed inputs (\(content.sealedInputs.count)); it is written unsealed: "
                      + "keep it private, or seal it with -r/--key-file")
        }
        let size = Format.bytes(report.html.utf8.count)
        printNote("report → \(output)\(jobKeys.recipients.isEmpty ? "" : " (sealed)"): \(report.figures.count) figures, \(size), \(Format.seconds(seconds))")
    }
}

/// Whether `path` is a folder (after links).
private func isFolder(_ path: String) -> Bool {
    var isDirectory: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
}

/// Writes the report of a command's own results (`demo --report`, `train --report`) and says where
/// on standard error, with its size and the seconds it took to build and write.
///
/// - Parameters:
///   - content: The results.
///   - path: The HTML file.
///   - title: The page's title.
///   - recipients: Who the report is sealed for (none: plain HTML).
///   - overwrite: Whether an existing file may be replaced.
/// - Throws: ``ReportError``; Privacy's errors when sealing.
func writeRunReport(_ content: ReportContent, to path: String, title: String = "Verdant report", recipients: [Recipient] = [],
                    overwrite: Bool) throws {
    let start = Timing.now()
    let report = try Report.build(content, options: ReportOptions(title: title, generator: "verdant \(VerdantCommand.version)"))
    try report.write(toPath: path, recipients: recipients, overwrite: overwrite)
    let seconds = Timing.now() - start
    fflush(nil)
    printNote("report → \(path)\(recipients.isEmpty ? "" : " (sealed)"): \(report.figures.count) figures, "
              + "\(Format.bytes(report.html.utf8.count)), \(Format.seconds(seconds))")
}
