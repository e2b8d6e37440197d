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
            5 unsupported format version, 6 header modified or malformed, 7 truncated, \
            8 a chunk failed authentication (modified, reordered or appended data).
            Documentation: docs/ in the source tree.
            """,
        version: version,
        subcommands: [Demo.self, Train.self, Predict.self, KernelCommand.self, Run.self, Bench.self, Keygen.self, Seal.self, Unseal.self,
                      Inspect.self, Measure.self, Info.self]
    )
}

/// Exit codes: 0 ok, 1 runtime error, 2 usage or input error, and one code per way a sealed
/// input can fail (README, "Exit codes").
enum ExitStatus {
    static let runtimeError: Int32 = 1
    static let usageError: Int32 = 2
    /// No identity, passphrase or key given opens the sealed file.
    static let noKeyOpens: Int32 = 3
    /// The input is not a sealed file.
    static let notSealed: Int32 = 4
    /// A sealed file of a format version this build does not read.
    static let unsupportedVersion: Int32 = 5
    /// The header was changed after sealing, or is malformed.
    static let headerDamaged: Int32 = 6
    /// The file ends early (inside the header, or before the final chunk).
    static let truncated: Int32 = 7
    /// A chunk failed authentication, or data follows the final chunk.
    static let chunkFailed: Int32 = 8
}

extension PrivacyError {
    /// The exit code of this failure: one per way a sealed input fails, else 2 for bad input and
    /// 1 for system failures.
    var exitCode: Int32 {
        switch self {
        case .noMatchingIdentity: ExitStatus.noKeyOpens
        case .notSealed, .unsealedInput: ExitStatus.notSealed
        case .unsupportedVersion: ExitStatus.unsupportedVersion
        case .headerMalformed, .headerModified: ExitStatus.headerDamaged
        case .headerTruncated, .truncated: ExitStatus.truncated
        case .chunkFailed, .trailingData, .payloadMalformed: ExitStatus.chunkFailed
        default: isInputError ? ExitStatus.usageError : ExitStatus.runtimeError
        }
    }
}

/// An error the CLI reports itself, with its exit code.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    let code: Int32

    static func usage(_ message: String) -> CLIError { CLIError(description: message, code: ExitStatus.usageError) }
    static func runtime(_ message: String) -> CLIError { CLIError(description: message, code: ExitStatus.runtimeError) }
}

extension QuantumError {
    /// Memory and capacity problems are runtime errors (1); everything else is bad input (2).
    var exitCode: Int32 {
        switch self {
        case .insufficientMemory, .tooManyQubits: ExitStatus.runtimeError
        default: ExitStatus.usageError
        }
    }
}

@main
enum VerdantMain {
    static func main() {
        let status: Int32
        do {
            // Several copies started by mpirun without MPI compiled in would each do all the work.
            try parallelCall { try Distributed.checkLaunch() }
            var command = try VerdantCommand.parseAsRoot()
            try command.run()
            status = 0
        } catch let error as CLIError {
            printError(error.description)
            status = error.code
        } catch let error as QuantumError {
            printError(error.description)
            status = error.exitCode
        } catch let error as PrivacyError {
            printError(error.description)
            status = error.exitCode
        } catch let error as QuantumMLError {
            printError(error.description)
            status = error.cliError.code
        } catch {
            // ArgumentParser: help and version exit 0 on stdout; usage errors exit 2 on stderr.
            let code = VerdantCommand.exitCode(for: error)
            if code == .success {
                print(VerdantCommand.fullMessage(for: error))
                status = 0
            } else {
                FileHandle.standardError.write(Data((VerdantCommand.fullMessage(for: error) + "\n").utf8))
                status = ExitStatus.usageError
            }
        }
        fflush(nil)
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
