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
// segment's last chunk may be empty and then travels as a bare tag. Chunk k has two phases:
//   1. reduce-scatter: for step s = 1 ..< n, rank r sends chunk k of segment (r + s) mod n to rank
//      (r + s) mod n and receives chunk k of its own segment from rank (r − s) mod n;
//   2. rank r combines the n pieces of chunk k of its segment in rank order (x₀ ⊕ x₁) ⊕ x₂ …, in
//      place in the caller's buffer;
//   3. allgather: for step s = 1 ..< n, rank r sends its reduced chunk k to rank (r + s) mod n and
//      receives the reduced chunk k of segment (r − s) mod n from its owner, straight into place.
// Every rank thus holds the owner's bits of every segment: the same result on every rank.
//
// Schedule. Every piece is sealed into a scratch slot and handed to a nonblocking exchange
// (Communication/NonblockingExchange.swift: MPI_Isend/MPI_Irecv under MPI); it is opened once the
// exchange completes. Pipelined (`pipelinesChunks`, the default; docs/secure-distributed.md,
// "Pipelined chunks (2026-12-07)"), one phase of one chunk overlaps the next: with S(p, k) "seal and
// start the n − 1 exchanges of phase p of chunk k" and F(p, k)
// "wait for them and open them", every rank runs
//   S(1, 0); for k: { S(1, k+1) if any; F(1, k); combine k; S(2, k); F(2, k−1) if any }; F(2, last)
// so chunk k+1's reduce-scatter is sealed while chunk k's is in flight, and chunk k−1's allgather
// is opened while chunk k's is in flight. Between sealing or opening two pieces the rank tests
// every exchange in flight (MPI moves a large message only inside MPI calls). Not pipelined (the
// order of wire version 1, kept for comparison and tests), each piece goes through the blocking
// `sendReceive` (MPI_Sendrecv) before the next is sealed.
// Both ranks of a pair start their exchanges with each other in the same order (the schedule is the
// same on every rank, and each phase has one piece per direction), and exchanges between a pair
// match in the order started, so every piece meets the receive meant for it.
//
// Sealing (wire version 2). Each piece travels as AES-256-GCM ciphertext ‖ 16-byte tag under the
// pairwise key of its direction (sender → recipient). Its nonce is channel 0 ‖ counter: each call
// reserves a block of 2·chunkCount counters of that direction's channel-0 counter (the one the
// envelopes of collectives advance), in step on both sides, and piece (phase p, chunk k) takes
// first + 2k + (p − 1), so pieces may be sealed and opened in any order and no nonce repeats under
// a key. The associated data is
//   "VC" ‖ version 2 ‖ phase (1, 2) ‖ element kind ‖ count (u64 LE) ‖ chunk k (u32 LE) ‖ sender ‖ recipient (u32 LE).
// (Version 1 had the same pieces, nonces and order as version 2 not pipelined; the version moved
// because pipelined ranks send the pieces in another order, and a rank of another version must
// fail to authenticate rather than misread them.) A piece that fails to open is
// recorded; the rank keeps exchanging (so no peer waits for it forever), and the closing agreement
// stops every rank with the tampered error.

extension EncryptedCommunicator {
    /// Reduces `values` in place in sealed chunks (the layout above). No validation: the counts
    /// agree on every rank.
    /// - Throws: ``SecureCommunicationError/tampered(rank:source:operation:)`` on a rank that
    ///   received a piece that did not authenticate, ``CommunicationError/rankFailed(rank:message:status:)``
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
        for q in peers where sendCiphers[q] == nil || receiveCiphers[q] == nil {
            throw CommunicationError.communication("allreduce: rank \(rank) has no pairwise key for rank \(q)")
        }
        // Nonces: each direction's block of 2·chunkCount counters (piece (p, k): first + 2k + p − 1).
        let firstSent = (0..<n).map { $0 == r ? 0 : reserveSendCounters(to: $0, channel: 0, count: 2 * chunkCount) }
        let firstReceived = (0..<n).map { $0 == r ? 0 : reserveReceiveCounters(from: $0, channel: 0, count: 2 * chunkCount) }

