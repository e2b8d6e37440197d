import Foundation
import Testing
import Verdant
#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs mounted for a test, or `nil` (with the reason printed) where mounting is not
/// allowed (not root, no CAP_SYS_ADMIN, a container without mount rights).
final class SmallTmpfs {
    let url: URL

    init?(kilobytes: Int) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        guard mount("tmpfs", url.path, "tmpfs", 0, "size=\(kilobytes)k,mode=0777") == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: url)
            print("skipped: cannot mount a \(kilobytes) KiB tmpfs here (\(reason)); the RLIMIT_FSIZE test covers failed writes")
            return nil
        }
    }

    /// Fills the file system with one file until a write fails, so that any new data fails with ENOSPC.
    func fill() {
        let descriptor = open(url.appendingPathComponent("filler").path, O_WRONLY | O_CREAT, 0o644)
        guard descriptor >= 0 else { return }
        let block = [UInt8](repeating: 0x5A, count: 4096)
        while block.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        close(descriptor)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit {
        umount2(url.path, 0x2 /* MNT_DETACH */)
        try? FileManager.default.removeItem(at: url)
    }
}

/// SHA-256-free identity check of a file's bytes.
func fileBytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

@Suite("Faults: full disks, file-size limits and SIGKILL", .serialized)
struct FaultCLITests {
    /// Inputs for every command: a key, a plain and a sealed data set, a model, in `dir`.
    struct Inputs {
        let key: String
        let plain: String
        let sealed: String
        let model: String
        let big: String
        let bigSealed: String
        let bigBytes: Data

        init(in dir: TemporaryDirectory) throws {
            key = dir.url.appendingPathComponent("k.bin").path
            #expect(try verdantRaw(["keygen", "--symmetric", "-o", key]).status == 0)
            var csv = "a,b,label\n"
            for i in 0..<200 { csv += "\(Double(i % 11) / 11),\(Double(i % 13) / 13),\(i % 3 == 0 ? "yes" : "no")\n" }
            plain = try dir.write("data.csv", csv)
            sealed = dir.url.appendingPathComponent("data.csv.sealed").path
            #expect(try verdantRaw(["seal", "--key-file", key, "-o", sealed, plain]).status == 0)
            model = dir.url.appendingPathComponent("model.json").path
            #expect(try verdant(["train", "--data", plain, "--model", "svm-linear", "-o", model, "--no-energy-summary"]).status == 0)
            bigBytes = pseudoRandomData(3 << 20)
            big = dir.url.appendingPathComponent("big.bin").path
            try bigBytes.write(to: URL(fileURLWithPath: big))
            bigSealed = dir.url.appendingPathComponent("big.sealed").path
            #expect(try verdantRaw(["seal", "--key-file", key, "-o", bigSealed, big]).status == 0)
        }

        /// Each command with its output at `out`: seal, unseal, train, kernel, predict.
        func commands(output out: String) -> [(String, [String])] {
            [
                ("seal", ["seal", "--key-file", key, "-o", out, big]),
                ("unseal", ["unseal", "--key-file", key, "-o", out, bigSealed]),
                ("train", ["train", "--data", sealed, "--key-file", key, "--model", "svm-linear", "-o", out, "--no-energy-summary"]),
                ("kernel", ["kernel", "--data", plain, "--feature-map", "angle", "--out", out + ".npy", "--no-energy-summary"]),
                ("predict", ["predict", "--model", model, "--data", plain, "-o", out + ".csv", "--no-energy-summary"]),
            ]
        }

        /// The inputs are unchanged.
        func checkIntact(_ before: [String: Data]) {
            for (path, bytes) in before { #expect(fileBytes(path) == bytes, "\(path) changed") }
        }

        var snapshot: [String: Data] {
            Dictionary(uniqueKeysWithValues: [key, plain, sealed, model, big, bigSealed].map { ($0, fileBytes($0) ?? Data()) })
        }
    }

