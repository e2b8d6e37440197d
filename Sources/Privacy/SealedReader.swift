import Crypto
import Foundation

/// How sealed files are opened.
public struct OpenOptions: Sendable {
    /// The most scrypt work accepted from a passphrase stanza, as log2 N at r = 8, p = 1
    /// (default 20: 1 GiB, a few seconds). A stanza that asks for more is refused before any work.
    public var maximumWorkFactor: Int
    /// Threads in all (default: every core). With one, everything runs in order on the caller's
    /// thread; with more, `copy(to:)` and `read(into:)` read and release on the caller's thread while
    /// `threads − 1` threads open the next batch.
    public var threads: Int?

    /// What `SealedFile.contents(atPath:…)` does with a file that is not sealed (default
    /// `.automatic`). The streaming reader and `SealedFile.open` always refuse one.
    public var plaintext: PlaintextPolicy

    /// The default work limit for opening: log2 N = 20.
    public static let defaultMaximumWorkFactor = 20

    /// Options with the given work limit, threads and plaintext policy.
    /// - Parameters:
    ///   - maximumWorkFactor: log2 N at r = 8, p = 1; 1 … 30.
    ///   - threads: Threads (at least 1), or `nil` for every core.
    ///   - plaintext: What to do with an input that is not sealed (default `.automatic`).
    public init(maximumWorkFactor: Int = OpenOptions.defaultMaximumWorkFactor, threads: Int? = nil,
                plaintext: PlaintextPolicy = .automatic) {
        self.maximumWorkFactor = maximumWorkFactor
        self.threads = threads
        self.plaintext = plaintext
    }
}

/// Whether a reader of files that may be sealed accepts one that is not.
///
/// Someone who can write to the storage can swap `model.sealed` for a plain file; a reader that
/// holds keys, or opens a file named `*.sealed`, expects a sealed file and must not take the plain
/// one without a word. Refusals are `PrivacyError.unsealedInput` (exit status 4 in the CLI).
public enum PlaintextPolicy: Sendable, Equatable {
    /// Refuse an unsealed file when keys were given or its name ends in `.sealed`; read it as is
    /// otherwise. Where the keys are chosen from the header (the closure forms of
    /// `SealedFile.contents`), whether keys were given is not known: those refuse a `.sealed` name
    /// only, and a caller that holds keys passes `.refuse` (see `automatic(keysGiven:)`).
    case automatic
    /// Refuse every unsealed file.
    case refuse
    /// Read an unsealed file as is, whatever its name and the keys (`--allow-plaintext`).
    case allow

    /// The policy of a reader that knows whether it was given keys: `.refuse` when it was,
    /// `.automatic` otherwise, `.allow` when `allowPlaintext`.
    /// - Parameters:
    ///   - keysGiven: Whether identities, a passphrase or a key file were given.
    ///   - allowPlaintext: Whether the user accepts unsealed input knowingly.
    /// - Returns: The policy.
    public static func automatic(keysGiven: Bool, allowPlaintext: Bool = false) -> PlaintextPolicy {
        allowPlaintext ? .allow : keysGiven ? .refuse : .automatic
    }

    /// Why an unsealed file at `path` is refused, or `nil` when it is accepted.
    func refusal(path: String, keysGiven: Bool) -> String? {
        switch self {
        case .allow:
            return nil
        case .refuse:
            return "keys were given, so a sealed file is expected"
        case .automatic:
            if keysGiven { return "keys were given, so a sealed file is expected" }
            if path.lowercased().hasSuffix(".sealed") { return "its name ends in .sealed, so a sealed file is expected" }
            return nil
        }
    }
}

/// Opens a sealed stream: reads and authenticates the header, then releases plaintext only as
/// chunks authenticate, in constant memory.
///
/// The end of the stream (`read` returning 0, `copy(to:)` returning) is reached only after the
/// final chunk authenticates; any failure throws, after the plaintext of the chunks that came
/// before the failing one has been released.
///
/// ```swift
/// let reader = try SealedReader(from: .fileDescriptor(fd, name: path), identities: [.x25519(identity)], name: path)
/// let csv = try reader.readToEnd()
/// ```
public final class SealedReader {
    /// The file's header (its MAC checked).
    public let header: SealedHeader

