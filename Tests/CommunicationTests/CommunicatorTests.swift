@_exported import _TestSupport
@testable import Communication
import Foundation
import Testing

/// An error a rank's work throws on purpose.
struct Refusal: Error, CustomStringConvertible {
    let item: Int
    var description: String { "item \(item) refused" }
}

@Suite("communicators")
struct CommunicatorTests {
    @Test("collectives on in-process groups of 1, 2 and 4 ranks", arguments: [1, 2, 4])
    func collectives(ranks: Int) throws {
        let backends = try LocalCommunicator.run(ranks: ranks) { comm in
            try CollectiveChecks.collectives(comm)
            return comm.backend
        }
        #expect(backends == Array(repeating: ranks == 1 ? "local" : "local group", count: ranks))
    }

    @Test("a rank that fails stops the others instead of leaving them waiting")
    func rankFailure() throws {
        let message = thrownMessage {
            _ = try LocalCommunicator.run(ranks: 3) { comm -> Int in
                if comm.rank == 1 { throw Refusal(item: 1) }
                try comm.barrier()
                return 0
            }
        }
        #expect(message == "item 1 refused")
        #expect(thrownMessage { _ = try LocalCommunicator.group(size: 0) } == "a local group needs 1...1024 ranks, received 0")
        #expect(thrownMessage { _ = try LocalCommunicator().receive(from: 0, tag: 1) }
            == "communication error: receive from rank 0 with tag 1: no message was sent, and no other rank can send one")
    }

    @Test("agreeing: a failure on one rank reaches every rank with its message and exit status")
    func agreedFailureCarriesStatus() throws {
        // An audit found mpirun's status a race when one rank's shard failed (3 on that rank, 1 on
        // the others): the others now carry the failing rank's status.
        FailureStatus.use { ($0 as? Refusal).map { Int32(40 + $0.item) } }
        let outcomes = try LocalCommunicator.run(ranks: 3) { comm -> String in
            do {
                try agreeing(comm) { if comm.rank == 2 { throw Refusal(item: 2) } }
                return "no error"
            } catch CommunicationError.rankFailed(let rank, let message, let status) {
                return "rank \(rank): \(message), status \(status.map(String.init) ?? "none")"
            } catch {
                return "own: \(error), status \(FailureStatus.of(error).map(String.init) ?? "none")"
            }
        }
        #expect(outcomes == ["rank 2: item 2 refused, status 42", "rank 2: item 2 refused, status 42", "own: item 2 refused, status 42"])
        // An error the map does not know: no status (the command line then uses 1).
        let unknown = try LocalCommunicator.run(ranks: 2) { comm -> Int32? in
            do {
                try agreeing(comm) { if comm.rank == 1 { throw CommunicationError.communication("x") } }
                return -1
            } catch CommunicationError.rankFailed(_, _, let status) {
                return status
            } catch {
                return -2
            }
        }
        #expect(unknown == [nil, -2])
        #expect(RankOutcome.firstFailure(in: [RankOutcome.success([7]), RankOutcome.failure(Refusal(item: 3))])?.description
            == "rank 1 failed: item 3 refused")
    }

    @Test("nonblocking exchanges on in-process groups of 1, 2 and 3 ranks: matched in the order started, sizes checked",
          arguments: [1, 2, 3])
    func nonblockingExchanges(ranks: Int) throws {
        _ = try LocalCommunicator.run(ranks: ranks) { comm in try CollectiveChecks.nonblockingExchanges(comm) }
    }

    @Test("a rank that fails stops another rank waiting for its exchange instead of leaving it waiting")
    func nonblockingRankFailure() throws {
        let message = thrownMessage {
            _ = try LocalCommunicator.run(ranks: 2) { comm -> Bool in
                if comm.rank == 1 { throw Refusal(item: 1) }
                let into = UnsafeMutableRawBufferPointer.allocate(byteCount: 4, alignment: 8)
                defer { into.deallocate() }
                let exchange = try [UInt8](repeating: 1, count: 4).withUnsafeBytes { try comm.startExchange($0, to: 1, into, from: 1) }
                let rankFailed = thrownMessage { try exchange.wait() }
                #expect(rankFailed == "rank 1 failed: item 1 refused")
                return true
            }
        }
        #expect(message == "item 1 refused")
    }

    @Test("an MPI launcher without the MPI trait stops with a message saying to rebuild")
    func launchDetection() throws {
        #expect(Launcher.detect(["OMPI_COMM_WORLD_SIZE": "2", "OMPI_COMM_WORLD_RANK": "1"])
            == LaunchInfo(variable: "OMPI_COMM_WORLD_SIZE", value: "2", size: 2, rank: 1))
        #expect(Launcher.detect(["PMI_SIZE": "4", "PMI_RANK": "0"])?.size == 4)
        #expect(Launcher.detect(["PMIX_RANK": "0"])?.variable == "PMIX_RANK")
        #expect(Launcher.detect(["HOME": "/root"]) == nil)
        if !Distributed.isMPICompiledIn {
            #expect(thrownMessage { try Distributed.checkLaunch(environment: ["OMPI_COMM_WORLD_SIZE": "2"]) }?
                .hasPrefix("launched by an MPI launcher (OMPI_COMM_WORLD_SIZE=2), but this Verdant was built without MPI") == true)
            #expect(thrownMessage { try Distributed.checkLaunch(environment: ["PMI_SIZE": "3"]) }?.contains("--traits MPI") == true)
            #expect(thrownMessage { try Distributed.checkLaunch(environment: ["OMPI_COMM_WORLD_SIZE": "1"]) } == nil)
        }
        #expect(thrownMessage { try Distributed.checkLaunch(environment: [:]) } == nil)
        // The decision itself, for any build: one rank runs, several are refused.
        let prefix = "launched by an MPI launcher "
        func refusal(_ environment: [String: String]) -> String? { Launcher.refusalWithoutMPI(environment).map { "\($0)" } }
        for single in [["PMIX_RANK": "0"], ["PMI_RANK": "0"], ["OMPI_COMM_WORLD_RANK": "0"], ["OMPI_COMM_WORLD_SIZE": "1"],
                       ["PMI_SIZE": "1", "PMI_RANK": "0"], ["PMIX_SIZE": "1"], ["PMIX_RANK": " 0 "], ["PMIX_SIZE": "unknown"], [:]]
        {
            #expect(refusal(single) == nil, "\(single)")
        }
        #expect(refusal(["PMIX_RANK": "0", "PMIX_SIZE": "2"])?.hasPrefix(prefix + "(PMIX_SIZE=2)") == true)
        #expect(refusal(["OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "0"])?.hasPrefix(prefix + "(OMPI_COMM_WORLD_SIZE=4)") == true)
        #expect(refusal(["PMIX_RANK": "3"])?.hasPrefix(prefix + "(PMIX_RANK=3), but this Verdant was built without MPI") == true)
        #expect(refusal(["PMI_SIZE": "1", "PMI_RANK": "2"])?.hasPrefix(prefix + "(PMI_RANK=2)") == true)
        #expect(refusal(["PMIX_SIZE": "unknown", "PMIX_RANK": "1"])?.hasPrefix(prefix + "(PMIX_RANK=1)") == true)
        if !Distributed.isMPICompiledIn {
            #expect(thrownMessage { try Distributed.checkLaunch(environment: ["PMIX_RANK": "0"]) } == nil)
            #expect(thrownMessage { try Distributed.checkLaunch(environment: ["PMIX_RANK": "1"]) }?.hasPrefix(prefix + "(PMIX_RANK=1)") == true)
        }
    }
}

