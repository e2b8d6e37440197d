import Crypto
import Foundation

/// How files are sealed.
public struct SealOptions: Sendable {
    /// Plaintext bytes per chunk: a power of two from 1 KiB to 16 MiB (default 64 KiB).
    public var chunkSize: Int
    /// Threads in all (default: every core). With one, everything runs in order on the caller's
    /// thread; with more, the caller's thread reads and writes while `threads − 1` threads seal the
    /// batch before.
    public var threads: Int?

    /// The default chunk size: 64 KiB.
    public static let defaultChunkSize = 1 << 16

    /// Options with the given chunk size and threads.
    /// - Parameters:
    ///   - chunkSize: Plaintext bytes per chunk (a power of two, 1 KiB … 16 MiB).
    ///   - threads: Threads (at least 1), or `nil` for every core.
    public init(chunkSize: Int = SealOptions.defaultChunkSize, threads: Int? = nil) {
        self.chunkSize = chunkSize
        self.threads = threads
    }
}

/// The number of cores this process may use.
func defaultThreadCount() -> Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

/// Seals a stream: writes the header at once, then chunks as plaintext arrives, in constant memory.
///
/// Call `write` any number of times and then `finish()`; the final chunk is sealed only by
/// `finish()`, so a stream that is never finished has no final chunk and every reader rejects it
/// as truncated. Chunks are sealed in batches of several MiB spread over `threads` cores.
///
/// ```swift
/// let writer = try SealedWriter(to: .fileDescriptor(fd, name: path), recipients: [.x25519(recipient)],
///                               contentType: "dataset/csv")
/// try writer.write(csvData)
/// try writer.finish()
/// ```
public final class SealedWriter {
    /// The header written at the start of the stream.
    public let header: SealedHeader

    private let sink: ByteSink
    private let cipher: ChunkCipher
    /// Plaintext waiting to be sealed; it starts at one chunk and grows to a full batch, so that
    /// small files cost little memory.
    private var plaintext: UnsafeMutableRawBufferPointer
    private var filled = 0
    /// A second buffer of a full batch: with more than one thread, a full batch is sealed in the
    /// background from one buffer while the next is read into the other, and the chunks sealed
    /// before are written meanwhile.
    private var spare: UnsafeMutableRawBufferPointer?
    /// The batch being sealed in the background (at most one), and whether it reads the caller's
    /// memory (then it is waited for before `write` returns).
    private var inFlight: BackgroundWork<[Data]?>?
    private var inFlightBorrowsCaller = false
    private var nextIndex: UInt64 = 0
    private var closed: String?

    /// Plaintext bytes accepted so far.
    public private(set) var plaintextByteCount = 0
    /// Sealed bytes written so far (header and chunks).
    public private(set) var sealedByteCount = 0

    /// Starts a sealed stream: draws a file key, wraps it for every recipient and writes the header.
    /// - Parameters:
    ///   - sink: Where the sealed bytes go.
    ///   - recipients: Who can open the stream (at least one; at most 64 X25519 recipients, or one
    ///     passphrase, or one key file).
    ///   - contentType: What the plaintext is: `type/subtype`, e.g. `dataset/csv`.
    ///   - options: Chunk size and threads.
    /// - Throws: `PrivacyError.noRecipients`, `.mixedRecipients` (a passphrase or key file with others),
    ///   `.invalidContentType`, `.invalidChunkSize`, `.invalidThreads`, `.invalidWorkFactor`,
    ///   `.passphraseUnavailable` (empty passphrase), and whatever the sink throws.
    public convenience init(to sink: ByteSink, recipients: [Recipient], contentType: String = SealedFile.defaultContentType,
                            options: SealOptions = SealOptions()) throws {
        try self.init(to: sink, recipients: recipients, contentType: contentType, options: options,
                      fileKey: SymmetricKey(size: .bits256), random: StanzaCodec.randomBytes)
    }

