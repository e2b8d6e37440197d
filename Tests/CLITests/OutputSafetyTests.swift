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
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        #expect(lstat(link, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
    }
}