/// The world communicator: size 1 in a plain `swift test`; all ranks when the test binary runs
/// under `mpirun` with the MPI trait (.ci/run filters to the WorldTests suites).
@Suite("world", .serialized)
struct WorldTests {
    @Test("collectives on the world")
    func collectives() throws {
        let world = try Distributed.world()
        // Under a launcher the world must span every rank (not N copies of size 1).
        if let size = Distributed.launch?.size, Distributed.isMPICompiledIn {
            #expect(world.size == size)
            #expect(world.backend.hasPrefix("MPI"))
        }
        try CollectiveChecks.collectives(world)
        try CollectiveChecks.nonblockingExchanges(world)
        // CI checks that a failure on one rank fails the whole mpirun (.ci/run sets this).
        if let failing = ProcessInfo.processInfo.environment["VERDANT_TEST_FAIL_RANK"], failing == String(world.rank) {
            Issue.record("deliberate failure on rank \(world.rank) (VERDANT_TEST_FAIL_RANK)")
        }
    }
}

@Suite("ranks agree on their options")
struct SettingsAgreementTests {
    static let base = [RankSetting(name: "--epochs", value: "3"), RankSetting(name: "--encrypt-traffic", value: "on")]

    @Test("equal settings pass on 1, 2 and 3 ranks", arguments: [1, 2, 3])
    func equal(ranks: Int) throws {
        let results = try LocalCommunicator.run(ranks: ranks) { comm -> Bool in
            try Distributed.agreeOnSettings(Self.base, over: comm)
            return true
        }
        #expect(results == Array(repeating: true, count: ranks))
    }

    @Test("every rank names each rank that differs from rank 0, and how")
    func differ() throws {
        let messages = try LocalCommunicator.run(ranks: 3) { comm -> String in
            var settings = Self.base
            if comm.rank == 1 { settings[0].value = "5" }
            if comm.rank == 2 { settings = [settings[0], RankSetting(name: "--dp-epsilon", value: "1")] }
            return thrownMessage { try Distributed.agreeOnSettings(settings, over: comm) } ?? "no error"
        }
        let message = "the ranks were started with different options: rank 1 has --epochs 5 (rank 0: 3); "
            + "rank 2 has --dp-epsilon 1 (rank 0 has no such option), no --encrypt-traffic option (rank 0: on). "
            + "Start every rank with the same options (only key files, output paths, --threads and the energy options may differ)"
        #expect(messages == [message, message, message])
    }
}
