#if MPI
import CMPI
import Foundation

/// The MPI world (`MPI_COMM_WORLD`), compiled only with the `MPI` trait. Obtain it through
/// ``Distributed/world()``. MPI runs with `MPI_THREAD_SERIALIZED`: calls are serialised by a lock,
/// and MPI errors are returned (`MPI_ERRORS_RETURN`) and thrown with MPI's own message.
final class MPICommunicator: Communicator, @unchecked Sendable {
    let rank: Int
    let size: Int
    let backend: String
    private let comm: MPI_Comm
    private let lock = ConditionLock()

    /// Largest element count per MPI call (counts are 32-bit).
    private static let pieceElements = 1 << 28

    private static let shared: Result<MPICommunicator, CommunicationError> = {
        do {
            return .success(try MPICommunicator())
        } catch let error as CommunicationError {
            return .failure(error)
        } catch {
            return .failure(.communication("\(error)"))
        }
    }()

    static func world() throws -> MPICommunicator { try shared.get() }

    static var libraryVersion: String {
        var length: Int32 = 0
        var buffer = [CChar](repeating: 0, count: Int(verdant_mpi_max_library_version_string()) + 1)
        MPI_Get_library_version(&buffer, &length)
        let text = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.split(whereSeparator: { $0 == "\n" || $0 == "," }).first.map(String.init) ?? text
    }

    private init() throws {
        var initialized: Int32 = 0
        MPI_Initialized(&initialized)
        if initialized == 0 {
            var provided: Int32 = 0
            try MPICommunicator.check(MPI_Init_thread(nil, nil, verdant_mpi_thread_serialized(), &provided), "MPI_Init_thread")
            atexit {
                var finalized: Int32 = 0
                MPI_Finalized(&finalized)
                if finalized == 0 { MPI_Finalize() }
            }
        }
        comm = verdant_mpi_comm_world()
        try MPICommunicator.check(MPI_Comm_set_errhandler(comm, verdant_mpi_errors_return()), "MPI_Comm_set_errhandler")
        var r: Int32 = 0, s: Int32 = 0
        try MPICommunicator.check(MPI_Comm_rank(comm, &r), "MPI_Comm_rank")
        try MPICommunicator.check(MPI_Comm_size(comm, &s), "MPI_Comm_size")
        rank = Int(r)
        size = Int(s)
        backend = "MPI (\(MPICommunicator.libraryVersion))"
    }

    /// Whether MPI has started, has not finished, and runs two or more ranks.
    static var isRunningWithPeers: Bool {
        var initialized: Int32 = 0, finalized: Int32 = 0
        MPI_Initialized(&initialized)
        MPI_Finalized(&finalized)
        guard initialized != 0, finalized == 0 else { return false }
        var size: Int32 = 1
        MPI_Comm_size(verdant_mpi_comm_world(), &size)
        return size > 1
    }

    static func check(_ code: Int32, _ function: String) throws {
        guard code != verdant_mpi_success() else { return }
        var buffer = [CChar](repeating: 0, count: Int(verdant_mpi_max_error_string()) + 1)
        var length: Int32 = 0
        MPI_Error_string(code, &buffer, &length)
        let message = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        throw CommunicationError.mpi(function: function, code: code, message: message)
    }

    private func datatype<T: Communicable>(_: T.Type) -> MPI_Datatype {
        switch T.communicableKind.storage {
        case .double: verdant_mpi_double()
        case .float: verdant_mpi_float()
        case .int64: verdant_mpi_int64()
        case .uint8: verdant_mpi_uint8()
        }
    }

    private func mpiOperator(_ op: ReductionOperator) -> MPI_Op {
        switch op {
        case .sum: verdant_mpi_sum()
        case .min: verdant_mpi_min()
        case .max: verdant_mpi_max()
        }
    }

    func barrier() throws {
        try lock.withLock { try MPICommunicator.check(MPI_Barrier(comm), "MPI_Barrier") }
    }

    /// Broadcasts `count` elements at `base` in pieces of at most `pieceElements`.
    private func broadcastRaw<T: Communicable>(_ base: UnsafeMutablePointer<T>?, count: Int, root: Int) throws {
        guard let base else { return }
        var offset = 0
        while offset < count {
            let n = min(MPICommunicator.pieceElements, count - offset)
            try MPICommunicator.check(MPI_Bcast(base + offset, Int32(n), datatype(T.self), Int32(root), comm), "MPI_Bcast")
            offset += n
        }
    }

