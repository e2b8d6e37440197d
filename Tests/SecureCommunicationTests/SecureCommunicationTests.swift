import _TestSupport
import Communication
import Foundation
import Privacy
@testable import SecureCommunication
import Testing

/// A fixed 256-bit cluster key (its bytes, then the key).
func clusterKey(_ fill: UInt8 = 7) throws -> RawKey { try RawKey(bytes: [UInt8](repeating: fill, count: 32)) }

/// Deterministic test values in [−range, range] (SplitMix64), different per rank and seed.
func values(count: Int, rank: Int, seed: UInt64, range: Double) -> [Double] {
    var state = seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(rank) &* 0xBF58_476D_1CE4_E5B9
    return (0..<count).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return range * (2 * (Double(z >> 11) * 0x1p-53) - 1)
    }
}

@Suite("encrypted traffic")
struct EncryptedTrafficTests {
    @Test("every collective and point-to-point message carries the right values, on 1 to 4 ranks", arguments: [1, 2, 3, 4])
    func collectives(ranks: Int) throws {
        let key = try clusterKey()
        let backends = try LocalCommunicator.run(ranks: ranks) { comm in
            let encrypted = try EncryptedCommunicator(wrapping: comm, clusterKey: key)
            try CollectiveChecks.collectives(encrypted)
            return encrypted.backend
        }
        #expect(backends.allSatisfy { $0.hasSuffix("+ AES-256-GCM") })
    }

    @Test("sendReceive (the distributed state's exchange) carries raw buffers sealed, pairwise and in rings, on 2 and 4 ranks",
          arguments: [2, 4])
    func sendReceive(ranks: Int) throws {
        let key = try clusterKey()
        let received = try LocalCommunicator.run(ranks: ranks) { comm -> [[UInt8]] in
            let encrypted = try EncryptedCommunicator(wrapping: comm, clusterKey: key)
            let mine = [UInt8](repeating: UInt8(comm.rank + 1), count: 100 + comm.rank)
            var results: [[UInt8]] = []
            // A ring: send to the next rank, receive from the previous one (sizes differ per sender).
            let next = (comm.rank + 1) % ranks, previous = (comm.rank + ranks - 1) % ranks
            var incoming = [UInt8](repeating: 0, count: 100 + previous)
            try mine.withUnsafeBytes { out in try incoming.withUnsafeMutableBytes { into in
                try encrypted.sendReceive(out, to: next, into, from: previous)
            } }
            results.append(incoming)
            // A wrong expected size is an error, not a silent truncation.
            var short = [UInt8](repeating: 0, count: 3)
            let error = thrownMessage {
                try mine.withUnsafeBytes { out in try short.withUnsafeMutableBytes { into in
                    try encrypted.sendReceive(out, to: next, into, from: previous)
                } }
            }
            #expect(error?.contains("expected 3 bytes") == true)
            return results
        }
        for (rank, results) in received.enumerated() {
            let previous = (rank + ranks - 1) % ranks
            #expect(results[0] == [UInt8](repeating: UInt8(previous + 1), count: 100 + previous))
        }
    }