    /// The designated initialiser; tests give a fixed file key and salts to compare with an
    /// independent computation.
    init(to sink: ByteSink, recipients: [Recipient], contentType: String, options: SealOptions,
         fileKey: SymmetricKey, random: (Int) -> [UInt8]) throws {
        guard !recipients.isEmpty else { throw PrivacyError.noRecipients }
        guard recipients.count <= SealedFormat.maximumStanzas else {
            throw PrivacyError.headerMalformed(source: "recipients",
                                               detail: "\(recipients.count) recipients; at most \(SealedFormat.maximumStanzas) fit in a header")
        }
        guard SealedFormat.isValidContentType(contentType) else { throw PrivacyError.invalidContentType(received: contentType) }
        let exponent = options.chunkSize.trailingZeroBitCount
        guard options.chunkSize > 0, options.chunkSize.nonzeroBitCount == 1, SealedFormat.chunkExponents.contains(exponent) else {
            throw PrivacyError.invalidChunkSize(received: options.chunkSize)
        }
        let threads = options.threads ?? defaultThreadCount()
        guard threads >= 1 else { throw PrivacyError.invalidThreads(received: threads) }

        try Self.checkRecipients(recipients)
        var stanzas: [Stanza] = []
        for recipient in recipients {
            do {
                switch recipient {
                case .x25519(let publicKey):
                    stanzas.append(try StanzaCodec.wrapX25519(fileKey: fileKey, for: publicKey))
                case .passphrase(let passphrase, let workFactor):
                    guard Recipient.workFactors.contains(workFactor) else {
                        throw PrivacyError.invalidWorkFactor(received: workFactor, valid: Recipient.workFactors)
                    }
                    guard !passphrase.isEmpty else { throw PrivacyError.passphraseUnavailable(reason: "the passphrase is empty") }
                    stanzas.append(try StanzaCodec.wrapPassphrase(fileKey: fileKey, passphrase: passphrase, log2N: workFactor,
                                                                  salt: random(16)))
                case .key(let key):
                    stanzas.append(try StanzaCodec.wrapKeyFile(fileKey: fileKey, key: key, salt: random(16)))
                }
            } catch let error as PrivacyError {
                throw error
            } catch {
                throw PrivacyError.cryptoFailure(operation: "wrap the file key (\(error))")
            }
        }
        let salt = random(SealedFormat.payloadSaltBytes)
        let authenticated = SealedHeader.authenticatedBytes(chunkExponent: exponent, contentType: contentType,
                                                            payloadSalt: salt, stanzas: stanzas)
        let mac = KeySchedule.headerMAC(fileKey: fileKey, authenticatedBytes: authenticated)
        header = SealedHeader(version: Int(SealedFormat.version), chunkSize: options.chunkSize, contentType: contentType,
                              payloadSalt: salt, stanzas: stanzas, authenticatedBytes: authenticated, mac: mac)
        cipher = ChunkCipher(key: KeySchedule.payloadKey(fileKey: fileKey, payloadSalt: salt), chunkSize: options.chunkSize,
                             threads: threads)
        self.sink = sink
        plaintext = .allocate(byteCount: options.chunkSize, alignment: 64)
        let headerBytes = authenticated + mac
        try headerBytes.withUnsafeBytes { try sink.write($0) }
        sealedByteCount = headerBytes.count
    }

    deinit {
        // A batch still being sealed reads one of the buffers: wait for it first.
        _ = inFlight?.wait()
        plaintext.deallocate()
        spare?.deallocate()
    }

    /// Checks that recipients can share a file: a passphrase or a key file must be the only
    /// recipient (docs/sealed-format.md, "Stanzas that stand alone"). Any number of X25519
    /// recipients may share one.
    /// - Parameter recipients: The recipients of one file.
    /// - Throws: `PrivacyError.mixedRecipients` naming the kinds received.
    public static func checkRecipients(_ recipients: [Recipient]) throws {
        let secrets = recipients.filter { if case .x25519 = $0 { false } else { true } }
        guard secrets.isEmpty || recipients.count == 1 else {
            throw PrivacyError.mixedRecipients(kinds: recipients.map(\.kindName))
        }
    }

