import _TestSupport
import Crypto
import Foundation
import Testing
@testable import Privacy

/// The shared temporary folder, under this file's name for it.
typealias Folder = TemporaryFolder

@Suite("Files: transparent reading, atomic output; fuzzing the header parser")
struct FilesAndFuzzTests {
    @Test("contents(atPath:) reads plain files as they are and sealed files decrypted, checking the content type")
    func transparentReading() throws {
        let folder = try Folder()
        let csv = Data("a,b,label\n1,2,x\n".utf8)
        try csv.write(to: folder.url.appendingPathComponent("plain.csv"))
        try SealedFile.write(csv, toPath: folder.path("data.sealed"), for: [.x25519(TestKeys.identity.recipient)], contentType: "dataset/csv")
        #expect(!SealedFile.isSealed(atPath: folder.path("plain.csv")))
        #expect(SealedFile.isSealed(atPath: folder.path("data.sealed")))
        #expect(!SealedFile.isSealed(atPath: folder.path("missing")))
        #expect(try SealedFile.contents(atPath: folder.path("plain.csv"), identities: []) == csv)
        #expect(try SealedFile.contents(atPath: folder.path("data.sealed"), identities: [.x25519(TestKeys.identity)], expecting: "dataset/csv") == csv)
        #expect(throws: PrivacyError.identityRequired(source: folder.path("data.sealed"), stanzas: ["X25519"])) {
            try SealedFile.contents(atPath: folder.path("data.sealed"), identities: [])
        }
        #expect(throws: PrivacyError.unexpectedContentType(source: folder.path("data.sealed"), found: "dataset/csv", expected: "model/verdant")) {
            try SealedFile.contents(atPath: folder.path("data.sealed"), identities: [.x25519(TestKeys.identity)], expecting: "model/verdant")
        }
        #expect(throws: PrivacyError.io(path: folder.path("missing"), operation: "read", reason: "no such file")) {
            try SealedFile.contents(atPath: folder.path("missing"), identities: [])
        }
        #expect(throws: PrivacyError.io(path: folder.url.path, operation: "read", reason: "it is a directory")) {
            try SealedFile.open(atPath: folder.url.path, with: [])
        }
        #expect(folder.names == ["data.sealed", "plain.csv"])
        // Through a pipe (`--data <(…)`), which cannot be read twice: plain, sealed, and refused.
        let sealed = try Data(contentsOf: folder.url.appendingPathComponent("data.sealed"))
        #expect(try withPipe(containing: csv) { try SealedFile.contents(atPath: $0, identities: []) } == csv)
        #expect(try withPipe(containing: sealed) {
            try SealedFile.contents(atPath: $0, identities: [.x25519(TestKeys.identity)], expecting: "dataset/csv")
        } == csv)
        #expect(throws: PrivacyError.self) {
            try withPipe(containing: sealed) { try SealedFile.contents(atPath: $0, identities: [.x25519(TestKeys.identity)], expecting: "model/verdant") }
        }
        #expect(try withPipe(containing: Data("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n".utf8)) {
            try RawKey(contentsOfFile: $0)
        }.bytes.count == 32)
    }

    @Test("atomic output: nothing appears on failure, existing files are kept unless overwrite, no temporary file is left")
    func atomicOutput() throws {
        let folder = try Folder()
        let target = folder.path("out.sealed")
        // A failure while writing (the sealed stream is never finished): no output, no temporary file.
        do {
            let output = try AtomicOutput(path: target, overwrite: false)
            let writer = try SealedWriter(to: output.sink, recipients: [.key(TestKeys.raw)])
            try writer.write(Data(count: 100_000))
            // The temporary file is unnamed (O_TMPFILE) where the file system allows, else hidden beside the target.
            if let temporary = output.temporaryPath {
                #expect(folder.names == [(temporary as NSString).lastPathComponent])
                #expect(temporary.hasPrefix(folder.path(".out.sealed.")) && temporary.hasSuffix(".tmp"))
            } else {
                #expect(folder.names.isEmpty)
            }
            // Dropped without commit.
        }
        #expect(folder.names.isEmpty)
        try SealedFile.write(Data("one".utf8), toPath: target, for: [.key(TestKeys.raw)])
        #expect(throws: PrivacyError.outputExists(path: target)) {
            try SealedFile.write(Data("two".utf8), toPath: target, for: [.key(TestKeys.raw)])
        }
        #expect(try SealedFile.open(atPath: target, with: [.key(TestKeys.raw)]) == Data("one".utf8))
        try SealedFile.write(Data("two".utf8), toPath: target, for: [.key(TestKeys.raw)], overwrite: true)
        #expect(try SealedFile.open(atPath: target, with: [.key(TestKeys.raw)]) == Data("two".utf8))
        #expect(folder.names == ["out.sealed"])

        // A target that appears between the start and the commit is not replaced.
        let late = folder.path("late")
        let output = try AtomicOutput(path: late, overwrite: false)
        try output.write(Data("mine".utf8))
        try Data("theirs".utf8).write(to: URL(fileURLWithPath: late))
        #expect(throws: PrivacyError.outputExists(path: late)) { try output.commit() }
        #expect(try Data(contentsOf: URL(fileURLWithPath: late)) == Data("theirs".utf8))
        #expect(folder.names == ["late", "out.sealed"])

        // A path that cannot be an output is the user's input (exit status 2), unlike a failed write.
        let missing = PrivacyError.outputRefused(path: folder.path("no/such/dir/x"), reason: "the folder '\(folder.path("no/such/dir"))' does not exist")
        #expect(throws: missing) { try AtomicOutput(path: folder.path("no/such/dir/x"), overwrite: false) }
        #expect(missing.isInputError)
        #expect(!PrivacyError.io(path: "x", operation: "write", reason: "No space left on device (the disk is full)").isInputError)
        // Modes: 0600 on request, else 0666 less the umask.
        try AtomicOutput.write(Data(), toPath: folder.path("secret"), overwrite: false, mode: 0o600)
        let attributes = try FileManager.default.attributesOfItem(atPath: folder.path("secret"))
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
    }

    @Test("fuzzing the header parser: random changes, lengths and bytes never crash, only throw PrivacyError")
    func fuzzHeader() throws {
        let sealed = try SealedFile.seal(Data("fuzz".utf8), for: [.x25519(TestKeys.otherIdentity.recipient),
                                                                 .x25519(TestKeys.identity.recipient)])
        let header = try SealedFile.header(of: sealed)
        var state: UInt64 = 0x1234_5678
        func next() -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(truncatingIfNeeded: state >> 1)
        }
        var outcomes: [String: Int] = [:]
        for round in 0..<3000 {
            var bytes = Array(sealed.prefix(header.byteCount))
            switch round % 4 {
            case 0:  // a few random byte changes
                for _ in 0..<(1 + next() % 3) { bytes[next() % bytes.count] = UInt8(truncatingIfNeeded: next()) }
            case 1:  // a random length field or stanza length
                let position = [10, 11, 44, 45 + 24, 45 + 24 + 2, 45 + 24 + 3][next() % 6]
                bytes[position] = UInt8(truncatingIfNeeded: next())
            case 2:  // a random prefix
                bytes = Array(bytes.prefix(next() % bytes.count))
            default:  // the magic and version, then random bytes
                bytes = SealedFormat.magic + [1] + (0..<(next() % 300)).map { _ in UInt8(truncatingIfNeeded: next()) }
            }
            do {
                let parsed = try SealedFile.header(of: Data(bytes))
                #expect(parsed.byteCount <= bytes.count)
                outcomes["parsed", default: 0] += 1
                // Opening must fail cleanly too (the payload is missing or the keys do not match).
                _ = try? SealedFile.open(Data(bytes), with: [.x25519(TestKeys.identity), .key(TestKeys.raw), .passphrase("p")])
            } catch let error as PrivacyError {
                outcomes[Outcome(error).description.components(separatedBy: " ").first ?? "?", default: 0] += 1
            }
        }
        // The fuzzer reached the parser's different exits.
        #expect(outcomes.keys.count >= 4, "\(outcomes)")
    }
}
