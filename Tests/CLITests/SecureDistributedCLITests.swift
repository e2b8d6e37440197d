import Foundation
import Testing
import _TestSupport
import Verdant

/// A fresh scratch folder for one test.
private func scratchFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-secure-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

@Suite("secure distributed options: keygen --cluster-key, --encrypt-traffic, --secure-aggregation", .serialized)
struct SecureDistributedCLITests {
    @Test("keygen --cluster-key writes a 32-byte key with mode 600 and says how to use it; refuses what cannot be combined")
    func keygen() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("cluster.key").path
        let made = try verdant(["keygen", "--cluster-key", "-o", path])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stderr.contains("wrote a 256-bit cluster key to \(path) (mode 600); give the same file to every rank"))
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == 32)
        _ = try RawKey(contentsOfFile: path)
        // A hexadecimal key with one wrong digit is named as such, not by its byte count.
        let typo = path + ".hex"
        try Data((String(repeating: "ab", count: 20) + "g" + String(repeating: "c", count: 23) + "\n").utf8).write(to: URL(fileURLWithPath: typo))
        #expect(thrownMessage { _ = try RawKey(contentsOfFile: typo) }
            == "\(typo): not a key file: its 64 characters are not all hexadecimal digits ('g' at character 41) "
                + "(a key file holds 32 raw bytes or 64 hexadecimal digits)")
        // An existing key is kept unless --force.
        let again = try verdant(["keygen", "--cluster-key", "-o", path])
        #expect(again.status != 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == 32)
        let both = try verdant(["keygen", "--cluster-key", "--symmetric", "-o", path + "2"])
        #expect(both.status == 2)
        #expect(both.stderr.contains("--symmetric and --cluster-key both make a raw key; give one of them"))
        #expect(!FileManager.default.fileExists(atPath: path + "2"))
    }

    @Test("train, kernel and predict run with the layers on one rank, and give the same results as without them")
    func oneRank() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = folder.appendingPathComponent("cluster.key").path
        #expect(try verdant(["keygen", "--cluster-key", "-o", key]).status == 0)
        let plain = folder.appendingPathComponent("plain.model").path, secure = folder.appendingPathComponent("secure.model").path
        let common = ["train", "--data", "builtin:iris", "--model", "vqc", "--epochs", "2", "--no-energy-summary", "--json"]
        let a = try verdant(common + ["-o", plain])
        let b = try verdant(common + ["-o", secure, "--secure-aggregation", "--encrypt-traffic", "--cluster-key", key])
        #expect(a.status == 0 && b.status == 0, "\(b.stderr)")
        let weights = { (path: String) throws -> Any? in (try jsonObject(String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)))["weights"] }
        #expect("\(try weights(plain) ?? "none")" == "\(try weights(secure) ?? "none")")
        let kernel = folder.appendingPathComponent("K.csv").path
        let k = try verdant(["kernel", "--data", "builtin:iris", "--encrypt-traffic", "--cluster-key", key, "--out", kernel])
        #expect(k.status == 0, "\(k.stderr)")
        let predictions = folder.appendingPathComponent("p.csv").path
        let p = try verdant(["predict", "--model", plain, "--data", "builtin:iris", "--encrypt-traffic", "--cluster-key", key, "-o", predictions,
                             "--no-energy-summary"])
        #expect(p.status == 0, "\(p.stderr)")
    }

    @Test("refusals: no cluster key for either layer, an unused key, secure aggregation for a kernel model, an unreadable key", arguments: [
        (["train", "--data", "builtin:iris", "--model", "vqc", "-o", "/tmp/verdant-never.model", "--encrypt-traffic"], 2,
         "--encrypt-traffic needs --cluster-key FILE: the key every rank holds, which authenticates the ranks to each other"),
        // Only the options the command has: kernel and predict have no --secure-aggregation.
        (["kernel", "--data", "builtin:iris", "--cluster-key", "/tmp/k"], 2,
         "--cluster-key /tmp/k is used only with --encrypt-traffic; add it, or drop --cluster-key"),
        (["train", "--data", "builtin:iris", "--model", "vqc", "-o", "/tmp/verdant-never.model", "--cluster-key", "/tmp/k"], 2,
         "--cluster-key /tmp/k is used only with --encrypt-traffic or --secure-aggregation; add one of them, or drop --cluster-key"),
        // Masks seeded by an unauthenticated handshake would protect less than the option says.
        (["train", "--data", "builtin:iris", "--model", "vqc", "-o", "/tmp/verdant-never.model", "--secure-aggregation"], 2,
         "--secure-aggregation needs --cluster-key FILE: the ranks agree on their masks in a handshake that only the key every rank holds authenticates"),
        (["train", "--data", "builtin:iris", "--model", "qsvm", "-o", "/tmp/verdant-never.model", "--secure-aggregation"], 2,
         "--secure-aggregation masks the gradients that vqc and vqr sum over the ranks; --model qsvm exchanges kernel tiles, not sums"),
        (["predict", "--model", "/tmp/verdant-never.model", "--data", "builtin:iris", "-o", "/tmp/verdant-never.csv", "--secure-aggregation"], 2,
         "Unknown option '--secure-aggregation'"),
        (["train", "--data", "builtin:iris", "--model", "vqc", "-o", "/tmp/verdant-never.model", "--encrypt-traffic", "--cluster-key",
          "/nonexistent/cluster.key"], 2, "cannot read '/nonexistent/cluster.key'"),
    ])
    func refusals(arguments: [String], status: Int32, message: String) throws {
        let result = try verdant(arguments)
        #expect(result.status == status, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/verdant-never.model"))
        expectNoTrace(result)
    }
}
