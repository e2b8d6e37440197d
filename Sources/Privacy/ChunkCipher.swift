import Crypto
import Dispatch
import Foundation

/// Seals and opens runs of payload chunks with AES-256-GCM: the payload kernel, and the one place
/// that decides how chunks are spread over threads.
///
/// Argument order everywhere: (input, first chunk index, whether the run ends the stream, output).
/// Chunk `j` of a run is plaintext bytes `j·c ..< min((j+1)·c, n)` and sealed bytes
/// `j·(c+16) ..< …`; its nonce is `(first + j)` as 11 big-endian bytes, then `01` when it is the
/// stream's final chunk, else `00`. No validation here: the writer and reader check sizes first.
struct ChunkCipher: Sendable {
    let key: SymmetricKey
    let chunkSize: Int
    let threads: Int

    var sealedChunkSize: Int { chunkSize + SealedFormat.tagBytes }

    /// The chunks per batch that a writer or reader buffers: about 4 MiB of plaintext per thread,
    /// at least one chunk per thread, at most 1024 chunks.
    var chunksPerBatch: Int {
        max(threads, min(1024, threads * max(1, (4 << 20) / chunkSize)))
    }

    /// The nonce of chunk `index`.
    static func nonce(_ index: UInt64, final: Bool) -> AES.GCM.Nonce {
        var bytes = [UInt8](repeating: 0, count: 12)
        var value = index
        // Bytes 3…10 hold the 64-bit index big-endian (bytes 0…2, the top of the 88-bit counter, stay 0).
        for position in stride(from: 10, through: 3, by: -1) {
            bytes[position] = UInt8(truncatingIfNeeded: value)
            value >>= 8
        }
        bytes[11] = final ? 1 : 0
        // 12 bytes is always a valid GCM nonce.
        return (try? AES.GCM.Nonce(data: bytes)) ?? AES.GCM.Nonce()
    }

