import Foundation

/// A JSON value written with object members in the order given (reports and command output read
/// top-down) and numbers in Swift's shortest round-trip form.
///
/// The one JSON writer of Verdant: the CLI's `--json` output, energy reports and benchmark results
/// all use it. Non-finite numbers are written as `null` (JSON has no NaN or infinity).
///
/// ```swift
/// let value = JSONValue.object([("name", .string("bell")), ("counts", .object([("00", .integer(507))]))])
/// value.text              // {"name": "bell", "counts": {"00": 507}}
/// value.text(indent: 2)   // one member per line
/// ```
public indirect enum JSONValue: Sendable {
    /// An object; members keep this order, and a repeated key is written twice (callers avoid it).
    case object([(String, JSONValue)])
    /// An array.
    case array([JSONValue])
    /// A string, escaped as RFC 8259 requires.
    case string(String)
    /// A number; NaN and ±∞ are written as `null`.
    case number(Double)
    /// A whole number, written without a decimal point.
    case integer(Int)
    /// `true` or `false`.
    case bool(Bool)
    /// `null`.
    case null
    /// An array produced element by element while it is written (for state-sized data that should
    /// never exist as one array of values).
    case lazyArray(count: Int, element: @Sendable (Int) -> JSONValue)
    /// An object produced member by member while it is written; a `nil` member is skipped.
    case lazyObject(count: Int, member: @Sendable (Int) -> (String, JSONValue)?)

    /// The value's text on one line (`{"a": 1, "b": [1, 2]}`), without a final line break.
    public var text: String { text(indent: 0) }

    /// The value's text.
    ///
    /// - Parameter indent: Spaces per nesting level; 0 writes one line (`{"a": 1, "b": [1, 2]}`).
    ///   With `indent` > 0 every member and array element goes on its own line, except arrays whose
    ///   elements are all numbers, which stay on one line.
    /// - Returns: The JSON text, without a final line break.
    public func text(indent: Int) -> String {
        var out = ""
        write(into: &out, indent: max(0, indent), level: 0, flush: { _ in })
        return out
    }

    /// Writes the value's one-line text into `out`, calling `flush` whenever `out` holds more than
    /// 1 MiB, so that a caller can stream state-sized values without building one string.
    ///
    /// - Parameters:
    ///   - out: The text so far; the value is appended.
    ///   - flush: Called with the text so far when it exceeds 1 MiB; it writes and empties it.
    public func write(into out: inout String, flush: (inout String) -> Void) {
        write(into: &out, indent: 0, level: 0, flush: flush)
    }

    private func write(into out: inout String, indent: Int, level: Int, flush: (inout String) -> Void) {
        if out.utf8.count > 1 << 20 { flush(&out) }
        let newline = indent > 0 ? "\n" : ""
        let pad = String(repeating: " ", count: indent * (level + 1))
        let closePad = String(repeating: " ", count: indent * level)
        let separator = indent > 0 ? "," : ", "
        switch self {
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{" + newline
            for (n, (key, value)) in members.enumerated() {
                out += pad
                Self.writeString(key, into: &out)
                out += ": "
                value.write(into: &out, indent: indent, level: level + 1, flush: flush)
                if n < members.count - 1 { out += separator }
                out += newline
            }
            out += closePad + "}"
        case .lazyObject(let count, let member):
            out += "{" + newline
            var first = true
            for i in 0..<count {
                guard let (key, value) = member(i) else { continue }
                if !first { out += separator + newline }
                first = false
                out += pad
                Self.writeString(key, into: &out)
                out += ": "
                value.write(into: &out, indent: indent, level: level + 1, flush: flush)
            }
            out += first ? "}" : newline + closePad + "}"
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            // Arrays of numbers stay on one line.
            let inline = indent == 0 || items.allSatisfy(\.isNumber)
            out += "[" + (inline ? "" : newline)
            for (n, item) in items.enumerated() {
                if !inline { out += pad }
                item.write(into: &out, indent: inline ? 0 : indent, level: level + 1, flush: flush)
                if n < items.count - 1 { out += inline ? ", " : separator }
                if !inline { out += newline }
            }
            out += (inline ? "" : closePad) + "]"
        case .lazyArray(let count, let element):
            out += "["
            for i in 0..<count {
                if i > 0 { out += ", " }
                element(i).write(into: &out, indent: 0, level: level + 1, flush: flush)
            }
            out += "]"
        case .string(let s):
            Self.writeString(s, into: &out)
        case .number(let d):
            out += d.isFinite ? "\(d)" : "null"
        case .integer(let i):
            out += "\(i)"
        case .bool(let b):
            out += b ? "true" : "false"
        case .null:
            out += "null"
        }
    }

    private var isNumber: Bool {
        switch self {
        case .number, .integer: true
        default: false
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped.
    private static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}

/// Why JSON text does not parse, in words a user can act on: Foundation's parser on Linux gives only
/// "The data is not in the correct format", with no position.
public enum JSONDiagnosis {
    /// The first problem found: an empty text, a `NaN` or `Infinity` token (Python's `json.dump`
    /// writes them by default), brackets that do not match or close, a string that does not end;
    /// each with its line and column. Nil when none of these is found.
    /// - Parameter data: the text that failed to parse.
    /// - Returns: the description, or nil.
    public static func problem(in data: Data) -> String? {
        let bytes = [UInt8](data)
        guard bytes.contains(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) else { return "the text is empty" }
        var line = 1, column = 1, inString = false, escaped = false
        var open: [(UInt8, Int, Int)] = []
        var index = 0
        func at(_ l: Int, _ c: Int) -> String { "line \(l), column \(c)" }
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): open.append((byte, line, column))
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    let expected = byte == UInt8(ascii: "}") ? UInt8(ascii: "{") : UInt8(ascii: "[")
                    guard let last = open.popLast(), last.0 == expected else {
                        return "\(at(line, column)): '\(Character(UnicodeScalar(byte)))' does not match an opening bracket"
                    }
                case UInt8(ascii: "N"), UInt8(ascii: "I"), UInt8(ascii: "-"):
                    for word in ["NaN", "Infinity", "-Infinity"] where bytes[index...].starts(with: Array(word.utf8)) {
                        return "\(at(line, column)): \(word) is not a JSON number (Python's json.dump writes it unless allow_nan=False); "
                            + "write a finite number"
                    }
                    fallthrough
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    let token = bytes[index...].prefix { (0x30...0x39).contains($0) || [0x2B, 0x2D, 0x2E, 0x45, 0x65].contains($0) }
                    let text = String(decoding: token, as: UTF8.self)
                    if let value = Double(text), value.isInfinite {
                        return "\(at(line, column)): \(text) is beyond the range of a double (about ±1.8e308)"
                    }
                    column += max(0, token.count - 1)
                    index += max(0, token.count - 1)
                default: break
                }
            }
            if byte == 0x0A { line += 1; column = 1 } else { column += 1 }
            index += 1
        }
        if inString { return "the text ends inside a string" }
        if let last = open.last {
            return "the text ends before the '\(last.0 == UInt8(ascii: "{") ? "}" : "]")' that closes the '\(Character(UnicodeScalar(last.0)))' "
                + "at \(at(last.1, last.2)) (is the file cut short?)"
        }
        return nil
    }
}