    @Test("what crosses the wire is not the plaintext, and the same values never look the same twice")
    func ciphertextDiffers() throws {
        let key = try clusterKey()
        // A distinctive plaintext: 64 Doubles whose bytes are easy to search for.
        let secret = (0..<64).map { 1234.5678 + Double($0) }
        let pattern = secret.withUnsafeBytes { Array($0[0..<16]) }
        let seen = try LocalCommunicator.run(ranks: 2) { comm -> [[UInt8]] in
            let tap = Tap(comm)
            let encrypted = try EncryptedCommunicator(wrapping: tap, clusterKey: key)
            let sum1 = try encrypted.allreduce(secret, .sum)
            let sum2 = try encrypted.allreduce(secret, .sum)
            #expect(sum1 == secret.map { $0 * 2 } && sum2 == sum1)
            _ = try encrypted.broadcast(secret, from: 0)
            return tap.seen.map(\.bytes)
        }
        for (rank, payloads) in seen.enumerated() {
            #expect(!payloads.isEmpty)
            for payload in payloads { #expect(!contains(payload, pattern), "rank \(rank) saw the plaintext on the wire") }
        }
        // Rank 1's two allreduces of the same values: different bytes on the wire (fresh message keys, new nonces).
        let big = seen[0].filter { $0.count > 500 }
        #expect(big.count == 2)
        #expect(big[0] != big[1])
        // The control: without encryption the tap does see the pattern (the search can fail).
        let plain = try LocalCommunicator.run(ranks: 2) { comm -> [[UInt8]] in
            let tap = Tap(comm)
            _ = try tap.allgather(secret.withUnsafeBytes { Array($0) })
            return tap.seen.map(\.bytes)
        }
        #expect(plain[0].contains { contains($0, pattern) })
    }

    @Test("a changed byte anywhere in a message ends the collective on every rank with a clear error")
    func tampering() throws {
        let key = try clusterKey()
        // Flip one bit of the header (13 bytes), rank 0's key slot (bytes 13..<61), the payload
        // (109..<181) or the tag of rank 1's contribution, as seen by rank 0.
        for position in [3, 4, 9, 12, 13, 60, 109, 150, -1] {
            let outcomes = try LocalCommunicator.run(ranks: 3) { comm -> String in
                let tap = Tap(comm) { operation, source, bytes in
                    guard comm.rank == 0, source == 1, operation == "allgather", bytes.count == 13 + 2 * 48 + 72 + 16 else { return nil }
                    var changed = bytes
                    let k = position >= 0 ? position : bytes.count + position
                    changed[k] ^= 0x10
                    return changed
                }
                let encrypted = try EncryptedCommunicator(wrapping: tap, clusterKey: key)
                return thrownMessage { _ = try encrypted.allreduce([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0], .sum) } ?? "no error"
            }
            let expected = "encrypted traffic: a message from rank 1 to rank 0 (allreduce) failed authentication: "
                + "it was changed, replayed, reordered or forged on the way; the job stops on every rank"
            #expect(outcomes[0] == expected, "byte \(position)")
            #expect(outcomes[1] == "rank 0 failed: " + expected, "byte \(position)")
            #expect(outcomes[2] == "rank 0 failed: " + expected, "byte \(position)")
        }
    }

    @Test("a replayed point-to-point message fails: nonces are counters that both sides advance")
    func replay() throws {
        let key = try clusterKey()
        let outcomes = try LocalCommunicator.run(ranks: 2) { comm -> String in
            let encrypted = try EncryptedCommunicator(wrapping: comm, clusterKey: key)
            if comm.rank == 0 {
                // A host in the middle sends the first sealed message twice.
                let sealed = try encrypted.seal(Array("pay 10".utf8), operation: .pointToPoint(tag: 3), recipients: [1])
                try comm.send(sealed, to: 1, tag: 3)
                try comm.send(sealed, to: 1, tag: 3)
                return "sent"
            }
            let first = String(decoding: try encrypted.receive(from: 0, tag: 3), as: UTF8.self)
            let second = thrownMessage { _ = try encrypted.receive(from: 0, tag: 3) } ?? "accepted"
            return first + " | " + second
        }
        #expect(outcomes[1] == "pay 10 | encrypted traffic: a message from rank 0 to rank 1 (send/receive, tag 3) failed authentication: "
            + "it was changed, replayed, reordered or forged on the way; the job stops on every rank")
    }

