import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an ``AtomicFile`` could not be written. Each module turns it into its own error catalogue's
/// case (`PrivacyError.io`, `EnergyError.cannotWrite`, `ParallelError.file`, …).
public enum AtomicFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The target exists and may not be replaced.
    case exists(path: String)
    /// The target is a folder.
    case isDirectory(path: String)
    /// The target (or what its link points to) is a device, pipe or socket: replacing it with a
    /// new file would destroy it (`/dev/null` as root), and writing into it would not be atomic.
    case notAFile(path: String, kind: String)
    /// The target's folder does not exist.
    case folderMissing(path: String, folder: String)
    /// A system call failed. `operation` names the step in words that follow "cannot": `write`,
    /// `create a temporary file for`, `flush`, `rename the temporary file to`, …; `code` is `errno`.
    case system(path: String, operation: String, code: Int32)
    /// The file was already committed or discarded.
    case closed(path: String)

    /// The target path.
    public var path: String {
        switch self {
        case .exists(let path), .isDirectory(let path), .notAFile(let path, _), .folderMissing(let path, _), .system(let path, _, _),
             .closed(let path): path
        }
    }

    /// What went wrong, without the path: "it is a directory", "No space left on device (the disk
    /// is full)", … For messages of the form "cannot write 'PATH': REASON".
    public var reason: String {
        switch self {
        case .exists: "it exists"
        case .isDirectory: "it is a directory"
        case .notAFile(_, let kind):
            "it is \(kind), not a file: outputs are written to a new file that then replaces the old one, which must not happen "
                + "to a device, pipe, socket or a link to an open file; give the path of a file"
        case .folderMissing(_, let folder): "the folder '\(folder)' does not exist"
        case .system(_, let operation, let code):
            (operation == "write" ? "" : "cannot \(operation) it: ") + Self.describe(errno: code)
        case .closed: "the output is already committed or discarded"
        }
    }

    /// The message: `cannot write 'PATH': REASON; nothing was written to it`.
    public var description: String {
        switch self {
        case .exists(let path): "'\(path)' exists; use --force to overwrite it"
        case .closed(let path): "the output '\(path)' is already committed or discarded"
        default: "cannot write '\(path)': \(reason); nothing was left at '\(path)'"
        }
    }

    /// `strerror(code)`, with a plain explanation of the codes that a full or limited disk gives.
    /// - Parameter code: An `errno` value.
    /// - Returns: E.g. "No space left on device (the disk is full)".
    public static func describe(errno code: Int32) -> String {
        let text = String(cString: strerror(code))
        switch code {
        case ENOSPC: return text + " (the disk is full)"
        case EDQUOT: return text + " (the disk quota is used up)"
        case EFBIG: return text + " (the file is larger than the file system or the process's file-size limit allows)"
        case EROFS: return text + " (the file system is read-only)"
        default: return text
        }
    }
}

/// The one implementation of atomic file output in Verdant: a file that appears at its path only
/// when complete, and durably.
///
/// Bytes go to a temporary file in the target's folder, created with mode 0600 and never through a
/// symbolic link: an unnamed one (`O_TMPFILE`) where the file system supports it, so that even a
/// process killed with SIGKILL leaves nothing behind, else `.NAME.RANDOM.tmp`. ``commit()`` sets
/// the final mode, flushes the file to the disk (`fsync`), links or renames it into place and
/// flushes the folder, so that a power cut after `commit()` returns cannot lose the file or leave
/// it empty. ``discard()``, any failure, and the object's end without `commit()` remove the
/// temporary file; with ``installInterruptCleanup()`` so do SIGINT, SIGTERM and SIGHUP.
///
/// A target that is a symbolic link is replaced by the new file (as `mv` does), never written
/// through; a link into `/proc` (`/dev/stdout`, `/dev/stderr`) is refused like a device. Without `replacing`, a target that appears while the file is written is kept and the
/// commit fails with ``AtomicFileError/exists(path:)``.
///
/// ```swift
/// let file = try AtomicFile(path: "report.json", replacing: true)
/// try file.write(Data(json.utf8))
/// try file.commit()
/// ```
public final class AtomicFile {
    /// The target path.
    public let path: String
    /// The named temporary file's path, or `nil` while the temporary file is unnamed (`O_TMPFILE`).
    public private(set) var temporaryPath: String?
    /// The temporary file's descriptor, open for writing until ``commit()`` or ``discard()``
    /// (−1 afterwards).
    public private(set) var fileDescriptor: Int32
    private let folder: String
    private let replacing: Bool
    private let durable: Bool
    private let finalMode: mode_t
    private var slot: Int?
    private var finished = false
    /// Bytes written, and the first byte whose write-back has not been started yet.
    private var written: Int64 = 0
    private var writeBackStart: Int64 = 0
    /// Tests set it to take the path of a file system that refuses to link unnamed files.
    var refusesLinkForTesting = false

