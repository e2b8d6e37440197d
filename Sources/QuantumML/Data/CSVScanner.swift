/// One record of a CSV text: its fields and the line it starts on.
struct CSVRecord {
    /// The fields, unquoted; unquoted fields have their surrounding spaces and tabs removed.
    var fields: [String]
    /// The 1-based line the record starts on.
    var line: Int
    /// Whether the line is empty (or only spaces and tabs): one empty field that was not quoted.
    var isBlank: Bool
}

/// Reads the records of a CSV text one at a time, as RFC 4180 writes them and a little more:
///
/// - fields are separated by `,`; records end at LF, CRLF or a lone CR, or at the end of the text;
/// - a field may be quoted with `"`, and then hold commas, line ends and `""` for a quote;
///   spaces and tabs around the quotes are ignored; anything else after the closing quote is an error;
/// - unquoted fields lose their leading and trailing spaces and tabs; a `"` inside one is kept as is;
/// - a UTF-8 byte order mark at the start is skipped; a last line end is optional.
///
/// Line numbers count physical lines, so a record after a quoted field with a line end in it
/// starts on the line after that field's last line.
struct CSVScanner {
    private let bytes: [UInt8]
    private var position: Int
    private var line = 1
    /// The name used in error messages.
    let location: String

    private static let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\"")
    private static let lineFeed = UInt8(ascii: "\n"), carriageReturn = UInt8(ascii: "\r")
    private static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t")

    /// A scanner at the start of `text`.
    init(text: String, location: String) {
        bytes = Array(text.utf8)
        position = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        self.location = location
    }

    /// The next record, or `nil` at the end of the text.
    /// - Throws: ``QuantumMLError/data(location:found:valid:)`` for a quoted field that is not closed,
    ///   or one followed by something other than a comma or a line end.
    mutating func next() throws -> CSVRecord? {
        guard position < bytes.count else { return nil }
        let startLine = line
        var fields: [String] = []
        var sawQuote = false
        var p = position
        while true {
            let column = fields.count + 1
            while p < bytes.count, isBlank(bytes[p]) { p += 1 }
            if p < bytes.count, bytes[p] == Self.quote {
                sawQuote = true
                fields.append(try quotedField(from: &p, column: column))
                while p < bytes.count, isBlank(bytes[p]) { p += 1 }
                if p < bytes.count, !isFieldEnd(bytes[p]) {
                    throw QuantumMLError.csvAfterQuote(location, line: line, column: column, character: character(at: p))
                }
            } else {
                let start = p
                while p < bytes.count, !isFieldEnd(bytes[p]) { p += 1 }
                var end = p
                while end > start, isBlank(bytes[end - 1]) { end -= 1 }
                fields.append(String(decoding: bytes[start..<end], as: UTF8.self))
            }
            // p is at a comma, a line end, or the end of the text.
            if p < bytes.count, bytes[p] == Self.comma {
                p += 1
                continue
            }
            if p < bytes.count {
                if bytes[p] == Self.carriageReturn, p + 1 < bytes.count, bytes[p + 1] == Self.lineFeed { p += 1 }
                p += 1
                line += 1
            }
            break
        }
        position = p
        let isBlank = fields.count == 1 && fields[0].isEmpty && !sawQuote
        return CSVRecord(fields: fields, line: startLine, isBlank: isBlank)
    }

    /// Reads a quoted field; `p` is at its opening quote and is left after its closing quote.
    private mutating func quotedField(from p: inout Int, column: Int) throws -> String {
        let startLine = line
        var buffer: [UInt8] = []
        p += 1
        while true {
            guard p < bytes.count else { throw QuantumMLError.csvUnclosedQuote(location, line: startLine, column: column) }
            let byte = bytes[p]
            if byte == Self.quote {
                // `""` is one quote; a lone `"` closes the field.
                if p + 1 < bytes.count, bytes[p + 1] == Self.quote {
                    buffer.append(Self.quote)
                    p += 2
                    continue
                }
                p += 1
                return String(decoding: buffer, as: UTF8.self)
            }
            // A CR counts as a line end unless an LF follows (which then counts).
            if byte == Self.lineFeed || (byte == Self.carriageReturn && !(p + 1 < bytes.count && bytes[p + 1] == Self.lineFeed)) {
                line += 1
            }
            buffer.append(byte)
            p += 1
        }
    }

    private func isBlank(_ byte: UInt8) -> Bool { byte == Self.space || byte == Self.tab }

    private func isFieldEnd(_ byte: UInt8) -> Bool {
        byte == Self.comma || byte == Self.lineFeed || byte == Self.carriageReturn
    }

    /// The whole UTF-8 character that starts at `p`, for messages.
    private func character(at p: Int) -> String {
        let lead = bytes[p]
        let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        return String(decoding: bytes[p..<min(p + length, bytes.count)], as: UTF8.self)
    }
}
