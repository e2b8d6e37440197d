import _TestSupport
import Foundation
import Testing
@testable import VerdantCommon
#if canImport(Glibc)
import Glibc
#endif

/// The shared temporary folder, under this file's name for it.
typealias Folder = TemporaryFolder

/// The permission bits of a file, from lstat(2).
func permissions(_ path: String) -> mode_t? {
    var info = stat()
    guard lstat(path, &info) == 0 else { return nil }
    return info.st_mode & 0o7777
}

/// The umask as a child shell reports it (it inherits ours): an oracle independent of /proc parsing.
func umaskFromShell() throws -> mode_t? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "umask"]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    process.waitUntilExit()
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return mode_t(text.trimmingCharacters(in: .whitespacesAndNewlines), radix: 8)
}

@Suite("AtomicFile: the one atomic writer")
struct AtomicFileTests {
    /// Both kinds of temporary file: unnamed (O_TMPFILE) where supported, and named.
    static let kinds = [true, false]

    @Test("the target appears only at commit, with the bytes written", arguments: kinds)
    func appearsAtCommit(unnamed: Bool) throws {
        let folder = try Folder()
        let target = folder.path("out.bin")
        let file = try AtomicFile(path: target, replacing: false, mode: nil, durable: true, unnamed: unnamed)
        try file.write(Data("hello, ".utf8))
        try file.write(Data(repeating: 7, count: 100_000))
        #expect(!FileManager.default.fileExists(atPath: target))
        if unnamed, file.temporaryPath == nil {
            // An unnamed temporary file has no entry in the folder at all.
            #expect(folder.names.isEmpty)
        } else {
            let temporary = try #require(file.temporaryPath)
            #expect(folder.names == [(temporary as NSString).lastPathComponent])
            #expect(temporary.hasPrefix(folder.path(".out.bin.")) && temporary.hasSuffix(".tmp"))
            #expect(permissions(temporary) == 0o600)
        }
        try file.commit()
        #expect(folder.names == ["out.bin"])
        #expect(folder.read("out.bin") == Data("hello, ".utf8) + Data(repeating: 7, count: 100_000))
        #expect(file.fileDescriptor == -1)
        #expect(throws: AtomicFileError.closed(path: target)) { try file.commit() }
        #expect(throws: AtomicFileError.closed(path: target)) { try file.write(Data([1])) }
    }

    @Test("on Linux, with /proc, the temporary file is unnamed")
    func unnamedWhereSupported() throws {
        #if os(Linux)
        guard FileManager.default.fileExists(atPath: "/proc/self/fd") else { return }
        let folder = try Folder()
        let file = try AtomicFile(path: folder.path("x"), replacing: false)
        // tmpfs and ext4 support O_TMPFILE; a file system without it falls back to a named file.
        let probe = open(folder.url.path, 0o20_000_000 | O_DIRECTORY | O_WRONLY, mode_t(0o600))
        if probe >= 0 {
            close(probe)
            #expect(file.temporaryPath == nil)
        }
        file.discard()
        #expect(folder.names.isEmpty)
        #endif
    }

    @Test("a file system that will not link an unnamed file: the bytes are copied to a named file, which takes its place",
          arguments: [false, true])
    func unlinkableUnnamed(replacing: Bool) throws {
        let folder = try Folder()
        let target = folder.path("copied")
        if replacing { try Data("old".utf8).write(to: URL(fileURLWithPath: target)) }
        let file = try AtomicFile(path: target, replacing: replacing, mode: 0o640, durable: true, unnamed: true)
        file.refusesLinkForTesting = true
        let bytes = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try file.write(bytes)
        try file.commit()
        #expect(folder.read("copied") == bytes)
        #expect(permissions(target) == 0o640)
        #expect(folder.names == ["copied"])
    }

    @Test("mode: 0600 on request, else 0666 less the umask (read from a shell)", arguments: kinds)
    func modes(unnamed: Bool) throws {
        let folder = try Folder()
        try AtomicFile(path: folder.path("secret"), replacing: false, mode: 0o600, durable: true, unnamed: unnamed).commitEmpty()
        #expect(permissions(folder.path("secret")) == 0o600)
        try AtomicFile(path: folder.path("plain"), replacing: false, mode: nil, durable: false, unnamed: unnamed).commitEmpty()
        let mask = try #require(try umaskFromShell())
        #expect(permissions(folder.path("plain")) == 0o666 & ~mask)
        #expect(AtomicFile.currentUmask() == mask)
    }

