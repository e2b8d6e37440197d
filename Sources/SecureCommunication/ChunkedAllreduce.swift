import Communication
import Crypto
import Foundation
import Privacy

// A large allreduce over encrypted traffic, in sealed chunks (docs/secure-distributed.md,
// "Large reductions"). Every rank has already learnt, from the authenticated announcements, that
// all ranks reduce the same count of the same type in chunks.
//
// Layout. n ranks; segment s = shareRange(of: count, rank: s, size: n) is owned by rank s. Each
// segment is cut into `chunkCount` chunks of `chunkElements` elements — the same number of chunks
// for every segment (that of the longest), so every rank makes the same exchanges; a short
// segment's last chunk may be empty and then travels as a bare tag. For chunk k = 0, 1, …:
//   1. reduce-scatter: for step s = 1 ..< n, rank r sends chunk k of segment (r + s) mod n to rank
//      (r + s) mod n and receives chunk k of its own segment from rank (r − s) mod n;
//   2. rank r combines the n pieces of chunk k of its segment in rank order (x₀ ⊕ x₁) ⊕ x₂ …, in
//      place in the caller's buffer;
//   3. allgather: for step s = 1 ..< n, rank r sends its reduced chunk k to rank (r + s) mod n and
//      receives the reduced chunk k of segment (r − s) mod n from its owner, straight into place.
// Every rank thus holds the owner's bits of every segment: the same result on every rank.
//
// Sealing. Each piece travels as AES-256-GCM ciphertext ‖ 16-byte tag under the pairwise key of
// its direction (sender → recipient), with the nonce channel 0 ‖ that direction's counter (the one
// the envelopes of collectives advance: both sides take the next value for every piece, in the same
// order, so no nonce repeats under a key) and the associated data
//   "VC" ‖ version 1 ‖ phase (1, 2) ‖ element kind ‖ count (u64 LE) ‖ chunk k (u32 LE) ‖ sender ‖ recipient (u32 LE).
// A piece that fails to open is recorded; the rank keeps exchanging (so no peer waits for it
// forever), and the closing agreement stops every rank with the tampered error.