        // Scratch: one opened piece per source rank (slot q for rank q) and a running reduction
        // (slot n); then the sealed slots: pipelined, for each phase, each parity of k (two chunks
        // of a phase can be in flight) and each step, one sealed piece out and one in; one at a
        // time, a single pair reused for every piece (a smaller scratch stays in cache).
        let pieceBytes = chunkElements * stride
        let sealedBytes = pieceBytes + Self.tagBytes
        let openedBytes = (n + 1) * pieceBytes
        let pipelined = pipelinesChunks
        let scratch = ChunkScratch(byteCount: openedBytes + (pipelined ? 2 * 2 * (n - 1) : 1) * 2 * sealedBytes)
        let slots = UnsafeMutableRawBufferPointer(rebasing: scratch.bytes[0..<openedBytes]).bindMemory(to: T.self)
        guard let slotBase = slots.baseAddress else { return }
        func slot(_ q: Int) -> UnsafeMutablePointer<T> { slotBase + q * chunkElements }
        /// The sealed slot of phase p, chunk k, step s, `outgoing` or incoming, of `bytes` bytes.
        func sealedSlot(_ p: UInt8, _ k: Int, _ s: Int, outgoing: Bool, bytes: Int) -> UnsafeMutableRawBufferPointer {
            let pair = pipelined ? ((Int(p) - 1) * 2 + k % 2) * (n - 1) + (s - 1) : 0
            let index = pair * 2 + (outgoing ? 0 : 1)
            let start = openedBytes + index * sealedBytes
            return UnsafeMutableRawBufferPointer(rebasing: scratch.bytes[start..<(start + bytes)])
        }

        var flights: [ChunkFlight] = []
        // A communication error with exchanges in flight: MPI may still write into the scratch.
        defer { if !flights.isEmpty { scratch.keepForever() } }
        var failure: SecureCommunicationError?
        try values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            func bytes(_ range: Range<Int>) -> UnsafeMutableRawBufferPointer {
                UnsafeMutableRawBufferPointer(start: base + range.lowerBound, count: range.count * stride)
            }
            /// Tests every exchange in flight (so MPI moves them along); completes none.
            func progress() throws { for flight in flights { _ = try flight.exchange.test() } }
            /// Seals step s of phase p of chunk k and starts its exchange.
            func startStep(_ p: UInt8, _ k: Int, _ s: Int) throws {
                let destination = (r + s) % n, source = (r + n - s) % n
                let plain = p == 1 ? bytes(piece(destination, k)) : bytes(piece(r, k))
                let into = p == 1 ? UnsafeMutableRawBufferPointer(start: slot(source), count: piece(r, k).count * stride)
                    : bytes(piece(source, k))
                let sealedOut = sealedSlot(p, k, s, outgoing: true, bytes: plain.count + Self.tagBytes)
                let sealedIn = sealedSlot(p, k, s, outgoing: false, bytes: into.count + Self.tagBytes)
                guard let cipher = sendCiphers[destination],
                      cipher.seal(UnsafeRawBufferPointer(plain), into: sealedOut,
                                  nonce: try Self.nonce(channel: 0, counter: firstSent[destination] + UInt64(2 * k) + UInt64(p - 1)),
                                  authenticating: context.associatedData(phase: p, chunk: k, from: r, to: destination))
                else {
                    throw CommunicationError.communication("allreduce: AES-GCM failed to seal a chunk of \(plain.count) bytes")
                }
                // One at a time, the blocking exchange itself (MPI_Sendrecv): what the nonblocking
                // one would wait for at once, with fewer MPI calls.
                let exchange: any PendingExchange
                if pipelined {
                    exchange = try inner.startExchange(UnsafeRawBufferPointer(sealedOut), to: destination, sealedIn, from: source)
                } else {
                    try inner.sendReceive(UnsafeRawBufferPointer(sealedOut), to: destination, sealedIn, from: source)
                    exchange = CompletedExchange()
                }
                flights.append(ChunkFlight(exchange: exchange, phase: p, chunk: k, source: source, sealed: sealedIn, into: into))
            }
            /// Seals and starts every step of phase p of chunk k, testing the earlier exchanges between pieces.
            func startPhase(_ p: UInt8, _ k: Int) throws {
                for s in 1..<n {
                    try startStep(p, k, s)
                    try progress()
                }
            }
            /// Waits for the exchanges in flight of phase p of chunk k (all of them when nil) and opens them.
            func finish(_ p: UInt8?, _ k: Int) throws {
                while let index = flights.firstIndex(where: { p == nil || ($0.phase == p && $0.chunk == k) }) {
                    let flight = flights[index]
                    try flight.exchange.wait()
                    flights.remove(at: index)
                    try progress()
                    guard failure == nil else { continue }
                    let nonce = try Self.nonce(channel: 0, counter: firstReceived[flight.source] + UInt64(2 * flight.chunk) + UInt64(flight.phase - 1))
                    guard let cipher = receiveCiphers[flight.source],
                          cipher.open(UnsafeRawBufferPointer(flight.sealed), into: flight.into, nonce: nonce,
                                      authenticating: context.associatedData(phase: flight.phase, chunk: flight.chunk, from: flight.source, to: r))
                    else {
                        failure = .tampered(rank: r, source: flight.source, operation: Operation.allreduce.name)
                        continue
                    }
                }
            }
            /// Combines chunk k of this rank's segment in rank order; its own piece is already in place.
            func combine(_ k: Int) {
                let mine = piece(r, k)
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
            }

