import Foundation

/// A JSON value written with keys in the order given (reports read top-down).
enum JSONText {
    case object([(String, JSONText)])
    case array([JSONText])
    case string(String)
    case number(Double)
    case integer(Int)
    case bool(Bool)
    case null

    /// The text; `indent` > 0 writes one member per line.
    func text(indent: Int = 0) -> String {
        var out = ""
        write(into: &out, indent: indent, level: 0)
        return out
    }

    private func write(into out: inout String, indent: Int, level: Int) {
        let newline = indent > 0 ? "\n" : ""
        let pad = String(repeating: " ", count: indent * (level + 1))
        let closePad = String(repeating: " ", count: indent * level)
        let separator = indent > 0 ? "," : ", "
        switch self {
        case .object(let members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{" + newline
            for (n, (key, value)) in members.enumerated() {
                out += (indent > 0 ? pad : "")
                JSONText.string(key).write(into: &out, indent: indent, level: level + 1)
                out += ": "
                value.write(into: &out, indent: indent, level: level + 1)
                if n < members.count - 1 { out += separator }
                out += newline
            }
            out += (indent > 0 ? closePad : "") + "}"
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            // Arrays of numbers stay on one line.
            let inline = indent == 0 || items.allSatisfy { if case .number = $0 { return true }; return false }
            out += "[" + (inline ? "" : newline)
            for (n, item) in items.enumerated() {
                if !inline { out += pad }
                item.write(into: &out, indent: inline ? 0 : indent, level: level + 1)
                if n < items.count - 1 { out += inline ? ", " : separator }
                if !inline { out += newline }
            }
            out += (inline ? "" : closePad) + "]"
        case .string(let s):
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
}
