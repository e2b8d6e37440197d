import Foundation
import VerdantCommon
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An output file that appears only when complete, and durably: Privacy's face of
/// `VerdantCommon.AtomicFile` (the one implementation of atomic output in Verdant), with
/// Privacy's errors and a `ByteSink`.
///
/// Bytes go to a temporary file in the target's folder (mode 0600; unnamed where the file system
/// allows, so that even SIGKILL leaves nothing behind); `commit()` flushes it to the disk, puts it
/// at the target and flushes the folder; `discard()`, a failure, or the object's end without
/// `commit()` removes it. With `AtomicOutput.removeOnInterrupt()` installed, so does SIGINT,
/// SIGTERM or SIGHUP.
///
/// ```swift
/// let output = try AtomicOutput(path: "model.sealed", overwrite: false)
/// let writer = try SealedWriter(to: output.sink, recipients: recipients, contentType: "model/verdant")
/// try writer.write(model)
/// try writer.finish()
/// try output.commit()
/// ```
public final class AtomicOutput {
    private let file: AtomicFile

    /// The target path.
    public var path: String { file.path }
    /// The named temporary file's path, or `nil` while it is unnamed (`O_TMPFILE`).
    public var temporaryPath: String? { file.temporaryPath }
    /// The temporary file's descriptor, open for writing until `commit()` or `discard()`.
    public var fileDescriptor: Int32 { file.fileDescriptor }

    /// Creates the temporary file.
    /// - Parameters:
    ///   - path: The target.
    ///   - overwrite: Whether an existing target may be replaced (`--force`).
    ///   - mode: The target's permissions once committed: `nil` for the usual 0666 less the umask;
    ///     0600 for secrets and opened plaintext.
    ///   - durable: Whether `commit()` flushes the file to the disk before it appears and the
    ///     folder after (default `true`: a key whose recipient was printed, or a sealed output,
    ///     survives a power cut).
    /// - Throws: `PrivacyError.outputExists` when the target exists and `overwrite` is false;
    ///   `.io` when the folder is missing or not writable, or the target is a folder.
    public init(path: String, overwrite: Bool, mode: mode_t? = nil, durable: Bool = true) throws {
        do {
            file = try AtomicFile(path: path, replacing: overwrite, mode: mode, durable: durable)
        } catch {
            throw Self.privacyError(error)
        }
    }

    /// A sink that writes to the temporary file.
    public var sink: ByteSink {
        let file = file
        return ByteSink { bytes in
            do throws(AtomicFileError) {
                try file.write(bytes)
            } catch {
                throw Self.privacyError(error)
            }
        }
    }

    /// Writes bytes to the temporary file.
    /// - Parameter data: The bytes.
    /// - Throws: `PrivacyError.io` (e.g. the disk is full); the temporary file is then removed.
    public func write(_ data: Data) throws {
        do {
            try file.write(data)
        } catch {
            throw Self.privacyError(error)
        }
    }

    /// Sets the final mode, flushes the temporary file to disk when `durable`, puts it at the
    /// target and flushes the folder.
    /// - Throws: `PrivacyError.outputExists` when the target appeared meanwhile and `overwrite` is
    ///   false; `.io` when flushing or renaming fails. The temporary file is removed on failure.
    public func commit() throws {
        do {
            try file.commit()
        } catch {
            throw Self.privacyError(error)
        }
    }

    /// Closes and removes the temporary file; the target is left as it was.
    public func discard() {
        file.discard()
    }

    /// Writes `data` to `path` atomically and durably.
    /// - Parameters:
    ///   - data: The bytes.
    ///   - path: The target.
    ///   - overwrite: Whether an existing target may be replaced.
    ///   - mode: The target's permissions (`nil`: 0666 less the umask).
    /// - Throws: As `init(path:overwrite:mode:durable:)` and `commit()`.
    public static func write(_ data: Data, toPath path: String, overwrite: Bool, mode: mode_t? = nil) throws {
        let output = try AtomicOutput(path: path, overwrite: overwrite, mode: mode)
        try output.write(data)
        try output.commit()
    }

    /// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove every temporary file still
    /// open, then end the process as the signal would, and ignores SIGXFSZ so that a write past
    /// the file-size limit fails cleanly (call once, from an executable's start).
    public static func removeOnInterrupt() {
        AtomicFile.installInterruptCleanup()
    }

    /// While a passphrase is typed with echo off: the terminal settings to put back if the process
    /// is interrupted (so Ctrl-C at the prompt does not leave the shell without echo); `nil` when
    /// the prompt is done. Takes effect with ``removeOnInterrupt()`` installed.
    /// - Parameters:
    ///   - descriptor: The terminal's file descriptor.
    ///   - settings: The settings to restore.
    public static func restoreTerminalOnInterrupt(_ descriptor: Int32, settings: termios?) {
        AtomicFile.restoreTerminalOnInterrupt(descriptor, settings: settings)
    }

    /// Privacy's error for an atomic-file failure.
    static func privacyError(_ error: AtomicFileError) -> PrivacyError {
        switch error {
        case .exists(let path): .outputExists(path: path)
        case .isDirectory(let path): .outputRefused(path: path, reason: "it is a directory")
        case .notAFile(let path, _): .outputRefused(path: path, reason: error.reason)
        case .folderMissing(let path, let folder): .outputRefused(path: path, reason: "the folder '\(folder)' does not exist")
        case .system(let path, let operation, let code): .io(path: path, operation: operation, reason: AtomicFileError.describe(errno: code))
        case .closed(let path): .streamClosed(detail: "the output '\(path)' is already committed or discarded")
        }
    }
}