extension EncryptedCommunicator {
    /// Reduces `values` in place in sealed chunks (the layout above). No validation: the counts
    /// agree on every rank.
    /// - Throws: ``SecureCommunicationError/tampered(rank:source:operation:)`` on a rank that
    ///   received a piece that did not authenticate, ``CommunicationError/rankFailed(rank:message:)``
    ///   on the others; the inner communicator's errors.
    func reduceInChunks<T: Communicable>(_ values: inout [T], _ op: ReductionOperator) throws {
        let n = size, r = rank, count = values.count
        let stride = MemoryLayout<T>.stride
        let segments = (0..<n).map { shareRange(of: count, rank: $0, size: n) }
        let longest = segments.map(\.count).max() ?? 0
        // A chunk is never longer than the longest segment (the scratch is sized by it).
        let chunkElements = Swift.max(1, Swift.min(chunkBytes / stride, longest))
        let chunkCount = (longest + chunkElements - 1) / chunkElements
        let context = ChunkContext(kind: Self.kindCode(T.self), count: count)
        // Elements of chunk k of segment s (empty past the segment's end).
        func piece(_ s: Int, _ k: Int) -> Range<Int> {
            let lower = Swift.min(segments[s].lowerBound + k * chunkElements, segments[s].upperBound)
            return lower..<Swift.min(lower + chunkElements, segments[s].upperBound)
        }
        // Scratch, reused for every chunk: one opened piece per source rank (slot q for rank q) and a
        // running reduction (slot n), then the sealed bytes received, then the sealed bytes sent.
        let pieceBytes = chunkElements * stride
        let sealedBytes = pieceBytes + Self.tagBytes
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: (n + 1) * pieceBytes + 2 * sealedBytes, alignment: 64)
        defer { scratch.deallocate() }
        let slots = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<((n + 1) * pieceBytes)]).bindMemory(to: T.self)
        let sealedInput = UnsafeMutableRawBufferPointer(rebasing: scratch[((n + 1) * pieceBytes)..<((n + 1) * pieceBytes + sealedBytes)])
        let sealedOutput = UnsafeMutableRawBufferPointer(rebasing: scratch[((n + 1) * pieceBytes + sealedBytes)...])
        guard let slotBase = slots.baseAddress else { return }
        func slot(_ q: Int) -> UnsafeMutablePointer<T> { slotBase + q * chunkElements }

        var failure: SecureCommunicationError?
        try values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            func bytes(_ range: Range<Int>) -> UnsafeMutableRawBufferPointer {
                UnsafeMutableRawBufferPointer(start: base + range.lowerBound, count: range.count * stride)
            }
            for k in 0..<chunkCount {
                let mine = piece(r, k)
                // 1. Reduce-scatter: my piece of each other segment out, the others' pieces of mine in.
                for s in 1..<n {
                    let destination = (r + s) % n, source = (r + n - s) % n
                    try exchangeSealed(UnsafeRawBufferPointer(bytes(piece(destination, k))), to: destination,
                                       into: UnsafeMutableRawBufferPointer(start: slot(source), count: mine.count * stride),
                                       from: source, phase: 1, chunk: k, context: context, sealedInput: sealedInput,
                                       sealedOutput: sealedOutput, failure: &failure)
                }
                // 2. My chunk in rank order; my own piece is already in place.
                let out = base + mine.lowerBound
                func operand(_ q: Int) -> UnsafePointer<T> { UnsafePointer(q == r ? out : slot(q)) }
                if n == 2 {
                    op.combine(into: out, operand(0), operand(1), count: mine.count)
                } else {
                    let running = slot(n)
                    op.combine(into: running, operand(0), operand(1), count: mine.count)
                    for q in 2..<(n - 1) { op.combine(into: running, UnsafePointer(running), operand(q), count: mine.count) }
                    op.combine(into: out, UnsafePointer(running), operand(n - 1), count: mine.count)
                }
                // 3. Allgather: my reduced chunk out, each owner's reduced chunk into place.
                for s in 1..<n {
                    let destination = (r + s) % n, source = (r + n - s) % n
                    try exchangeSealed(UnsafeRawBufferPointer(bytes(mine)), to: destination, into: bytes(piece(source, k)),
                                       from: source, phase: 2, chunk: k, context: context, sealedInput: sealedInput,
                                       sealedOutput: sealedOutput, failure: &failure)
                }
            }
        }
        try agreeing(inner) { if let failure { throw failure } }
    }

    /// What every piece of one chunked allreduce binds into its associated data.
    struct ChunkContext {
        let kind: UInt8
        let count: Int

        /// The associated data of chunk `chunk` of `phase`, from `sender` to `recipient`.
        func associatedData(phase: UInt8, chunk: Int, from sender: Int, to recipient: Int) -> [UInt8] {
            var data: [UInt8] = [UInt8(ascii: "V"), UInt8(ascii: "C"), 1, phase, kind]
            withUnsafeBytes(of: UInt64(count).littleEndian) { data += $0 }
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: chunk).littleEndian) { data += $0 }
            return data + pairBytes(sender, recipient)
        }
    }

    /// Seals `plain` for `destination` (into `sealedOutput`) and sends it while receiving
    /// `into.count + 16` sealed bytes from `source` (into `sealedInput`), then opens those into
    /// `into`. After a failure (kept in `failure`) it still exchanges, but opens nothing more.
    private func exchangeSealed(_ plain: UnsafeRawBufferPointer, to destination: Int, into: UnsafeMutableRawBufferPointer,
                                from source: Int, phase: UInt8, chunk: Int, context: ChunkContext,
                                sealedInput: UnsafeMutableRawBufferPointer, sealedOutput: UnsafeMutableRawBufferPointer,
                                failure: inout SecureCommunicationError?) throws
    {
        guard let sendCipher = sendCiphers[destination], let receiveCipher = receiveCiphers[source] else {
            throw CommunicationError.communication("allreduce: rank \(rank) has no pairwise key for rank \(destination) or \(source)")
        }
        let sealed = UnsafeMutableRawBufferPointer(rebasing: sealedOutput[0..<(plain.count + Self.tagBytes)])
        guard sendCipher.seal(plain, into: sealed, nonce: try nextSendNonce(to: destination, channel: 0),
                              authenticating: context.associatedData(phase: phase, chunk: chunk, from: rank, to: destination))
        else {
            throw CommunicationError.communication("allreduce: AES-GCM failed to seal a chunk of \(plain.count) bytes")
        }
        let received = UnsafeMutableRawBufferPointer(rebasing: sealedInput[0..<(into.count + Self.tagBytes)])
        try inner.sendReceive(UnsafeRawBufferPointer(sealed), to: destination, received, from: source)
        let nonce = try nextReceiveNonce(from: source, channel: 0)
        guard failure == nil else { return }
        if !receiveCipher.open(UnsafeRawBufferPointer(received), into: into, nonce: nonce,
                               authenticating: context.associatedData(phase: phase, chunk: chunk, from: source, to: rank))
        {
            failure = .tampered(rank: rank, source: source, operation: Operation.allreduce.name)
        }
    }

    /// The cipher alone: seals `bytes` in the chunks of a large allreduce (``defaultChunkBytes``)
    /// with the calls the reduction makes (into one reused buffer per chunk), then opens them, on
    /// this thread, `repeats` times after one warm-up — the cipher's share of an encrypted
    /// allreduce, for `verdant bench --suite parallel --cases cipher`.
    /// - Parameters:
    ///   - bytes: the plaintext bytes per repeat (at least 1).
    ///   - repeats: timed repeats (at least 1).
    /// - Returns: seconds to seal and to open all `bytes`, per repeat.
    /// - Throws: ``CommunicationError/communication(_:)`` if AES-GCM fails (it does not on a valid key).
    package static func chunkCipherSeconds(bytes: Int, repeats: Int) throws -> (seal: [Double], open: [Double]) {
        let chunk = defaultChunkBytes
        let chunks = (bytes + chunk - 1) / chunk
        let plaintext = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes, alignment: 64)
        let sealed = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes + chunks * tagBytes, alignment: 64)
        let opened = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 64)
        defer {
            plaintext.deallocate()
            sealed.deallocate()
            opened.deallocate()
        }
        plaintext.initializeMemory(as: UInt8.self, repeating: 0x5A)
        sealed.initializeMemory(as: UInt8.self, repeating: 0)
        guard let cipher = InPlaceAESGCM(key: SymmetricKey(size: .bits256)) else {
            throw CommunicationError.communication("AES-GCM: no context for a 256-bit key")
        }
        let associatedData = [UInt8](repeating: 1, count: 25)
        func nonce(_ k: Int) throws -> AES.GCM.Nonce {
            try AES.GCM.Nonce(data: withUnsafeBytes(of: UInt64(k).bigEndian) { [0, 0, 0, 0] + Array($0) })
        }
        // Chunk k's plaintext and sealed ranges.
        func plain(_ k: Int) -> Range<Int> { (k * chunk)..<Swift.min(bytes, (k + 1) * chunk) }
        func box(_ k: Int) -> Range<Int> { (k * (chunk + tagBytes))..<(k * (chunk + tagBytes) + plain(k).count + tagBytes) }
        var sealTimes: [Double] = [], openTimes: [Double] = []
        for run in 0...repeats {
            var start = DispatchTime.now().uptimeNanoseconds
            for k in 0..<chunks {
                guard cipher.seal(UnsafeRawBufferPointer(rebasing: plaintext[plain(k)]), into: UnsafeMutableRawBufferPointer(rebasing: sealed[box(k)]),
                                  nonce: try nonce(k), authenticating: associatedData)
                else { throw CommunicationError.communication("AES-GCM failed to seal chunk \(k)") }
            }
            let sealSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            start = DispatchTime.now().uptimeNanoseconds
            for k in 0..<chunks {
                guard cipher.open(UnsafeRawBufferPointer(rebasing: sealed[box(k)]),
                                  into: UnsafeMutableRawBufferPointer(rebasing: opened[0..<plain(k).count]),
                                  nonce: try nonce(k), authenticating: associatedData)
                else { throw CommunicationError.communication("AES-GCM failed to open chunk \(k)") }
            }
            let openSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if run > 0 {
                sealTimes.append(sealSeconds)
                openTimes.append(openSeconds)
            }
        }
        return (sealTimes, openTimes)
    }
}