    func broadcast<T: Communicable>(_ values: [T], from root: Int) throws -> [T] {
        try checkRank(root, "root", size: size)
        return try lock.withLock {
            var count = [Int64(rank == root ? values.count : 0)]
            try MPICommunicator.check(MPI_Bcast(&count, 1, verdant_mpi_int64(), Int32(root), comm), "MPI_Bcast")
            var result = rank == root ? values : [T](unsafeUninitializedCapacity: Int(count[0])) { _, n in n = Int(count[0]) }
            try result.withUnsafeMutableBufferPointer { try broadcastRaw($0.baseAddress, count: $0.count, root: root) }
            return result
        }
    }

    /// Every rank must give the same count: max(count) == min(count), checked first.
    private func checkSameCount(_ count: Int) throws {
        var counts: [Int64] = [Int64(count), -Int64(count)]
        var extremes: [Int64] = [0, 0]
        try MPICommunicator.check(MPI_Allreduce(&counts, &extremes, 2, verdant_mpi_int64(), verdant_mpi_max(), comm), "MPI_Allreduce")
        guard extremes[0] == -extremes[1] else {
            throw CommunicationError.communication(
                "allreduce: the ranks gave different counts (from \(-extremes[1]) to \(extremes[0])); every rank must give the same count")
        }
    }

    /// Reduces `count` elements from `source` (or in place when nil) into `destination`, in pieces.
    private func reduceRaw<T: Communicable>(_ source: UnsafePointer<T>?, _ destination: UnsafeMutablePointer<T>, count: Int,
                                            _ op: ReductionOperator) throws
    {
        var offset = 0
        while offset < count {
            let n = min(MPICommunicator.pieceElements, count - offset)
            let input = source.map { UnsafeRawPointer($0 + offset) } ?? UnsafeRawPointer(verdant_mpi_in_place())
            try MPICommunicator.check(MPI_Allreduce(input, destination + offset, Int32(n), datatype(T.self), mpiOperator(op), comm),
                                      "MPI_Allreduce")
            offset += n
        }
    }

    func allreduce<T: Communicable>(_ values: [T], _ op: ReductionOperator) throws -> [T] {
        try lock.withLock {
            try checkSameCount(values.count)
            var result = [T](unsafeUninitializedCapacity: values.count) { _, n in n = values.count }
            try values.withUnsafeBufferPointer { input in
                try result.withUnsafeMutableBufferPointer { output in
                    guard let source = input.baseAddress, let destination = output.baseAddress else { return }
                    try reduceRaw(source, destination, count: values.count, op)
                }
            }
            return result
        }
    }

