import ArgumentParser
import Foundation
import Verdant
import VerdantCommon

/// `verdant info`: this machine (or every rank of an MPI job) as Verdant sees it.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show cores, memory, whether MPI is compiled in, and this process's rank and size.",
        discussion: """
            Under mpirun (built with --traits MPI), rank 0 prints one row per rank. Launched by mpirun \
            without MPI compiled in, Verdant stops and says how to rebuild. See docs/mpi.md.
            """
    )

    @Flag(help: "Print JSON on standard output.")
    var json = false

    func run() throws {
        let world = try Distributed.world()
        let host = ProcessInfo.processInfo.hostName
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = Int(ProcessInfo.processInfo.physicalMemory)
        let available = SystemInfo.availableMemoryBytes().map { Int(clamping: $0) } ?? memory
        let threads = Scheduler.defaultThreads
        // Every rank's figures, gathered on rank 0 (host names as bytes).
        let numbers = try world.gather([world.rank, cores, memory, available, threads], to: 0)
        let hosts = try world.gather(Array(host.utf8), to: 0)
        guard let numbers, let hosts else { return }  // other ranks print nothing

        let launch = Distributed.launch
        let mpi = Distributed.mpiLibraryVersion
        if json {
            let ranks: [JSON] = zip(numbers, hosts).map { n, h in
                .object([("rank", .integer(n[0])), ("host", .string(String(decoding: h, as: UTF8.self))),
                         ("cores", .integer(n[1])), ("memory_bytes", .integer(n[2])),
                         ("memory_available_bytes", .integer(n[3])), ("threads", .integer(n[4]))])
            }
            JSON.object([
                ("verdant", .string(VerdantCommand.version)),
                ("cores", .integer(cores)), ("threads", .integer(threads)),
                ("memory_bytes", .integer(memory)), ("memory_available_bytes", .integer(available)),
                ("mpi_compiled_in", .bool(Distributed.isMPICompiledIn)),
                ("mpi_library", mpi.map { .string($0) } ?? .null),
                ("launcher", launch.map { .object([("variable", .string($0.variable)), ("value", .string($0.value))]) } ?? .null),
                ("rank", .integer(world.rank)), ("size", .integer(world.size)), ("backend", .string(world.backend)),
                ("ranks", .array(ranks)),
            ]).print()
            return
        }
        var lines = ["Verdant \(VerdantCommand.version)"]
        lines.append("cores:    \(cores) (scheduler threads: \(threads))")
        lines.append("memory:   \(Format.bytes(memory)) total, \(Format.bytes(available)) available")
        if let mpi {
            lines.append("MPI:      compiled in (\(mpi))")
        } else {
            lines.append("MPI:      not compiled in (multi-node runs need: swift build -c release --traits MPI; see docs/mpi.md)")
        }
        lines.append("launcher: " + (launch.map { "\($0.variable)=\($0.value)" } ?? "none (not started by mpirun or srun)"))
        lines.append("rank:     \(world.rank) of \(world.size) (\(world.backend))")
        if world.size > 1 {
            lines.append("")
            let rows = zip(numbers, hosts).map { n, h in
                [String(n[0]), String(decoding: h, as: UTF8.self), String(n[1]), String(n[4]), Format.bytes(n[2]), Format.bytes(n[3])]
            }
            lines.append(Format.table(["rank", "host", "cores", "threads", "memory", "available"], rows))
        }
        print(lines.joined(separator: "\n"))
    }
}
