import Foundation
import Testing
import Verdant
#if canImport(Glibc)
import Glibc
#endif

/// Outputs never replace an input, another output, a device or a pipe (found by an audit: with
/// `--force`, `predict -o /dev/null` as root replaced the device with a file, and
/// `train --data d.csv -o d.csv` replaced the data with the model).
@Suite("outputs: never an input, another output, a device or a pipe")
struct OutputSafetyTests {
    static let csv = "a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n2,2,x\n4,3,y\n"

    @Test("an output that is an input or another output is refused before any work, even with --force, and nothing changes")
    func outputsAreNotInputs() throws {
        let folder = try TemporaryDirectory()
        let data = try folder.write("d.csv", Self.csv)
        let model = folder.url.appendingPathComponent("m.model").path
        func refused(_ arguments: [String], _ expected: String) throws {
            let result = try verdant(arguments + ["--no-energy-summary"])
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
        try refused(["train", "--data", data, "-o", data, "--force"], "-o '\(data)' is also an input (--data '\(data)')")
        try refused(["train", "--data", data, "-o", model, "--report", model], "--report '\(model)' is also the file of -o ('\(model)')")
        try refused(["train", "--data", data, "-o", model, "--energy-report", data], "--energy-report '\(data)' is also an input (--data")
        // The same file by another name: a hard link.
        let link = folder.url.appendingPathComponent("link.csv").path
        try FileManager.default.linkItem(atPath: data, toPath: link)
        try refused(["kernel", "--data", data, "--out", link, "--force"], "--out '\(link)' is also an input (--data '\(data)')")
        #expect(try String(contentsOfFile: data, encoding: .utf8) == Self.csv)
        #expect(!FileManager.default.fileExists(atPath: model))
        #expect(try verdant(["train", "--data", data, "-o", model, "--no-energy-summary"]).status == 0)
        let trained = try Data(contentsOf: URL(fileURLWithPath: model))
        try refused(["predict", "--model", model, "--data", data, "-o", model, "--force"], "-o '\(model)' is also an input (--model '\(model)')")
        #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == trained)
    }

    @Test("a plain model or predictions made from sealed data are the owner's only (mode 600), with a warning; sealed ones need neither")
    func plainOutputsOfSealedData() throws {
        let folder = try TemporaryDirectory()
        let (identity, recipient) = try newIdentity(in: folder)
        let plain = try folder.write("d.csv", Self.csv)
        let sealed = folder.url.appendingPathComponent("d.csv.sealed").path
        #expect(try verdant(["seal", "-r", recipient, "-o", sealed, plain]).status == 0)
        func mode(_ path: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue ?? -1
        }
        let model = folder.url.appendingPathComponent("m.model").path
        let trained = try verdant(["train", "--data", sealed, "-i", identity, "-o", model, "--no-energy-summary"])
        #expect(trained.status == 0, "\(trained.stderr)")
        #expect(trained.stderr.contains("warning: the model \(model) is written unsealed, from sealed inputs"))
        #expect(try mode(model) == 0o600)
        let sealedModel = folder.url.appendingPathComponent("m.sealed").path
        let sealedRun = try verdant(["train", "--data", sealed, "-i", identity, "-r", recipient, "-o", sealedModel, "--no-energy-summary"])
        #expect(sealedRun.status == 0 && !sealedRun.stderr.contains("warning"), "\(sealedRun.stderr)")
        let predictions = folder.url.appendingPathComponent("p.csv").path
        let predicted = try verdant(["predict", "--model", sealedModel, "--data", sealed, "-i", identity, "-o", predictions,
                                     "--no-energy-summary"])
        #expect(predicted.status == 0, "\(predicted.stderr)")
        #expect(predicted.stderr.contains("warning: the predictions \(predictions) is written unsealed"))
        #expect(try mode(predictions) == 0o600)
        // Plain data: no warning, the usual mode; sealed output: no warning.
        let fromPlain = folder.url.appendingPathComponent("plain.model").path
        let quiet = try verdant(["train", "--data", plain, "-o", fromPlain, "--no-energy-summary"])
        #expect(quiet.status == 0 && !quiet.stderr.contains("warning"))
        #expect(try mode(fromPlain) != 0o600)
    }

    @Test("kernel seals its matrix with -r (npy and CSV, file and standard output); a plain one from sealed data is mode 600")
    func kernelOutputsOfSealedData() throws {
        // An audit found `kernel -r R --out K.npy` wrote the matrix in plaintext, mode 644.
        let folder = try TemporaryDirectory()
        let (identity, recipient) = try newIdentity(in: folder)
        let plain = try folder.write("d.csv", Self.csv)
        let sealed = folder.url.appendingPathComponent("d.csv.sealed").path
        #expect(try verdant(["seal", "-r", recipient, "-o", sealed, plain]).status == 0)
        let reference = folder.url.appendingPathComponent("ref.npy").path
        #expect(try verdant(["kernel", "--data", plain, "--out", reference, "--no-energy-summary"]).status == 0)
        for name in ["k.npy.sealed", "k.csv.sealed", "k.npy"] {
            let out = folder.url.appendingPathComponent(name).path
            let run = try verdant(["kernel", "--data", sealed, "-i", identity, "-r", recipient, "--out", out, "--no-energy-summary"])
            #expect(run.status == 0 && run.stderr.contains("(sealed)") && !run.stderr.contains("warning"), "\(run.stderr)")
            #expect(SealedFile.isSealed(atPath: out), "\(name)")
            let opened = folder.url.appendingPathComponent("opened-" + name).path
            #expect(try verdant(["unseal", "-i", identity, "-o", opened, out]).status == 0)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: opened))
            if name.contains("npy") {
                #expect(bytes == (try Data(contentsOf: URL(fileURLWithPath: reference))), "\(name)")
            } else {
                #expect(String(decoding: bytes, as: UTF8.self).split(separator: "\n").count == 6)
            }
        }
        let toStdout = try verdantRaw(["kernel", "--data", sealed, "-i", identity, "-r", recipient, "--no-energy-summary"])
        #expect(toStdout.status == 0 && toStdout.stdout.starts(with: [0x89, 0x56, 0x53, 0x45, 0x41, 0x4C]), "\(toStdout.stderr)")
        let plainOut = folder.url.appendingPathComponent("plain.csv").path
        let run = try verdant(["kernel", "--data", sealed, "-i", identity, "--out", plainOut, "--no-energy-summary"])
        #expect(run.status == 0 && run.stderr.contains("warning: the kernel matrix \(plainOut) is written unsealed"), "\(run.stderr)")
        #expect((try FileManager.default.attributesOfItem(atPath: plainOut)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let misnamed = try verdant(["kernel", "--data", plain, "--out", folder.url.appendingPathComponent("x.csv.sealed").path])
        #expect(misnamed.status == 2 && misnamed.stderr.contains("ends in .sealed, but no -r, -R, --key-file or --passphrase seals it"))
    }

    @Test("one-character output names are written in the working folder (they crashed every atomic writer)")
    func oneCharacterNames() throws {
        let folder = try TemporaryDirectory()
        let keygen = try verdant(["keygen", "-o", "k"], directory: folder.url)
        #expect(keygen.status == 0 && FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("k").path), "\(keygen.stderr)")
        let measured = try verdant(["measure", "--energy-report", "a", "--no-energy-summary", "--", "sh", "-c", "exit 5"], directory: folder.url)
        #expect(measured.status == 5 && FileManager.default.fileExists(atPath: folder.url.appendingPathComponent("a").path), "\(measured.stderr)")
    }

    @Test("a device or pipe as the output is refused, with and without --force, and stays what it was")
    func devicesAndPipes() throws {
        let folder = try TemporaryDirectory()
        let data = try folder.write("d.csv", Self.csv)
        let fifo = folder.url.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let link = folder.url.appendingPathComponent("to-fifo.csv").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: fifo)
        for (arguments, option) in [(["train", "--data", data, "-o", fifo, "--force"], "-o"), (["kernel", "--data", data, "--out", link, "--force"], "--out")] {
            let result = try verdant(arguments + ["--no-energy-summary"])
            #expect(result.status == 2, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("\(option) '\(arguments[4])': it is a pipe, not a file"), "\(result.stderr)")
        }
        // keygen and seal write through AtomicFile: refused there.
        let sealed = try verdant(["seal", "--passphrase-file", data, "-o", fifo, "--force", data])
        #expect(sealed.status != 0 && sealed.stderr.contains("it is a pipe, not a file"), "\(sealed.stderr)")
        // Without --force the message must not suggest it (it would not help).
        let unforced = try verdant(["seal", "--passphrase-file", data, "-o", fifo, data])
        #expect(unforced.status == 2 && unforced.stderr.contains("it is a pipe, not a file") && !unforced.stderr.contains("--force"),
                "\(unforced.stderr)")
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        #expect(lstat(link, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
        // A link into /proc, as /dev/stdout is: when standard output was a file, `unseal -o
        // /dev/stdout --force` replaced the system's /dev/stdout link with a regular file.
        let stdoutLink = folder.url.appendingPathComponent("stdout").path
        try FileManager.default.createSymbolicLink(atPath: stdoutLink, withDestinationPath: "/proc/self/fd/1")
        let sealedData = folder.url.appendingPathComponent("d.sealed").path
        #expect(try verdant(["seal", "--passphrase-file", data, "--work-factor", "10", "-o", sealedData, data]).status == 0)
        let unsealed = try verdant(["unseal", "--passphrase-file", data, "-o", stdoutLink, "--force", sealedData])
        #expect(unsealed.status != 0 && unsealed.stderr.contains("it is a link to a process's open file ('/proc/self/fd/1')"),
                "\(unsealed.stderr)")
        let trained = try verdant(["train", "--data", data, "-o", stdoutLink, "--force", "--no-energy-summary"])
        #expect(trained.status == 2 && trained.stderr.contains("a link to a process's open file"), "\(trained.stderr)")
        #expect(lstat(stdoutLink, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
    }

    @Test("report: its output is never an input, a file of an input folder, or a data or key file, even with --force")
    func reportInputs() throws {
        let folder = try TemporaryDirectory()
        let data = try folder.write("d.csv", Self.csv)
        let model = folder.url.appendingPathComponent("m.model").path
        #expect(try verdant(["train", "--data", data, "-o", model, "--no-energy-summary"]).status == 0)
        let trained = try Data(contentsOf: URL(fileURLWithPath: model))
        let work = folder.url.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: false)
        let inside = work.appendingPathComponent("m.model").path
        try FileManager.default.copyItem(atPath: model, toPath: inside)
        for (arguments, expected) in [
            (["report", model, "-o", model, "--force"], "-o '\(model)' is also an input (the input '\(model)')"),
            (["report", model, "--data", data, "-o", data, "--force"], "-o '\(data)' is also an input (--data '\(data)')"),
            (["report", work.path, "-o", inside, "--force"], "is a file of the input folder '\(work.path)'"),
        ] {
            let result = try verdant(arguments)
            #expect(result.status == 2 && result.stderr.contains(expected), "\(arguments): \(result.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == trained)
        #expect(try Data(contentsOf: URL(fileURLWithPath: inside)) == trained)
        #expect(try String(contentsOfFile: data, encoding: .utf8) == Self.csv)
        // A new file in the folder is fine.
        #expect(try verdant(["report", work.path, "--data", data, "-o", work.appendingPathComponent("r.html").path]).status == 0)
    }

    @Test("--energy-report is checked before the work: an existing file needs --force, a device is refused; measure's --csv too")
    func energyReportFile() throws {
        let folder = try TemporaryDirectory()
        let data = try folder.write("d.csv", Self.csv)
        let kept = try folder.write("keep.json", "{\"keep\": 1}")
        let model = folder.url.appendingPathComponent("m.model").path
        func refused(_ arguments: [String], _ expected: String) throws {
            let result = try verdant(arguments)
            #expect(result.status == 2 && result.stderr.contains(expected), "\(arguments): \(result.stderr)")
            #expect(!result.stdout.contains("RAN"), "the command ran before the refusal: \(arguments)")
        }
        try refused(["measure", "--energy-report", kept, "--", "sh", "-c", "echo RAN"], "--energy-report '\(kept)' exists; use --force")
        try refused(["measure", "--energy-report", "/dev/null", "--", "sh", "-c", "echo RAN"], "--energy-report '/dev/null': it is a character device")
        try refused(["measure", "--csv", "/dev/null", "--", "sh", "-c", "echo RAN"], "--csv '/dev/null': it is a character device")
        let same = folder.url.appendingPathComponent("same").path
        try refused(["measure", "--energy-report", same, "--csv", same, "--", "sh", "-c", "echo RAN"], "--csv '\(same)' is also the file of --energy-report")
        try refused(["train", "--data", data, "-o", model, "--energy-report", kept], "--energy-report '\(kept)' exists; use --force")
        #expect(!FileManager.default.fileExists(atPath: model), "the model was written before the refusal")
        #expect(try String(contentsOfFile: kept, encoding: .utf8) == "{\"keep\": 1}")
        // bench has its own --force for it.
        let bench = ["bench", "--suite", "parallel", "--cases", "tasks", "--tasks", "10", "--repeats", "1", "--energy-report", kept,
                     "--no-energy-summary"]
        try refused(bench, "--energy-report '\(kept)' exists; use --force")
        #expect(try verdant(bench + ["--force"]).status == 0)
        #expect(try String(contentsOfFile: kept, encoding: .utf8).contains("\"joules\""))
        try Data("{\"keep\": 1}".utf8).write(to: URL(fileURLWithPath: kept))
        // With --force the report replaces it, and measure passes the command's exit status through.
        let forced = try verdant(["measure", "--energy-report", kept, "--force", "--no-energy-summary", "--", "sh", "-c", "exit 5"])
        #expect(forced.status == 5)
        #expect(try String(contentsOfFile: kept, encoding: .utf8).contains("\"joules\""))
    }
}