    /// Adds plaintext to the stream; full batches of chunks are sealed and written as they fill.
    /// - Parameter bytes: The next plaintext bytes.
    /// - Throws: `PrivacyError.streamClosed` after `finish()` or a failure; whatever the sink throws.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if let closed { throw PrivacyError.streamClosed(detail: closed) }
        var offset = 0
        let batchBytes = cipher.chunksPerBatch * cipher.chunkSize
        while offset < bytes.count {
            // A full buffer is sealed only once more input arrives: only then is it known that its
            // last chunk is not the final one. Until it holds a full batch, it grows instead.
            if filled == plaintext.count {
                let chunks = plaintext.count / cipher.chunkSize
                if chunks < cipher.chunksPerBatch {
                    grow(toChunks: min(cipher.chunksPerBatch, chunks * 4))
                } else {
                    try submit(UnsafeRawBufferPointer(rebasing: plaintext[0..<filled]), endsStream: false, borrowed: false)
                    swapBuffers(keeping: 0..<0)
                }
            }
            // With the buffer empty and more than a batch of input left, seal straight from the input.
            if filled == 0, bytes.count - offset > batchBytes {
                try submit(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + batchBytes)]), endsStream: false, borrowed: true)
                offset += batchBytes
                continue
            }
            let count = min(plaintext.count - filled, bytes.count - offset)
            if let source = bytes.baseAddress, let target = plaintext.baseAddress {
                (target + filled).copyMemory(from: source + offset, byteCount: count)
            }
            filled += count
            offset += count
        }
        // The caller may reuse `bytes` once this returns.
        if inFlightBorrowsCaller { try drain() }
        plaintextByteCount += bytes.count
    }

    /// Adds everything `source` holds to the stream, reading straight into the writer's buffer
    /// (no intermediate copy). With more than one thread, once batches are full-size, each batch is
    /// read from the source and sealed on other threads while the caller's thread writes the batch
    /// before it to the sink. Call `finish()` afterwards.
    /// - Parameter source: The plaintext, read to its end.
    /// - Returns: The bytes read.
    /// - Throws: `PrivacyError.streamClosed` after `finish()` or a failure; whatever the source or
    ///   the sink throws.
    @discardableResult
    public func write(contentsOf source: ByteSource) throws -> Int {
        if let closed { throw PrivacyError.streamClosed(detail: closed) }
        var total = 0
        let batchBytes = cipher.chunksPerBatch * cipher.chunkSize
        while true {
            if cipher.threads > 1, plaintext.count == batchBytes {
                // Full-size batches: read and seal in the background from here on.
                return total + (try pipelineFromSource(source))
            }
            if filled == plaintext.count {
                let chunks = plaintext.count / cipher.chunkSize
                if chunks < cipher.chunksPerBatch {
                    grow(toChunks: min(cipher.chunksPerBatch, chunks * 4))
                    continue
                }
                // Seal all but the last chunk, which may turn out to be the final one, and move it
                // to the front (a batch holds at least two chunks).
                assert(chunks >= 2, "a full batch of one chunk would seal nothing and read nothing")
                let keep = (chunks - 1) * cipher.chunkSize
                try submit(UnsafeRawBufferPointer(rebasing: plaintext[0..<keep]), endsStream: false, borrowed: false)
                swapBuffers(keeping: keep..<filled)
            }
            let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: plaintext[filled...]))
            if n <= 0 { break }
            filled += n
            total += n
            plaintextByteCount += n
        }
        return total
    }

    /// What one background step of `pipelineFromSource` did.
    private struct FillOutcome: @unchecked Sendable {
        var read = 0
        /// The sealed chunks when the buffer filled; `nil` at the end of the source.
        var chunks: [Data]?
        /// What the source threw.
        var error: (any Error)?
        var cryptoFailed = false
    }

    /// The source loop with full-size batches and more than one thread: a background step reads
    /// until the buffer is full (or the source ends), seals all but its last chunk and moves that
    /// chunk to the front; meanwhile the caller's thread writes the chunks of the step before.
    private func pipelineFromSource(_ source: ByteSource) throws -> Int {
        try drain()
        var total = 0
        var pending: [Data] = []
        let writer = UncheckedReference(self)
        let box = UncheckedSource(source)
        while true {
            let first = nextIndex
            let workers = cipher.backgroundThreads
            let step = BackgroundWork { writer.object.fillAndSeal(box.source, firstIndex: first, workers: workers) }
            do {
                try emit(pending)
            } catch {
                _ = step.wait()
                throw error
            }
            pending = []
            let outcome = step.wait()
            total += outcome.read
            plaintextByteCount += outcome.read
            if outcome.cryptoFailed { throw failed() }
            if let error = outcome.error { throw error }
            guard let chunks = outcome.chunks else { break }
            nextIndex += UInt64(chunks.count)
            pending = chunks
        }
        try emit(pending)
        return total
    }

    /// Reads into the buffer until it is full or the source ends; when full, seals all but the last
    /// chunk and moves that chunk to the front. Runs on a background thread while the owner waits.
    private func fillAndSeal(_ source: ByteSource, firstIndex: UInt64, workers: Int) -> FillOutcome {
        var outcome = FillOutcome()
        do {
            while filled < plaintext.count {
                let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: plaintext[filled...]))
                if n <= 0 { return outcome }
                filled += n
                outcome.read += n
            }
        } catch {
            outcome.error = error
            return outcome
        }
        let keep = plaintext.count - cipher.chunkSize
        guard let chunks = cipher.seal(UnsafeRawBufferPointer(rebasing: plaintext[0..<keep]), firstIndex: firstIndex,
                                       endsStream: false, workers: workers)
        else {
            outcome.cryptoFailed = true
            return outcome
        }
        if let base = plaintext.baseAddress { base.copyMemory(from: base + keep, byteCount: filled - keep) }
        filled -= keep
        outcome.chunks = chunks
        return outcome
    }

    /// Adds plaintext to the stream.
    /// - Parameter data: The next plaintext bytes.
    /// - Throws: As `write(_: UnsafeRawBufferPointer)`.
    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    /// Seals the final chunk and ends the stream. The writer cannot be used afterwards.
    /// - Throws: `PrivacyError.streamClosed` when already finished; whatever the sink throws.
    public func finish() throws {
        if let closed { throw PrivacyError.streamClosed(detail: closed) }
        try submit(UnsafeRawBufferPointer(rebasing: plaintext[0..<filled]), endsStream: true, borrowed: false)
        try drain()
        filled = 0
        closed = "the sealed stream is already finished"
    }

    private func grow(toChunks chunks: Int) {
        let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: chunks * cipher.chunkSize, alignment: 64)
        larger.copyMemory(from: UnsafeRawBufferPointer(rebasing: plaintext[0..<filled]))
        plaintext.deallocate()
        plaintext = larger
    }

    /// After `plaintext` was submitted: makes the spare buffer (free, since `submit` waited for the
    /// batch that read it) the one to fill, carrying `keep` of the submitted buffer to its front;
    /// when the batch was sealed in place, keeps the buffer and moves `keep` to its front.
    private func swapBuffers(keeping keep: Range<Int>) {
        guard inFlight != nil else {
            // Sealed in place already (one thread): move the kept bytes to the front.
            if !keep.isEmpty, let base = plaintext.baseAddress {
                base.copyMemory(from: base + keep.lowerBound, byteCount: keep.count)
            }
            filled = keep.count
            return
        }
        if spare == nil || spare?.count != plaintext.count {
            spare?.deallocate()
            spare = .allocate(byteCount: plaintext.count, alignment: 64)
        }
        guard let next = spare else { return }
        if !keep.isEmpty, let target = next.baseAddress, let source = plaintext.baseAddress {
            target.copyMemory(from: source + keep.lowerBound, byteCount: keep.count)
        }
        spare = plaintext
        plaintext = next
        filled = keep.count
    }

    /// Starts sealing a run of plaintext chunks, then writes the batch sealed before it (so that
    /// writing overlaps sealing). `input` must stay unchanged until the next `submit` or `drain`;
    /// `borrowed` says that it is the caller's memory. With one thread everything runs here, in order.
    private func submit(_ input: UnsafeRawBufferPointer, endsStream: Bool, borrowed: Bool) throws {
        let previous = try collect()
        let first = nextIndex
        nextIndex += UInt64(max(1, (input.count + cipher.chunkSize - 1) / cipher.chunkSize))
        // In the background only when there is something to do meanwhile: the batch before to
        // write, or more input to come.
        if cipher.threads > 1, previous != nil || !endsStream {
            let cipher = cipher
            let run = SendableRawBuffer(input)
            let workers = cipher.backgroundThreads
            inFlight = BackgroundWork { cipher.seal(run.buffer, firstIndex: first, endsStream: endsStream, workers: workers) }
            inFlightBorrowsCaller = borrowed
        } else {
            guard let chunks = cipher.seal(input, firstIndex: first, endsStream: endsStream) else { throw failed() }
            try emit(previous ?? [])
            try emit(chunks)
            return
        }
        if let previous { try emit(previous) }
    }

    /// Waits for the batch being sealed, if any, and returns its chunks.
    private func collect() throws -> [Data]? {
        guard let work = inFlight else { return nil }
        inFlight = nil
        inFlightBorrowsCaller = false
        guard let chunks = work.wait() else { throw failed() }
        return chunks
    }

    /// Waits for the batch being sealed and writes it.
    private func drain() throws {
        if let chunks = try collect() { try emit(chunks) }
    }

    private func failed() -> PrivacyError {
        closed = "the sealed stream failed"
        return PrivacyError.cryptoFailure(operation: "seal a chunk with AES-256-GCM")
    }

    /// Writes sealed chunks to the sink, in order.
    private func emit(_ chunks: [Data]) throws {
        do {
            for chunk in chunks {
                try chunk.withUnsafeBytes { try sink.write($0) }
                sealedByteCount += chunk.count
            }
        } catch {
            closed = "the sealed stream failed: \(error)"
            throw error
        }
    }
}
