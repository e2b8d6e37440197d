import Foundation
import Testing
@testable import VerdantCLI
import Verdant

/// The one map from errors to exit codes (Sources/VerdantCLI/ExitCodes.swift), checked per error
/// family against the codes the README documents.
@Suite("exit codes: one map for every module's errors")
struct ExitCodeTests {
    @Test("each family maps to the README's codes; messages are the errors' own")
    func families() throws {
        func code(_ error: any Error) -> Int32? { ExitCodes.failure(for: error)?.code }
        // QuantumML: training failures are runtime (1), the rest bad input (2).
        #expect(code(QuantumMLError.training(reason: "r", remedy: "m")) == 1)
        #expect(code(QuantumMLError.invalidArgument(argument: "C", received: "0", valid: "> 0")) == 2)
        #expect(code(QuantumMLError.data(location: "f.csv", found: "x", valid: "y")) == 2)
        // Quantum: capacity is runtime, the rest input.
        #expect(code(QuantumError.tooManyQubits(received: 40, maximum: 30)) == 1)
        #expect(code(QuantumError.invalidShots(0)) == 2)
        // Privacy: one code per way a sealed input fails.
        #expect(code(PrivacyError.noMatchingIdentity(source: "f", stanzas: [], tried: [])) == 3)
        #expect(code(PrivacyError.notSealed(source: "f", firstBytes: [])) == 4)
        #expect(code(PrivacyError.unsupportedVersion(source: "f", version: 9)) == 5)
        #expect(code(PrivacyError.headerModified(source: "f")) == 6)
        #expect(code(PrivacyError.truncated(source: "f", afterChunk: 0)) == 7)
        #expect(code(PrivacyError.chunkFailed(source: "f", chunk: 1, offset: 0, isFinal: false)) == 8)
        #expect(code(PrivacyError.io(path: "f", operation: "write", reason: "full")) == 1)
        // Energy, Communication and Parallel.
        #expect(code(EnergyError.unknownCountry(received: "XX", suggestions: [])) == 2)
        #expect(code(CommunicationError.communication("lost")) == 1)
        #expect(code(CommunicationError.rankFailed(rank: 1, message: "gone")) == 1)
        #expect(code(CommunicationError.invalidArgument("bad")) == 2)
        #expect(code(CommunicationError.settingsDiffer(["rank 1 has --epochs 5 (rank 0: 3)"])) == 2)
        #expect(code(ParallelError.file(path: "f", reason: "unreadable")) == 1)
        #expect(code(ParallelError.invalidArgument("bad")) == 2)
        // A task that failed on bad data is still bad input, and reads as the data's own message.
        let inner = QuantumMLError.data(location: "f.csv", found: "x", valid: "y")
        let wrapped = ParallelError.taskFailed(task: "kernel tile 3", rank: nil, underlying: inner)
        #expect(ExitCodes.failure(for: wrapped)?.code == 2 && ExitCodes.failure(for: wrapped)?.message == inner.description)
        let quantum = ParallelError.taskFailed(task: "t", rank: 1, underlying: QuantumError.tooManyQubits(received: 40, maximum: 30))
        #expect(code(quantum) == 1)
        #expect(code(ParallelError.taskFailed(task: "t", rank: nil, underlying: CocoaError(.fileNoSuchFile))) == 1)
        // CLI errors keep their own code; anything else is ArgumentParser's to report.
        #expect(code(CLIError.usage("u")) == 2 && code(CLIError.runtime("r")) == 1)
        #expect(ExitCodes.failure(for: CocoaError(.fileNoSuchFile)) == nil)
    }
}