    private let source: ByteSource
    private let name: String
    private let cipher: ChunkCipher
    /// The sealed bytes of the batch being read and opened. A batch starts at one chunk and grows
    /// fourfold after each full batch up to `cipher.chunksPerBatch`, so small files cost little
    /// memory.
    private var sealed = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    /// The chunks the next batch may hold.
    private var nextBatchChunks = 1
    /// The byte read after a full batch (to learn whether the input ended with it): the next
    /// batch's first byte.
    private var lookAhead: UInt8?
    /// The index of the next batch's first chunk.
    private var nextReadIndex: UInt64 = 0
    /// The next batch, being read from the source and opened on other threads while the caller
    /// releases the current one.
    private var inFlight: BackgroundWork<Opened>?
    /// The authenticated plaintext chunks of the current batch, not yet released.
    private var opened: [Data] = []
    /// The chunk of `opened` being released, and the bytes of it already released.
    private var openedIndex = 0
    private var openedOffset = 0
    private var reachedEnd = false
    private var pendingError: PrivacyError?

    /// A batch and the outcome of opening it, or what reading it threw.
    private struct Opened: @unchecked Sendable {
        let outcome: Result<(batch: Batch, result: ChunkCipher.OpenResult), any Error>
    }

    /// One batch of sealed chunks as read: `bytes` sealed bytes at the start of `buffer`.
    private struct Batch {
        let buffer: UnsafeMutableRawBufferPointer
        let bytes: Int
        let endsStream: Bool
        let firstIndex: UInt64
        var chunkCount: Int
        var run: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<bytes]) }
    }

    /// Plaintext bytes released so far.
    public private(set) var plaintextByteCount = 0

    /// Reads the header from `source`, finds the file key with the identities and checks the
    /// header MAC.
    /// - Parameters:
    ///   - source: The sealed bytes.
    ///   - identities: Keys to try (X25519 identities, passphrases, raw keys).
    ///   - options: The scrypt work limit and threads.
    ///   - name: The path or `<stdin>`, for error messages.
    /// - Throws: `PrivacyError.notSealed`, `.unsupportedVersion`, `.headerTruncated`, `.headerMalformed`,
    ///   `.identityRequired`, `.workFactorTooHigh`, `.noMatchingIdentity`, `.headerModified`,
    ///   `.invalidThreads`, `.invalidWorkFactor`, `.io`.
    public convenience init(from source: ByteSource, identities: [Identity], options: OpenOptions = OpenOptions(),
                            name: String = "<input>") throws {
        try self.init(from: source, options: options, name: name) { _ in identities }
    }

    /// Reads the header from `source`, asks `identities` for the keys to try — knowing the
    /// recipient kinds, a caller can ask for a passphrase only when the file has one — finds the
    /// file key and checks the header MAC.
    /// - Parameters:
    ///   - source: The sealed bytes.
    ///   - options: The scrypt work limit and threads.
    ///   - name: The path or `<stdin>`, for error messages.
    ///   - identities: Given the parsed header, the keys to try.
    /// - Throws: As `init(from:identities:options:name:)`, and whatever `identities` throws.
    public init(from source: ByteSource, options: OpenOptions = OpenOptions(), name: String = "<input>",
                identities: (SealedHeader) throws -> [Identity]) throws {
        guard (1...30).contains(options.maximumWorkFactor) else {
            throw PrivacyError.invalidWorkFactor(received: options.maximumWorkFactor, valid: 1...30)
        }
        let threads = options.threads ?? defaultThreadCount()
        guard threads >= 1 else { throw PrivacyError.invalidThreads(received: threads) }
        var source = source
        header = try SealedHeader.read(from: &source, name: name)
        // The header MAC is checked inside: the first key under which it holds is the file key.
        let fileKey = try StanzaCodec.unwrap(header, identities: try identities(header), maximumLog2N: options.maximumWorkFactor, source: name)
        cipher = ChunkCipher(key: KeySchedule.payloadKey(fileKey: fileKey, payloadSalt: header.payloadSalt),
                             chunkSize: header.chunkSize, threads: threads)
        self.source = source
        self.name = name
    }

    deinit {
        // A batch still being read and opened uses the buffer: wait for it first.
        _ = inFlight?.wait()
        sealed.deallocate()
    }

    /// The content type written in the header.
    public var contentType: String { header.contentType }

    /// Reads authenticated plaintext into `buffer`.
    /// - Parameter buffer: Where the bytes go.
    /// - Returns: The bytes written; 0 only at the authenticated end of the stream (or for an empty buffer).
    /// - Throws: `PrivacyError.truncated`, `.chunkFailed`, `.trailingData`, `.payloadMalformed`, `.io`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            // Skip released (or empty) chunks; fetch the next batch when none is left.
            while openedIndex < opened.count, openedOffset == opened[openedIndex].count {
                openedIndex += 1
                openedOffset = 0
            }
            if openedIndex < opened.count { break }
            if let pendingError { throw pendingError }
            if reachedEnd { return 0 }
            try nextBatch()
        }
        let chunk = opened[openedIndex]
        let count = min(buffer.count, chunk.count - openedOffset)
        let start = chunk.startIndex + openedOffset
        chunk.copyBytes(to: buffer.bindMemory(to: UInt8.self), from: start..<(start + count))
        openedOffset += count
        plaintextByteCount += count
        return count
    }

    /// Streams the rest of the plaintext into `sink`, a batch at a time; with more than one
    /// thread, the next batch is read and opened while this one is written.
    /// - Parameter sink: Where the bytes go.
    /// - Returns: The bytes written.
    /// - Throws: As `read(into:)`, and whatever the sink throws.
    @discardableResult
    public func copy(to sink: ByteSink) throws -> Int {
        var total = 0
        while true {
            if openedIndex == opened.count {
                if let pendingError { throw pendingError }
                if reachedEnd { return total }
                try nextBatch()
                continue
            }
            let chunk = opened[openedIndex]
            let rest = chunk.count - openedOffset
            if rest > 0 {
                let offset = openedOffset
                try chunk.withUnsafeBytes { try sink.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            }
            total += rest
            plaintextByteCount += rest
            openedIndex += 1
            openedOffset = 0
        }
    }

    /// The rest of the plaintext in memory.
    /// - Returns: The bytes.
    /// - Throws: As `read(into:)`.
    public func readToEnd() throws -> Data {
        var data = Data()
        try copy(to: ByteSink { data.append(contentsOf: $0) })
        return data
    }

    /// Makes the next batch's authenticated chunks available in `opened` (or sets `pendingError`,
    /// or `reachedEnd`). With more than one thread it works one batch ahead: while the caller
    /// releases this batch (writes it out), the next one is read from the source and opened on
    /// other threads, so reading, opening and writing overlap and the caller's thread only writes.
    private func nextBatch() throws {
        guard cipher.threads > 1 else {
            let batch = try readBatch()
            accept(batch, cipher.open(batch.run, firstIndex: batch.firstIndex, endsStream: batch.endsStream))
            return
        }
        let opened: Opened
        if let work = inFlight {
            opened = work.wait()
            inFlight = nil
        } else {
            opened = readAndOpen(workers: cipher.threads)
        }
        let (batch, result) = try opened.outcome.get()
        accept(batch, result)
        if pendingError == nil, !reachedEnd {
            let reader = UncheckedReference(self)
            let workers = cipher.backgroundThreads
            inFlight = BackgroundWork { reader.object.readAndOpen(workers: workers) }
        }
    }

    /// Reads the next batch and opens it (on the calling thread and `workers` threads in all). Only
    /// one call runs at a time: the caller's thread waits for it before touching the reader again.
    private func readAndOpen(workers: Int) -> Opened {
        do {
            let batch = try readBatch()
            let result = cipher.open(batch.run, firstIndex: batch.firstIndex, endsStream: batch.endsStream, workers: workers)
            return Opened(outcome: .success((batch, result)))
        } catch {
            return Opened(outcome: .failure(error))
        }
    }

    /// Reads one batch of sealed chunks, plus one byte to learn whether the input ends there, into
    /// the next buffer.
    private func readBatch() throws -> Batch {
        let needed = nextBatchChunks * cipher.sealedChunkSize + 1
        // One buffer: a batch's sealed bytes are not needed once it is opened (its plaintext is
        // held apart), and the next batch is read only then.
        if sealed.count < needed {
            sealed.deallocate()
            sealed = .allocate(byteCount: needed, alignment: 64)
        }
        let buffer = UnsafeMutableRawBufferPointer(rebasing: sealed[0..<needed])
        var filled = 0
        if let byte = lookAhead {
            buffer[0] = byte
            filled = 1
            lookAhead = nil
        }
        filled += try source.readFully(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
        let batchBytes = needed - 1
        let endsStream = filled <= batchBytes
        let runBytes = endsStream ? filled : batchBytes
        if runBytes == 0 {
            // Only possible before chunk 0: a batch that does not end the stream leaves one byte behind.
            throw fail(.truncated(source: name, afterChunk: Int(nextReadIndex) - 1))
        }
        let chunkCount = (runBytes + cipher.sealedChunkSize - 1) / cipher.sealedChunkSize
        if !endsStream {
            lookAhead = buffer[batchBytes]
            if nextBatchChunks < cipher.chunksPerBatch { nextBatchChunks = min(cipher.chunksPerBatch, nextBatchChunks * 4) }
        }
        let batch = Batch(buffer: buffer, bytes: runBytes, endsStream: endsStream, firstIndex: nextReadIndex, chunkCount: chunkCount)
        nextReadIndex += UInt64(chunkCount)
        return batch
    }

    /// Takes the result of opening a batch: its authenticated chunks, and the failure or the end.
    private func accept(_ batch: Batch, _ result: ChunkCipher.OpenResult) {
        opened = result.chunks
        openedIndex = 0
        openedOffset = 0
        if let failed = result.failed {
            pendingError = diagnose(batch, chunk: failed, isFinal: batch.endsStream && failed == batch.chunkCount - 1)
            return
        }
        if batch.endsStream {
            let finalBytes = batch.bytes - (batch.chunkCount - 1) * cipher.sealedChunkSize
            let finalIndex = Int(batch.firstIndex) + batch.chunkCount - 1
            if finalBytes == SealedFormat.tagBytes, finalIndex > 0 {
                opened.removeLast()
                pendingError = .payloadMalformed(source: name, chunk: finalIndex,
                                                 detail: "an empty final chunk follows full chunks (a writer marks the last full chunk final)")
                return
            }
            reachedEnd = true
        }
    }

    /// Says why chunk `chunk` of a batch failed: a final chunk that opens as non-final means the
    /// stream was cut after it; a non-final chunk that opens as final means data was appended.
    private func diagnose(_ batch: Batch, chunk: Int, isFinal: Bool) -> PrivacyError {
        let run = batch.run
        let start = chunk * cipher.sealedChunkSize
        let bytes = UnsafeRawBufferPointer(rebasing: run[start..<min(run.count, start + cipher.sealedChunkSize)])
        let index = Int(batch.firstIndex) + chunk
        if cipher.opens(bytes, index: UInt64(index), final: !isFinal) {
            return isFinal ? .truncated(source: name, afterChunk: index) : .trailingData(source: name, afterChunk: index)
        }
        return .chunkFailed(source: name, chunk: index, offset: header.byteCount + index * cipher.sealedChunkSize, isFinal: isFinal)
    }

    private func fail(_ error: PrivacyError) -> PrivacyError {
        pendingError = error
        return error
    }
}
