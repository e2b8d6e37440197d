import Foundation

/// What an MPI launcher (`mpirun`, `mpiexec`, `srun --mpi=…`) told this process through its
/// environment.
public struct LaunchInfo: Sendable, Equatable {
    /// The variable that revealed the launcher, e.g. `OMPI_COMM_WORLD_SIZE`.
    public let variable: String
    /// Its value.
    public let value: String
    /// The number of ranks, when the launcher says.
    public let size: Int?
    /// This process's rank, when the launcher says.
    public let rank: Int?
}

/// Reads the launcher's environment variables (Open MPI, MPICH/Hydra, PMI-2/PMIx as used by
/// Slurm's `srun`).
package enum Launcher {
    /// The variables that carry this process's rank, in the order they are believed.
    package static let rankVariables = ["OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"]

    package static func detect(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> LaunchInfo? {
        func int(_ name: String) -> Int? { environment[name].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
        let sizeVariables = ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE", "MPI_LOCALNRANKS"]
        let rank = rankVariables.lazy.compactMap { int($0) }.first
        for name in sizeVariables where name != "MPI_LOCALNRANKS" {
            if let value = environment[name] { return LaunchInfo(variable: name, value: value, size: int(name), rank: rank) }
        }
        for name in rankVariables {
            if let value = environment[name] { return LaunchInfo(variable: name, value: value, size: nil, rank: rank) }
        }
        return nil
    }

    /// Why a build without MPI must refuse to run in `environment`, or nil when it may run.
    ///
    /// It refuses only when the launcher says there are several ranks: a size above 1, or a rank
    /// above 0 (which implies several). One rank — size 1, or rank 0 with no size (PMIx under some
    /// `srun` plugins sets only `PMIX_RANK`), or a size or rank that cannot be read — may run: it
    /// does the whole work once, exactly as without the launcher.
    package static func refusalWithoutMPI(_ environment: [String: String]) -> CommunicationError? {
        guard let launch = detect(environment) else { return nil }
        if let size = launch.size, size > 1 {
            return .mpiNotCompiledIn(launcherVariable: launch.variable, value: launch.value)
        }
        if let rank = launch.rank, rank > 0 {
            // Name the variable that gave the rank (the size variable, if any, said 1 or nothing).
            let name = rankVariables.first { environment[$0].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } == rank }
                ?? launch.variable
            return .mpiNotCompiledIn(launcherVariable: name, value: environment[name] ?? launch.value)
        }
        return nil
    }

    /// Ranks started on this node by the launcher (1 when not launched).
    package static var localRanks: Int {
        let environment = ProcessInfo.processInfo.environment
        for name in ["OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"] {
            if let value = environment[name].flatMap({ Int($0) }), value >= 1 { return value }
        }
        return 1
    }
}

/// Where this process runs: the MPI world when launched by an MPI launcher and built with the
/// `MPI` trait, otherwise this process alone.
public enum Distributed {
    /// Whether this build includes MPI (`swift build --traits MPI`).
    public static var isMPICompiledIn: Bool {
        #if MPI
        return true
        #else
        return false
        #endif
    }

    /// The launcher that started this process, if any.
    public static var launch: LaunchInfo? { Launcher.detect() }

    /// Throws when an MPI launcher started several copies of a build without MPI — each would
    /// do all the work alone: a launcher size above 1 or a rank above 0. One rank is allowed
    /// (`mpirun -np 1`, or a launcher that sets only a rank variable, such as `PMIX_RANK=0`).
    /// - Parameter environment: the variables to read (default: this process's).
    /// - Throws: ``CommunicationError/mpiNotCompiledIn(launcherVariable:value:)``.
    public static func checkLaunch(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if isMPICompiledIn { return }
        if let refusal = Launcher.refusalWithoutMPI(environment) { throw refusal }
    }

    /// The world: `MPICommunicator` (all ranks of the job) when launched by an MPI launcher with
    /// MPI compiled in; otherwise a ``LocalCommunicator`` of size 1. MPI is initialised on first
    /// use and finalised when the process exits.
    /// - Returns: the communicator.
    /// - Throws: ``CommunicationError/mpiNotCompiledIn(launcherVariable:value:)`` when launched by
    ///   `mpirun` without MPI compiled in; ``CommunicationError/mpi(function:code:message:)`` when MPI
    ///   fails to start.
    public static func world() throws -> any Communicator {
        try checkLaunch()
        #if MPI
        if Launcher.detect() != nil { return try MPICommunicator.world() }
        #endif
        return single
    }

    private static let single = LocalCommunicator()

    /// Makes sure a rank that fails ends the job, even when it fails alone. Call it before
    /// exiting with a non-zero `status`.
    ///
    /// Exiting runs `MPI_Finalize`, which waits for every rank. When all ranks fail alike (a refused
    /// layout, a cluster key that does not match) they all reach it and the job ends cleanly, each
    /// rank having printed its message. When this rank fails alone (an output file that exists,
    /// checked by rank 0 only; a shard missing on one host) the others wait for it in a collective
    /// and `MPI_Finalize` would wait for ever: after `grace`, a watchdog ends this process with
    /// `status` without finishing MPI, and the launcher then stops every rank and exits non-zero.
    /// Does nothing without MPI, before MPI has started (each rank then exits on its own) or in a
    /// world of one.
    /// - Parameters:
    ///   - status: the exit status this process ends with.
    ///   - grace: how long the ranks have to reach `MPI_Finalize` together.
    public static func armFailureExit(status: Int32, grace: Duration = .seconds(5)) {
        #if MPI
        guard MPICommunicator.isRunningWithPeers else { return }
        let seconds = Double(grace.components.seconds) + Double(grace.components.attoseconds) * 1e-18
        let watchdog = Thread {
            Thread.sleep(forTimeInterval: seconds)
            _exit(status)
        }
        watchdog.start()
        #endif
    }

    /// The MPI library's version line (nil without MPI).
    public static var mpiLibraryVersion: String? {
        #if MPI
        return MPICommunicator.libraryVersion
        #else
        return nil
        #endif
    }
}
