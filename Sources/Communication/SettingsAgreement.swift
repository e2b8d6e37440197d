import Foundation

/// One setting that every rank of a job must hold alike: an option's name as the user writes it
/// (`--epochs`) and its value as text.
public struct RankSetting: Sendable, Equatable {
    /// The option, as the user writes it.
    public var name: String
    /// Its value as text (`on`/`off` for flags, `(not given)` for an absent option).
    public var value: String

    /// The name of the setting that holds the command a rank runs (`verdant train`): when it
    /// differs, the ranks are told that alone rather than every option apart.
    public static let commandName = "(command)"

    /// A setting.
    /// - Parameters:
    ///   - name: the option, as the user writes it.
    ///   - value: its value as text.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

extension Distributed {
    /// Checks that every rank of `communicator` was started with the same settings, so that ranks
    /// started with different options (`mpirun -np 1 verdant train … --encrypt-traffic : -np 1
    /// verdant train …`) stop with a message instead of waiting for each other in collectives that
    /// do not match. Every rank must call it at the same point; it costs one small collective
    /// (two allgathers under MPI). Every rank throws the same error, naming each rank that differs
    /// from rank 0 and how.
    /// - Parameters:
    ///   - settings: this rank's settings, in the order the command declares them.
    ///   - communicator: the job's ranks.
    /// - Throws: ``CommunicationError/settingsDiffer(_:)``; the communicator's errors.
    public static func agreeOnSettings(_ settings: [RankSetting], over communicator: any Communicator) throws {
        guard communicator.size > 1 else { return }
        let all = try communicator.allgather(Array(encode(settings).utf8))
        let decoded = all.map { decode(String(decoding: $0, as: UTF8.self)) }
        var differences: [String] = []
        for (rank, theirs) in decoded.enumerated().dropFirst() {
            let command = { (settings: [RankSetting]) in settings.first { $0.name == RankSetting.commandName }?.value }
            if let mine = command(theirs), let zero = command(decoded[0]), mine != zero {
                differences.append("rank \(rank) runs '\(mine)' (rank 0: '\(zero)')")
                continue
            }
            let changes = describeDifferences(rankZero: decoded[0], other: theirs)
            if !changes.isEmpty { differences.append("rank \(rank) has \(changes.joined(separator: ", "))") }
        }
        if !differences.isEmpty { throw CommunicationError.settingsDiffer(differences) }
    }

    // Fields and records are separated by ASCII unit and record separators, which option text
    // from a command line does not contain (and which would at worst make two ranks differ).
    private static func encode(_ settings: [RankSetting]) -> String {
        settings.map { "\($0.name)\u{1F}\($0.value)" }.joined(separator: "\u{1E}")
    }

    private static func decode(_ text: String) -> [RankSetting] {
        text.split(separator: "\u{1E}", omittingEmptySubsequences: true).map { record in
            let fields = record.split(separator: "\u{1F}", maxSplits: 1, omittingEmptySubsequences: false)
            return RankSetting(name: String(fields[0]), value: fields.count > 1 ? String(fields[1]) : "")
        }
    }

    /// `--name value (rank 0: value)` for every setting that differs, in `other`'s order, then the
    /// settings that only rank 0 has.
    private static func describeDifferences(rankZero: [RankSetting], other: [RankSetting]) -> [String] {
        var zero: [String: String] = [:]
        for setting in rankZero { zero[setting.name] = setting.value }
        var seen: Set<String> = []
        var changes: [String] = []
        for setting in other {
            seen.insert(setting.name)
            switch zero[setting.name] {
            case .some(let value) where value == setting.value: continue
            case .some(let value): changes.append("\(setting.name) \(setting.value) (rank 0: \(value))")
            case .none: changes.append("\(setting.name) \(setting.value) (rank 0 has no such option)")
            }
        }
        for setting in rankZero where !seen.contains(setting.name) {
            changes.append("no \(setting.name) option (rank 0: \(setting.value))")
        }
        return changes
    }
}
