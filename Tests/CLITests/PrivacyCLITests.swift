import Foundation
import Testing
import Verdant

/// The names in a folder, hidden files included.
func listing(_ url: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted()
}

@Suite("verdant keygen, seal, unseal, inspect", .serialized)
struct PrivacyCLITests {
    @Test("keygen writes a private identity file and prints its recipient; -y and --symmetric")
    func keygen() throws {
        let dir = try TemporaryDirectory()
        let idPath = dir.url.appendingPathComponent("me.key").path
        let made = try verdantRaw(["keygen", "-o", idPath])
        #expect(made.status == 0)
        let recipient = made.text.trimmingCharacters(in: .newlines)
        #expect(recipient.hasPrefix("verdant1") && recipient.count == 66)
        let attributes = try FileManager.default.attributesOfItem(atPath: idPath)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        let text = try String(contentsOfFile: idPath, encoding: .utf8)
        #expect(text.contains("# recipient: \(recipient)\nVERDANT-SECRET-KEY-1"))
        #expect(try verdantRaw(["keygen", "-y", idPath]).text == recipient + "\n")
        let again = try verdantRaw(["keygen", "-o", idPath])
        #expect(again.status == 2)
        #expect(again.stderr == "verdant: error: '\(idPath)' exists; use --force to overwrite it\n")
        #expect(try String(contentsOfFile: idPath, encoding: .utf8) == text)
        #expect(try verdantRaw(["keygen", "-o", idPath, "--force"]).status == 0)
        #expect(try String(contentsOfFile: idPath, encoding: .utf8) != text)

        let printed = try verdantRaw(["keygen"])
        #expect(printed.text.contains("VERDANT-SECRET-KEY-1"))
        #expect(printed.stderr.hasPrefix("recipient: verdant1"))
        let keyPath = dir.url.appendingPathComponent("k.bin").path
        #expect(try verdantRaw(["keygen", "--symmetric", "-o", keyPath]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: keyPath)).count == 32)
        #expect(try verdantRaw(["keygen", "--symmetric"]).text.count == 65)
        let bad = try verdantRaw(["keygen", "-y", idPath, "--symmetric"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("cannot be combined"))
        #expect(listing(dir.url) == ["k.bin", "me.key"])
    }

    @Test("seal and unseal round-trip for every recipient kind, through files and pipes")
    func roundTrips() throws {
        let dir = try TemporaryDirectory()
        let (idPath, recipient) = try newIdentity(in: dir)
        let other = dir.url.appendingPathComponent("other.key").path
        let otherRecipient = try verdantRaw(["keygen", "-o", other]).text.trimmingCharacters(in: .newlines)
        let recipientsFile = try dir.write("team.txt", "# team\n\(recipient)\n\(otherRecipient)\n")
        let keyPath = dir.url.appendingPathComponent("k.bin").path
        _ = try verdantRaw(["keygen", "--symmetric", "-o", keyPath])
        let passFile = try dir.write("pass.txt", "open sesame\n")
        var csv = "x1,x2,label\n"
        for i in 0..<9000 { csv += "\(i),\(i * 7 % 13),\(i % 3)\n" }  // about 100 KiB: two chunks
        let input = try dir.write("data.csv", csv)
        let sealed = dir.url.appendingPathComponent("data.csv.sealed").path
        let env = ["VERDANT_PASSPHRASE": "open sesame"]

        let cases: [(seal: [String], unseal: [String], env: [String: String])] = [
            (["-r", recipient], ["-i", idPath], [:]),
            (["-R", recipientsFile], ["-i", other], [:]),
            (["--passphrase", "--work-factor", "10"], [], env),
            (["--passphrase-file", passFile, "--work-factor", "10"], ["--passphrase-file", passFile], [:]),
            (["--key-file", keyPath, "--chunk-size", "1K"], ["--key-file", keyPath], [:]),
            (["-r", recipient, "-R", recipientsFile, "--chunk-size", "16M"], ["-i", other], [:]),
        ]
        for (sealArgs, unsealArgs, environment) in cases {
            let s = try verdantRaw(["seal"] + sealArgs + ["-o", sealed, "--force", input], environment: environment)
            #expect(s.status == 0, "\(sealArgs): \(s.stderr)")
            let u = try verdantRaw(["unseal"] + unsealArgs + [sealed], environment: environment)
            #expect(u.status == 0, "\(unsealArgs): \(u.stderr)")
            #expect(u.text == csv, "\(sealArgs) → \(unsealArgs)")
        }
        // --passphrase-fd N: the first line of an open descriptor (here 3, opened by the shell).
        for command in ["seal --passphrase-fd 3 --work-factor 10 -o \"$2\" --force \"$3\"", "unseal --passphrase-fd 3 \"$2\""] {
            let shell = Process()
            shell.executableURL = URL(fileURLWithPath: "/bin/sh")
            shell.arguments = ["-c", "exec \"$0\" \(command) 3< \"$1\"", verdantExecutable, passFile, sealed, input]
            let out = Pipe()
            shell.standardOutput = out
            shell.standardError = Pipe()
            try shell.run()
            let printed = out.fileHandleForReading.readDataToEndOfFile()
            shell.waitUntilExit()
            #expect(shell.terminationStatus == 0, "\(command)")
            if command.hasPrefix("unseal") { #expect(String(decoding: printed, as: UTF8.self) == csv) }
        }
        #expect(try verdantRaw(["unseal", "--passphrase-file", passFile, sealed]).text == csv)
        // Pipes: standard input to standard output both ways, and unseal to a file.
        let piped = try verdantRaw(["seal", "-r", recipient, "--content-type", "predictions/csv"], stdin: Data(csv.utf8))
        #expect(piped.status == 0)
        let back = try verdantRaw(["unseal", "-i", idPath, "-"], stdin: piped.stdout)
        #expect(back.text == csv)
        let outPath = dir.url.appendingPathComponent("plain.csv").path
        #expect(try verdantRaw(["unseal", "-i", idPath, "-o", outPath], stdin: piped.stdout).status == 0)
        #expect(try String(contentsOfFile: outPath, encoding: .utf8) == csv)
        #expect(try FileManager.default.attributesOfItem(atPath: outPath)[.posixPermissions] as? Int == 0o600)
        // The library opens what the CLI sealed.
        let identity = try X25519Identity.load(contentsOfFile: idPath)[0]
        #expect(try SealedFile.open(piped.stdout, with: [.x25519(identity)], expecting: "predictions/csv") == Data(csv.utf8))
        #expect(!listing(dir.url).contains { $0.hasSuffix(".tmp") })
    }

    @Test("inspect shows the format, content type, recipients and sizes, as text and JSON")
    func inspect() throws {
        let dir = try TemporaryDirectory()
        let input = try dir.write("m.json", String(repeating: "{\"w\": 1}\n", count: 20000))
        let keyPath = dir.url.appendingPathComponent("k.bin").path
        _ = try verdantRaw(["keygen", "--symmetric", "-o", keyPath])
        let sealed = dir.url.appendingPathComponent("m.sealed").path
        let made = try verdantRaw(["seal", "--passphrase", "--work-factor", "11", "--content-type", "model/verdant",
                                   "-o", sealed, input], environment: ["VERDANT_PASSPHRASE": "pw"])
        #expect(made.status == 0)
        let text = try verdantRaw(["inspect", sealed])
        #expect(text.status == 0)
        #expect(text.text.contains("content type: model/verdant\n"))
        #expect(text.text.contains("recipients:   1: passphrase (scrypt N = 2^11, r = 8, p = 1)\n"))
        #expect(text.text.contains("plaintext:    175.8 KiB (180000 bytes)\n"))
        #expect(text.text.contains("in 3 chunks"))
        #expect(!text.text.contains("pw"))
        let json = try jsonObject(try verdantRaw(["inspect", "--json", sealed]).text)
        #expect(json["plaintext_bytes"] as? Int == 180_000)
        #expect(json["chunks"] as? Int == 3)
        #expect(json["content_type"] as? String == "model/verdant")
        #expect((json["recipients"] as? [[String: Any]])?.count == 1)
        #expect(json["payload_length_valid"] as? Bool == true)
        // A file cut 10 bytes into a chunk: no valid payload has that length.
        let whole = try Data(contentsOf: URL(fileURLWithPath: sealed))
        let headerBytes = Int(whole[10]) << 8 | Int(whole[11])
        let piped = try verdantRaw(["inspect", "--json", "-"], stdin: whole.prefix(headerBytes + 65552 + 10))
        #expect(try jsonObject(piped.text)["payload_length_valid"] as? Bool == false)
        // A pipe by name (`<(…)`) and a folder (an audit found the first refused with exit 4, its
        // first bytes used up by probes, and the second crashing in a forced try).
        let small = try dir.write("s.txt", "hello")
        let smallSealed = dir.url.appendingPathComponent("s.sealed").path
        #expect(try verdantRaw(["seal", "--key-file", keyPath, "-o", smallSealed, small]).status == 0)
        // bash's process substitution, as a user writes it.
        func substituted(_ arguments: String, _ file: String) throws -> RawResult {
            try runProcess("/bin/bash", ["-c", "exec \"$0\" inspect \(arguments) <(cat \"$1\")", verdantExecutable, file])
        }
        let throughPipe = try substituted("--json", smallSealed)
        #expect(throughPipe.status == 0, "\(throughPipe.stderr)")
        #expect(try jsonObject(throughPipe.text)["plaintext_bytes"] as? Int == 5)
        let model = dir.url.appendingPathComponent("r.model").path
        #expect(try verdant(["train", "--data", "builtin:iris", "--model", "svm-rbf", "-o", model, "--no-energy-summary"]).status == 0)
        let modelPipe = try substituted("", model)
        #expect(modelPipe.status == 0 && modelPipe.text.contains("svm-rbf (Verdant model file"), "\(modelPipe.stderr)")
        let folder = try verdant(["inspect", dir.url.path])
        #expect(folder.status == 2 && folder.stderr.contains("is a directory; inspect reads one sealed file or model file"))
        expectNoTrace(folder)
    }

    @Test("every failure: its message, its exit status, no output file and no temporary file")
    func failures() throws {
        let dir = try TemporaryDirectory()
        let (idPath, recipient) = try newIdentity(in: dir)
        let other = dir.url.appendingPathComponent("other.key").path
        _ = try verdantRaw(["keygen", "-o", other])
        let input = try dir.write("data.csv", String(repeating: "1,2,3\n", count: 30000))  // 180 000 bytes: 3 chunks
        let sealedPath = dir.url.appendingPathComponent("data.sealed").path
        #expect(try verdantRaw(["seal", "-r", recipient, "-o", sealedPath, input]).status == 0)
        let sealed = try Data(contentsOf: URL(fileURLWithPath: sealedPath))
        let headerBytes = Int(sealed[10]) << 8 | Int(sealed[11])
        func variant(_ name: String, _ data: Data) throws -> String {
            let path = dir.url.appendingPathComponent(name).path
            try data.write(to: URL(fileURLWithPath: path))
            return path
        }
        var tamperedChunk = sealed
        tamperedChunk[headerBytes + 65552 + 10] ^= 1
        var tamperedHeader = sealed
        tamperedHeader[50] ^= 1  // inside the content type
        var version = sealed
        version[8] = 7
        let out = dir.url.appendingPathComponent("out.csv").path
        // Each way a sealed input fails has its own exit code (README, "Exit codes").
        let cases: [([String], String, Int32)] = [
            (["-i", other, sealedPath], "no identity opens this file: it is sealed for X25519 and you gave X25519", 3),
            (["-i", idPath, try variant("cut.sealed", sealed.prefix(headerBytes + 65552))],
             "truncated: the file ends after chunk 0, which is not the final chunk", 7),
            (["-i", idPath, try variant("head.sealed", sealed.prefix(headerBytes - 5))], "truncated", 7),
            (["-i", idPath, try variant("chunk.sealed", tamperedChunk)], "chunk 1 (at byte \(headerBytes + 65552)) failed authentication", 8),
            (["-i", idPath, try variant("header.sealed", tamperedHeader)], "the header was modified after sealing", 6),
            (["-i", idPath, try variant("v7.sealed", version)], "sealed file format version 7 is not supported", 5),
            (["-i", idPath, input], "not a Verdant sealed file (it starts with '1,2,3\\n1,'", 4),
            (["-i", idPath, try variant("appended.sealed", sealed + Data(count: 65552))], "failed authentication", 8),
            (["-i", idPath, dir.url.appendingPathComponent("missing").path], "cannot read '\(dir.url.appendingPathComponent("missing").path)': no such file", 2),
            (["-i", dir.url.appendingPathComponent("nokey").path, sealedPath], "nokey': no such file", 2),
            (["-i", input, sealedPath], "\(input):1: invalid identity", 2),
            ([sealedPath], "is sealed for X25519; give an identity (-i FILE), a passphrase (--passphrase) or a key file (--key-file FILE)", 2),
            (["--max-work-factor", "40", "-i", idPath, sealedPath], "--max-work-factor must be in 1...30, received 40", 2),
        ]
        for (arguments, message, code) in cases {
            let result = try verdantRaw(["unseal", "-o", out] + arguments)
            #expect(result.status == code, "\(arguments)")
            #expect(result.stderr.contains("verdant: error: ") && result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out), "\(arguments) left an output")
            #expect(!listing(dir.url).contains { $0.hasSuffix(".tmp") }, "\(arguments) left a temporary file")
            expectNoTrace(ProcessResult(status: result.status, stdout: "", stderr: result.stderr))
        }
        // To standard output: the authenticated chunks come out, then the error and status 7.
        let partial = try verdantRaw(["unseal", "-i", idPath, try variant("cut2.sealed", sealed.prefix(headerBytes + 2 * 65552))])
        #expect(partial.status == 7)
        #expect(partial.stdout.count == 65536)  // chunk 0; chunk 1 turned out to be a truncated stream's last
        #expect(partial.stderr.contains("truncated: the file ends after chunk 1"))

        var sealCases: [([String], String)] = [
            (["-o", out, input], "no recipient given: use -r RECIPIENT, -R FILE, --passphrase or --key-file FILE"),
            (["-o", out, "-r", "verdant1abc", input], "invalid recipient 'verdant1abc'"),
            (["-o", out, "-r", recipient, "--content-type", "CSV", input], "invalid content type 'CSV'"),
            (["-o", out, "-r", recipient, "--chunk-size", "1000", input], "--chunk-size: '1000' is not a power of two from 1K to 16M"),
            (["-o", out, "-r", recipient, "--passphrase", "--work-factor", "30", input], "--work-factor must be in 10...22, received 30"),
            (["-r", recipient, "-o", input, input], "is the input file; choose another -o"),
            (["-r", recipient, "-o", sealedPath, input], "exists; use --force to overwrite it"),
            (["-o", out, "-r", recipient, dir.url.path], "it is a directory"),
            (["-o", dir.url.appendingPathComponent("no/such/x.sealed").path, "-r", recipient, input], "/no/such' does not exist"),
            (["-o", out, "--passphrase-file", dir.url.appendingPathComponent("nope").path, input], "--passphrase-file: cannot read"),
            (["-o", out, "-r", recipient, "--passphrase-fd", "9", input], "--passphrase-fd 9: not an open file descriptor"),
            (["-o", out, "-r", recipient, "--passphrase-file", try dir.write("p.txt", "pw\n"), input],
             "a file sealed for a passphrase or a key file can have no other recipient; received X25519, passphrase"),
        ]
        // Without a terminal (a new session has none) and without $VERDANT_PASSPHRASE, a passphrase cannot be asked for.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/setsid") {
            sealCases.append((["--passphrase", "-o", out, input], "a passphrase is needed but there is no terminal"))
        }
        for (arguments, message) in sealCases {
            let noTerminal = arguments.first == "--passphrase"
            let result = noTerminal
                ? try verdantRawWithoutTerminal(["seal"] + arguments)
                : try verdantRaw(["seal"] + arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out))
        }
        #expect(!listing(dir.url).contains { $0.hasSuffix(".tmp") })
        #expect(try Data(contentsOf: URL(fileURLWithPath: sealedPath)) == sealed)
    }

