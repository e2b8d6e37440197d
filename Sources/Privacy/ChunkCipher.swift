import Crypto
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Seals and opens runs of payload chunks with AES-256-GCM: the payload kernel, and the one place
/// that decides how chunks are spread over threads.
///
/// Argument order everywhere: (input, first chunk index, whether the run ends the stream).
/// Chunk `j` of a run is plaintext bytes `j·c ..< min((j+1)·c, n)` and sealed bytes
/// `j·(c+16) ..< …`; its nonce is `(first + j)` as 11 big-endian bytes, then `01` when it is the
/// stream's final chunk, else `00`. No validation here: the writer and reader check sizes first.
struct ChunkCipher: Sendable {
    /// The payload key's AES-GCM context (nil only for a key that is not 256 bits, which the key
    /// schedule never derives; every seal and open then fails).
    let cipher: InPlaceAESGCM?
    let chunkSize: Int
    let threads: Int

    init(key: SymmetricKey, chunkSize: Int, threads: Int) {
        Self.allocatorTuned
        cipher = InPlaceAESGCM(key: key)
        self.chunkSize = chunkSize
        self.threads = threads
    }

    /// swift-crypto returns every sealed or opened chunk in a freshly allocated buffer. With glibc's
    /// default thresholds, freeing it shrinks the heap (or unmaps it, above 128 KiB), so the next
    /// chunk's buffer page-faults in again: about 70 000 faults and half the time for 256 MiB.
    /// Keeping up to 64 MiB of freed memory and serving blocks up to 32 MiB from the heap removes
    /// that. Done once per process, on first use of the module's cipher.
    /// (`mallopt` is looked up at run time: Swift's Glibc module does not import malloc.h; the
    /// parameter numbers are glibc's ABI, M_TRIM_THRESHOLD = −1 and M_MMAP_THRESHOLD = −3. On a C
    /// library without it nothing changes.)
    private static let allocatorTuned: Void = {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let program = dlopen(nil, RTLD_NOW), let symbol = dlsym(program, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        _ = mallopt(-1, 64 << 20)  // M_TRIM_THRESHOLD
        _ = mallopt(-3, 32 << 20)  // M_MMAP_THRESHOLD
        #endif
    }()

    /// Applies the allocator setting above once per process: for other code of the package that
    /// seals large buffers one after another (the encrypted communicator).
    static func tuneAllocator() { allocatorTuned }

    var sealedChunkSize: Int { chunkSize + SealedFormat.tagBytes }

    /// The most bytes of one batch, whatever the number of cores: a reader or writer holds at most
    /// two batches (the one being filled and the one being released), so about 64 MiB.
    static let maximumBatchBytes = 32 << 20

    /// The chunks per batch that a writer or reader buffers: about 4 MiB of plaintext per thread,
    /// at most 1024 chunks and ``maximumBatchBytes``, and at least 2 (16 MiB chunks make batches of
    /// 2 chunks on any number of cores). A writer reading from a source keeps the last chunk of a
    /// full batch back (it may be the final one), so a batch must hold two.
    var chunksPerBatch: Int {
        max(2, min(threads * max(1, (4 << 20) / chunkSize), 1024, Self.maximumBatchBytes / chunkSize))
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

    /// The threads that seal or open a batch in the background while the caller's thread reads and
    /// writes the files: one fewer than `threads` (at least one), so that `threads` is the number of
    /// busy threads in all.
    var backgroundThreads: Int { max(1, threads - 1) }

    /// Runs `body(j)` for every chunk `j` in `0..<count`, on up to `workers` threads (default
    /// `threads`), each thread taking one contiguous range of chunks.
    private func forEachChunk(_ count: Int, workers requested: Int? = nil, _ body: @Sendable (Int) -> Void) {
        let workers = min(requested ?? threads, count)
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

    /// Seals the chunks of `plaintext`; the last chunk of the run is marked final when
    /// `endsStream`. An empty `plaintext` gives one empty chunk.
    ///
    /// The chunks are sealed in place into one buffer for the run, and each sealed chunk
    /// (`ciphertext || tag`) is returned as a view into it, so the bytes are not copied again
    /// before they are written.
    /// - Returns: The sealed chunks in order, or `nil` if AES-GCM failed (it does not on valid keys).
    func seal(_ plaintext: UnsafeRawBufferPointer, firstIndex: UInt64, endsStream: Bool, workers: Int? = nil) -> [Data]? {
        guard let cipher else { return nil }
        let n = plaintext.count
        let count = max(1, (n + chunkSize - 1) / chunkSize)
        let input = RawBytes(plaintext)
        // Chunk j's sealed bytes: j·(c+16) ..< j·(c+16) + its length + 16.
        @Sendable func sealedRange(_ j: Int) -> Range<Int> {
            let start = j * sealedChunkSize
            return start..<(start + min(chunkSize, n - j * chunkSize) + SealedFormat.tagBytes)
        }
        let runBytes = n + count * SealedFormat.tagBytes
        guard let base = malloc(max(runBytes, 1)) else { return nil }
        let sealedAll = { () -> Bool in
            let output = MutableRawBytes(base)
            let flags = ChunkFlags(count)
            defer { flags.deallocate() }
            forEachChunk(count, workers: workers) { [self] j in
                let start = j * chunkSize
                let chunk = UnsafeRawBufferPointer(start: input.base.map { $0 + start }, count: min(chunkSize, n - start))
                let range = sealedRange(j)
                let out = UnsafeMutableRawBufferPointer(start: output.base.map { $0 + range.lowerBound }, count: range.count)
                let nonce = Self.nonce(firstIndex + UInt64(j), final: endsStream && j == count - 1)
                flags.set(j, cipher.seal(chunk, into: out, nonce: nonce, authenticating: []))
            }
            return flags.firstUnset == nil
        }()
        guard sealedAll else {
            free(base)
            return nil
        }
        let run = Self.data(taking: base, count: runBytes)
        return (0..<count).map { run[sealedRange($0)] }
    }

    /// The outcome of opening a run of chunks.
    struct OpenResult {
        /// The plaintext of the chunks that authenticated before the first failure (all of them
        /// when `failed` is nil).
        let chunks: [Data]
        /// The run-relative index of the first chunk that failed.
        let failed: Int?
    }

    /// Opens the sealed chunks of `sealed` (each `c + 16` bytes but possibly the last, which must be
    /// at least 16); the last chunk of the run is opened as final when `endsStream`. The chunks open
    /// in place into one buffer for the run; only those before the first failure are returned.
    func open(_ sealed: UnsafeRawBufferPointer, firstIndex: UInt64, endsStream: Bool, workers: Int? = nil) -> OpenResult {
        let count = (sealed.count + sealedChunkSize - 1) / sealedChunkSize
        guard let cipher else { return OpenResult(chunks: [], failed: count > 0 ? 0 : nil) }
        let total = sealed.count
        let input = RawBytes(sealed)
        // Chunk j's plaintext: j·c ..< j·c + its sealed length − 16 (a chunk shorter than a tag has none).
        @Sendable func plainRange(_ j: Int) -> Range<Int> {
            let start = j * chunkSize
            return start..<(start + max(0, min(sealedChunkSize, total - j * sealedChunkSize) - SealedFormat.tagBytes))
        }
        let runBytes = count == 0 ? 0 : plainRange(count - 1).upperBound
        guard let base = malloc(max(runBytes, 1)) else { return OpenResult(chunks: [], failed: count > 0 ? 0 : nil) }
        let failed = { () -> Int? in
            let output = MutableRawBytes(base)
            let flags = ChunkFlags(count)
            defer { flags.deallocate() }
            forEachChunk(count, workers: workers) { [self] j in
                let start = j * sealedChunkSize
                let length = min(sealedChunkSize, total - start)
                guard length >= SealedFormat.tagBytes, let base = input.base else { return }
                let range = plainRange(j)
                let out = UnsafeMutableRawBufferPointer(start: output.base.map { $0 + range.lowerBound }, count: range.count)
                let nonce = Self.nonce(firstIndex + UInt64(j), final: endsStream && j == count - 1)
                flags.set(j, cipher.open(UnsafeRawBufferPointer(start: base + start, count: length), into: out, nonce: nonce,
                                         authenticating: []))
            }
            return flags.firstUnset
        }()
        let run = Self.data(taking: base, count: runBytes)
        let good = failed ?? count
        return OpenResult(chunks: (0..<good).map { run[plainRange($0)] }, failed: failed)
    }

    /// `count` bytes at `base` (from `malloc`, already written: the run's memory is not zeroed
    /// first) as `Data` that frees them. Wrapped only after writing, because `Data` may copy a
    /// small buffer into its own storage when it is made.
    private static func data(taking base: UnsafeMutableRawPointer, count: Int) -> Data {
        Data(bytesNoCopy: base, count: count, deallocator: .free)
    }

    /// Whether one sealed chunk opens with the given index and final flag (for diagnosing failures).
    func opens(_ sealedChunk: UnsafeRawBufferPointer, index: UInt64, final: Bool) -> Bool {
        guard let cipher, sealedChunk.count >= SealedFormat.tagBytes else { return false }
        var plain = [UInt8](repeating: 0, count: sealedChunk.count - SealedFormat.tagBytes)
        return plain.withUnsafeMutableBytes {
            cipher.open(sealedChunk, into: $0, nonce: Self.nonce(index, final: final), authenticating: [])
        }
    }
}

/// Work started on a thread of its own whose result is collected later, so that the caller can read
/// or write files while chunks are sealed or opened.
///
/// A new thread per batch (a few per second of I/O), not a global dispatch queue: a caller that is
/// itself a dispatch worker waiting here must not wait for a pool it may have exhausted. Inside,
/// `concurrentPerform` runs its iterations on this thread and any free pool threads.
final class BackgroundWork<Result: Sendable>: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result?

    /// Starts `body` at once on a new thread.
    init(_ body: @escaping @Sendable () -> Result) {
        let thread = Thread { [self] in
            result = body()
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// Waits for the result; call once (the semaphore is taken).
    func wait() -> Result {
        done.wait()
        guard let result else { preconditionFailure("background work signalled without a result") }
        return result
    }
}

/// A reader or writer handed to a background thread that alone uses it until the owner waits for
/// it (the owner touches nothing of it meanwhile).
struct UncheckedReference<Object: AnyObject>: @unchecked Sendable {
    let object: Object
    init(_ object: Object) {
        self.object = object
    }
}

/// A byte source handed to a background thread that alone reads it until the owner waits for it.
struct UncheckedSource: @unchecked Sendable {
    let source: ByteSource
    init(_ source: ByteSource) {
        self.source = source
    }
}

/// A read-only buffer handed to another thread that alone reads it until it signals.
struct SendableRawBuffer: @unchecked Sendable {
    let buffer: UnsafeRawBufferPointer
    init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }
}

/// A raw buffer handed to worker threads; each worker reads only its own chunks' bytes.
private struct RawBytes: @unchecked Sendable {
    let base: UnsafeRawPointer?
    init(_ buffer: UnsafeRawBufferPointer) {
        base = buffer.baseAddress
    }
}

/// A writable raw buffer handed to worker threads; each worker writes only its own chunks' bytes.
private struct MutableRawBytes: @unchecked Sendable {
    let base: UnsafeMutableRawPointer?
    init(_ base: UnsafeMutableRawPointer) {
        self.base = base
    }
}

/// Whether each chunk succeeded, set by worker threads (each writes only its own flag).
private struct ChunkFlags: @unchecked Sendable {
    let flags: UnsafeMutablePointer<Bool>
    let count: Int
    init(_ count: Int) {
        self.count = count
        flags = .allocate(capacity: max(count, 1))
        flags.initialize(repeating: false, count: max(count, 1))
    }
    func set(_ index: Int, _ value: Bool) { flags[index] = value }
    /// The first chunk that did not succeed, if any.
    var firstUnset: Int? { (0..<count).first { !flags[$0] } }
    func deallocate() {
        flags.deinitialize(count: max(count, 1))
        flags.deallocate()
    }
}

/// Applies the sealed-file cipher's allocator setting (``ChunkCipher``) once per process, for other
/// code of the package that seals large buffers one after another (the encrypted communicator).
package func tuneAllocatorForLargeBuffers() { ChunkCipher.tuneAllocator() }
