import Communication
import Foundation

// Data that is not sharded must be the same on every rank: each rank reads `--data` at the same
// path, and the ranks split the work on it (kernel tiles, gradient batches). The same path on two
// hosts can hold different files; the ranks would then compute a kernel or a model of neither.
// So the ranks compare a fingerprint of what they loaded, as they compare their options.

/// A fingerprint of loaded samples: 64-bit FNV-1a over the feature names, the features' bit
/// patterns and the labels (class names or targets). It finds accidental differences (another
/// copy of a file, a different export) — not a defence against a rank that lies.
struct SampleFingerprint {
    private(set) var value: UInt64 = 0xCBF2_9CE4_8422_2325

    mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01B3
        }
    }

    mutating func add(_ text: String) { add(text.utf8); add([0]) }

    mutating func add(_ number: Double) { add(withUnsafeBytes(of: number.bitPattern.littleEndian) { Array($0) }) }

    init(_ data: Dataset) {
        for name in data.featureNames { add(name) }
        for x in data.features.values { add(x) }
        for label in data.labels { add(data.classes[label]) }
    }

    init(_ data: RegressionData) {
        for name in data.featureNames { add(name) }
        for x in data.features.values { add(x) }
        for y in data.targets { add(y) }
    }

    init(features: Matrix) {
        for x in features.values { add(x) }
    }
}

enum SameSamples {
    /// Throws on every rank when some rank loaded other samples than rank 0 (one allgather; a
    /// world of one returns at once).
    /// - Parameters:
    ///   - loaded: each data set this rank loaded, by the name the user gave it, with its fingerprint.
    ///   - communicator: the ranks (nil: one process).
    /// - Throws: ``QuantumMLError/data(location:found:valid:)`` naming the first rank that differs.
    static func check(_ loaded: [(name: String, fingerprint: SampleFingerprint)], over communicator: (any Communicator)?) throws {
        guard let communicator, communicator.size > 1 else { return }
        var bytes: [UInt8] = []
        for part in loaded { withUnsafeBytes(of: part.fingerprint.value.littleEndian) { bytes += $0 } }
        let all = try communicator.allgather(bytes)
        for (rank, other) in all.enumerated() where other != all[0] {
            var part = 0
            while part < loaded.count - 1, (part + 1) * 8 <= min(other.count, all[0].count),
                  Array(other[(part * 8)..<(part * 8 + 8)]) == Array(all[0][(part * 8)..<(part * 8 + 8)]) {
                part += 1
            }
            let name = loaded[part].name
            throw QuantumMLError.data(
                location: name, found: "rank \(rank) loaded other samples from it than rank 0 (the same path holds different data on their hosts)",
                valid: "the same data on every rank: the same file at the same path on every node; to train on each site's own rows, "
                    + "shard them (--data 'site-{rank}.csv', vqc and vqr)")
        }
    }
}

/// `body` on every rank with the outcome agreed (``TrainingRun/agree(_:_:)``) when there are
/// several ranks; else `body` alone.
func agreeIfDistributed<T>(_ communicator: (any Communicator)?, _ body: () throws -> T) throws -> T {
    guard let communicator, communicator.size > 1 else { return try body() }
    return try TrainingRun.agree(communicator, body)
}
