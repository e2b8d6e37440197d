import Foundation
import Testing
import Verdant

@Suite("verdant info and bench --suite parallel", .serialized)
struct ParallelCLITests {
    @Test("info prints cores, memory, MPI and rank, as text and JSON")
    func info() throws {
        let text = try verdant(["info"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("cores:    \(ProcessInfo.processInfo.activeProcessorCount)"))
        #expect(text.stdout.contains("rank:     0 of 1 (local)"))
        #expect(text.stdout.contains(Distributed.isMPICompiledIn ? "MPI:      compiled in" : "MPI:      not compiled in"))
        let json = try jsonObject(try verdant(["info", "--json"]).stdout)
        #expect(json["size"] as? Int == 1 && json["rank"] as? Int == 0)
        #expect(json["cores"] as? Int == ProcessInfo.processInfo.activeProcessorCount)
        #expect((json["memory_bytes"] as? Int ?? 0) > 0)
        #expect(json["mpi_compiled_in"] as? Bool == Distributed.isMPICompiledIn)
        #expect((json["ranks"] as? [[String: Any]])?.count == 1)
    }

    @Test("started by an MPI launcher without MPI compiled in: stop with exit 1 and say how to rebuild")
    func launcherWithoutMPI() throws {
        guard !Distributed.isMPICompiledIn else { return }
        for variable in ["OMPI_COMM_WORLD_SIZE", "PMI_SIZE"] {
            let result = try verdantWithEnvironment(["info"], [variable: "2"])
            #expect(result.status == 1)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.hasPrefix("verdant: error: launched by an MPI launcher (\(variable)=2), but this Verdant was built without MPI"))
            #expect(result.stderr.contains("--traits MPI"))
            expectNoTrace(result)
        }
        // Other commands stop too (never N copies doing the same work).
        #expect(try verdantWithEnvironment(["demo", "--qubits", "4"], ["OMPI_COMM_WORLD_SIZE": "3"]).status == 1)
        #expect(try verdantWithEnvironment(["info"], ["OMPI_COMM_WORLD_SIZE": "1"]).status == 0)
    }

    @Test("bench --suite parallel: every case in JSON, and its errors")
    func bench() throws {
        let result = try verdant(["bench", "--suite", "parallel", "--elements", "20000", "--chunk-sizes", "3000,20000", "--tasks", "200",
                                  "--matrix-size", "40", "--matrix-chunk", "16", "--message-bytes", "8,4K", "--repeats", "1",
                                  "--threads", "1,2", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try jsonObject(result.stdout)
        #expect(json["suite"] as? String == "parallel")
        let results = try #require(json["results"] as? [[String: Any]])
        let names = results.compactMap { $0["case"] as? String }
        #expect(Set(names) == ["sum-squares", "fused-loop", "tasks-run", "tasks-map", "tasks-graph", "matmul", "allreduce",
                               "allreduce-plain", "allreduce-encrypted"])
        // The sealed allreduce is measured beside a plain one on the same (in-process) pair of ranks.
        let sealed = results.filter { $0["case"] as? String == "allreduce-encrypted" }
        #expect(sealed.count == 2 && sealed.allSatisfy { ($0["time_vs_plain"] as? Double ?? 0) > 0 && $0["ranks"] as? Int == 2 })
        #expect(names.filter { $0 == "sum-squares" }.count == 4)
        for r in results {
            #expect((r["seconds_median"] as? Double ?? 0) > 0)
            #expect((r["value"] as? Double ?? 0) > 0)
        }
        #expect(results.filter { $0["case"] as? String == "sum-squares" }.allSatisfy { ($0["time_vs_fused_loop"] as? Double ?? 0) > 0 })
        // The cipher alone (not a default case): seal and open, in GB/s.
        let cipher = try verdant(["bench", "--suite", "parallel", "--cases", "cipher", "--message-bytes", "300K", "--repeats", "1", "--json"])
        #expect(cipher.status == 0, "\(cipher.stderr)")
        let cipherResults = try #require(try jsonObject(cipher.stdout)["results"] as? [[String: Any]])
        #expect(cipherResults.compactMap { $0["case"] as? String } == ["cipher-seal", "cipher-open"])
        #expect(cipherResults.allSatisfy { ($0["gigabytes_per_second"] as? Double ?? 0) > 0 && $0["unit"] as? String == "GB/s" })
        let table = try verdant(["bench", "--suite", "parallel", "--cases", "tasks", "--tasks", "100", "--repeats", "1"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("tasks-graph"))
        for (arguments, message) in [
            (["bench", "--suite", "parallel", "--cases", "fft"], "--cases: unknown case 'fft' (available for --suite parallel: sum-squares, tasks, matmul, allreduce, allreduce-encrypted, cipher)"),
            (["bench", "--suite", "parallel", "--elements", "1e8,x"], "--elements: 'x' is not a whole number ≥ 1 (e.g. 1000000 or 1e6)"),
            (["bench", "--suite", "parallel", "--message-bytes", "3"], "--message-bytes: '3' is not a size from 8 bytes to 16G"),
            (["bench", "--suite", "parallel", "--tasks", "0"], "--tasks must be at least 1, received 0"),
        ] {
            let bad = try verdant(arguments)
            #expect(bad.status == 2, "\(arguments)")
            #expect(bad.stderr.contains(message), "\(bad.stderr)")
            expectNoTrace(bad)
        }
    }
}
