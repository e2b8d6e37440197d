import Foundation
import VerdantCommon
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Sealed files in one call: detect, seal, open, read transparently, write atomically.
///
/// The format is docs/sealed-format.md. For streams of any size use `SealedWriter` and
/// `SealedReader`; these conveniences hold the whole plaintext in memory, and never write it to disk.
///
/// ```swift
/// // Read a dataset that may or may not be sealed; plaintext stays in memory.
/// let csv = try SealedFile.contents(atPath: "iris.csv.sealed", identities: [.x25519(identity)],
///                                   expecting: "dataset/csv")
/// // Write a sealed model atomically.
/// try SealedFile.write(modelJSON, toPath: "model.sealed", for: [.x25519(recipient)], contentType: "model/verdant")
/// ```
public enum SealedFile {
    /// The content type used when none is given.
    public static let defaultContentType = "application/octet-stream"

    /// Whether `text` is a valid content type: `type/subtype`, each part lower-case letters, digits,
    /// `.`, `+`, `-` (starting with a letter or digit), at most 127 bytes in all.
    /// - Parameter text: A content type such as `dataset/csv`.
    /// - Returns: Whether a sealed file may carry it.
    public static func isValidContentType(_ text: String) -> Bool {
        SealedFormat.isValidContentType(text)
    }

    /// Whether `data` starts with the sealed-file magic.
    /// - Parameter data: Any bytes.
    /// - Returns: `true` for a sealed file (of any version).
    public static func isSealed(_ data: Data) -> Bool {
        data.count >= SealedFormat.magic.count && data.prefix(SealedFormat.magic.count).elementsEqual(SealedFormat.magic)
    }

    /// Whether the file at `path` starts with the sealed-file magic (reads 8 bytes).
    /// - Parameter path: A file.
    /// - Returns: `true` for a sealed file; `false` for any other file, or one that cannot be read.
    public static func isSealed(atPath path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let prefix = try? handle.read(upToCount: SealedFormat.magic.count) else { return false }
        return isSealed(prefix)
    }

    /// Seals bytes in memory.
    /// - Parameters:
    ///   - plaintext: The bytes.
    ///   - recipients: Who can open them.
    ///   - contentType: What they are, e.g. `model/verdant`.
    ///   - options: Chunk size and threads.
    /// - Returns: The sealed file's bytes.
    /// - Throws: As `SealedWriter.init(to:recipients:contentType:options:)`.
    public static func seal(_ plaintext: Data, for recipients: [Recipient], contentType: String = defaultContentType,
                            options: SealOptions = SealOptions()) throws -> Data {
        let (sink, collected) = ByteSink.collecting()
        let writer = try SealedWriter(to: sink, recipients: recipients, contentType: contentType, options: options)
        try writer.write(plaintext)
        try writer.finish()
        return collected()
    }

    /// Opens a sealed file held in memory.
    /// - Parameters:
    ///   - sealed: The sealed bytes.
    ///   - identities: Keys to try.
    ///   - contentType: The content type required, or `nil` for any.
    ///   - options: The scrypt work limit and threads.
    ///   - name: A name for error messages.
    /// - Returns: The plaintext, fully authenticated.
    /// - Throws: Every `PrivacyError` of `SealedReader`, and `.unexpectedContentType`.
    public static func open(_ sealed: Data, with identities: [Identity], expecting contentType: String? = nil,
                            options: OpenOptions = OpenOptions(), name: String = "<data>") throws -> Data {
        let reader = try SealedReader(from: .data(sealed), identities: identities, options: options, name: name)
        try check(reader.header, expecting: contentType, name: name)
        return try reader.readToEnd()
    }

    /// Opens a sealed file into memory; the plaintext never touches the disk.
    /// - Parameters:
    ///   - path: The sealed file.
    ///   - identities: Keys to try.
    ///   - contentType: The content type required, or `nil` for any.
    ///   - options: The scrypt work limit and threads.
    /// - Returns: The plaintext, fully authenticated.
    /// - Throws: Every `PrivacyError` of `SealedReader`, `.unexpectedContentType`, and `.io` when the
    ///   file cannot be read.
    public static func open(atPath path: String, with identities: [Identity], expecting contentType: String? = nil,
                            options: OpenOptions = OpenOptions()) throws -> Data {
        try open(atPath: path, expecting: contentType, options: options) { _ in identities }
    }