    func allreduce<T: Communicable>(_ values: inout [T], _ op: ReductionOperator) throws {
        try lock.withLock {
            try checkSameCount(values.count)
            let count = values.count
            try values.withUnsafeMutableBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                try reduceRaw(nil, base, count: count, op)
            }
        }
    }

    func allgather<T: Communicable>(_ values: [T]) throws -> [[T]] {
        try lock.withLock {
            var mine = [Int64(values.count)]
            var counts = [Int64](repeating: 0, count: size)
            try MPICommunicator.check(MPI_Allgather(&mine, 1, verdant_mpi_int64(), &counts, 1, verdant_mpi_int64(), comm), "MPI_Allgather")
            let total = counts.reduce(0, +)
            if total <= Int64(Int32.max) {
                var displacements = [Int32](repeating: 0, count: size)
                for r in 1..<max(size, 1) { displacements[r] = displacements[r - 1] + Int32(counts[r - 1]) }
                let counts32 = counts.map { Int32($0) }
                var all = [T](unsafeUninitializedCapacity: Int(total)) { _, n in n = Int(total) }
                try values.withUnsafeBufferPointer { input in
                    try all.withUnsafeMutableBufferPointer { output in
                        try MPICommunicator.check(MPI_Allgatherv(input.baseAddress, Int32(values.count), datatype(T.self), output.baseAddress,
                                                                 counts32, displacements, datatype(T.self), comm), "MPI_Allgatherv")
                    }
                }
                return (0..<size).map { r in Array(all[Int(displacements[r])..<Int(displacements[r]) + Int(counts[r])]) }
            }
            // More than 2³¹ elements in all: one broadcast per rank, in pieces.
            return try (0..<size).map { r in
                var part = r == rank ? values : [T](unsafeUninitializedCapacity: Int(counts[r])) { _, n in n = Int(counts[r]) }
                try part.withUnsafeMutableBufferPointer { try broadcastRaw($0.baseAddress, count: $0.count, root: r) }
                return part
            }
        }
    }

    func gather<T: Communicable>(_ values: [T], to root: Int) throws -> [[T]]? {
        try checkRank(root, "root", size: size)
        let all = try allgather(values)
        return rank == root ? all : nil
    }

    func scatter<T: Communicable>(_ parts: [[T]], from root: Int) throws -> [T] {
        try checkRank(root, "root", size: size)
        // Root announces the part sizes (or −1 when it has the wrong number of parts).
        let sizes: [Int] = try broadcast(rank == root ? (parts.count == size ? parts.map(\.count) : [-1, parts.count]) : [], from: root)
        guard sizes.count == size, !sizes.contains(where: { $0 < 0 }) else {
            let given = sizes.count == 2 ? sizes[1] : sizes.count
            throw CommunicationError.communication("scatter: root gave \(given) parts for \(size) ranks; give one part per rank")
        }
        var mine: [T] = []
        for r in 0..<size {
            if r == root {
                if rank == root { mine = parts[root] }
            } else if rank == root {
                // The reserved tag: no user message can match these parts or be taken for one.
                try sendUnchecked(parts[r].withUnsafeBytes { Array($0) }, to: r, tag: internalTag)
            } else if rank == r {
                let bytes = try receiveUnchecked(from: root, tag: internalTag)
                mine = bytes.withUnsafeBytes { raw in Array(raw.bindMemory(to: T.self)) }
            }
        }
        return mine
    }

    func send(_ bytes: [UInt8], to destination: Int, tag: Int) throws {
        try checkRank(destination, "destination", size: size)
        try checkTag(tag)
        try sendUnchecked(bytes, to: destination, tag: tag)
    }

    func receive(from source: Int, tag: Int) throws -> [UInt8] {
        try checkRank(source, "source", size: size)
        try checkTag(tag)
        return try receiveUnchecked(from: source, tag: tag)
    }

    func sendReceive(_ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer,
                     from source: Int) throws
    {
        try checkRank(destination, "destination", size: size)
        try checkRank(source, "source", size: size)
        try MPICommunicator.checkMessageBytes(send, receive, "sendReceive")
        try lock.withLock {
            var status = MPI_Status()
            try MPICommunicator.check(
                MPI_Sendrecv(send.baseAddress, Int32(send.count), verdant_mpi_uint8(), Int32(destination), Int32(internalTag),
                             receive.baseAddress, Int32(receive.count), verdant_mpi_uint8(), Int32(source), Int32(internalTag),
                             comm, &status),
                "MPI_Sendrecv")
            var count: Int32 = 0
            try MPICommunicator.check(MPI_Get_count(&status, verdant_mpi_uint8(), &count), "MPI_Get_count")
            guard Int(count) == receive.count else {
                throw CommunicationError.communication(
                    "sendReceive: rank \(rank) expected \(receive.count) bytes from rank \(source), which sent \(count)")
            }
        }
    }

    /// The bytes check of `sendReceive` and of the nonblocking exchange.
    private static func checkMessageBytes(_ send: UnsafeRawBufferPointer, _ receive: UnsafeMutableRawBufferPointer, _ what: String) throws {
        guard send.count <= Int(Int32.max), receive.count <= Int(Int32.max) else {
            throw CommunicationError.communication(
                "\(what): \(max(send.count, receive.count)) bytes is more than one message can carry (2³¹ − 1)")
        }
    }

    /// `send` for a checked rank and any tag, the reserved one included.
    private func sendUnchecked(_ bytes: [UInt8], to destination: Int, tag: Int) throws {
        guard bytes.count <= Int(Int32.max) else {
            throw CommunicationError.communication("send: \(bytes.count) bytes is more than one message can carry (2³¹ − 1)")
        }
        try lock.withLock {
            try bytes.withUnsafeBytes { raw in
                try MPICommunicator.check(MPI_Send(raw.baseAddress, Int32(bytes.count), verdant_mpi_uint8(), Int32(destination), Int32(tag), comm),
                                          "MPI_Send")
            }
        }
    }

    /// `receive` for a checked rank and any tag, the reserved one included.
    private func receiveUnchecked(from source: Int, tag: Int) throws -> [UInt8] {
        assert((0...internalTag).contains(tag))
        return try lock.withLock {
            var status = MPI_Status()
            try MPICommunicator.check(MPI_Probe(Int32(source), Int32(tag), comm, &status), "MPI_Probe")
            var count: Int32 = 0
            try MPICommunicator.check(MPI_Get_count(&status, verdant_mpi_uint8(), &count), "MPI_Get_count")
            var bytes = [UInt8](repeating: 0, count: Int(count))
            try bytes.withUnsafeMutableBytes { raw in
                try MPICommunicator.check(MPI_Recv(raw.baseAddress, count, verdant_mpi_uint8(), Int32(source), Int32(tag), comm,
                                                   verdant_mpi_status_ignore()), "MPI_Recv")
            }
            return bytes
        }
    }
}