    @Test("a rank with another cluster key cannot join: the handshake fails on every rank")
    func wrongClusterKey() throws {
        let right = try clusterKey(7), wrong = try clusterKey(8)
        let outcomes = try LocalCommunicator.run(ranks: 3) { comm -> String in
            thrownMessage { _ = try EncryptedCommunicator(wrapping: comm, clusterKey: comm.rank == 2 ? wrong : right) } ?? "joined"
        }
        for outcome in outcomes {
            #expect(outcome.contains("could not authenticate rank"), "\(outcome)")
            #expect(outcome.contains("give every rank the same --cluster-key file"))
        }
        #expect(outcomes[2].hasPrefix("encrypted traffic: rank 2 could not authenticate rank 0 in the handshake (its key confirmation did not verify)"))
        // Secure aggregation's own handshake names its own layer.
        let masking = try LocalCommunicator.run(ranks: 3) { comm -> String in
            thrownMessage { _ = try SecureAggregationCommunicator(wrapping: comm, clusterKey: comm.rank == 2 ? wrong : right) } ?? "joined"
        }
        #expect(masking[2].hasPrefix("secure aggregation: rank 2 could not authenticate rank 0 in the handshake (its key confirmation did not verify)"),
                "\(masking[2])")
        #expect(masking.allSatisfy { $0.contains("could not authenticate rank") && !$0.contains("encrypted traffic") })
    }

    @Test("a host in the middle that replaces a public key (without the cluster key) is refused")
    func keySubstitution() throws {
        let key = try clusterKey()
        let outcomes = try LocalCommunicator.run(ranks: 2) { comm -> String in
            // Rank 1 receives an attacker's X25519 public key instead of rank 0's.
            let tap = Tap(comm) { operation, source, bytes in
                guard comm.rank == 1, source == 0, operation == "allgather", bytes.count == 32 else { return nil }
                return Array(Curve25519Attacker.publicKey)
            }
            return thrownMessage { _ = try EncryptedCommunicator(wrapping: tap, clusterKey: key) } ?? "joined"
        }
        #expect(outcomes.allSatisfy { $0.contains("could not authenticate rank") })
    }
}

/// A fixed X25519 public key (the base point multiplied by a constant), standing for an attacker's.
enum Curve25519Attacker {
    static let publicKey: [UInt8] = [
        0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54, 0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
        0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4, 0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a,
    ]
}