    /// Opens a sealed file into memory, choosing the keys once the header is known (so that a
    /// passphrase is asked for only when the file has a passphrase stanza).
    /// - Parameters:
    ///   - path: The sealed file.
    ///   - contentType: The content type required, or `nil` for any.
    ///   - options: The scrypt work limit and threads.
    ///   - identities: Given the header, the keys to try.
    /// - Returns: The plaintext, fully authenticated.
    /// - Throws: As `open(atPath:with:expecting:options:)`, and whatever `identities` throws.
    public static func open(atPath path: String, expecting contentType: String? = nil, options: OpenOptions = OpenOptions(),
                            identities: (SealedHeader) throws -> [Identity]) throws -> Data {
        let descriptor = try openForReading(path)
        defer { close(descriptor) }
        let reader = try SealedReader(from: .fileDescriptor(descriptor, name: path), options: options, name: path,
                                      identities: identities)
        try check(reader.header, expecting: contentType, name: path)
        return try reader.readToEnd()
    }

    /// The contents of a file that may be sealed: decrypted in memory when it starts with the magic,
    /// read as is otherwise — unless `options.plaintext` refuses it. This is how Verdant's loaders
    /// read datasets and models.
    ///
    /// With the default policy (`.automatic`) an unsealed file is refused when `identities` is not
    /// empty or the name ends in `.sealed`: someone who can write to the storage must not be able
    /// to swap a sealed file for a plain one unnoticed. `.allow` reads it anyway.
    /// - Parameters:
    ///   - path: The file.
    ///   - identities: Keys to try when it is sealed (may be empty for plain files).
    ///   - contentType: The content type a sealed file must have, or `nil` for any.
    ///   - options: The scrypt work limit, threads and plaintext policy.
    /// - Returns: The plaintext.
    /// - Throws: `PrivacyError.unsealedInput` for a refused unsealed file;
    ///   `.identityRequired` when the file is sealed and no identity was given; as
    ///   `open(atPath:with:expecting:options:)` otherwise; `.io` when unreadable.
    public static func contents(atPath path: String, identities: [Identity], expecting contentType: String? = nil,
                                options: OpenOptions = OpenOptions()) throws -> Data {
        try contents(atPath: path, expecting: contentType, options: options, keysGiven: !identities.isEmpty) { _ in identities }
    }

    /// The contents of a file that may be sealed, choosing the keys once the header is known;
    /// `identities` is called only for a sealed file.
    ///
    /// Whether keys were given is not known here: with `.automatic`, an unsealed file is refused
    /// only when its name ends in `.sealed`. A caller that holds keys passes
    /// `options.plaintext = .refuse` (or `PlaintextPolicy.automatic(keysGiven:allowPlaintext:)`).
    /// - Parameters:
    ///   - path: The file.
    ///   - contentType: The content type a sealed file must have, or `nil` for any.
    ///   - options: The scrypt work limit, threads and plaintext policy.
    ///   - identities: Given the header, the keys to try.
    /// - Returns: The plaintext.
    /// - Throws: As `contents(atPath:identities:expecting:options:)`, and whatever `identities` throws.
    public static func contents(atPath path: String, expecting contentType: String? = nil, options: OpenOptions = OpenOptions(),
                                identities: (SealedHeader) throws -> [Identity]) throws -> Data {
        try contents(atPath: path, expecting: contentType, options: options, keysGiven: false, identities: identities)
    }

    private static func contents(atPath path: String, expecting contentType: String?, options: OpenOptions, keysGiven: Bool,
                                 identities: (SealedHeader) throws -> [Identity]) throws -> Data {
        let descriptor = try openForReading(path)
        defer { close(descriptor) }
        let data: Data
        if lseek(descriptor, 0, SEEK_CUR) >= 0 {
            // A regular file: a sealed one is opened as it is read, never held whole as ciphertext.
            if isSealed(atPath: path) {
                return try open(atPath: path, expecting: contentType, options: options, identities: identities)
            }
            data = try readToEnd(descriptor, path: path)
        } else {
            // A pipe or device (`--data <(…)`): it cannot be read twice, so it is read whole, then
            // opened in memory when it starts with the magic.
            data = try readToEnd(descriptor, path: path)
            if isSealed(data) {
                let reader = try SealedReader(from: .data(data), options: options, name: path, identities: identities)
                try check(reader.header, expecting: contentType, name: path)
                return try reader.readToEnd()
            }
        }
        if let why = options.plaintext.refusal(path: path, keysGiven: keysGiven) {
            throw PrivacyError.unsealedInput(source: path, firstBytes: Array(data.prefix(8)), why: why)
        }
        return data
    }

