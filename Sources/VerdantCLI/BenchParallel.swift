import ArgumentParser
import Foundation
import Verdant
import VerdantCommon

/// Options of `verdant bench --suite parallel`.
struct ParallelBenchOptions: ParsableArguments {
    @Option(help: "Sum of squares: comma-separated array lengths (e.g. 1e8,4e8).")
    var elements: String = "1e8,4e8"

    @Option(name: .customLong("chunk-sizes"), help: "Sum of squares: comma-separated chunk lengths.")
    var chunkSizes: String = "1e6,1e7"

    @Option(help: "Per-task overhead: the number of trivial tasks.")
    var tasks: Int = 10_000

    @Option(name: .customLong("matrix-size"), help: "Matmul: n, for n × n Double matrices.")
    var matrixSize: Int = 4000

    @Option(name: .customLong("matrix-chunk"), help: "Matmul: the tile side.")
    var matrixChunk: Int = 1000

    @Option(name: .customLong("message-bytes"), help: "Allreduce: comma-separated message sizes (e.g. 8,8M).")
    var messageBytes: String = "8,8M"
}

extension Bench {
    static let parallelCases = ["sum-squares", "tasks", "matmul", "allreduce", "allreduce-encrypted", "cipher"]

    /// Whole numbers written as `100000000`, `1e8` or `1.5e6`.
    private func counts(_ text: String, _ option: String, minimum: Int) throws -> [Int] {
        let values = try text.split(separator: ",").map { part -> Int in
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let d = Double(trimmed), d.rounded() == d, d >= Double(minimum), d <= 1e12 else {
                throw CLIError.usage("--\(option): '\(trimmed)' is not a whole number ≥ \(minimum) (e.g. 1000000 or 1e6)")
            }
            return Int(d)
        }
        guard !values.isEmpty else { throw CLIError.usage("--\(option): give at least one value") }
        return values
    }