// MARK: - Nonblocking exchange (NonblockingExchange.swift)

extension MPICommunicator: NonblockingExchanging {
    /// `MPI_Irecv` then `MPI_Isend` on the reserved tag, under the lock (MPI runs serialised).
    func startNonblockingExchange(_ send: UnsafeRawBufferPointer, to destination: Int, _ receive: UnsafeMutableRawBufferPointer,
                                  from source: Int) throws -> any PendingExchange
    {
        try MPICommunicator.checkMessageBytes(send, receive, "sendReceive")
        let exchange = MPIExchange(communicator: self, source: source, expectedBytes: receive.count)
        try lock.withLock {
            try MPICommunicator.check(
                verdant_mpi_exchange_start(exchange.handle, send.baseAddress, Int32(send.count), Int32(destination),
                                           receive.baseAddress, Int32(receive.count), Int32(source), Int32(internalTag), comm),
                "MPI_Isend/MPI_Irecv")
        }
        exchange.started = true
        return exchange
    }

    /// `MPI_Testall` of one exchange's two requests, under the lock; checks the size once complete.
    fileprivate func test(_ exchange: MPIExchange) throws -> Bool {
        var done: Int32 = 0
        try lock.withLock { try MPICommunicator.check(verdant_mpi_exchange_test(exchange.handle, &done), "MPI_Testall") }
        if done != 0 { try finish(exchange) }
        return done != 0
    }

    /// `MPI_Waitall` of one exchange's two requests, under the lock (held while MPI waits, as
    /// `MPI_Sendrecv` holds it); checks the size.
    fileprivate func wait(_ exchange: MPIExchange) throws {
        try lock.withLock { try MPICommunicator.check(verdant_mpi_exchange_wait(exchange.handle), "MPI_Waitall") }
        try finish(exchange)
    }

    private func finish(_ exchange: MPIExchange) throws {
        exchange.isDone = true
        var count: Int32 = 0
        try MPICommunicator.check(verdant_mpi_exchange_received(exchange.handle, &count), "MPI_Get_count")
        guard Int(count) == exchange.expectedBytes else {
            throw CommunicationError.communication(
                "sendReceive: rank \(rank) expected \(exchange.expectedBytes) bytes from rank \(exchange.source), which sent \(count)")
        }
    }

    /// Lets go of an exchange that was never completed (an error elsewhere ended the caller's work).
    fileprivate func abandon(_ exchange: MPIExchange) {
        lock.withLock { verdant_mpi_exchange_abandon(exchange.handle) }
    }
}

/// One exchange's MPI requests and statuses. Dropped before completion (only when an error ends the
/// caller's work), its requests are freed and MPI completes them later: the caller must then keep
/// the buffers (ChunkedAllreduce.swift does, by not deallocating its scratch).
final class MPIExchange: PendingExchange {
    private let communicator: MPICommunicator
    let source: Int
    let expectedBytes: Int
    let handle: UnsafeMutablePointer<verdant_mpi_exchange>
    var started = false
    var isDone = false

    init(communicator: MPICommunicator, source: Int, expectedBytes: Int) {
        self.communicator = communicator
        self.source = source
        self.expectedBytes = expectedBytes
        handle = UnsafeMutablePointer<verdant_mpi_exchange>.allocate(capacity: 1)
        handle.initialize(to: verdant_mpi_exchange())
    }

    deinit {
        if started && !isDone { communicator.abandon(self) }
        handle.deinitialize(count: 1)
        handle.deallocate()
    }

    func test() throws -> Bool { try isDone || communicator.test(self) }
    func wait() throws { if !isDone { try communicator.wait(self) } }
}
#endif