@Suite("secure aggregation")
struct SecureAggregationTests {
    @Test("the masked sum equals the plain sum within the stated quantisation, on 1 to 4 ranks", arguments: [1, 2, 3, 4])
    func equalsPlainSum(ranks: Int) throws {
        let count = 257
        let results = try LocalCommunicator.run(ranks: ranks) { comm -> [Double] in
            let secure = try SecureAggregationCommunicator(wrapping: comm)
            var last: [Double] = []
            for round in 0..<3 { last = try secure.allreduce(values(count: count, rank: comm.rank, seed: UInt64(round), range: 1000), .sum) }
            return last
        }
        // The oracle: the plain sum of the same values, added here in rank order.
        var plain = [Double](repeating: 0, count: count)
        for r in 0..<ranks { for (k, x) in values(count: count, rank: r, seed: 2, range: 1000).enumerated() { plain[k] += x } }
        let tolerance = Double(ranks) * 0x1p-33 + 1e-12
        for result in results {
            #expect(result == results[0], "every rank holds the same sum")
            for k in 0..<count { #expect(abs(result[k] - plain[k]) <= tolerance, "entry \(k): \(result[k]) vs \(plain[k])") }
        }
        // The masked sum is not the plain floating-point sum by accident: quantisation shows.
        if ranks > 1 { #expect(results[0] != plain) }
    }

    @Test("every collective still works through the masking layer, over encrypted traffic too", arguments: [2, 3])
    func collectives(ranks: Int) throws {
        let key = try clusterKey()
        _ = try LocalCommunicator.run(ranks: ranks) { comm in
            try CollectiveChecks.collectives(try SecureAggregationCommunicator(wrapping: comm))
            try CollectiveChecks.collectives(try SecureAggregationCommunicator(wrapping: try EncryptedCommunicator(wrapping: comm, clusterKey: key),
                                                                               clusterKey: key))
        }
    }

    @Test("one rank's view of another's masked vector is uniform; the unmasked fixed-point vector is not")
    func maskedValuesAreUniform() throws {
        // Rank 1 contributes the same small values every round; rank 0 records what arrives.
        let count = 256, rounds = 64
        let views = try LocalCommunicator.run(ranks: 2) { comm -> [[Int]] in
            let tap = Tap(comm)
            let secure = try SecureAggregationCommunicator(wrapping: tap)
            for _ in 0..<rounds { _ = try secure.allreduce([Double](repeating: 0.5, count: count), .sum) }
            // Two words per value: the high parts, then the low parts.
            return tap.seenWords.filter { $0.words.count == 2 * count }.map(\.words)
        }
        let received = views[0]
        #expect(received.count == rounds)
        let words = received.flatMap { $0 }.map { UInt64(bitPattern: Int64($0)) }
        #expect(Uniformity.chiSquareOfBytes(words) < Uniformity.chiSquareLimit, "masked bytes: χ² = \(Uniformity.chiSquareOfBytes(words))")
        #expect(Uniformity.worstBitBias(words) < 0.03, "masked bits: worst bias \(Uniformity.worstBitBias(words))")
        #expect(Set(words).count == words.count, "no masked word repeats")
        // The control: the same statistics on rank 1's unmasked fixed-point words (its low words: 0.5·2^32;
        // its high words are 0) fail, so the test can fail.
        let unmasked = [UInt64](repeating: UInt64(Int64(0.5 * 0x1p32)), count: words.count)
        #expect(Uniformity.chiSquareOfBytes(unmasked) > Uniformity.chiSquareLimit)
        #expect(Uniformity.worstBitBias(unmasked) > 0.03)
        // And nearly uniform-looking but weak masking (a counter) fails the repeat check or bias check too.
        let counter = (0..<UInt64(words.count)).map { $0 &+ UInt64(Int64(0.5 * 0x1p32)) }
        #expect(Uniformity.worstBitBias(counter) > 0.03)
    }

    @Test("a value outside the fixed-point range or not finite stops every rank with a clear error")
    func outOfRange() throws {
        let outcomes = try LocalCommunicator.run(ranks: 3) { comm -> [String] in
            let secure = try SecureAggregationCommunicator(wrapping: comm)
            let big = comm.rank == 1 ? [0, 4e18] : [0.0, 1]
            let nan = comm.rank == 2 ? [Double.nan, 0] : [0.0, 1]
            let after = try secure.allreduce([1.0, 2], .sum)
            return [thrownMessage { _ = try secure.allreduce(big, .sum) } ?? "summed", thrownMessage { _ = try secure.allreduce(nan, .sum) } ?? "summed",
                    "\(after)"]
        }
        // (2^63 − 1)/3 as a Double, below 2^63/3 ≈ 3.0744573456182584e18.
        #expect(outcomes[1][0].hasPrefix("secure aggregation: rank 1's value 4e+18 at index 1 is outside the fixed-point range ±3.07445734561825"),
                "\(outcomes[1][0])")
        #expect(outcomes[1][0].contains("(32 fraction bits, 3 ranks: each rank's value must satisfy |x|·2^32 < 2^32·(2^63 − 1)/3"))
        #expect(outcomes[0][0] == "rank 1 failed: " + outcomes[1][0])
        #expect(outcomes[2][0] == "rank 1 failed: " + outcomes[1][0])
        #expect(outcomes[2][1] == "secure aggregation: rank 2's value nan at index 0 is not a finite number and has no fixed-point form; only finite values can be aggregated")
        #expect(outcomes[0][1] == "rank 2 failed: " + outcomes[2][1])
        #expect(outcomes.allSatisfy { $0[2] == "[3.0, 6.0]" })
        #expect(thrownMessage { _ = try SecureAggregationCommunicator(wrapping: LocalCommunicator(), fractionBits: 60) }
            == "secure aggregation: fraction bits must be in 8...52, received 60")
    }

    @Test("a rank that drops out between masked sums ends the job with a clear error on every other rank")
    func droppedRank() throws {
        struct Dropped: Error, CustomStringConvertible { var description: String { "rank 2 lost its node" } }
        let message = thrownMessage {
            _ = try LocalCommunicator.run(ranks: 3) { comm -> [Double] in
                let secure = try SecureAggregationCommunicator(wrapping: comm)
                _ = try secure.allreduce([1.0, 2], .sum)
                if comm.rank == 2 { throw Dropped() }
                do {
                    return try secure.allreduce([1.0, 2], .sum)
                } catch {
                    // What the ranks that stayed see.
                    #expect("\(error)" == "rank 2 failed: rank 2 lost its node")
                    throw error
                }
            }
        }
        #expect(message == "rank 2 lost its node")
    }