    /// Creates the temporary file.
    /// - Parameters:
    ///   - path: The target.
    ///   - replacing: Whether an existing target may be replaced.
    ///   - mode: The target's permissions once committed: `nil` for 0666 less the process's umask;
    ///     0600 for secrets and opened plaintext.
    ///   - durable: Whether ``commit()`` flushes the file before, and the folder after, it appears
    ///     (default `true`; `false` only for scratch files whose loss a power cut may cause).
    /// - Throws: ``AtomicFileError/exists(path:)`` when the target exists and `replacing` is false;
    ///   `.isDirectory`, `.folderMissing`; `.system` when the folder is not writable.
    public convenience init(path: String, replacing: Bool, mode: mode_t? = nil, durable: Bool = true) throws(AtomicFileError) {
        try self.init(path: path, replacing: replacing, mode: mode, durable: durable, unnamed: true)
    }

    /// What `path` is when it (or what its link points to) is a device, pipe or socket — "a
    /// character device", "a pipe", … — or nil for a file, a folder or nothing.
    /// - Parameter path: a target path.
    /// - Returns: the kind, in words.
    public static func specialKind(atPath path: String) -> String? {
        // A link into /proc (`/dev/stdout` → /proc/self/fd/1) names a process's open file, which may
        // be a regular file: replacing the link would break `/dev/stdout` for the whole system.
        var linkInfo = stat()
        if lstat(path, &linkInfo) == 0, linkInfo.st_mode & S_IFMT == S_IFLNK {
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let count = readlink(path, &buffer, buffer.count - 1)
            if count > 0 {
                let destination = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if destination.hasPrefix("/proc/") { return "a link to a process's open file ('\(destination)')" }
            }
        }
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a pipe"
        case S_IFSOCK: return "a socket"
        default: return nil
        }
    }

    /// The designated initialiser; tests pass `unnamed: false` to exercise named temporary files
    /// on file systems that support unnamed ones.
    init(path: String, replacing: Bool, mode: mode_t?, durable: Bool, unnamed: Bool) throws(AtomicFileError) {
        self.path = path
        self.replacing = replacing
        self.durable = durable
        finalMode = mode ?? (0o666 & ~Self.currentUmask())
        let parent = folderPart(of: path)
        folder = parent.isEmpty ? "." : parent
        var info = stat()
        if lstat(path, &info) == 0 {
            if info.st_mode & S_IFMT == S_IFDIR { throw .isDirectory(path: path) }
            if let kind = Self.specialKind(atPath: path) { throw .notAFile(path: path, kind: kind) }
            if !replacing { throw .exists(path: path) }
        }
        var folderInfo = stat()
        if stat(folder, &folderInfo) != 0, errno == ENOENT { throw .folderMissing(path: path, folder: folder) }

        switch unnamed ? Self.openUnnamed(in: folder) : .unsupported {
        case .opened(let descriptor):
            fileDescriptor = descriptor
            temporaryPath = nil
            return
        case .failed(let code):
            throw .system(path: path, operation: "create a temporary file for", code: code)
        case .unsupported:
            break
        }
        let (descriptor, name) = try Self.openNamed(beside: path, in: folder)
        fileDescriptor = descriptor
        temporaryPath = name
        slot = InterruptCleanup.register(name)
    }

    deinit {
        if !finished { discard() }
    }

    /// Writes all of `bytes` to the temporary file; on failure the temporary file is removed.
    /// - Parameter bytes: The next bytes.
    /// - Throws: ``AtomicFileError/system(path:operation:code:)`` (`ENOSPC` when the disk is full,
    ///   `EFBIG` past the file-size limit); `.closed` after ``commit()`` or ``discard()``.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(AtomicFileError) {
        guard !finished else { throw .closed(path: path) }
        guard var base = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = systemWrite(fileDescriptor, base, left)
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                discard()
                throw .system(path: path, operation: "write", code: code)
            }
            left -= n
            base += n
        }
        written += Int64(bytes.count)
        startWriteBack()
    }

    /// Durable files start the disk's write-back of every further 8 MiB as it is written
    /// (`sync_file_range` with SYNC_FILE_RANGE_WRITE, which does not wait for the device), so that
    /// the `fsync` of `commit()` waits for little more than the last part: the device writes while
    /// the rest is produced (256 MiB to this machine's disk: the final fsync took 5 ms instead of
    /// about 100). It does nothing on tmpfs, or where the C library lacks it.
    private func startWriteBack() {
        guard durable, written - writeBackStart >= Self.writeBackStep, let syncFileRange = Self.syncFileRange else { return }
        _ = syncFileRange(fileDescriptor, writeBackStart, written - writeBackStart, 2 /* SYNC_FILE_RANGE_WRITE */)
        writeBackStart = written
    }

    private static let writeBackStep: Int64 = 8 << 20

    /// `sync_file_range(2)`, looked up at run time: Swift's Glibc module does not import it (it
    /// needs _GNU_SOURCE); `nil` where the C library lacks it.
    private static let syncFileRange: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32)? = {
        #if os(Linux)
        guard let program = dlopen(nil, RTLD_NOW), let symbol = dlsym(program, "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32, Int64, Int64, UInt32) -> Int32).self)
        #else
        return nil
        #endif
    }()

    /// Writes all of `data` to the temporary file.
    /// - Parameter data: The next bytes.
    /// - Throws: As ``write(_:)-(UnsafeRawBufferPointer)``.
    public func write(_ data: Data) throws(AtomicFileError) {
        let result: Result<Void, AtomicFileError> = data.withUnsafeBytes { buffer in
            do throws(AtomicFileError) {
                try write(buffer)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Sets the final mode, flushes the file (when durable), puts it at the target and flushes the
    /// folder (when durable). On failure the temporary file is removed and the target is left as
    /// it was.
    /// - Throws: ``AtomicFileError/exists(path:)`` when the target appeared meanwhile and replacing
    ///   is not allowed; `.system` when flushing, linking or renaming fails; `.closed` when already
    ///   committed or discarded.
    public func commit() throws(AtomicFileError) {
        guard !finished else { throw .closed(path: path) }
        do throws(AtomicFileError) {
            guard fchmod(fileDescriptor, finalMode) == 0 else { throw .system(path: path, operation: "set the mode of", code: errno) }
            if durable, fsync(fileDescriptor) != 0 { throw .system(path: path, operation: "flush", code: errno) }
            if let temporaryPath {
                try placeNamed(temporaryPath)
            } else if try !placeUnnamed() {
                // The file system made the unnamed file but will not link it: copy it to a named one.
                try placeNamed(try copyToNamed())
            }
        } catch {
            discard()
            throw error
        }
        close(fileDescriptor)
        fileDescriptor = -1
        finished = true
        InterruptCleanup.unregister(slot)
        slot = nil
        if durable { try Self.flushFolder(folder, path: path) }
    }

    /// Closes and removes the temporary file; the target is left as it was. Does nothing after
    /// ``commit()``.
    public func discard() {
        guard !finished else { return }
        if fileDescriptor >= 0 {
            close(fileDescriptor)
            fileDescriptor = -1
        }
        if let temporaryPath { unlink(temporaryPath) }
        finished = true
        InterruptCleanup.unregister(slot)
        slot = nil
    }

    /// Writes `data` to `path` atomically and durably.
    /// - Parameters:
    ///   - data: The bytes.
    ///   - path: The target.
    ///   - replacing: Whether an existing target may be replaced.
    ///   - mode: The target's permissions (`nil`: 0666 less the umask).
    ///   - durable: Whether to flush the file and its folder (default `true`).
    /// - Throws: As ``init(path:replacing:mode:durable:)``, ``write(_:)-(Data)`` and ``commit()``.
    public static func write(_ data: Data, toPath path: String, replacing: Bool, mode: mode_t? = nil,
                             durable: Bool = true) throws(AtomicFileError) {
        let file = try AtomicFile(path: path, replacing: replacing, mode: mode, durable: durable)
        try file.write(data)
        try file.commit()
    }

    // MARK: - Placing the file

    /// Links an unnamed temporary file at the target (through `/proc/self/fd`, which needs no
    /// privilege); when replacing, links it under a temporary name first and renames that, since
    /// a link never replaces.
    /// - Returns: `false` when the file system refuses to link an unnamed file (the caller then
    ///   copies it to a named one); `true` once the file is in place.
    private func placeUnnamed() throws(AtomicFileError) -> Bool {
        let handle = "/proc/self/fd/\(fileDescriptor)"
        /// Link errors that mean "this file system does not link unnamed files".
        func unsupported(_ code: Int32) -> Bool { code == EPERM || code == EXDEV || code == EOPNOTSUPP || code == EINVAL }
        if refusesLinkForTesting { return false }
        if !replacing {
            guard linkat(AT_FDCWD, handle, AT_FDCWD, path, AT_SYMLINK_FOLLOW) == 0 else {
                if errno == EEXIST { throw .exists(path: path) }
                if unsupported(errno) { return false }
                throw .system(path: path, operation: "link the temporary file to", code: errno)
            }
            return true
        }
        for _ in 0..<8 {
            let name = Self.temporaryName(beside: path, in: folder)
            if linkat(AT_FDCWD, handle, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0 {
                let registered = InterruptCleanup.register(name)
                defer { InterruptCleanup.unregister(registered) }
                guard rename(name, path) == 0 else {
                    let code = errno
                    unlink(name)
                    throw .system(path: path, operation: "rename the temporary file to", code: code)
                }
                return true
            }
            if unsupported(errno) { return false }
            if errno != EEXIST { throw .system(path: path, operation: "link the temporary file to", code: errno) }
        }
        throw .system(path: path, operation: "link the temporary file to", code: EEXIST)
    }

    /// Copies the unnamed temporary file into a named one beside the target (flushed when durable),
    /// which then replaces it; returns the named file's path.
    private func copyToNamed() throws(AtomicFileError) -> String {
        let (target, name) = try Self.openNamed(beside: path, in: folder)
        slot = InterruptCleanup.register(name)
        temporaryPath = name
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        guard let base = buffer.baseAddress else { close(target); throw .system(path: path, operation: "write", code: ENOMEM) }
        var offset: off_t = 0
        while true {
            let n = pread(fileDescriptor, base, buffer.count, offset)
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { close(target); throw .system(path: path, operation: "copy the temporary file of", code: errno) }
            if n == 0 { break }
            var written = 0
            while written < n {
                let m = systemWrite(target, base + written, n - written)
                if m < 0, errno == EINTR { continue }
                guard m > 0 else { close(target); throw .system(path: path, operation: "write", code: errno) }
                written += m
            }
            offset += off_t(n)
        }
        guard fchmod(target, finalMode) == 0, !durable || fsync(target) == 0 else {
            let code = errno
            close(target)
            throw .system(path: path, operation: "flush", code: code)
        }
        close(fileDescriptor)
        fileDescriptor = target
        return name
    }

    /// Renames a named temporary file to the target, or links it there (failing on a target that
    /// appeared meanwhile) when replacing is not allowed.
    private func placeNamed(_ temporary: String) throws(AtomicFileError) {
        if replacing {
            guard rename(temporary, path) == 0 else { throw .system(path: path, operation: "rename the temporary file to", code: errno) }
            temporaryPath = nil
            return
        }
        // link(2) fails with EEXIST instead of replacing a file that appeared meanwhile.
        if link(temporary, path) == 0 {
            unlink(temporary)
            temporaryPath = nil
            return
        }
        if errno == EEXIST { throw .exists(path: path) }
        // A file system without hard links: rename, after checking that no target appeared.
        var info = stat()
        if lstat(path, &info) == 0 { throw .exists(path: path) }
        guard rename(temporary, path) == 0 else { throw .system(path: path, operation: "rename the temporary file to", code: errno) }
        temporaryPath = nil
    }

    // MARK: - Temporary files

    /// `O_TMPFILE` (`__O_TMPFILE | O_DIRECTORY`); `__O_TMPFILE` is 0o20000000 on every Linux
    /// architecture that has it.
    private static let unnamedFlag: Int32 = {
        #if os(Linux)
        return 0o20_000_000 | O_DIRECTORY
        #else
        return 0
        #endif
    }()

    /// Whether unnamed temporary files can be linked into place: Linux, with /proc mounted.
    private static let unnamedUsable: Bool = unnamedFlag != 0 && access("/proc/self/fd", F_OK) == 0

    private enum Unnamed {
        case opened(Int32)
        case unsupported
        case failed(Int32)
    }

    /// An unnamed temporary file in `folder`; `.unsupported` where the system or the file system
    /// has none (old kernels, some network and FUSE file systems), so a named one is used.
    private static func openUnnamed(in folder: String) -> Unnamed {
        guard unnamedUsable else { return .unsupported }
        let descriptor = open(folder, unnamedFlag | O_RDWR | O_CLOEXEC, mode_t(0o600))  // readable, for the copy fallback
        if descriptor >= 0 { return .opened(descriptor) }
        let code = errno
        let unsupported = code == EOPNOTSUPP || code == ENOTSUP || code == EISDIR || code == EINVAL || code == ENOENT
        return unsupported ? .unsupported : .failed(code)
    }

    /// `FOLDER/.NAME.RANDOM.tmp`, with NAME cut so the whole stays within 255 bytes.
    private static func temporaryName(beside path: String, in folder: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let suffix = String(generator.next() & 0xFFFF_FFFF_FFFF, radix: 16)
        var name = (path as NSString).lastPathComponent
        while name.utf8.count > 200 { name.removeLast() }
        return (folder as NSString).appendingPathComponent(".\(name).\(suffix).tmp")
    }

    private static func openNamed(beside path: String, in folder: String) throws(AtomicFileError) -> (Int32, String) {
        for _ in 0..<8 {
            let candidate = temporaryName(beside: path, in: folder)
            let descriptor = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode_t(0o600))
            if descriptor >= 0 { return (descriptor, candidate) }
            if errno != EEXIST { throw .system(path: path, operation: "create a temporary file for", code: errno) }
        }
        throw .system(path: path, operation: "create a temporary file for", code: EEXIST)
    }

    /// Flushes a folder's entries to the disk, so that a rename or link in it survives a power cut.
    /// File systems that cannot flush a folder (EINVAL) are taken as they are.
    private static func flushFolder(_ folder: String, path: String) throws(AtomicFileError) {
        let descriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .system(path: path, operation: "flush the folder of", code: errno) }
        defer { close(descriptor) }
        if fsync(descriptor) != 0, errno != EINVAL { throw .system(path: path, operation: "flush the folder of", code: errno) }
    }

    // MARK: - Umask

    /// The process's file-creation mask, read from `/proc/self/status` (Linux 4.7 and later) so
    /// that no thread ever sees it changed; elsewhere it is read once, at first use, by setting and
    /// restoring it.
    public static func currentUmask() -> mode_t {
        if let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) {
            for line in text.split(separator: "\n") where line.hasPrefix("Umask:") {
                if let value = mode_t(line.dropFirst("Umask:".count).trimmingCharacters(in: .whitespaces), radix: 8) {
                    return value & 0o777
                }
            }
        }
        return startupUmask
    }

    private static let startupUmask: mode_t = {
        let mask = umask(0o022)
        umask(mask)
        return mask
    }()

    // MARK: - Interrupts

    /// Installs handlers for SIGINT, SIGTERM and SIGHUP that remove every named temporary file
    /// still open (and restore a terminal whose echo a passphrase prompt turned off), then end the
    /// process as the signal would; and ignores SIGXFSZ, so that a write past the process's
    /// file-size limit fails with `EFBIG` (and is cleaned up) instead of killing the process.
    /// Call once, from an executable's start; calling again does no harm.
    public static func installInterruptCleanup() {
        InterruptCleanup.install()
    }

    /// While a passphrase is typed with echo off: the terminal settings to put back if the process
    /// is interrupted; `nil` when the prompt is done. Takes effect with
    /// ``installInterruptCleanup()`` installed.
    /// - Parameters:
    ///   - descriptor: The terminal's file descriptor.
    ///   - settings: The settings to restore.
    public static func restoreTerminalOnInterrupt(_ descriptor: Int32, settings: termios?) {
        InterruptCleanup.setTerminal(descriptor, settings)
    }
}

/// `write(2)`, out of reach of `AtomicFile.write`'s name.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
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
        _ = signal(SIGXFSZ, SIG_IGN)
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