    /// `--suite parallel`.
    func runParallelSuite() throws {
        guard repeats >= 1 else { throw CLIError.usage("--repeats must be at least 1, received \(repeats)") }
        let world = try Distributed.world()
        let distributed = world.size > 1
        let defaultCases = distributed ? ["allreduce", "allreduce-encrypted"] : Bench.parallelCases.filter { $0 != "cipher" }
        let wanted = (cases ?? defaultCases.joined(separator: ","))
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for name in wanted where !Bench.parallelCases.contains(name) {
            throw CLIError.usage("--cases: unknown case '\(name)' (available for --suite parallel: \(Bench.parallelCases.joined(separator: ", ")))")
        }
        let singleProcess = ["sum-squares", "tasks", "matmul"]
        if distributed, let name = wanted.first(where: singleProcess.contains) {
            throw CLIError.usage("--cases: '\(name)' measures one process's cores and runs without mpirun; under mpirun the cases are "
                                 + "allreduce, allreduce-encrypted and cipher")
        }
        let elementCounts = try counts(parallel.elements, "elements", minimum: 1)
        let chunkSizes = try counts(parallel.chunkSizes, "chunk-sizes", minimum: 1)
        guard parallel.tasks >= 1 else { throw CLIError.usage("--tasks must be at least 1, received \(parallel.tasks)") }
        guard parallel.matrixSize >= 1, parallel.matrixChunk >= 1 else {
            throw CLIError.usage("--matrix-size and --matrix-chunk must be at least 1, received \(parallel.matrixSize) and \(parallel.matrixChunk)")
        }
        let messageSizes = try parallel.messageBytes.split(separator: ",").map { part -> Int in
            let text = String(part)
            guard let bytes = try? parseBytes(text), bytes >= 8, bytes <= 1 << 34 else {
                throw CLIError.usage("--message-bytes: '\(text)' is not a size from 8 bytes to 16G (e.g. 8, 64K, 8M)")
            }
            return Int(bytes)
        }
        if !distributed, wanted.contains("sum-squares"), let largest = elementCounts.max() {
            try Bench.checkMemory(8 * Double(largest), "--elements \(largest) (sum-squares, Doubles)")
        }
        if !distributed, wanted.contains("matmul") {
            try Bench.checkMemory(3 * 8 * Double(parallel.matrixSize) * Double(parallel.matrixSize),
                                  "--matrix-size \(parallel.matrixSize) (matmul: A, B and C in Doubles)")
        }
        if wanted.contains("allreduce") || wanted.contains("allreduce-encrypted") || wanted.contains("cipher"), let largest = messageSizes.max() {
            try Bench.checkMemory(3 * Double(largest), "--message-bytes \(largest) (the message, its sealed and received copies)")
        }
        let defaultThreads = Scheduler.defaultThreads
        let threadCounts = try threads.map { try counts($0, "threads", minimum: 1) } ?? [defaultThreads]

        var results: [ParallelBenchmark.Result] = []
        let interactive = isatty(STDERR_FILENO) != 0 && world.rank == 0
        func status(_ text: String) {
            if interactive { FileHandle.standardError.write(Data("\r\u{1B}[2Kbench: \(text)…".utf8)) }
        }
        do {
            if !distributed {
                for t in threadCounts where wanted.contains("sum-squares") {
                    for n in elementCounts {
                        status("sum of squares, \(n) elements, \(t) thread\(t == 1 ? "" : "s")")
                        results += try ParallelBenchmark.sumOfSquares(elements: n, chunkSizes: chunkSizes, threads: t, repeats: repeats)
                    }
                }
                for t in threadCounts where wanted.contains("tasks") {
                    status("per-task overhead, \(parallel.tasks) tasks, \(t) threads")
                    results += try ParallelBenchmark.taskOverhead(tasks: parallel.tasks, threads: t, repeats: repeats)
                }
                if wanted.contains("matmul") {
                    let matmulThreads = threads == nil ? Array(Set([1, defaultThreads])).sorted() : threadCounts
                    for t in matmulThreads {
                        status("matmul \(parallel.matrixSize) × \(parallel.matrixSize), \(t) thread\(t == 1 ? "" : "s")")
                        results.append(try ParallelBenchmark.matmul(size: parallel.matrixSize, chunk: parallel.matrixChunk, threads: t,
                                                                    repeats: repeats))
                    }
                }
            }
            if wanted.contains("allreduce") {
                for bytes in messageSizes {
                    status("allreduce of \(bytes) bytes on \(world.size) rank\(world.size == 1 ? "" : "s")")
                    results.append(try ParallelBenchmark.allreduce(bytes: bytes, communicator: world, repeats: repeats))
                }
            }
            if wanted.contains("allreduce-encrypted") {
                // Plain and sealed on the same ranks, one after the other: the world under mpirun, else
                // an in-process group of two ranks (threads), so the ratio compares like with like.
                let pair = { (body: @escaping @Sendable (any Communicator) throws -> [ParallelBenchmark.Result]) throws -> [ParallelBenchmark.Result] in
                    if distributed { return try body(world) }
                    return try LocalCommunicator.run(ranks: 2) { try body($0) }[0]
                }
                let sizes = messageSizes
                let repeats = repeats
                status("allreduce, plain and encrypted, \(sizes.count) size\(sizes.count == 1 ? "" : "s")")
                results += try pair { communicator in
                    let encrypted = try EncryptedCommunicator(wrapping: communicator, clusterKey: try RawKey.throwawayClusterKey(over: communicator))
                    var measured: [ParallelBenchmark.Result] = []
                    for bytes in sizes {
                        var plain = try ParallelBenchmark.allreduce(bytes: bytes, communicator: communicator, repeats: repeats)
                        plain.name = "allreduce-plain"
                        var sealed = try ParallelBenchmark.allreduce(bytes: bytes, communicator: encrypted, repeats: repeats)
                        sealed.name = "allreduce-encrypted"
                        measured += [plain, sealed]
                    }
                    return measured
                }
            }
            if wanted.contains("cipher") {
                // The cipher alone, on this rank's thread: what the encrypted allreduce's chunks cost.
                for bytes in messageSizes {
                    status("AES-256-GCM on \(bytes) bytes in allreduce chunks")
                    let times = try EncryptedCommunicator.chunkCipherSeconds(bytes: bytes, repeats: repeats)
                    for (name, seconds) in [("cipher-seal", times.seal), ("cipher-open", times.open)] {
                        let median = Timing.median(seconds)
                        results.append(ParallelBenchmark.Result(
                            name: name, parameters: [("bytes", Double(bytes))], threads: 1, ranks: world.size, seconds: seconds,
                            value: Double(bytes) / median / 1e9, unit: "GB/s", gigabytesPerSecond: Double(bytes) / median / 1e9))
                    }
                }
            }
        }
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        guard world.rank == 0 else { return }

        /// The plain allreduce measured beside an encrypted one (same ranks, same bytes).
        func plainAllreduce(_ r: ParallelBenchmark.Result) -> Double? {
            guard r.name == "allreduce-encrypted" else { return nil }
            let bytes = r.parameters.first { $0.0 == "bytes" }?.1
            return results.first { $0.name == "allreduce-plain" && $0.parameters.first { $0.0 == "bytes" }?.1 == bytes }?.secondsMedian
        }
        func fusedLoop(_ r: ParallelBenchmark.Result) -> Double? {
            guard r.name == "sum-squares" else { return nil }
            let n = r.parameters.first { $0.0 == "elements" }?.1
            return results.first { $0.name == "fused-loop" && $0.threads == r.threads && $0.parameters.first?.1 == n }?.secondsMedian
        }
        if json {
            let machine: [(String, JSON)] = [
                ("cores", .integer(ProcessInfo.processInfo.activeProcessorCount)),
                ("memory_bytes", .integer(Int(ProcessInfo.processInfo.physicalMemory))),
                ("verdant", .string(VerdantCommand.version)), ("repeats", .integer(repeats)),
                ("ranks", .integer(world.size)), ("backend", .string(world.backend)),
            ]
            let items: [JSON] = results.map { r in
                var members: [(String, JSON)] = [
                    ("case", .string(r.name)),
                    ("parameters", .object(r.parameters.map { ($0.0, .number($0.1)) })),
                    ("threads", .integer(r.threads)), ("ranks", .integer(r.ranks)),
                    ("seconds_median", .number(r.secondsMedian)), ("seconds", .array(r.seconds.map { .number($0) })),
                    ("value", .number(r.value)), ("unit", .string(r.unit)),
                ]
                if let reference = fusedLoop(r) { members.append(("time_vs_fused_loop", .number(r.secondsMedian / reference))) }
                if let reference = plainAllreduce(r) { members.append(("time_vs_plain", .number(r.secondsMedian / reference))) }
                if let rate = r.gigabytesPerSecond { members.append(("gigabytes_per_second", .number(rate))) }
                return .object(members)
            }
            JSON.object([("suite", .string("parallel")), ("machine", .object(machine)), ("results", .array(items))]).print()
        } else {
            let rows = results.map { r -> [String] in
                let parameters = r.parameters.map { name, value in
                    "\(name)=\(value >= 1e5 ? String(format: "%.0e", value) : String(Int(value)))"
                }.joined(separator: " ")
                let ratio = (fusedLoop(r) ?? plainAllreduce(r)).map { String(format: "%.2f", r.secondsMedian / $0) } ?? ""
                let rate = r.gigabytesPerSecond.map { String(format: ", %.3g GB/s", $0) } ?? ""
                return [r.name, parameters, String(r.threads), String(r.ranks), Format.seconds(r.secondsMedian),
                        String(format: "%.3g", r.value) + " " + r.unit + rate, ratio]
            }
            print(Format.table(["case", "parameters", "threads", "ranks", "median", "figure", "ratio"], rows))
            print("sum-squares: GB/s of input read; '÷ fused loop': time over one hand-written loop per thread on the same memory "
                  + "(1.00 = no overhead). tasks: µs per trivial task. matmul: 2n³/time. allreduce: µs per call (sum of Doubles) "
                  + "and GB/s, the message bytes reduced per second. allreduce-encrypted: the same sealed with AES-256-GCM "
                  + "(--encrypt-traffic), its ratio is time ÷ allreduce-plain on the same ranks (an in-process pair of ranks "
                  + "when not under mpirun). cipher-seal, cipher-open (--cases cipher): AES-256-GCM alone on one thread, "
                  + "GB/s of plaintext, in the encrypted allreduce's \(EncryptedCommunicator.defaultChunkBytes >> 10) KiB chunks.")
        }
    }
}
