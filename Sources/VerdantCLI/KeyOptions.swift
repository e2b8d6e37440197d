import ArgumentParser
import Foundation
import Verdant
import VerdantCommon

/// Who a sealed output is for: `-r`, `-R`, `--passphrase`, `--key-file` (shared by `seal` and any
/// command that writes sealed outputs, e.g. `train` and `predict`).
struct RecipientOptions: ParsableArguments {
    @Option(name: [.customShort("r"), .customLong("recipient")],
            help: ArgumentHelp("Seal for this X25519 recipient (verdant1…, from verdant keygen); repeatable.", valueName: "recipient"))
    var recipients: [String] = []

    @Option(name: [.customShort("R"), .customLong("recipients-file")],
            help: ArgumentHelp("Seal for every recipient in this file (one per line, # comments); repeatable.", valueName: "file"))
    var recipientFiles: [String] = []

    @Flag(name: .customLong("passphrase"),
          help: "Seal for a passphrase: from --passphrase-file, --passphrase-fd, $VERDANT_PASSPHRASE, or asked twice on the terminal.")
    var passphrase = false

    @Option(name: .customLong("passphrase-file"), help: ArgumentHelp("Read the passphrase from this file's first line.", valueName: "file"))
    var passphraseFile: String?

    @Option(name: .customLong("passphrase-fd"),
            help: ArgumentHelp("Read the passphrase from the first line of this open file descriptor (e.g. 3 with 3<secret).", valueName: "n"))
    var passphraseDescriptor: Int32?

    @Option(name: .customLong("key-file"),
            help: ArgumentHelp("Seal for the raw 256-bit key in this file (verdant keygen --symmetric); repeatable.", valueName: "file"))
    var keyFiles: [String] = []

    @Option(name: .customLong("work-factor"),
            help: ArgumentHelp("scrypt work for --passphrase: log2 N, 10...22 (each step doubles time and memory).", valueName: "n"))
    var workFactor: Int = Recipient.defaultWorkFactor

    /// Whether any recipient option was given.
    var isEmpty: Bool {
        recipients.isEmpty && recipientFiles.isEmpty && !passphrase && passphraseFile == nil && passphraseDescriptor == nil && keyFiles.isEmpty
    }

    /// The recipients, with passphrase prompts as needed.
    /// - Throws: `CLIError` (usage) for bad keys, files or work factors.
    func resolve() throws -> [Recipient] {
        do {
            guard (10...22).contains(workFactor) else {
                throw CLIError.usage("--work-factor must be in 10...22, received \(workFactor)")
            }
            let asked = passphrase || passphraseFile != nil || passphraseDescriptor != nil
            let phrase = asked ? try Passphrase.read(file: passphraseFile, descriptor: passphraseDescriptor, confirm: true) : nil
            let result = try KeyMaterial.recipients(recipients, files: recipientFiles, keyFiles: keyFiles, passphrase: phrase,
                                                    workFactor: workFactor)
            guard !result.isEmpty else { throw PrivacyError.noRecipients }
            try SealedWriter.checkRecipients(result)
            return result
        }
    }
}

/// Keys from the command line's strings and files, shared by every command that seals or opens.
enum KeyMaterial {
    /// Recipients from `verdant1…` strings, recipient files, raw key files and a passphrase.
    /// - Throws: Privacy's errors for bad keys or unreadable files.
    static func recipients(_ strings: [String], files: [String], keyFiles: [String], passphrase: String?,
                           workFactor: Int) throws -> [Recipient]
    {
        var result: [Recipient] = []
        for text in strings { result.append(.x25519(try X25519Recipient(string: text))) }
        for file in files { result += try X25519Recipient.load(contentsOfFile: file).map { .x25519($0) } }
        if !keyFiles.isEmpty { SecretMemory.protectProcess() }
        for file in keyFiles {
            if let warning = X25519Identity.permissionWarning(forFile: file) { printNote("verdant: warning: \(warning)") }
            result.append(.key(try RawKey(contentsOfFile: file)))
        }
        if let passphrase { result.append(.passphrase(passphrase, workFactor: workFactor)) }
        return result
    }

    /// Identities from identity files, raw key files and a passphrase.
    /// - Parameter warnKeyFiles: whether to warn about key files others can read (false when
    ///   ``recipients(_:files:keyFiles:passphrase:workFactor:)`` has read the same files already).
    /// - Throws: Privacy's errors for bad keys or unreadable files.
    static func identities(files: [String], keyFiles: [String], passphrase: String?, warnKeyFiles: Bool = true) throws -> [Identity] {
        var result: [Identity] = []
        if !files.isEmpty || !keyFiles.isEmpty { SecretMemory.protectProcess() }
        for file in files {
            if let warning = X25519Identity.permissionWarning(forFile: file) { printNote("verdant: warning: \(warning)") }
            result += try X25519Identity.load(contentsOfFile: file).map { .x25519($0) }
        }
        for file in keyFiles {
            if warnKeyFiles, let warning = X25519Identity.permissionWarning(forFile: file) { printNote("verdant: warning: \(warning)") }
            result.append(.key(try RawKey(contentsOfFile: file)))
        }
        if let passphrase { result.append(.passphrase(passphrase)) }
        return result
    }

