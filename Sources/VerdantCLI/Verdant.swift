import ArgumentParser
import Foundation
import Verdant

/// `verdant`: sustainable, private, distributed (quantum) machine learning from the command line.
struct VerdantCommand: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "verdant",
        abstract: "Sustainable, private, distributed (quantum) machine learning.",
        discussion: """
            Exit codes: 0 success, 1 runtime error (e.g. not enough memory), 2 usage or input error; \
            reading a sealed file: 3 no key given opens it (wrong key or passphrase), 4 not a sealed file, \
            5 unsupported format version, 6 header modified or malformed, 7 truncated (in the header or at a chunk boundary), \
            8 a chunk failed authentication (modified, reordered or appended data, or cut inside a chunk: \
            the format cannot tell that from a change).
            Documentation: docs/ in the source tree.
            """,
        version: version,
        subcommands: [Demo.self, Train.self, Predict.self, KernelCommand.self, Run.self, Bench.self, Keygen.self, Seal.self, Unseal.self,
                      Inspect.self, PrivacyBudgetCommand.self, Measure.self, ReportCommand.self, Info.self]
    )
}

@main
enum VerdantMain {
    static func main() {
        let status: Int32
        do {
            // Several copies started by mpirun without MPI compiled in would each do all the work.
            try Distributed.checkLaunch()
            // Ranks that learn of another rank's failure end with its status (ExitCodes.swift).
            FailureStatus.use { ExitCodes.failure(for: $0)?.code }
            var command = try VerdantCommand.parseAsRoot()
            try command.run()
            status = 0
        } catch {
            if let (message, code) = ExitCodes.failure(for: error) {
                // Verdant's own errors: the one map (ExitCodes.swift). An error every rank of a split
                // run throws alike (a refused layout or memory) is printed once, by rank 0.
                if !ExitCodes.isThrownByEveryRank(error) || (Distributed.launch?.rank ?? 0) == 0 { printError(message) }
                status = code
            } else if VerdantCommand.exitCode(for: error) == .success {
                // ArgumentParser: help and version exit 0 on stdout; usage errors exit 2 on stderr.
                print(VerdantCommand.fullMessage(for: error))
                status = 0
            } else {
                FileHandle.standardError.write(Data((VerdantCommand.fullMessage(for: error) + "\n").utf8))
                status = ExitStatus.usageError
            }
        }
        fflush(nil)
        // A rank that fails alone must not leave the others waiting in a collective.
        if status != 0 { Distributed.armFailureExit(status: status) }
        exit(status)
    }
}

/// Writes `verdant: error: message` to standard error.
func printError(_ message: String) {
    fflush(nil)
    FileHandle.standardError.write(Data("verdant: error: \(message)\n".utf8))
}

/// Writes a line to standard error (notes and progress that must not mix with stdout data).
func printNote(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}
