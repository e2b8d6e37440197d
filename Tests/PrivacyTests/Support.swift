import Crypto
import Foundation
import Testing
@testable import Privacy

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
let vectorsFolder = fixtures.appendingPathComponent("vectors")

/// The expected outcome of opening, as named in Fixtures/vectors/manifest.json.
enum Outcome: Equatable, CustomStringConvertible {
    case success
    case failure(String, chunk: Int?)

    var description: String {
        switch self {
        case .success: "success"
        case .failure(let name, let chunk): chunk.map { "\(name) (chunk \($0))" } ?? name
        }
    }

    /// The manifest's name for an error, and the chunk it names.
    init(_ error: Error) {
        guard let error = error as? PrivacyError else {
            self = .failure("not a PrivacyError: \(error)", chunk: nil)
            return
        }
        switch error {
        case .notSealed: self = .failure("not-sealed", chunk: nil)
        case .unsupportedVersion: self = .failure("unsupported-version", chunk: nil)
        case .headerTruncated: self = .failure("header-truncated", chunk: nil)
        case .headerMalformed: self = .failure("header-malformed", chunk: nil)
        case .headerModified: self = .failure("header-modified", chunk: nil)
        case .noMatchingIdentity: self = .failure("no-match", chunk: nil)
        case .workFactorTooHigh: self = .failure("work-factor", chunk: nil)
        case .truncated(_, let after): self = .failure("truncated", chunk: after)
        case .chunkFailed(_, let chunk, _, _): self = .failure("chunk-failed", chunk: chunk)
        case .trailingData(_, let after): self = .failure("trailing-data", chunk: after)
        case .payloadMalformed(_, let chunk, _): self = .failure("payload-malformed", chunk: chunk)
        default: self = .failure("other: \(error)", chunk: nil)
        }
    }
}

/// Opens sealed bytes completely, or returns the failure.
func outcome(_ sealed: Data, _ identities: [Identity], threads: Int = 1, chunkedReads: Int? = nil) -> (Outcome, Data) {
    var released = Data()
    do {
        let reader = try SealedReader(from: .data(sealed), identities: identities, options: OpenOptions(threads: threads), name: "test")
        if let size = chunkedReads {
            var buffer = [UInt8](repeating: 0, count: size)
            while true {
                let n = try buffer.withUnsafeMutableBytes { try reader.read(into: $0) }
                if n == 0 { break }
                released.append(contentsOf: buffer[0..<n])
            }
        } else {
            try reader.copy(to: ByteSink { released.append(contentsOf: $0) })
        }
        return (.success, released)
    } catch {
        return (Outcome(error), released)
    }
}

/// Deterministic bytes: a seeded xorshift stream.
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> Data {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    var bytes = [UInt8](repeating: 0, count: count)
    for i in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[i] = UInt8(truncatingIfNeeded: state >> 24)
    }
    return Data(bytes)
}

/// Seals with a fixed file key and fixed "random" salts, so two runs give the same bytes.
func deterministicSeal(_ plaintext: Data, recipients: [Recipient], chunkSize: Int, threads: Int,
                       contentType: String = "application/octet-stream", fileKey: [UInt8] = Array(0..<32),
                       pieces: Int? = nil, fromSource: Bool = false) throws -> Data {
    var counter: UInt8 = 0
    let (sink, collected) = ByteSink.collecting()
    let writer = try SealedWriter(to: sink, recipients: recipients, contentType: contentType,
                                  options: SealOptions(chunkSize: chunkSize, threads: threads),
                                  fileKey: SymmetricKey(data: fileKey)) { count in
        counter &+= 1
        return [UInt8](repeating: counter, count: count)
    }
    if fromSource {
        // A source that returns uneven, short reads, as a pipe does.
        var offset = 0, step = 1
        try writer.write(contentsOf: ByteSource { buffer in
            let count = min(buffer.count, plaintext.count - offset, step)
            guard count > 0 else { return 0 }
            plaintext.copyBytes(to: buffer.bindMemory(to: UInt8.self), from: offset..<(offset + count))
            offset += count
            step = step * 5 % 4099 + 1
            return count
        })
    } else if let pieces, pieces > 1 {
        // Feed the plaintext in uneven pieces to exercise the writer's buffering.
        var offset = 0, step = 1
        while offset < plaintext.count {
            let end = min(plaintext.count, offset + step)
            try writer.write(plaintext.subdata(in: offset..<end))
            offset = end
            step = step * 3 % (plaintext.count / pieces + 7) + 1
        }
    } else {
        try writer.write(plaintext)
    }
    try writer.finish()
    return collected()
}

/// Test keys.
enum TestKeys {
    static let raw = RawKey(key: SymmetricKey(data: Array(0..<32) as [UInt8]))
    static let other = RawKey(key: SymmetricKey(data: Array(100..<132) as [UInt8]))
    static let identity = X25519Identity()
    static let otherIdentity = X25519Identity()
    static let passphrase = "correct horse battery staple"
}

func hex(_ text: String) -> [UInt8] {
    KeyText.hexBytes(Array(text.utf8)) ?? []
}

func hexString(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}
