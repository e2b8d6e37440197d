import Foundation
import Verdant
import VerdantCommon

/// `verdant bench --suite privacy`: sealing and opening throughput, and the cost of each key wrap.
extension Bench {
    /// One measured case of the privacy suite.
    struct PrivacyResult {
        let name: String
        let threads: Int
        let bytes: Int
        let seconds: [Double]
        var median: Double { Timing.median(seconds) }
        var gigabytesPerSecond: Double { Double(bytes) / median / 1e9 }
    }

    /// `--suite privacy`: seals `--size` bytes in memory and opens them again, at each thread count
    /// (default: 1 and all cores), with 64 KiB chunks; the untimed warm-up checks that the opened
    /// bytes equal the original. Then the time of one key wrap and unwrap per recipient kind.
    func runPrivacySuite() throws {
        guard repeats >= 1 else { throw CLIError.usage("--repeats must be at least 1, received \(repeats)") }
        guard Recipient.workFactors.contains(workFactor) else {
            throw CLIError.usage("--work-factor must be in \(Recipient.workFactors.lowerBound)...\(Recipient.workFactors.upperBound), received \(workFactor)")
        }
        guard let byteCount = try? parseBytes(size) else {
            throw CLIError.usage("--size: '\(size)' is not a size; use bytes or a number with K, M or G (e.g. 1G, 256M)")
        }
        guard byteCount >= 1, byteCount <= 1 << 36 else {
            throw CLIError.usage("--size: '\(size)' is out of range (1 byte to 64G)")
        }
        let count = Int(byteCount)
        try Bench.checkMemory(2 * Double(count), "--size \(size) (the plaintext and its sealed copy)")
        let all = ProcessInfo.processInfo.activeProcessorCount
        let threadCounts = try threads.map { try integers($0, "threads", minimum: 1, maximum: 4096) } ?? (all > 1 ? [1, all] : [1])
        let interactive = isatty(STDERR_FILENO) != 0
        func status(_ text: String) {
            if interactive { FileHandle.standardError.write(Data("\r\u{1B}[2Kbench: \(text)…".utf8)) }
        }

        // Plaintext: a fixed pattern (AES-GCM's speed does not depend on the bytes).
        let plaintext = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
        defer { plaintext.deallocate() }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let words = plaintext.bindMemory(to: UInt8.self)
        for i in 0..<count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            words[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        let chunk = SealOptions.defaultChunkSize
        let sealedCapacity = count + 1024 + 16 * (count / chunk + 1)
        let sealed = UnsafeMutableRawBufferPointer.allocate(byteCount: sealedCapacity, alignment: 64)
        defer { sealed.deallocate() }
        let key = RawKey()
        var results: [PrivacyResult] = []
        var sealedCount = 0

        for t in threadCounts {
            // Seal: plaintext → sealed bytes appended to a preallocated buffer.
            status("seal \(Format.bytes(count)), \(t) thread\(t == 1 ? "" : "s")")
            var times: [Double] = []
            for run in 0...repeats {
                var filled = 0
                let sink = ByteSink { bytes in
                    guard let base = sealed.baseAddress else { return }
                    UnsafeMutableRawBufferPointer(start: base + filled, count: bytes.count).copyMemory(from: bytes)
                    filled += bytes.count
                }
                let start = DispatchTime.now().uptimeNanoseconds
                let writer = try SealedWriter(to: sink, recipients: [.key(key)], options: SealOptions(chunkSize: chunk, threads: t))
                do {
                    try writer.write(UnsafeRawBufferPointer(plaintext))
                    try writer.finish()
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if run > 0 { times.append(seconds) }  // run 0 warms up
                sealedCount = filled
            }
            results.append(PrivacyResult(name: "seal", threads: t, bytes: count, seconds: times))

            // Open: sealed bytes → plaintext. The untimed warm-up compares every byte with the
            // original; the timed runs hand the plaintext to a sink that drops it.
            status("open \(Format.bytes(count)), \(t) thread\(t == 1 ? "" : "s")")
            times = []
            for run in 0...repeats {
                var offset = 0, readOffset = 0
                var mismatch = false
                let source = ByteSource { buffer in
                    let n = min(buffer.count, sealedCount - readOffset)
                    guard n > 0, let base = sealed.baseAddress else { return 0 }
                    buffer.copyMemory(from: UnsafeRawBufferPointer(start: base + readOffset, count: n))
                    readOffset += n
                    return n
                }
                let verify = run == 0
                let sink = ByteSink { bytes in
                    if verify, let base = plaintext.baseAddress, let incoming = bytes.baseAddress {
                        if offset + bytes.count > count || memcmp(base + offset, incoming, bytes.count) != 0 { mismatch = true }
                    }
                    offset += bytes.count
                }
                let start = DispatchTime.now().uptimeNanoseconds
                do {
                    let reader = try SealedReader(from: source, identities: [.key(key)], options: OpenOptions(threads: t), name: "bench")
                    try reader.copy(to: sink)
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                guard !mismatch, offset == count else {
                    throw CLIError.runtime("bench: the opened bytes differ from the sealed ones (\(offset) of \(count) bytes)")
                }
                if run > 0 { times.append(seconds) }
            }
            results.append(PrivacyResult(name: "open", threads: t, bytes: count, seconds: times))
        }

        // Key wraps: seal and open an empty file for each kind of recipient (scrypt at its default work).
        status("key wraps")
        let identity = X25519Identity()
        let wraps: [(String, Recipient, Identity, Int)] = [
            ("x25519", .x25519(identity.recipient), .x25519(identity), 200),
            ("key-file", .key(key), .key(key), 200),
            ("passphrase-scrypt-2^\(workFactor)", .passphrase("bench", workFactor: workFactor), .passphrase("bench"), 1),
        ]
        var wrapResults: [(String, Double, Double)] = []
        for (name, recipient, opener, iterations) in wraps {
            var sealTimes: [Double] = [], openTimes: [Double] = []
            for _ in 0..<max(1, repeats) {
                var file = Data()
                var start = DispatchTime.now().uptimeNanoseconds
                for _ in 0..<iterations { file = try SealedFile.seal(Data(), for: [recipient]) }
                sealTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(iterations))
                start = DispatchTime.now().uptimeNanoseconds
                let options = OpenOptions(maximumWorkFactor: max(OpenOptions.defaultMaximumWorkFactor, workFactor))
                for _ in 0..<iterations { _ = try SealedFile.open(file, with: [opener], options: options) }
                openTimes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(iterations))
            }
            wrapResults.append((name, Timing.median(sealTimes), Timing.median(openTimes)))
        }
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }

        if json {
            let items: [JSON] = results.map { r in
                .object([("case", .string(r.name)), ("threads", .integer(r.threads)), ("bytes", .integer(r.bytes)),
                         ("chunk_size", .integer(chunk)), ("seconds_median", .number(r.median)),
                         ("seconds", .array(r.seconds.map { .number($0) })), ("gb_per_s", .number(r.gigabytesPerSecond)),
                         ("gb_per_s_per_thread", .number(r.gigabytesPerSecond / Double(r.threads)))])
            }
            let wrapItems: [JSON] = wrapResults.map { name, seal, open in
                .object([("recipient", .string(name)), ("seal_seconds", .number(seal)), ("open_seconds", .number(open))])
            }
            let machine: [(String, JSON)] = [
                ("cores", .integer(all)), ("memory_bytes", .integer(Int(ProcessInfo.processInfo.physicalMemory))),
                ("cpu", .string(SystemInfo.cpuModelName())), ("verdant", .string(VerdantCommand.version)), ("repeats", .integer(repeats)),
            ]
            print(JSON.object([("suite", .string("privacy")), ("machine", .object(machine)), ("results", .array(items)),
                               ("key_wraps", .array(wrapItems))]).text)
        } else {
            let rows = results.map { r in
                [r.name, String(r.threads), Format.bytes(r.bytes), Format.seconds(r.median), String(format: "%.2f", r.gigabytesPerSecond),
                 String(format: "%.2f", r.gigabytesPerSecond / Double(r.threads))]
            }
            print(Format.table(["case", "threads", "size", "median", "GB/s", "GB/s per thread"], rows))
            print("AES-256-GCM in \(Format.bytes(chunk)) chunks, in memory (the warm-up checks every opened byte against the "
                  + "original). GB/s = 10^9 bytes of plaintext per second.\n")
            print(Format.table(["recipient", "seal (wrap)", "open (unwrap)"],
                               wrapResults.map { [$0.0, Format.seconds($0.1), Format.seconds($0.2)] }))
        }
    }
}