    @Test("folderPart is NSString's deletingLastPathComponent without its trap on one-character names")
    func folders() throws {
        // An audit found `keygen -o k` and `measure --energy-report a` crashed (SIGILL) in
        // swift-corelibs-foundation's deletingLastPathComponent.
        let cases: [(String, String)] = [("k", ""), ("ab", ""), ("/k", "/"), ("/", "/"), ("a/b", "a"), ("/tmp/x.txt", "/tmp"),
                                         ("/tmp/lock/", "/tmp"), ("a//b", "a"), ("./k", "."), ("", ""), ("dir/c", "dir")]
        for (path, folder) in cases { #expect(folderPart(of: path) == folder, "\(path)") }
        for (path, _) in cases where path.count > 1 && path != "/" && path != "a//b" {
            #expect(folderPart(of: path) == (path as NSString).deletingLastPathComponent, "\(path)")
        }
    }

    @Test("an existing target is kept without replacing, replaced with it", arguments: kinds)
    func existingTarget(unnamed: Bool) throws {
        let folder = try Folder()
        let target = folder.path("t")
        try Data("old".utf8).write(to: URL(fileURLWithPath: target))
        #expect(throws: AtomicFileError.exists(path: target)) {
            try AtomicFile(path: target, replacing: false, mode: nil, durable: true, unnamed: unnamed)
        }
        let file = try AtomicFile(path: target, replacing: true, mode: nil, durable: true, unnamed: unnamed)
        try file.write(Data("new".utf8))
        #expect(folder.read("t") == Data("old".utf8))
        try file.commit()
        #expect(folder.read("t") == Data("new".utf8))
        #expect(folder.names == ["t"])
    }

    @Test("a target that appears while writing is not replaced, and nothing is left", arguments: kinds)
    func targetAppearsMeanwhile(unnamed: Bool) throws {
        let folder = try Folder()
        let target = folder.path("late")
        let file = try AtomicFile(path: target, replacing: false, mode: nil, durable: true, unnamed: unnamed)
        try file.write(Data("mine".utf8))
        try Data("theirs".utf8).write(to: URL(fileURLWithPath: target))
        #expect(throws: AtomicFileError.exists(path: target)) { try file.commit() }
        #expect(folder.read("late") == Data("theirs".utf8))
        #expect(folder.names == ["late"])
    }

