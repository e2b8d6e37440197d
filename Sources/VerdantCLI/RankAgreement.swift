import ArgumentParser
import Foundation
import Verdant

/// An options group whose options have long names other than their properties' (kebab-cased)
/// names, e.g. `epsilon` spelt `--dp-epsilon`: the names ``rankSettings(of:excluding:)`` reports.
protocol CustomOptionNames {
    /// Property name → the option as the user writes it, for every property whose `--name` is not
    /// its name in kebab case.
    static var customOptionNames: [String: String] { get }
}

/// Properties that may differ between ranks: key files and outputs (rank 0 alone writes; each site
/// holds its own identity), threads (hosts differ), how rank 0 prints, and energy metering (each
/// rank meters its own host). Each is a property name, matched in any options group.
let rankLocalOptions: Set<String> = [
    "output", "out", "reportPath", "writeNoise", "threads", "force", "json", "verbose", "histogram", "keys", "energy",
    "clusterKey", "keyFile",
]

/// The parsed options of `command` as settings every rank must hold alike, in declaration order:
/// every `@Option`, `@Flag` and `@Argument`, options groups included, except the properties named
/// in `excluding` (see ``rankLocalOptions``).
///
/// ArgumentParser has no public list of a command's parsed values, so this reads them with
/// `Mirror`: each property wrapper stores `_parsedValue`, whose case `value` holds what was
/// parsed. `CLITests` checks that every name reported here is one the command's help shows, and
/// that a changed option changes the settings.
func rankSettings(of command: any ParsableArguments, excluding: Set<String> = rankLocalOptions) -> [RankSetting] {
    var settings: [RankSetting] = []
    // The subcommand first: ranks started with different ones are told so, not every option apart.
    if let name = (type(of: command) as? any ParsableCommand.Type)?._commandName {
        settings.append(RankSetting(name: RankSetting.commandName, value: "verdant \(name)"))
    }
    collectSettings(of: command, excluding: excluding, into: &settings)
    return settings
}

private func collectSettings(of group: Any, excluding: Set<String>, into settings: inout [RankSetting]) {
    let names = (type(of: group) as? CustomOptionNames.Type)?.customOptionNames ?? [:]
    for child in Mirror(reflecting: group).children {
        guard let label = child.label, label.hasPrefix("_") else { continue }
        let property = String(label.dropFirst())
        guard !excluding.contains(property), let value = parsedValue(of: child.value) else { continue }
        if value is any ParsableArguments {
            collectSettings(of: value, excluding: excluding, into: &settings)
        } else {
            // A positional argument is named as the help names it: <file>.
            let positional = String(describing: type(of: child.value)).hasPrefix("Argument<")
            let name = names[property] ?? (positional ? "<\(kebabCased(property))>" : "--" + kebabCased(property))
            settings.append(RankSetting(name: name, value: settingText(value)))
        }
    }
}

/// What a property wrapper (`Option`, `Flag`, `Argument`, `OptionGroup`) parsed, or nil for
/// anything else.
private func parsedValue(of wrapper: Any) -> Any? {
    guard let parsed = Mirror(reflecting: wrapper).children.first(where: { $0.label == "_parsedValue" })?.value else { return nil }
    return Mirror(reflecting: parsed).children.first(where: { $0.label == "value" })?.value
}

/// `on`/`off` for flags, `(not given)` for an absent option, comma-separated lists, else the value.
private func settingText(_ value: Any) -> String {
    let mirror = Mirror(reflecting: value)
    if mirror.displayStyle == .optional {
        guard let wrapped = mirror.children.first?.value else { return "(not given)" }
        return settingText(wrapped)
    }
    if let flag = value as? Bool { return flag ? "on" : "off" }
    if mirror.displayStyle == .collection { return mirror.children.map { settingText($0.value) }.joined(separator: ",") }
    return String(describing: value)
}

/// `testSize` → `test-size`.
private func kebabCased(_ name: String) -> String {
    var text = ""
    for character in name {
        if character.isUppercase {
            text += "-" + character.lowercased()
        } else {
            text.append(character)
        }
    }
    return text
}