    @Test("the bound is the largest value n ranks can add without wrapping")
    func bound() throws {
        let bounds = try LocalCommunicator.run(ranks: 2) { comm -> Double in
            let secure = try SecureAggregationCommunicator(wrapping: comm)
            // Two contributions at the bound, and at minus the bound, still sum correctly (no wrap).
            let sum = try secure.allreduce([secure.bound, -secure.bound], .sum)
            #expect(sum == [2 * secure.bound, -2 * secure.bound])
            return secure.bound
        }
        // A high word of at most (2^63 − 1)/2, times 2^32 / 2^32: just below 2^62.
        #expect(bounds[0] < 0x1p62 && bounds[0] > 0x1p62 * (1 - 1e-15))
        // Fewer fraction bits widen the range: 2^(32 − 16) times more.
        let wide = try LocalCommunicator.run(ranks: 2) { comm in try SecureAggregationCommunicator(wrapping: comm, fractionBits: 16).bound }
        #expect(wide[0] == bounds[0] * 0x1p16)
    }

    @Test("sums of raw-data magnitudes (Σ(x − x̄)² of a salary column, 10^10 to 10^17) equal the plain sum within the quantisation")
    func wideValues() throws {
        // Per rank: squares of deviations, large sums with fractions, tiny and negative values.
        let inputs: [[Double]] = [
            [1.2e10, -3.3e12 + 0.125, 7.5e16, 1e-9, 123_456.789, -0.5],
            [4.4e10, 2.1e12 - 0.375, -2.5e16, 3e-9, 0.001, -0.25],
            [9.7e9, 1.0e12, 1.0e17, -2e-9, -123_456.0, 1e9 + 0.75],
        ]
        let sums = try LocalCommunicator.run(ranks: 3) { comm in
            try SecureAggregationCommunicator(wrapping: comm).allreduce(inputs[comm.rank], .sum)
        }
        for k in inputs[0].indices {
            let plain = inputs[0][k] + inputs[1][k] + inputs[2][k]
            // n·2^−33 for rounding to 2^−32, plus Double's rounding of each value and of the sums.
            let tolerance = 3 * 0x1p-33 + 4 * Double.ulpOfOne * inputs.map { Swift.abs($0[k]) }.reduce(0, +)
            #expect(sums.allSatisfy { Swift.abs($0[k] - plain) <= tolerance }, "entry \(k): \(sums.map { $0[k] }) against \(plain)")
        }
        #expect(Set(sums.map { $0.map(\.bitPattern) }).count == 1, "the same sum on every rank")
    }
}

