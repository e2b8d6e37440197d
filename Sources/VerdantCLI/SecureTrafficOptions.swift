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

    /// The world with the layers on top, once every rank has been found to run `command` with the
    /// same options (``rankSettings(of:excluding:)``); a warning when the key file is readable by
    /// others.
    ///
    /// The ranks first compare, in the clear, only whether each layer is on (which the traffic
    /// shows anyway), so that a rank without `--encrypt-traffic` is named instead of waiting for a
    /// handshake it never starts; then every other option, over the layers (sealed with
    /// `--encrypt-traffic`).
    func world(secureAggregation: Bool = false, command: any ParsableArguments) throws -> any Communicator {
        let world = try Distributed.world()
        let layerSettings = [
            RankSetting(name: "--encrypt-traffic", value: encryptTraffic ? "on" : "off"),
            RankSetting(name: "--secure-aggregation", value: secureAggregation ? "on" : "off"),
        ]
        try Distributed.agreeOnSettings(layerSettings, over: world)
        if world.rank == 0, let clusterKey, let warning = X25519Identity.permissionWarning(forFile: clusterKey) {
            printNote("verdant: warning: \(warning)")
        }
        let stack = layers(secureAggregation: secureAggregation)
        if world.size == 1, !stack.isEmpty {
            let options = [encryptTraffic ? "--encrypt-traffic" : nil, secureAggregation ? "--secure-aggregation" : nil].compactMap { $0 }
            printNote("note: \(options.joined(separator: " and ")) protect\(options.count == 1 ? "s" : "") what MPI ranks send each other; "
                      + "this run has one process, so nothing is sent (start it under mpirun for several ranks)")
        }
        let communicator = try stack.wrap(world)
        try Distributed.agreeOnSettings(rankSettings(of: command), over: communicator)
        return communicator
    }
}