    @Test("a write past the file-size limit (RLIMIT_FSIZE): exit 1, a clear message, no output, no temporary file, inputs intact")
    func fileSizeLimit() throws {
        let dir = try TemporaryDirectory()
        let inputs = try Inputs(in: dir)
        let before = inputs.snapshot
        let outputs = try TemporaryDirectory()
        let out = outputs.url.appendingPathComponent("out").path
        for (name, arguments) in inputs.commands(output: out) {
            let result = try verdantWithFileSizeLimit(blocks: 1, arguments)
            #expect(result.status == 1, "\(name): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("verdant: error: ") && result.stderr.contains("File too large"), "\(name): \(result.stderr)")
            expectNoTrace(ProcessResult(status: result.status, stdout: "", stderr: result.stderr))
            #expect(listing(outputs.url).isEmpty, "\(name) left \(listing(outputs.url))")
        }
        inputs.checkIntact(before)
    }

    @Test("a full file system (a full tmpfs, where mounting is allowed): exit 1, 'the disk is full', no output, inputs intact")
    func fullDisk() throws {
        guard let disk = try SmallTmpfs(kilobytes: 512) else { return }
        let dir = try TemporaryDirectory()
        let inputs = try Inputs(in: dir)
        let before = inputs.snapshot
        disk.fill()
        #expect(listing(disk.url) == ["filler"])
        for (name, arguments) in inputs.commands(output: disk.path("out")) {
            let result = try verdantRaw(arguments)
            #expect(result.status == 1, "\(name): \(result.status) \(result.stderr)")
            #expect(result.stderr.contains("No space left on device (the disk is full)"), "\(name): \(result.stderr)")
            expectNoTrace(ProcessResult(status: result.status, stdout: "", stderr: result.stderr))
            #expect(listing(disk.url) == ["filler"], "\(name) left \(listing(disk.url))")
        }
        inputs.checkIntact(before)
        // With room again, the same commands succeed.
        try FileManager.default.removeItem(atPath: disk.path("filler"))
        let seal = try verdantRaw(["seal", "--key-file", inputs.key, "-o", disk.path("small.sealed"), inputs.plain])
        #expect(seal.status == 0, "\(seal.stderr)")
    }

    @Test("SIGKILL of seal and unseal at random moments: no output or the complete one, never a partial file under the final name",
          arguments: ["seal", "unseal"])
    func killedAtRandom(command: String) throws {
        let dir = try TemporaryDirectory()
        let key = dir.url.appendingPathComponent("k.bin").path
        #expect(try verdantRaw(["keygen", "--symmetric", "-o", key]).status == 0)
        let plaintext = pseudoRandomData(24 << 20)
        let input = dir.url.appendingPathComponent("in.bin").path
        try plaintext.write(to: URL(fileURLWithPath: input))
        let sealedInput = dir.url.appendingPathComponent("in.sealed").path
        #expect(try verdantRaw(["seal", "--key-file", key, "-o", sealedInput, input]).status == 0)
        let out = dir.url.appendingPathComponent("out").path
        let arguments = command == "seal"
            ? ["seal", "--key-file", key, "-o", out, input]
            : ["unseal", "--key-file", key, "-o", out, sealedInput]
        let inputs = listing(dir.url)

        // How long a whole run takes here, to spread the kills over it.
        let start = Date()
        #expect(try verdantRaw(arguments).status == 0)
        let whole = max(Date().timeIntervalSince(start), 0.05)
        try FileManager.default.removeItem(atPath: out)

        var generator = SeededRandom(seed: command == "seal" ? 7 : 8)
        var killedMidway = 0
        for _ in 0..<10 {
            let delay = whole * Double(generator.next() % 1000) / 1000 * 1.1
            let process = Process()
            process.executableURL = URL(fileURLWithPath: verdantExecutable)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32(delay * 1_000_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { killedMidway += 1 }
            // Either nothing under the final name, or all of it.
            if let written = fileBytes(out) {
                if command == "seal" {
                    let opened = try verdantRaw(["unseal", "--key-file", key, out])
                    #expect(opened.status == 0 && opened.stdout == plaintext, "a partial sealed file after SIGKILL at \(delay) s")
                } else {
                    #expect(written == plaintext, "a partial plaintext after SIGKILL at \(delay) s")
                }
                try FileManager.default.removeItem(atPath: out)
            }
            // No temporary file is left in the folder either (it is unnamed where the file system allows).
            let left = listing(dir.url).filter { !inputs.contains($0) }
            #expect(left.isEmpty || left.allSatisfy { $0.hasSuffix(".tmp") && $0.hasPrefix(".out.") },
                    "after SIGKILL at \(delay) s: \(left)")
            for name in left { try? FileManager.default.removeItem(atPath: dir.url.appendingPathComponent(name).path) }
        }
        #expect(killedMidway >= 3, "only \(killedMidway) of 10 kills landed before the end (a run takes \(whole) s)")
    }
}

@Suite("Durability: outputs are flushed before they appear, folders after", .serialized)
struct DurabilityCLITests {
    /// The system calls of a run, from strace(1), or `nil` (with the reason printed) without it.
    func trace(_ arguments: [String], in dir: TemporaryDirectory) throws -> [String]? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            print("skipped: strace is not installed (apt-get install strace)")
            return nil
        }
        // One file per thread (-ff), so that no call is split across lines by another thread's; the
        // thread that creates the temporary file does every step of the output.
        let traces = dir.url.appendingPathComponent("traces")
        try FileManager.default.createDirectory(at: traces, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
        process.arguments = ["-f", "-ff", "-qq", "-e", "trace=openat,fsync,fdatasync,linkat,rename,renameat,renameat2,write",
                             "-o", traces.appendingPathComponent("t").path, verdantExecutable] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let threads = listing(traces).compactMap { try? String(contentsOf: traces.appendingPathComponent($0), encoding: .utf8) }
        guard process.terminationStatus == 0, let text = threads.first(where: { $0.contains("O_TMPFILE") || $0.contains("/.out.") }) else {
            print("skipped: strace could not trace verdant here (status \(process.terminationStatus); ptrace may be forbidden)")
            return nil
        }
        return text.split(separator: "\n").map(String.init)
    }