    /// Whether the header has a passphrase stanza.
    static func hasPassphrase(_ header: SealedHeader) -> Bool {
        header.recipients.contains { if case .passphrase = $0 { true } else { false } }
    }
}

/// What opens a sealed input: `-i`, `--passphrase`, `--key-file` (shared by `unseal` and any command
/// that reads sealed inputs, e.g. `train` and `predict`).
struct IdentityOptions: ParsableArguments {
    @Option(name: [.customShort("i"), .customLong("identity")],
            help: ArgumentHelp("Open with the X25519 identities in this file (from verdant keygen); repeatable.", valueName: "file"))
    var identityFiles: [String] = []

    @Flag(name: .customLong("passphrase"),
          help: "Open with a passphrase: from --passphrase-file, --passphrase-fd, $VERDANT_PASSPHRASE, or asked on the terminal (also used when no other key is given and the file has a passphrase).")
    var passphrase = false

    @Option(name: .customLong("passphrase-file"), help: ArgumentHelp("Read the passphrase from this file's first line.", valueName: "file"))
    var passphraseFile: String?

    @Option(name: .customLong("passphrase-fd"),
            help: ArgumentHelp("Read the passphrase from the first line of this open file descriptor (e.g. 3 with 3<secret).", valueName: "n"))
    var passphraseDescriptor: Int32?

    @Option(name: .customLong("key-file"),
            help: ArgumentHelp("Open with the raw 256-bit key in this file; repeatable.", valueName: "file"))
    var keyFiles: [String] = []

    @Option(name: .customLong("max-work-factor"),
            help: ArgumentHelp("The most scrypt work to accept from a file, as log2 N; a file asking more is refused before any work.",
                               valueName: "n"))
    var maxWorkFactor: Int = OpenOptions.defaultMaximumWorkFactor

    /// The identities for a file with this header: those given, plus a passphrase when asked for
    /// or when nothing else was given and the file has a passphrase stanza.
    /// - Throws: `CLIError` (usage) for unreadable or bad identity files.
    func identities(for header: SealedHeader) throws -> [Identity] {
        do {
            let ask = passphrase || passphraseFile != nil || passphraseDescriptor != nil
                || (identityFiles.isEmpty && keyFiles.isEmpty && KeyMaterial.hasPassphrase(header))
            let phrase = ask ? try Passphrase.read(file: passphraseFile, descriptor: passphraseDescriptor, confirm: false) : nil
            return try KeyMaterial.identities(files: identityFiles, keyFiles: keyFiles, passphrase: phrase)
        }
    }

    /// The open options (`--max-work-factor`, threads).
    func openOptions(threads: Int?) throws -> OpenOptions {
        guard (1...30).contains(maxWorkFactor) else {
            throw CLIError.usage("--max-work-factor must be in 1...30, received \(maxWorkFactor)")
        }
        return OpenOptions(maximumWorkFactor: maxWorkFactor, threads: threads)
    }
}

/// Reading a passphrase: never from the command line.
enum Passphrase {
    static let environmentVariable = "VERDANT_PASSPHRASE"
    /// The longest passphrase line read from a file, a descriptor or the terminal.
    static let maximumBytes = 64 << 10

