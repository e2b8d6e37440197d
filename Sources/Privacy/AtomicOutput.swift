import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An output file that appears only when complete: bytes go to a temporary file beside the
/// target (mode 0600) that `commit()` renames into place; `discard()`, a failure, or the object's
/// end without `commit()` removes it. With `AtomicOutput.removeOnInterrupt()` installed, so does
/// SIGINT, SIGTERM or SIGHUP.
///
/// ```swift
/// let output = try AtomicOutput(path: "model.sealed", overwrite: false)
/// let writer = try SealedWriter(to: output.sink, recipients: recipients, contentType: "model/verdant")
/// try writer.write(model)
/// try writer.finish()
/// try output.commit()
/// ```
public final class AtomicOutput {
    /// The target path.
    public let path: String
    /// The temporary file's path (in the target's folder).
    public let temporaryPath: String
    /// The temporary file's descriptor, open for writing until `commit()` or `discard()`.
    public private(set) var fileDescriptor: Int32
    private let overwrite: Bool
    private let durable: Bool
    private let finalMode: mode_t
    private var slot: Int?
    private var done = false

    /// Creates the temporary file.
    /// - Parameters:
    ///   - path: The target.
    ///   - overwrite: Whether an existing target may be replaced (`--force`).
    ///   - mode: The target's permissions once committed: `nil` for the usual 0666 less the umask;
    ///     0600 for secrets and opened plaintext.
    ///   - durable: Whether `commit()` waits for the bytes to reach the disk (`fsync`) before the
    ///     rename, so that a power loss cannot leave an empty target. Off by default (like `cp` and
    ///     `age`): the rename alone already guarantees that no partial file is ever visible.
    /// - Throws: `PrivacyError.outputExists` when the target exists and `overwrite` is false;
    ///   `.io` when the folder is missing or not writable, or the target is a folder.
    public init(path: String, overwrite: Bool, mode: mode_t? = nil, durable: Bool = false) throws {
        self.path = path
        self.overwrite = overwrite
        self.durable = durable
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw PrivacyError.io(path: path, operation: "write", reason: "it is a directory") }
            if !overwrite { throw PrivacyError.outputExists(path: path) }
        }
        if let mode {
            finalMode = mode
        } else {
            let mask = umask(0o022)
            umask(mask)
            finalMode = 0o666 & ~mask
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var candidate = ""
        var descriptor: Int32 = -1
        for _ in 0..<8 {
            let suffix = StanzaCodec.randomBytes(6).map { String(format: "%02x", $0) }.joined()
            candidate = (folder as NSString).appendingPathComponent(".\(url.lastPathComponent).\(suffix).tmp")
            descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if descriptor >= 0 || errno != EEXIST { break }
        }
        guard descriptor >= 0 else {
            let reason = errno == ENOENT ? "the folder '\(folder)' does not exist" : String(cString: strerror(errno))
            throw PrivacyError.io(path: path, operation: "create a temporary file for", reason: reason)
        }
        temporaryPath = candidate
        fileDescriptor = descriptor
        slot = InterruptCleanup.register(candidate)
    }

    deinit {
        if !done { discard() }
    }

    /// A sink that writes to the temporary file.
    public var sink: ByteSink { ByteSink.fileDescriptor(fileDescriptor, name: path) }

    /// Writes bytes to the temporary file.
    /// - Parameter data: The bytes.
    /// - Throws: `PrivacyError.io` (e.g. the disk is full).
    public func write(_ data: Data) throws {
        try data.withUnsafeBytes { try sink.write($0) }
    }

    /// Sets the final mode, flushes the temporary file to disk when `durable`, and renames it to
    /// the target.
    /// - Throws: `PrivacyError.outputExists` when the target appeared meanwhile and `overwrite` is
    ///   false; `.io` when flushing or renaming fails. The temporary file is removed on failure.
    public func commit() throws {
        guard !done else { throw PrivacyError.streamClosed(detail: "the output '\(path)' is already committed or discarded") }
        do {
            guard fchmod(fileDescriptor, finalMode) == 0, !durable || fsync(fileDescriptor) == 0 else {
                throw PrivacyError.io(path: path, operation: "write", reason: String(cString: strerror(errno)))
            }
            close(fileDescriptor)
            fileDescriptor = -1
            if overwrite {
                guard rename(temporaryPath, path) == 0 else {
                    throw PrivacyError.io(path: path, operation: "rename the temporary file to", reason: String(cString: strerror(errno)))
                }
            } else {
                // link(2) fails with EEXIST instead of replacing a file that appeared meanwhile.
                if link(temporaryPath, path) != 0 {
                    if errno == EEXIST { throw PrivacyError.outputExists(path: path) }
                    guard !FileManager.default.fileExists(atPath: path), rename(temporaryPath, path) == 0 else {
                        throw PrivacyError.io(path: path, operation: "rename the temporary file to", reason: String(cString: strerror(errno)))
                    }
                } else {
                    unlink(temporaryPath)
                }
            }
        } catch {
            discard()
            throw error
        }
        done = true
        InterruptCleanup.unregister(slot)
    }

    /// Closes and removes the temporary file; the target is left as it was.
    public func discard() {
        if fileDescriptor >= 0 {
            close(fileDescriptor)
            fileDescriptor = -1
        }
        unlink(temporaryPath)
        done = true
        InterruptCleanup.unregister(slot)
        slot = nil
    }

    /// Writes `data` to `path` atomically.
    /// - Parameters:
    ///   - data: The bytes.
    ///   - path: The target.
    ///   - overwrite: Whether an existing target may be replaced.
    ///   - mode: The target's permissions (`nil`: 0666 less the umask).
    /// - Throws: As `init(path:overwrite:mode:)` and `commit()`.
    public static func write(_ data: Data, toPath path: String, overwrite: Bool, mode: mode_t? = nil) throws {
        let output = try AtomicOutput(path: path, overwrite: overwrite, mode: mode)
        try output.write(data)
        try output.commit()
    }

    /// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove every temporary file still
    /// open, then end the process as the signal would (call once, from an executable's start).
    public static func removeOnInterrupt() {
        InterruptCleanup.install()
    }

    /// While a passphrase is typed with echo off: the terminal settings to put back if the process
    /// is interrupted (so Ctrl-C at the prompt does not leave the shell without echo); `nil` when
    /// the prompt is done. Takes effect with ``removeOnInterrupt()`` installed.
    /// - Parameters:
    ///   - descriptor: The terminal's file descriptor.
    ///   - settings: The settings to restore.
    public static func restoreTerminalOnInterrupt(_ descriptor: Int32, settings: termios?) {
        InterruptCleanup.setTerminal(descriptor, settings)
    }
}