    /// Seals `plaintext` into a new file, atomically: nothing appears at `path` unless all of it was
    /// written.
    /// - Parameters:
    ///   - plaintext: The bytes.
    ///   - path: The target.
    ///   - recipients: Who can open it.
    ///   - contentType: What it is, e.g. `predictions/csv`.
    ///   - overwrite: Whether an existing file may be replaced.
    ///   - options: Chunk size and threads.
    ///   - mode: The file's permissions once committed: `nil` for 0666 less the umask (a sealed file
    ///     is ciphertext; 0o600 keeps even that from other users, as checkpoints do).
    /// - Throws: As `SealedWriter.init`, and `PrivacyError.outputExists`, `.io`.
    public static func write(_ plaintext: Data, toPath path: String, for recipients: [Recipient],
                             contentType: String = defaultContentType, overwrite: Bool = false,
                             options: SealOptions = SealOptions(), mode: mode_t? = nil) throws {
        let output = try AtomicOutput(path: path, overwrite: overwrite, mode: mode)
        let writer = try SealedWriter(to: output.sink, recipients: recipients, contentType: contentType, options: options)
        try writer.write(plaintext)
        try writer.finish()
        try output.commit()
    }

    /// The header of the sealed file at `path`, without any key (what `verdant inspect` shows).
    /// - Parameter path: The file.
    /// - Returns: The parsed header (its MAC unchecked: that needs the file key).
    /// - Throws: `PrivacyError.notSealed`, `.unsupportedVersion`, `.headerTruncated`, `.headerMalformed`, `.io`.
    public static func header(atPath path: String) throws -> SealedHeader {
        let descriptor = try openForReading(path)
        defer { close(descriptor) }
        var source = ByteSource.fileDescriptor(descriptor, name: path)
        return try SealedHeader.read(from: &source, name: path)
    }

    /// Reads exactly the header from the start of a stream (what `verdant inspect` shows).
    /// - Parameters:
    ///   - source: The sealed stream; it is left at the first payload byte.
    ///   - name: A name for error messages.
    /// - Returns: The parsed header (its MAC unchecked).
    /// - Throws: `PrivacyError.notSealed`, `.unsupportedVersion`, `.headerTruncated`, `.headerMalformed`, `.io`.
    public static func header(from source: ByteSource, name: String) throws -> SealedHeader {
        var source = source
        return try SealedHeader.read(from: &source, name: name)
    }

    /// The header of a sealed file held in memory.
    /// - Parameters:
    ///   - data: The sealed bytes (at least the header).
    ///   - name: A name for error messages.
    /// - Returns: The parsed header (its MAC unchecked).
    /// - Throws: `PrivacyError.notSealed`, `.unsupportedVersion`, `.headerTruncated`, `.headerMalformed`.
    public static func header(of data: Data, name: String = "<data>") throws -> SealedHeader {
        var source = ByteSource.data(data)
        return try SealedHeader.read(from: &source, name: name)
    }

    static func check(_ header: SealedHeader, expecting contentType: String?, name: String) throws {
        if let contentType, header.contentType != contentType {
            throw PrivacyError.unexpectedContentType(source: name, found: header.contentType, expected: contentType)
        }
    }

    /// Opens `path` for reading, with a clear error.
    static func openForReading(_ path: String) throws -> Int32 {
        do {
            return try UserFile.open(path)
        } catch {
            throw PrivacyError.io(path: path, operation: "read", reason: error.reason)
        }
    }

    /// The rest of `descriptor`'s bytes (a file the user named, read by `contents(atPath:…)`).
    static func readToEnd(_ descriptor: Int32, path: String) throws -> Data {
        do {
            return try UserFile.read(descriptor: descriptor)
        } catch {
            throw PrivacyError.io(path: path, operation: "read", reason: error.reason)
        }
    }

    /// A whole file the user named: a key, an identity or a passphrase file (pipes included).
    static func readWhole(_ path: String) throws -> Data {
        do {
            return try UserFile.read(path)
        } catch {
            throw PrivacyError.io(path: path, operation: "read", reason: error.reason)
        }
    }
}