    @Test("a symbolic link at the target is replaced, never written through", arguments: kinds)
    func symbolicLinkTarget(unnamed: Bool) throws {
        let folder = try Folder()
        let victim = folder.path("victim")
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        let link = folder.path("link")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: victim)
        #expect(throws: AtomicFileError.exists(path: link)) {
            try AtomicFile(path: link, replacing: false, mode: nil, durable: true, unnamed: unnamed)
        }
        // A dangling link also counts as an existing target.
        let dangling = folder.path("dangling")
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: folder.path("nowhere"))
        #expect(throws: AtomicFileError.exists(path: dangling)) {
            try AtomicFile(path: dangling, replacing: false, mode: nil, durable: true, unnamed: unnamed)
        }
        #expect(!FileManager.default.fileExists(atPath: folder.path("nowhere")))
        let file = try AtomicFile(path: link, replacing: true, mode: nil, durable: true, unnamed: unnamed)
        try file.write(Data("new".utf8))
        try file.commit()
        #expect(folder.read("victim") == Data("precious".utf8))
        #expect(try FileManager.default.attributesOfItem(atPath: link)[.type] as? FileAttributeType == .typeRegular)
        #expect(folder.read("link") == Data("new".utf8))
    }

    @Test("a link into /proc (as /dev/stdout is) is refused, not replaced")
    func linkIntoProc() throws {
        let folder = try Folder()
        let link = folder.path("stdout")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "/proc/self/fd/1")
        #expect(AtomicFile.specialKind(atPath: link) == "a link to a process's open file ('/proc/self/fd/1')")
        #expect(throws: AtomicFileError.notAFile(path: link, kind: "a link to a process's open file ('/proc/self/fd/1')")) {
            try AtomicFile(path: link, replacing: true)
        }
        #expect(try FileManager.default.attributesOfItem(atPath: link)[.type] as? FileAttributeType == .typeSymbolicLink)
        #expect(folder.names == ["stdout"])
    }

    @Test("discard, and the end of the object without commit, leave nothing", arguments: kinds)
    func discardLeavesNothing(unnamed: Bool) throws {
        let folder = try Folder()
        let file = try AtomicFile(path: folder.path("a"), replacing: false, mode: nil, durable: true, unnamed: unnamed)
        try file.write(Data(repeating: 1, count: 5000))
        file.discard()
        file.discard()  // twice is harmless
        #expect(folder.names.isEmpty)
        #expect(throws: AtomicFileError.closed(path: folder.path("a"))) { try file.commit() }
        do {
            let dropped = try AtomicFile(path: folder.path("b"), replacing: false, mode: nil, durable: true, unnamed: unnamed)
            try dropped.write(Data(repeating: 2, count: 5000))
        }
        #expect(folder.names.isEmpty)
    }

    @Test("a folder, a missing folder and an unwritable place are refused with their reason")
    func badTargets() throws {
        let folder = try Folder()
        try FileManager.default.createDirectory(atPath: folder.path("dir"), withIntermediateDirectories: false)
        #expect(throws: AtomicFileError.isDirectory(path: folder.path("dir"))) {
            try AtomicFile(path: folder.path("dir"), replacing: true)
        }
        let missing = folder.path("no/such/x")
        #expect(throws: AtomicFileError.folderMissing(path: missing, folder: folder.path("no/such"))) {
            try AtomicFile(path: missing, replacing: false)
        }
        #expect(AtomicFileError.folderMissing(path: missing, folder: folder.path("no/such")).description
                == "cannot write '\(missing)': the folder '\(folder.path("no/such"))' does not exist; nothing was left at '\(missing)'")
        // A path under a regular file: ENOTDIR from the system, named in the message.
        try Data().write(to: URL(fileURLWithPath: folder.path("file")))
        do {
            _ = try AtomicFile(path: folder.path("file/x"), replacing: false)
            Issue.record("a path under a regular file was accepted")
        } catch {
            #expect(error.description.contains("Not a directory"), "\(error)")
        }
        #expect(folder.names == ["dir", "file"])
    }

    @Test("messages explain a full disk and a file-size limit")
    func messages() {
        let full = AtomicFileError.system(path: "out.sealed", operation: "write", code: ENOSPC)
        #expect(full.description == "cannot write 'out.sealed': No space left on device (the disk is full); nothing was left at 'out.sealed'")
        #expect(full.reason == "No space left on device (the disk is full)")
        let flush = AtomicFileError.system(path: "k", operation: "flush", code: EIO)
        #expect(flush.reason == "cannot flush it: Input/output error")
        #expect(AtomicFileError.describe(errno: EFBIG).hasPrefix("File too large (the file is larger than"))
        #expect(AtomicFileError.exists(path: "m").description == "'m' exists; use --force to overwrite it")
    }

    @Test("a full file system: the write fails with ENOSPC and nothing is left (a 64 KiB tmpfs)", arguments: kinds)
    func fullFileSystem(unnamed: Bool) throws {
        guard let mount = try SmallFileSystem(kilobytes: 64) else { return }
        defer { mount.unmount() }
        let target = mount.path("big.bin")
        let file = try AtomicFile(path: target, replacing: false, mode: nil, durable: true, unnamed: unnamed)
        var failure: AtomicFileError?
        do {
            for _ in 0..<64 { try file.write(Data(repeating: 0xAB, count: 16 << 10)) }
            try file.commit()
        } catch {
            failure = error
        }
        #expect(failure == .system(path: target, operation: "write", code: ENOSPC))
        #expect(mount.names.isEmpty)
        // The space is given back: a small file fits again.
        try AtomicFile.write(Data("ok".utf8), toPath: target, replacing: false)
        #expect(mount.names == ["big.bin"])
    }
}

extension AtomicFile {
    /// Commits without writing.
    func commitEmpty() throws { try commit() }
}

/// A small tmpfs mounted for a test, or `nil` (with the reason printed) where mounting is not
/// allowed (not root, no CAP_SYS_ADMIN, a container without mount rights).
final class SmallFileSystem {
    let folder: String

    init?(kilobytes: Int) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-tmpfs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let status = mount("tmpfs", folder, "tmpfs", 0, "size=\(kilobytes)k,mode=0755")
        guard status == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: folder)
            print("skipped: mounting a \(kilobytes) KiB tmpfs is not allowed here (\(reason)); RLIMIT_FSIZE tests cover write failures")
            return nil
        }
    }

    func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
    var names: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted() }

    func unmount() {
        umount2(folder, 0x2 /* MNT_DETACH */)
        try? FileManager.default.removeItem(atPath: folder)
    }
}

@Suite("UserFile: whole files the user names, pipes included")
struct UserFileTests {
    @Test("a regular file, a pipe, an empty device; a missing file and a directory are named as such")
    func reads() throws {
        let folder = try TemporaryFolder()
        let bytes = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try bytes.write(to: folder.url.appendingPathComponent("big"))
        #expect(try UserFile.read(folder.path("big")) == bytes)
        let small = Data("through a pipe\n".utf8)
        #expect(try withPipe(containing: small) { try UserFile.read($0) } == small)
        #expect(try UserFile.read("/dev/null") == Data())
        #expect(throws: UserFileError(reason: "no such file")) { try UserFile.read(folder.path("missing")) }
        #expect(throws: UserFileError(reason: "no such file")) { try UserFile.read(folder.path("big/below")) }
        #expect(throws: UserFileError(reason: "it is a directory")) { try UserFile.read(folder.url.path) }
    }
}