    /// Runs `body(j)` for every chunk `j` in `0..<count`, on up to `threads` threads, each thread
    /// taking one contiguous range of chunks.
    private func forEachChunk(_ count: Int, _ body: @Sendable (Int) -> Void) {
        let workers = min(threads, count)
        if workers <= 1 {
            for j in 0..<count { body(j) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            // Worker w takes chunks ⌊w·count/workers⌋ ..< ⌊(w+1)·count/workers⌋.
            let start = worker * count / workers
            let end = (worker + 1) * count / workers
            for j in start..<end { body(j) }
        }
    }

    /// Seals the chunks of `plaintext` into `sealed`; the last chunk of the run is marked final
    /// when `endsStream`. An empty `plaintext` gives one empty chunk.
    /// - Returns: The sealed bytes written, or `nil` if AES-GCM failed (it does not on valid keys).
    func seal(_ plaintext: UnsafeRawBufferPointer, firstIndex: UInt64, endsStream: Bool,
              into sealed: UnsafeMutableRawBufferPointer) -> Int? {
        let n = plaintext.count
        let count = max(1, (n + chunkSize - 1) / chunkSize)
        assert(sealed.count >= n + count * SealedFormat.tagBytes)
        let input = RawBytes(plaintext), output = RawBytes(sealed)
        let failures = ChunkFlags(count)
        defer { failures.deallocate() }
        forEachChunk(count) { [self] j in
            let start = j * chunkSize
            let end = min(start + chunkSize, n)
            let chunk = UnsafeRawBufferPointer(start: input.base.map { $0 + start }, count: end - start)
            let nonce = Self.nonce(firstIndex + UInt64(j), final: endsStream && j == count - 1)
            guard let box = try? AES.GCM.seal(chunk, using: key, nonce: nonce), let outputBase = output.mutableBase else {
                failures.set(j)
                return
            }
            // Sealed chunk j starts at j·(c+16): ciphertext, then the 16-byte tag.
            let target = outputBase + j * sealedChunkSize
            box.ciphertext.withUnsafeBytes { UnsafeMutableRawBufferPointer(start: target, count: $0.count).copyMemory(from: $0) }
            box.tag.withUnsafeBytes { UnsafeMutableRawBufferPointer(start: target + (end - start), count: $0.count).copyMemory(from: $0) }
        }
        return failures.first == nil ? n + count * SealedFormat.tagBytes : nil
    }

    /// The outcome of opening a run of chunks.
    struct OpenResult {
        /// Chunks that authenticated before the first failure (all of them when `failed` is nil).
        let goodChunks: Int
        /// Plaintext bytes of those chunks, at the start of the output.
        let plaintextBytes: Int
        /// The run-relative index of the first chunk that failed.
        let failed: Int?
    }

    /// Opens the sealed chunks of `sealed` (each `c + 16` bytes but possibly the last, which must be
    /// at least 16) into `plaintext`; the last chunk of the run is opened as final when `endsStream`.
    func open(_ sealed: UnsafeRawBufferPointer, firstIndex: UInt64, endsStream: Bool,
              into plaintext: UnsafeMutableRawBufferPointer) -> OpenResult {
        let count = (sealed.count + sealedChunkSize - 1) / sealedChunkSize
        let total = sealed.count
        let input = RawBytes(sealed), output = RawBytes(plaintext)
        let failures = ChunkFlags(count)
        defer { failures.deallocate() }
        forEachChunk(count) { [self] j in
            let start = j * sealedChunkSize
            let length = min(sealedChunkSize, total - start)
            guard length >= SealedFormat.tagBytes, let base = input.base else {
                failures.set(j)
                return
            }
            let body = UnsafeRawBufferPointer(start: base + start, count: length - SealedFormat.tagBytes)
            let tag = UnsafeRawBufferPointer(start: base + start + length - SealedFormat.tagBytes, count: SealedFormat.tagBytes)
            let nonce = Self.nonce(firstIndex + UInt64(j), final: endsStream && j == count - 1)
            guard let box = try? AES.GCM.SealedBox(nonce: nonce, ciphertext: body, tag: tag),
                  let opened = try? AES.GCM.open(box, using: key), let outputBase = output.mutableBase
            else {
                failures.set(j)
                return
            }
            let target = outputBase + j * chunkSize
            opened.withUnsafeBytes { UnsafeMutableRawBufferPointer(start: target, count: $0.count).copyMemory(from: $0) }
        }
        let failed = failures.first
        let good = failed ?? count
        let bytes = good == count ? sealed.count - count * SealedFormat.tagBytes : good * chunkSize
        return OpenResult(goodChunks: good, plaintextBytes: bytes, failed: failed)
    }

    /// Whether one sealed chunk opens with the given index and final flag (for diagnosing failures).
    func opens(_ sealedChunk: UnsafeRawBufferPointer, index: UInt64, final: Bool) -> Bool {
        guard sealedChunk.count >= SealedFormat.tagBytes, let base = sealedChunk.baseAddress else { return false }
        let body = UnsafeRawBufferPointer(start: base, count: sealedChunk.count - SealedFormat.tagBytes)
        let tag = UnsafeRawBufferPointer(start: base + body.count, count: SealedFormat.tagBytes)
        guard let box = try? AES.GCM.SealedBox(nonce: Self.nonce(index, final: final), ciphertext: body, tag: tag) else { return false }
        return (try? AES.GCM.open(box, using: key)) != nil
    }
}

/// A raw buffer handed to worker threads; each worker touches only its own chunks' bytes.
private struct RawBytes: @unchecked Sendable {
    let base: UnsafeRawPointer?
    let mutableBase: UnsafeMutableRawPointer?
    init(_ buffer: UnsafeRawBufferPointer) {
        base = buffer.baseAddress
        mutableBase = nil
    }
    init(_ buffer: UnsafeMutableRawBufferPointer) {
        base = buffer.baseAddress.map { UnsafeRawPointer($0) }
        mutableBase = buffer.baseAddress
    }
}

/// One flag per chunk, set by worker threads (each writes only its own chunk's byte).
private struct ChunkFlags: @unchecked Sendable {
    let flags: UnsafeMutablePointer<UInt8>
    let count: Int
    init(_ count: Int) {
        self.count = count
        flags = .allocate(capacity: max(count, 1))
        flags.initialize(repeating: 0, count: max(count, 1))
    }
    func set(_ index: Int) { flags[index] = 1 }
    var first: Int? { (0..<count).first { flags[$0] != 0 } }
    func deallocate() { flags.deallocate() }
}