    /// The index of the first line containing every piece, after `start`.
    func find(_ lines: [String], _ pieces: [String], after start: Int = -1) -> Int? {
        lines.indices.first { $0 > start && pieces.allSatisfy(lines[$0].contains) }
    }

    /// The descriptor a traced `openat(…) = N` line returned.
    func descriptor(_ line: String) -> String? {
        line.split(separator: "=").last.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    @Test("keygen, seal and unseal: fsync of the output before it is linked or renamed into place, fsync of its folder after; keygen prints the recipient only then",
          arguments: ["keygen", "seal", "unseal"])
    func flushedBeforeAppearing(command: String) throws {
        let dir = try TemporaryDirectory()
        let key = dir.url.appendingPathComponent("k.bin").path
        #expect(try verdantRaw(["keygen", "--symmetric", "-o", key]).status == 0)
        let input = try dir.write("in.txt", String(repeating: "durable\n", count: 20_000))
        let sealed = dir.url.appendingPathComponent("in.sealed").path
        #expect(try verdantRaw(["seal", "--key-file", key, "-o", sealed, input]).status == 0)
        let target = dir.url.appendingPathComponent("out").path
        let arguments: [String] = switch command {
        case "keygen": ["keygen", "-o", target]
        case "seal": ["seal", "--key-file", key, "-o", target, input]
        default: ["unseal", "--key-file", key, "-o", target, sealed]
        }
        guard let lines = try trace(arguments, in: dir) else { return }
        // The temporary file: unnamed (O_TMPFILE in the folder) or hidden beside the target.
        let created = try #require(lines.firstIndex { $0.contains("O_TMPFILE") || ($0.contains("/.out.") && $0.contains("O_CREAT")) },
                                   "no temporary file in \(lines.suffix(20))")
        let fd = try #require(descriptor(lines[created]))
        let flushed = try #require(find(lines, ["fsync(\(fd))"], after: created), "the output was not flushed")
        let placed = try #require(find(lines, ["\"\(target)\""], after: created).flatMap { index in
            lines[index].contains("link") || lines[index].contains("rename") ? index : nil
        }, "the output was not linked or renamed into place")
        #expect(flushed < placed, "fsync after the file appeared")
        let folderOpened = try #require(find(lines, ["\"\(dir.url.path)\"", "O_DIRECTORY"], after: placed), "the folder was not opened")
        let folderFD = try #require(descriptor(lines[folderOpened]))
        let folderFlushed = try #require(find(lines, ["fsync(\(folderFD))"], after: folderOpened), "the folder was not flushed")
        if command == "keygen" {
            let printed = try #require(find(lines, ["write(1, \"verdant1"]), "the recipient was not printed")
            #expect(folderFlushed < printed, "the recipient was printed before the identity was durable")
        }
        #expect(FileManager.default.fileExists(atPath: target))
    }
}

/// SplitMix64: reproducible delays.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