/// Temporary paths to remove if the process is interrupted: a fixed table of C strings that the
/// signal handler reads without locks or allocation (unlink(2) is async-signal-safe).
enum InterruptCleanup {
    static let capacity = 64
    nonisolated(unsafe) static let table: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?> = {
        let table = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: capacity)
        table.initialize(repeating: nil, count: capacity)
        return table
    }()
    static let lock = NSLock()
    /// The terminal to restore on an interrupt (descriptor −1: none), read by the handler;
    /// tcsetattr(3) is async-signal-safe.
    nonisolated(unsafe) static var terminalDescriptor: Int32 = -1
    nonisolated(unsafe) static let terminalSettings = UnsafeMutablePointer<termios>.allocate(capacity: 1)

    static func setTerminal(_ descriptor: Int32, _ settings: termios?) {
        lock.lock()
        defer { lock.unlock() }
        if let settings {
            terminalSettings.pointee = settings
            terminalDescriptor = descriptor
        } else {
            terminalDescriptor = -1
        }
    }

    static func register(_ path: String) -> Int? {
        lock.lock()
        defer { lock.unlock() }
        for index in 0..<capacity where table[index] == nil {
            table[index] = strdup(path)
            return index
        }
        return nil
    }

    static func unregister(_ slot: Int?) {
        guard let slot else { return }
        lock.lock()
        defer { lock.unlock() }
        let path = table[slot]
        table[slot] = nil
        free(path)
    }

    static func install() {
        // A parent may have blocked these signals, and a blocked mask is inherited across exec: unblock
        // them so that an interrupt reaches the handler.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&unblock, signalNumber) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            _ = signal(signalNumber) { number in
                for index in 0..<InterruptCleanup.capacity {
                    if let path = InterruptCleanup.table[index] { unlink(path) }
                }
                if InterruptCleanup.terminalDescriptor >= 0 {
                    tcsetattr(InterruptCleanup.terminalDescriptor, TCSANOW, InterruptCleanup.terminalSettings)
                }
                _ = signal(number, SIG_DFL)
                raise(number)
            }
        }
    }
}