    /// From `file` (its first line), else descriptor `descriptor` (its first line), else
    /// `$VERDANT_PASSPHRASE` (then overwritten and removed from the environment, so that no child
    /// process inherits it and /proc does not show it), else the terminal (without echo, twice when `confirm`). The text must be
    /// valid UTF-8 and not empty.
    static func read(file: String?, descriptor: Int32? = nil, confirm: Bool) throws -> String {
        SecretMemory.protectProcess()
        if let file {
            let data: Data
            do {
                data = try UserFile.read(file)
            } catch {
                throw CLIError.usage("--passphrase-file: cannot read '\(file)': \(error.reason)")
            }
            return try firstLine(Array(data.prefix(maximumBytes)), from: "--passphrase-file: '\(file)'")
        }
        if let descriptor {
            return try firstLine(readLine(descriptor: descriptor), from: "--passphrase-fd \(descriptor)")
        }
        if let raw = getenv(environmentVariable) {
            let count = strlen(raw)
            let bytes = Array(UnsafeBufferPointer(start: raw, count: count)).map { UInt8(bitPattern: $0) }
            // Overwrite the value where it lies (the process's original environment block, which
            // /proc/PID/environ shows), then remove the variable, so that no child inherits it.
            memset(raw, 0, count)
            unsetenv(environmentVariable)
            guard !bytes.isEmpty else { throw CLIError.usage("$\(environmentVariable) is set but empty") }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw CLIError.usage("$\(environmentVariable) is not valid UTF-8 text")
            }
            return text
        }
        let first = try prompt("Passphrase: ")
        guard !first.isEmpty else { throw CLIError.usage("the passphrase is empty") }
        if confirm {
            let second = try prompt("Passphrase (again): ")
            guard first == second else { throw CLIError.usage("the two passphrases differ") }
        }
        return first
    }

    /// The first line of `bytes` (without `\r\n` or `\n`) as UTF-8 text.
    static func firstLine(_ bytes: [UInt8], from source: String) throws -> String {
        var line = Array(bytes.prefix { $0 != UInt8(ascii: "\n") })
        if line.last == UInt8(ascii: "\r") { line.removeLast() }
        guard let text = String(validating: line, as: UTF8.self) else { throw CLIError.usage("\(source) is not UTF-8 text") }
        guard !text.isEmpty else { throw CLIError.usage("\(source): the first line is empty") }
        return text
    }

    /// Reads one line from an open descriptor, a byte at a time so that nothing after the line
    /// is consumed; the descriptor stays open.
    private static func readLine(descriptor: Int32) throws -> [UInt8] {
        var info = stat()
        guard descriptor >= 0, fstat(descriptor, &info) == 0 else {
            throw CLIError.usage("--passphrase-fd \(descriptor): not an open file descriptor (open one with e.g. 3<FILE)")
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while bytes.count <= maximumBytes {
            let n = Glibc.read(descriptor, &byte, 1)
            if n < 0, errno == EINTR { continue }
            if n < 0 { throw CLIError.usage("--passphrase-fd \(descriptor): \(String(cString: strerror(errno)))") }
            if n == 0 || byte == UInt8(ascii: "\n") { break }
            bytes.append(byte)
        }
        return bytes
    }

    /// Reads one line from the controlling terminal with echo off; it must be valid UTF-8.
    private static func prompt(_ text: String) throws -> String {
        let tty = open("/dev/tty", O_RDWR | O_CLOEXEC)
        guard tty >= 0 else {
            throw CLIError.usage("a passphrase is needed but there is no terminal to ask on: "
                                 + "use --passphrase-file FILE or --passphrase-fd N (or set $\(environmentVariable))")
        }
        defer { close(tty) }
        _ = text.withCString { write(tty, $0, strlen($0)) }
        var saved = termios()
        let isTerminal = tcgetattr(tty, &saved) == 0
        if isTerminal {
            var silent = saved
            silent.c_lflag &= ~tcflag_t(ECHO)
            // Ctrl-C while echo is off must not leave the terminal silent.
            AtomicOutput.restoreTerminalOnInterrupt(tty, settings: saved)
            tcsetattr(tty, TCSAFLUSH, &silent)
        }
        defer {
            if isTerminal {
                AtomicOutput.restoreTerminalOnInterrupt(tty, settings: nil)
                tcsetattr(tty, TCSAFLUSH, &saved)
                _ = write(tty, "\n", 1)
            }
        }
        var bytes: [UInt8] = []
        var byte: UInt8 = 0
        while bytes.count <= maximumBytes, Glibc.read(tty, &byte, 1) == 1, byte != UInt8(ascii: "\n") {
            bytes.append(byte)
        }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard let typed = String(validating: bytes, as: UTF8.self) else {
            throw CLIError.usage("the passphrase typed is not valid UTF-8 text; check the terminal's character encoding")
        }
        return typed
    }
}

/// Keeping secrets out of core dumps: once a key or passphrase is in memory, the process makes no
/// core file (RLIMIT_CORE 0) and is not dumpable (PR_SET_DUMPABLE 0: no core, and no other
/// process of the same user may attach to it or read its memory through /proc).
enum SecretMemory {
    private static let protected: Void = {
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(Int32(RLIMIT_CORE.rawValue), &none)
        #if os(Linux)
        // prctl(2) is variadic in C and not imported: call it through its address, with every
        // argument a machine word (how the variadic call passes them).
        typealias Prctl = @convention(c) (Int32, UInt, UInt, UInt, UInt) -> Int32
        if let program = dlopen(nil, RTLD_NOW), let symbol = dlsym(program, "prctl") {
            let prctl = unsafeBitCast(symbol, to: Prctl.self)
            _ = prctl(4 /* PR_SET_DUMPABLE */, 0, 0, 0, 0)
        }
        #endif
    }()

    /// Disables core dumps for the rest of the process (once; later calls do nothing).
    static func protectProcess() {
        protected
    }
}

/// Input and output streams of the seal/unseal commands: a file, or standard input/output for
/// none or `-`.
enum StreamEnds {
    /// The input's descriptor and name; the caller closes a file's descriptor.
    static func input(_ path: String?) throws -> (descriptor: Int32, name: String, isFile: Bool) {
        guard let path, path != "-" else { return (STDIN_FILENO, "<stdin>", false) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError.usage("cannot read '\(path)': no such file")
        }
        if isDirectory.boolValue { throw CLIError.usage("cannot read '\(path)': it is a directory") }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw CLIError.usage("cannot read '\(path)': \(String(cString: strerror(errno)))") }
        return (descriptor, path, true)
    }

    /// Refuses an output path that is the input file itself.
    static func checkDistinct(input: String?, output: String?) throws {
        guard let input, let output, input != "-", output != "-" else { return }
        if sameFile(input, output) { throw CLIError.usage("the output '\(output)' is the input file; choose another -o") }
    }
}
