import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A command run under the meter and how it ended.
public struct CommandMeasurement: Sendable {
    /// How the command ended.
    public let exit: CommandExit
    /// Its energy report; the job's CPU time is the command's own and its descendants' (from `wait4`).
    public let report: EnergyReport
}

extension EnergyMeter {
    /// Runs a command, measures it, and returns how it ended with its energy report.
    ///
    /// The command inherits standard input, output and error. Its CPU time comes from the kernel's
    /// `wait4` resource usage, so only that process tree is counted. While it runs, this process
    /// ignores SIGINT and SIGQUIT (like `time` and `system`), so a Ctrl-C ends the command and the
    /// report is still written.
    /// - Parameters:
    ///   - command: The program (looked up in `PATH`) and its arguments.
    ///   - configuration: How to measure and price.
    ///   - label: What to call the job in reports (default: the command line).
    /// - Returns: The exit status or signal, and the report.
    /// - Throws: ``EnergyError/emptyCommand``, ``EnergyError/cannotStart(command:reason:)`` when the
    ///   program cannot be started, or the meter's configuration errors.
    public static func measure(command: [String], configuration: EnergyConfiguration = EnergyConfiguration(),
                               label: String? = nil) throws(EnergyError) -> CommandMeasurement {
        guard let program = command.first, !program.isEmpty else { throw .emptyCommand }
        try configuration.validate()
        let stats = ProcessStats(files: configuration.files)
        // Choose the sources before the command starts, so its first instructions are measured.
        let selection = try MeterCore.select(configuration, stats: stats)

        let oldInterrupt = signal(SIGINT, SIG_IGN)
        let oldQuit = signal(SIGQUIT, SIG_IGN)
        defer {
            signal(SIGINT, oldInterrupt)
            signal(SIGQUIT, oldQuit)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The command starts with every signal unblocked and at its default action: a test runner
        // or a thread pool may block signals (SIGALRM, SIGTERM) that the command relies on.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number: Int32 in 1..<32 where number != SIGKILL && number != SIGSTOP { sigaddset(&defaults, number) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let arguments = command.map { strdup($0) } + [nil]
        defer { for a in arguments { free(a) } }
        var pid: pid_t = 0
        let spawnClock = monotonicSeconds()
        let status = arguments.withUnsafeBufferPointer { argv -> Int32 in
            guard let base = argv.baseAddress else { return EINVAL }
            return posix_spawnp(&pid, program, nil, &attributes, base, environ)
        }
        guard status == 0 else {
            let reason: String
            switch status {
            case ENOENT: reason = program.contains("/") ? "no such file" : "command not found in PATH"
            case EACCES:
                var info = stat()
                reason = program.contains("/") && stat(program, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
                    ? "it is a directory" : "permission denied (not executable?)"
            case ENOEXEC: reason = "not an executable format"
            default: reason = String(cString: strerror(status))
            }
            throw .cannotStart(command: program, reason: reason)
        }

        let core = MeterCore(configuration: configuration, job: .child(pid), selection: selection, stats: stats,
                             startClock: spawnClock)
        core.startSampler()
        // SIGTERM and SIGHUP to this process (a job scheduler's stop, a closed terminal) go on to
        // the command, which decides; the report is still written when it ends. Without this the
        // command kept running, orphaned, and no report was written (found by an audit).
        // This thread takes them even where the parent blocked them (a test runner does).
        measuredCommand = pid
        let oldTerminate = signal(SIGTERM, forwardToMeasuredCommand)
        let oldHangUp = signal(SIGHUP, forwardToMeasuredCommand)
        var forwarded = sigset_t(), previousMask = sigset_t()
        sigemptyset(&forwarded)
        sigaddset(&forwarded, SIGTERM)
        sigaddset(&forwarded, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &forwarded, &previousMask)
        defer {
            pthread_sigmask(SIG_SETMASK, &previousMask, nil)
            signal(SIGTERM, oldTerminate)
            signal(SIGHUP, oldHangUp)
            measuredCommand = 0
        }
        var waitStatus: Int32 = 0
        var usage = rusage()
        while wait4(pid, &waitStatus, 0, &usage) < 0 && errno == EINTR {}
        // posix_spawn starts the child in this process's memory (vfork), and Linux keeps that
        // memory's high-water mark in the child's ru_maxrss at exec: wait4's peak is the command's
        // own only when it exceeds ours (which can only have grown since the exec).
        let childPeakBytes = Double(usage.ru_maxrss) * 1024
        let ownPeakBytes = ProcessStats.currentPeakResidentBytes()
        core.recordChildExit(cpu: CPUTimes(user: ProcessStats.seconds(usage.ru_utime), system: ProcessStats.seconds(usage.ru_stime)),
                             peakResidentBytes: childPeakBytes > ownPeakBytes ? childPeakBytes : nil)
        // Linux wait status: low 7 bits = terminating signal (0 when it exited), bits 8–15 = exit code.
        let signalNumber = waitStatus & 0x7f
        let exit = signalNumber == 0 ? CommandExit(status: (waitStatus >> 8) & 0xff, signal: nil)
            : CommandExit(status: nil, signal: signalNumber)
        let report = core.stop(label: label ?? command.joined(separator: " "), exit: exit)
        return CommandMeasurement(exit: exit, report: report)
    }
}

/// The measured command's process, for the signal handler (0: none). Written only by the thread
/// that spawns and waits, before the handler is installed and after it is removed.
nonisolated(unsafe) private var measuredCommand: pid_t = 0

/// Passes a signal on to the measured command (async-signal-safe: one `kill`).
private func forwardToMeasuredCommand(_ signal: Int32) {
    let pid = measuredCommand
    if pid > 0 { kill(pid, signal) }
}