/// Statistics of 64-bit words for the uniformity test.
enum Uniformity {
    /// χ² of the byte values (255 degrees of freedom) over every byte of the words.
    static func chiSquareOfBytes(_ words: [UInt64]) -> Double {
        var counts = [Int](repeating: 0, count: 256)
        for word in words { for b in 0..<8 { counts[Int((word >> (8 * UInt64(b))) & 0xff)] += 1 } }
        let expected = Double(words.count * 8) / 256
        return counts.reduce(0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
    }

    /// 255 degrees of freedom: mean 255, standard deviation √510 ≈ 22.6; 400 is about 6.4 σ above
    /// the mean (p < 10⁻⁸), so a uniform stream fails it essentially never.
    static let chiSquareLimit = 400.0

    /// The largest |frequency − ½| of any of the 64 bit positions (16 384 words: σ ≈ 0.004).
    static func worstBitBias(_ words: [UInt64]) -> Double {
        (0..<64).map { bit -> Double in
            let ones = words.reduce(0) { $0 + Int(($1 >> UInt64(bit)) & 1) }
            return abs(Double(ones) / Double(words.count) - 0.5)
        }.max() ?? 1
    }
}

/// The layers on the world communicator: size 1 in a plain `swift test`; every rank under
/// `mpirun` with the MPI trait (.ci/run runs this suite on 2 and 3 ranks).
@Suite("secure layers on the world", .serialized)
struct SecureWorldTests {
    @Test("every collective through both layers; a tampered message stops every rank; the masked sum is the plain sum")
    func world() throws {
        let world = try Distributed.world()
        let key = try RawKey.throwawayClusterKey(over: world)
        let encrypted = try EncryptedCommunicator(wrapping: world, clusterKey: key)
        try CollectiveChecks.collectives(encrypted)
        let secure = try SecureAggregationCommunicator(wrapping: encrypted, clusterKey: key)
        try CollectiveChecks.collectives(secure)
        let mine = values(count: 100, rank: world.rank, seed: 11, range: 50)
        let sum = try secure.allreduce(mine, .sum)
        var plain = [Double](repeating: 0, count: 100)
        for r in 0..<world.size { for (k, x) in values(count: 100, rank: r, seed: 11, range: 50).enumerated() { plain[k] += x } }
        #expect(zip(sum, plain).allSatisfy { abs($0 - $1) <= Double(world.size) * 0x1p-33 + 1e-12 })
        guard world.size > 1 else { return }
        // A host in the middle flips one payload bit of rank 1's contribution on its way to rank 0.
        let tap = Tap(world) { operation, source, bytes in
            guard world.rank == 0, source == 1, operation == "allgather", bytes.count > 200 else { return nil }
            var changed = bytes
            changed[bytes.count - 20] ^= 1
            return changed
        }
        let tapped = try EncryptedCommunicator(wrapping: tap, clusterKey: key)
        let message = thrownMessage { _ = try tapped.allreduce([Double](repeating: 1, count: 64), .sum) } ?? "no error"
        let expected = "encrypted traffic: a message from rank 1 to rank 0 (allreduce) failed authentication: "
            + "it was changed, replayed, reordered or forged on the way; the job stops on every rank"
        #expect(message == (world.rank == 0 ? expected : "rank 0 failed: " + expected))
        try world.barrier()
    }

    @Test("the chunked allreduce on the world in tiny chunks, pipelined or not: the rank-order bits for uneven segments and counts below one chunk; a tampered piece in the middle stops every rank",
          arguments: [true, false])
    func chunkedOnWorld(pipelined: Bool) throws {
        let world = try Distributed.world()
        let key = try RawKey.throwawayClusterKey(over: world)
        let n = world.size
        let encrypted = try chunked(world, key: key, pipelined: pipelined)
        // 64-byte chunks (8 Doubles): one value, less than a chunk, uneven segments over 2 and 3 ranks, many chunks.
        for count in [1, 5, 8 * n + 1, 16 * n + 3, 101, 1000] {
            let all = (0..<n).map { values(count: count, rank: $0, seed: UInt64(count), range: 1e6) }
            let sum = try encrypted.allreduce(all[world.rank], .sum)
            #expect(sum.map(\.bitPattern) == rankOrderReduction(all, +).map(\.bitPattern), "\(count) values, pipelined \(pipelined)")
            let floats = try encrypted.allreduce(all[world.rank].map(Float.init), .max)
            #expect(floats == rankOrderReduction(all.map { $0.map(Float.init) }, { Swift.max($0, $1) }), "\(count) Floats")
        }
        guard n > 1 else { return }
        // 20 Doubles per rank in 3 chunks: rank 0's third exchange with rank 1 is in the middle.
        let tap = Tap(world, alterRaw: { source, index, bytes in
            guard world.rank == 0, source == 1, index == 2 else { return }
            bytes[bytes.count / 2] ^= 0x01
        })
        let tapped = try chunked(tap, key: key, pipelined: pipelined)
        let message = thrownMessage { _ = try tapped.allreduce([Double](repeating: 1, count: 20 * n), .sum) } ?? "no error"
        let expected = "encrypted traffic: a message from rank 1 to rank 0 (allreduce) failed authentication: "
            + "it was changed, replayed, reordered or forged on the way; the job stops on every rank"
        #expect(message == (world.rank == 0 ? expected : "rank 0 failed: " + expected))
        let after = try tapped.allreduce([Double](repeating: 1, count: 20 * n), .sum)
        #expect(after == [Double](repeating: Double(n), count: 20 * n))
        try world.barrier()
    }
}
