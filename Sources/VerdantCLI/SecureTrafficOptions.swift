import ArgumentParser
import Foundation
import Verdant

/// `--encrypt-traffic` and `--cluster-key`: every payload between MPI ranks sealed (train, predict,
/// kernel). docs/secure-distributed.md.
struct SecureTrafficOptions: ParsableArguments {
    @Flag(name: .customLong("encrypt-traffic"),
          help: "Seal everything the MPI ranks send each other with AES-256-GCM (per-pair keys from ephemeral X25519, authenticated by --cluster-key).")
    var encryptTraffic = false

    @Option(name: .customLong("cluster-key"),
            help: ArgumentHelp("The key every rank holds (verdant keygen --cluster-key -o FILE); a host without it cannot join.", valueName: "file"))
    var clusterKey: String?

    /// The layers, with secure aggregation when the command offers it.
    func layers(secureAggregation: Bool = false) -> SecureLayers {
        SecureLayers(encryptTraffic: encryptTraffic, secureAggregation: secureAggregation, clusterKeyPath: clusterKey)
    }

    /// Refuses settings that cannot work, before any rank starts.
    /// - Parameter secureAggregation: the command's `--secure-aggregation`, or nil for a command
    ///   without that option.
    func check(secureAggregation: Bool? = nil) throws {
        do {
            try layers(secureAggregation: secureAggregation ?? false).check(offersSecureAggregation: secureAggregation != nil)
        } catch let error as SecureCommunicationError {
            throw ValidationError(error.description)
        }
    }

    /// The world with the layers on top; a warning when the key file is readable by others.
    func world(secureAggregation: Bool = false) throws -> any Communicator {
        let world = try Distributed.world()
        if world.rank == 0, let clusterKey, let warning = X25519Identity.permissionWarning(forFile: clusterKey) {
            printNote("verdant: warning: \(warning)")
        }
        let stack = layers(secureAggregation: secureAggregation)
        if world.size == 1, !stack.isEmpty {
            let options = [encryptTraffic ? "--encrypt-traffic" : nil, secureAggregation ? "--secure-aggregation" : nil].compactMap { $0 }
            printNote("note: \(options.joined(separator: " and ")) protect\(options.count == 1 ? "s" : "") what MPI ranks send each other; "
                      + "this run has one process, so nothing is sent (start it under mpirun for several ranks)")
        }
        return try stack.wrap(world)
    }
}