            if pipelined {
                try startPhase(1, 0)
                for k in 0..<chunkCount {
                    if k + 1 < chunkCount { try startPhase(1, k + 1) }
                    try finish(1, k)
                    combine(k)
                    try startPhase(2, k)
                    if k > 0 { try finish(2, k - 1) }
                }
                try finish(nil, 0)
            } else {
                for k in 0..<chunkCount {
                    for s in 1..<n {
                        try startStep(1, k, s)
                        try finish(nil, 0)
                    }
                    combine(k)
                    for s in 1..<n {
                        try startStep(2, k, s)
                        try finish(nil, 0)
                    }
                }
            }
        }
        try agreeing(inner) { if let failure { throw failure } }
    }

    /// What every piece of one chunked allreduce binds into its associated data.
    struct ChunkContext {
        let kind: UInt8
        let count: Int

        /// The associated data of chunk `chunk` of `phase`, from `sender` to `recipient` (wire version 2).
        func associatedData(phase: UInt8, chunk: Int, from sender: Int, to recipient: Int) -> [UInt8] {
            var data: [UInt8] = [UInt8(ascii: "V"), UInt8(ascii: "C"), 2, phase, kind]
            withUnsafeBytes(of: UInt64(count).littleEndian) { data += $0 }
            withUnsafeBytes(of: UInt32(truncatingIfNeeded: chunk).littleEndian) { data += $0 }
            return data + pairBytes(sender, recipient)
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

/// An exchange of a chunked allreduce in flight, and what to do with what it receives.
struct ChunkFlight {
    let exchange: any PendingExchange
    let phase: UInt8
    let chunk: Int
    let source: Int
    /// Where the sealed piece arrives.
    let sealed: UnsafeMutableRawBufferPointer
    /// Where it opens to.
    let into: UnsafeMutableRawBufferPointer
}

/// The scratch of one chunked allreduce, freed with it — unless an error left exchanges in
/// flight, whose buffers must then outlive them (``keepForever()``).
final class ChunkScratch {
    let bytes: UnsafeMutableRawBufferPointer

    init(byteCount: Int) { bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: byteCount, alignment: 64) }

    deinit { bytes.deallocate() }

    /// Never frees the scratch (a leak, on an error path only).
    func keepForever() { _ = Unmanaged.passRetained(self) }
}
