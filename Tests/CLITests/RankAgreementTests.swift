import ArgumentParser
import Foundation
import Testing
@testable import VerdantCLI
import Verdant

/// `rankSettings(of:)`: the options ranks compare before they work together (RankAgreement.swift).
@Suite("options the ranks compare")
struct RankAgreementTests {
    /// Every long option named in `help`.
    private func longOptions(_ help: String) -> Set<String> {
        var names: Set<String> = []
        var index = help.startIndex
        while let range = help.range(of: "--", range: index..<help.endIndex) {
            let name = help[range.lowerBound...].prefix { $0 == "-" || $0.isLetter || $0.isNumber }
            names.insert(String(name))
            index = range.upperBound
        }
        return names
    }

    @Test("every setting is named as the command's help names it, and rank-local options are left out",
          arguments: [Train.self, Predict.self, KernelCommand.self, Run.self] as [any ParsableCommand.Type])
    func names(command: any ParsableCommand.Type) throws {
        let arguments: [String] = switch command {
        case is Train.Type: ["--data", "builtin:iris", "-o", "m.model"]
        case is Predict.Type: ["--model", "m.model", "--data", "builtin:iris"]
        case is KernelCommand.Type: ["--data", "builtin:iris"]
        default: ["circuit.qasm"]
        }
        let settings = rankSettings(of: try command.parse(arguments))
        let help = longOptions(command.helpMessage(columns: 400))
        #expect(settings.count >= 8)
        #expect(settings.first == RankSetting(name: RankSetting.commandName, value: "verdant \(command._commandName)"))
        for setting in settings.dropFirst() {
            let named = setting.name.hasPrefix("<") ? command.helpMessage(columns: 400).contains(setting.name) : help.contains(setting.name)
            #expect(named, "\(command): \(setting.name) is not an option of the command")
        }
        if command == Run.self { #expect(settings[1].name == "<file>" && settings[1].value == "circuit.qasm") }
        let names = settings.map(\.name)
        #expect(Set(names).count == names.count, "\(command): a name appears twice")
        for local in ["--output", "--threads", "--identity", "--cluster-key", "--json", "--force", "--report", "--out", "--energy-summary"] {
            #expect(!names.contains(local), "\(command): \(local) may differ between ranks")
        }
    }

    @Test("a changed option, flag, group option or custom-named option changes the settings; a rank-local one does not")
    func changes() throws {
        let base = ["--data", "builtin:iris", "--model", "vqc", "-o", "m.model"]
        let settings = rankSettings(of: try Train.parse(base))
        func value(_ name: String, _ extra: [String]) throws -> String? {
            rankSettings(of: try Train.parse(base + extra)).first { $0.name == name }?.value
        }
        #expect(settings.first { $0.name == "--epochs" }?.value == "20")
        #expect(try value("--epochs", ["--epochs", "5"]) == "5")
        #expect(settings.first { $0.name == "--encrypt-traffic" }?.value == "off")
        #expect(try value("--encrypt-traffic", ["--encrypt-traffic", "--cluster-key", "c.key"]) == "on")
        #expect(settings.first { $0.name == "--dp-seed" }?.value == "(not given)")
        let dp = ["--noise-multiplier", "1.1", "--dp-delta", "1e-5", "--feature-bounds", "4:8,2:4.5,1:7,0:2.6", "--dp-seed", "9"]
        #expect(try value("--dp-seed", dp) == "9")
        #expect(try value("--dp-delta", dp) == "1e-05")
        #expect(try value("--seed", dp) == "7")
        #expect(try value("--depolarizing", ["--depolarizing", "1e-3"]) == "1e-3")
        #expect(try value("--checkpoint", ["--checkpoint", "ck"]) == "ck")
        #expect(rankSettings(of: try Train.parse(base + ["--threads", "1", "--force", "-i", "a.key"])) == settings)
    }

    @Test("ranks that run different subcommands are told that alone, not every option apart")
    func differentCommands() throws {
        // An audit found train on rank 0 and kernel on rank 1 listed 1.5 KB of options each lacked.
        let train = rankSettings(of: try Train.parse(["--data", "builtin:iris", "-o", "m.model"]))
        let kernel = rankSettings(of: try KernelCommand.parse(["--data", "builtin:iris"]))
        let messages = try LocalCommunicator.run(ranks: 2) { communicator in
            thrownMessage { try Distributed.agreeOnSettings(communicator.rank == 0 ? train : kernel, over: communicator) } ?? "no error"
        }
        let expected = "the ranks were started with different options: rank 1 runs 'verdant kernel' (rank 0: 'verdant train'). "
            + "Start every rank with the same options (only key files, output paths, --threads and the energy options may differ)"
        #expect(messages == [expected, expected])
    }
}