    @Test("an identity file that others can read gives a warning")
    func permissionWarning() throws {
        let dir = try TemporaryDirectory()
        let (idPath, recipient) = try newIdentity(in: dir)
        chmod(idPath, 0o644)
        let sealed = try verdantRaw(["seal", "-r", recipient], stdin: Data("x".utf8))
        let opened = try verdantRaw(["unseal", "-i", idPath], stdin: sealed.stdout)
        #expect(opened.status == 0)
        #expect(opened.text == "x")
        #expect(opened.stderr.contains("verdant: warning: '\(idPath)' holds secret keys but others can access it (mode 644); run: chmod 600"))

        // keygen to standard output redirected to a file others can read: a warning; -o - is standard output.
        let redirected = dir.url.appendingPathComponent("printed.key").path
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "umask 022; \"$0\" keygen > \"$1\" 2> \"$1.err\"", verdantExecutable, redirected]
        try shell.run()
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0)
        #expect(try String(contentsOfFile: redirected, encoding: .utf8).contains("VERDANT-SECRET-KEY-1"))
        #expect(try String(contentsOfFile: redirected + ".err", encoding: .utf8)
            .contains("verdant: warning: the secret key is written to standard output, a file others can read (mode 644)"))
        let dash = try verdantRaw(["keygen", "-o", "-"])
        #expect(dash.status == 0 && dash.text.contains("VERDANT-SECRET-KEY-1") && !dash.stderr.contains("warning"))
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("-").path))
    }

    @Test("seal and unseal stream in bounded memory: 10× the input adds far less than the extra data to the peak (wait4's ru_maxrss)")
    func constantMemory() throws {
        let dir = try TemporaryDirectory()
        let key = dir.url.appendingPathComponent("k.bin").path
        #expect(try verdantRaw(["keygen", "--symmetric", "-o", key]).status == 0)
        var peaks: [String: Double] = [:]
        // 24 MiB already fills the largest batches (8 MiB of chunks on 2 threads); 240 MiB must cost
        // about the same. The allocator's per-thread arenas add up to a few batches under load.
        for (name, mebibytes) in [("small", 24), ("large", 240)] {
            let input = dir.url.appendingPathComponent("\(name).bin")
            try pseudoRandomData(mebibytes << 20).write(to: input)
            let sealed = dir.url.appendingPathComponent("\(name).sealed").path
            let opened = dir.url.appendingPathComponent("\(name).out").path
            for (step, arguments) in [("seal", ["seal", "--key-file", key, "--threads", "2", "-o", sealed, input.path]),
                                      ("unseal", ["unseal", "--key-file", key, "--threads", "2", "-o", opened, sealed])] {
                let run = try verdantRaw(["measure", "--json", "--model-only", "--", verdantExecutable] + arguments)
                #expect(run.status == 0, "\(run.stderr)")
                let job = try #require(try jsonObject(run.text)["job"] as? [String: Any])
                peaks["\(step) \(name)"] = try #require(job["peak_resident_bytes"] as? Double)
            }
            #expect(FileManager.default.contentsEqual(atPath: input.path, andPath: opened))
        }
        // A reader or writer that held the data would grow by at least the extra 216 MiB; streaming
        // stays within a few batches.
        for step in ["seal", "unseal"] {
            let growth = (peaks["\(step) large"] ?? 0) - (peaks["\(step) small"] ?? 0)
            #expect(growth < 64 * 1_048_576, "\(step): peak grew by \(growth / 1_048_576) MiB for 216 MiB more data; \(peaks)")
        }
    }

    @Test("unseal keeps an existing output unless --force, and a failed --force unseal keeps it too")
    func unsealExistingOutput() throws {
        let dir = try TemporaryDirectory()
        let (idPath, recipient) = try newIdentity(in: dir)
        let sealedPath = dir.url.appendingPathComponent("d.sealed").path
        #expect(try verdantRaw(["seal", "-r", recipient, "-o", sealedPath], stdin: Data("new contents".utf8)).status == 0)
        let target = try dir.write("d.txt", "old contents")
        let refused = try verdantRaw(["unseal", "-i", idPath, "-o", target, sealedPath])
        #expect(refused.status == 2 && refused.stderr.contains("'\(target)' exists; use --force to overwrite it"))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "old contents")
        var damaged = try Data(contentsOf: URL(fileURLWithPath: sealedPath))
        damaged[damaged.count - 3] ^= 1
        let damagedPath = dir.url.appendingPathComponent("bad.sealed").path
        try damaged.write(to: URL(fileURLWithPath: damagedPath))
        let failed = try verdantRaw(["unseal", "-i", idPath, "-o", target, "--force", damagedPath])
        #expect(failed.status == 8)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "old contents")
        #expect(!listing(dir.url).contains { $0.hasSuffix(".tmp") })
        #expect(try verdantRaw(["unseal", "-i", idPath, "-o", target, "--force", sealedPath]).status == 0)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "new contents")
    }

    @Test("an interrupted unseal leaves neither the output nor its temporary file")
    func interrupt() throws {
        let dir = try TemporaryDirectory()
        let keyPath = dir.url.appendingPathComponent("k.bin").path
        _ = try verdantRaw(["keygen", "--symmetric", "-o", keyPath])
        let sealed = try verdantRaw(["seal", "--key-file", keyPath, "--chunk-size", "1K"], stdin: Data(count: 3 << 20))
        #expect(sealed.status == 0)
        let out = dir.url.appendingPathComponent("out.bin").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: verdantExecutable)
        process.arguments = ["unseal", "--key-file", keyPath, "--threads", "1", "-o", out]
        let input = Pipe()
        process.standardInput = input
        process.standardError = Pipe()
        try process.run()
        // Two batches (1 MiB each at 1 KiB chunks and one thread), then nothing: the process waits
        // with its output open. The write returns once the process has taken all but a pipe
        // buffer (64 KiB) of it, so it is then past the header, writing plaintext to its temporary
        // file (unnamed where the file system allows, else hidden beside the target).
        input.fileHandleForWriting.write(sealed.stdout.prefix(2 * 1024 * 1040 + 500))
        usleep(200_000)
        #expect(process.isRunning)
        #expect(!FileManager.default.fileExists(atPath: out))
        process.interrupt()
        for _ in 0..<500 where process.isRunning { usleep(20_000) }
        let diedOfSignal = !process.isRunning
        // If the interrupt did not end it, end of input does (the test then fails below, but never hangs).
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(diedOfSignal)
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(listing(dir.url) == ["k.bin"])
    }

    @Test("an unsealed input is refused (exit 4) where a sealed one is expected: keys given or a .sealed name; --allow-plaintext accepts it")
    func plaintextRefused() throws {
        let dir = try TemporaryDirectory()
        let (idPath, recipient) = try newIdentity(in: dir)
        var csv = "a,b,label\n"
        for i in 0..<24 { csv += "\(Double(i % 5) / 5),\(Double(i % 7) / 7),\(i % 2 == 0 ? "x" : "y")\n" }
        let plain = try dir.write("data.csv", csv)
        let disguised = try dir.write("data.csv.sealed", csv)  // a plain file under a sealed file's name
        let model = dir.url.appendingPathComponent("model.json").path
        let out = dir.url.appendingPathComponent("out").path
        #expect(try verdant(["train", "--data", plain, "--model", "svm-linear", "-o", model, "--no-energy-summary"]).status == 0)
        let refusals: [([String], String)] = [
            (["train", "--data", plain, "-i", idPath, "--model", "svm-linear", "-o", out], plain),
            (["train", "--data", disguised, "--model", "svm-linear", "-o", out], disguised),
            (["kernel", "--data", plain, "-i", idPath, "--out", out + ".npy"], plain),
            (["predict", "--model", model, "--data", "builtin:iris", "-i", idPath, "-o", out], model),
            (["predict", "--model", model, "--data", disguised, "-o", out], disguised),
        ]
        for (arguments, culprit) in refusals {
            let result = try verdant(arguments + ["--no-energy-summary"])
            #expect(result.status == 4, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("verdant: error: \(culprit): refusing an unsealed file: "), "\(result.stderr)")
            #expect(result.stderr.contains("if you trust this plain file, pass --allow-plaintext"))
            #expect(!FileManager.default.fileExists(atPath: out) && !FileManager.default.fileExists(atPath: out + ".npy"))
        }
        #expect(try verdant(["train", "--data", disguised, "--model", "svm-linear", "-o", out, "--allow-plaintext",
                             "--no-energy-summary"]).status == 0)
        #expect(try verdant(["kernel", "--data", plain, "-i", idPath, "--allow-plaintext", "--out", out + ".npy",
                             "--no-energy-summary"]).status == 0)
        // Sealed inputs with the keys, and plain inputs without keys, are read as before.
        let sealed = dir.url.appendingPathComponent("real.sealed").path
        #expect(try verdant(["seal", "-r", recipient, "-o", sealed, plain]).status == 0)
        #expect(try verdant(["kernel", "--data", sealed, "-i", idPath, "--out", out + "2.npy", "--no-energy-summary"]).status == 0)
        #expect(try verdant(["kernel", "--data", plain, "--out", out + "3.npy", "--no-energy-summary"]).status == 0)
    }

    @Test("while secrets are held: $VERDANT_PASSPHRASE is gone from the process's environment and core dumps are off")
    func secretsInMemory() throws {
        let dir = try TemporaryDirectory()
        let out = dir.url.appendingPathComponent("o.sealed").path
        let secret = "hunter2-correct-horse-\(UInt32.random(in: 0...UInt32.max))"
        // Through a shell that allows core files (a soft limit of 4 MiB, where the hard limit permits), so
        // that a limit of 0 can only come from verdant.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "ulimit -S -c 4096 2>/dev/null; exec \"$0\" seal --passphrase --work-factor 10 -o \"$1\"",
                             verdantExecutable, out]
        var env = ProcessInfo.processInfo.environment
        env["VERDANT_PASSPHRASE"] = secret
        process.environment = env
        let input = Pipe()
        process.standardInput = input
        process.standardError = Pipe()
        try process.run()
        // The passphrase is read before the input: the process waits on its standard input meanwhile.
        let pid = process.processIdentifier
        func coreLimit() -> String {
            let limits = (try? String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)) ?? ""
            let line = limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") } ?? ""
            return line.split(separator: " ").dropFirst(4).prefix(2).joined(separator: " ")
        }
        func isVerdant() -> Bool {
            let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
            return String(decoding: command, as: UTF8.self).contains("--work-factor")
                && !String(decoding: command, as: UTF8.self).contains("ulimit")
        }
        var running = false
        for _ in 0..<500 where !running {
            running = isVerdant() && coreLimit() == "0 0"
            if !running { usleep(10_000) }
        }
        #expect(running, "verdant did not turn core dumps off (core limit: \(coreLimit()))")
        var scrubbed = false
        for _ in 0..<500 where !scrubbed {
            // Unreadable (a non-dumpable process's /proc files belong to root) or readable without the secret.
            let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ")
            scrubbed = environ.map { !String(decoding: $0, as: UTF8.self).contains(secret) } ?? true
            if !scrubbed { usleep(10_000) }
        }
        input.fileHandleForWriting.write(Data("x,y\n1,2\n".utf8))
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(scrubbed, "the passphrase stayed in /proc/\(pid)/environ")
        #expect(try verdantRaw(["unseal", "-o", "-", out], environment: ["VERDANT_PASSPHRASE": secret]).text == "x,y\n1,2\n")
    }

    @Test("a secret key passed as a recipient is never echoed; passphrases must be UTF-8 from a file, a descriptor or the terminal")
    func secretsNotEchoed() throws {
        let dir = try TemporaryDirectory()
        let (idPath, _) = try newIdentity(in: dir)
        let secretLine = try #require(try String(contentsOfFile: idPath, encoding: .utf8).split(separator: "\n").last.map(String.init))
        let data = String(secretLine.dropFirst("VERDANT-SECRET-KEY-1".count))
        let input = try dir.write("in.txt", "hello\n")
        for recipient in [secretLine, try String(contentsOfFile: idPath, encoding: .utf8), secretLine.lowercased()] {
            let result = try verdantRaw(["seal", "-r", recipient, "-o", dir.url.appendingPathComponent("x").path, input])
            #expect(result.status == 2)
            #expect(result.stderr.contains("not shown: it may be a secret key"), "\(result.stderr)")
            #expect(!result.stderr.lowercased().contains(data.prefix(10).lowercased()), "\(result.stderr)")
        }
        // A passphrase file that is not UTF-8.
        let latin1 = dir.url.appendingPathComponent("latin1.txt")
        try Data([0x63, 0x61, 0x66, 0xE9, 0x0A]).write(to: latin1)
        let bad = try verdantRaw(["seal", "--passphrase-file", latin1.path, "-o", dir.url.appendingPathComponent("y").path, input])
        #expect(bad.status == 2 && bad.stderr.contains("is not UTF-8 text"), "\(bad.stderr)")
        // Typed on a terminal (script(1) gives the process a pseudo-terminal): invalid UTF-8 is refused too.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            print("skipped the terminal prompt check: /usr/bin/script (util-linux) is not installed")
            return
        }
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        let command = "\(verdantExecutable) seal --passphrase --work-factor 10 -o \(dir.url.appendingPathComponent("z").path) \(input)"
        shell.arguments = ["-qec", command, "/dev/null"]
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "VERDANT_PASSPHRASE")
        shell.environment = env
        let typed = Pipe(), printed = Pipe()
        shell.standardInput = typed
        shell.standardOutput = printed
        shell.standardError = printed
        try shell.run()
        usleep(300_000)
        typed.fileHandleForWriting.write(Data([0x66, 0xFF, 0xFE, 0x0A]))
        usleep(300_000)
        try? typed.fileHandleForWriting.close()
        let transcript = String(decoding: printed.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 2, "\(transcript)")
        #expect(transcript.contains("the passphrase typed is not valid UTF-8 text"), "\(transcript)")
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent("z").path))
    }

    @Test("seal and unseal --help tell the true exit statuses and read passphrases from files or descriptors (golden lines)")
    func helpTexts() throws {
        let unseal = try verdant(["unseal", "--help"]).stdout.replacingOccurrences(of: "\n", with: " ")
            .split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
        for line in ["Exit status: 0 the whole file authenticated; 3 no key given opens it (wrong key or passphrase); 4 not a sealed file;",
                     "5 an unsupported format version; 6 the header was modified or is malformed; 7 truncated (in the header or at a chunk boundary before the final chunk);",
                     "8 a chunk failed authentication (modified, reordered, duplicated or appended data, or a file cut inside a chunk, "
                        + "which the format cannot tell from a change; the message names the chunk);",
                     "2 bad options or key files; 1 a system failure (e.g. the disk is full).",
                     "--passphrase-fd <n>"] {
            #expect(unseal.contains(line), "unseal --help lacks: \(line)")
        }
        #expect(!unseal.contains("exit status 2 after the authenticated part"))
        let seal = try verdant(["seal", "--help"]).stdout
        #expect(seal.contains("verdant seal --passphrase-file pass.txt -o model.sealed model.json"))
        #expect(seal.contains("verdant seal --passphrase-fd 3 -o model.sealed model.json 3<pass.txt"))
        #expect(!seal.contains("VERDANT_PASSPHRASE=…"))
        for command in ["train", "predict", "kernel"] {
            let help = try verdant([command, "--help"]).stdout
            #expect(help.contains("--allow-plaintext") && help.contains("--passphrase-fd"), "\(command) --help")
        }
    }

    @Test("bench --suite privacy reports seal and open throughput and key wraps")
    func bench() throws {
        let result = try verdantRaw(["bench", "--suite", "privacy", "--size", "2M", "--repeats", "1", "--threads", "1,2", "--work-factor", "10",
                                      "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try jsonObject(result.text)
        let results = try #require(json["results"] as? [[String: Any]])
        #expect(results.map { "\($0["case"] ?? "") \($0["threads"] ?? "")" } == ["seal 1", "open 1", "seal 2", "open 2"])
        for r in results {
            #expect((r["gb_per_s"] as? Double ?? 0) > 0)
            #expect(r["bytes"] as? Int == 2 << 20)
        }
        let wraps = try #require(json["key_wraps"] as? [[String: Any]])
        #expect(wraps.compactMap { $0["recipient"] as? String } == ["x25519", "key-file", "passphrase-scrypt-2^10"])
        let table = try verdantRaw(["bench", "--suite", "privacy", "--size", "64K", "--repeats", "1", "--threads", "1", "--work-factor", "10"])
        #expect(table.text.contains("GB/s per thread"))
        let bad = try verdantRaw(["bench", "--suite", "privacy", "--size", "lots"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("'lots' is not a size"))
    }
}

/// `count` bytes that do not compress, from a fixed generator.
func pseudoRandomData(_ count: Int) -> Data {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    var data = Data(count: count)
    data.withUnsafeMutableBytes { raw in
        let words = raw.bindMemory(to: UInt64.self)
        for i in words.indices {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            words[i] = z ^ (z >> 31)
        }
    }
    return data
}

/// `verdant keygen -o DIR/me.key`: the identity file's path and its recipient string.
func newIdentity(in dir: TemporaryDirectory, name: String = "me.key") throws -> (path: String, recipient: String) {
    let path = dir.url.appendingPathComponent(name).path
    return (path, try verdantRaw(["keygen", "-o", path]).text.trimmingCharacters(in: .newlines))
}
