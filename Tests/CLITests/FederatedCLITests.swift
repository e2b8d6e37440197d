import Foundation
import Testing

/// `--data 'site-{rank}.csv'` outside a multi-rank run, and where shards cannot be used: clear
/// refusals with exit status 2 and no model file. (The shards themselves are trained under mpirun
/// in .ci/run and by QuantumMLTests' FederatedTrainingTests on in-process ranks.)
@Suite("federated shards: the CLI's refusals", .serialized)
struct FederatedCLITests {
    @Test("train on a {rank} path: one rank, a kernel model, a plain --test; predict and kernel refuse shards", arguments: [
        (["train", "--model", "vqc"], "in a run of one rank: {rank} names one shard per MPI rank, and this process is the only one"),
        (["train", "--model", "qsvm"], "a kernel SVM needs the kernel of every pair of training rows, so rows would have to leave their sites"),
        (["train", "--model", "svm-rbf"], "a kernel SVM needs the kernel of every pair of training rows"),
        (["train", "--model", "vqc", "--test", "TEST"], "a test set that is not sharded"),
        (["predict", "--model", "MODEL"], "a path with {rank} (one shard per MPI rank)"),
    ])
    func refusals(arguments: [String], message: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-fed-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let site = folder.appendingPathComponent("site-0.csv").path
        let model = folder.appendingPathComponent("m.model").path, output = folder.appendingPathComponent("out").path
        #expect(try verdant(["train", "--data", "builtin:iris", "--model", "svm-linear", "-o", model, "--no-energy-summary"]).status == 0)
        try "x,y\n1,a\n2,b\n".write(toFile: site, atomically: true, encoding: .utf8)
        let pattern = folder.appendingPathComponent("site-{rank}.csv").path
        let filled = arguments.map { $0 == "TEST" ? site : $0 == "MODEL" ? model : $0 }
        let run = try verdant(filled + ["--data", pattern, "-o", output, "--no-energy-summary"])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains(message), "\(run.stderr)")
        #expect(!run.stderr.contains("Fatal error"))
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
