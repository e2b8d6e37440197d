/// A position in an OpenQASM source: 1-based line and column.
struct SourcePosition: Sendable, Equatable {
    var line: Int
    var column: Int
}

/// One OpenQASM 2 token.
struct Token: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        case identifier(String)
        case integer(Int)
        case real(Double)
        case string(String)
        /// One of `( ) [ ] { } ; , + - * / ^ -> ==`.
        case symbol(String)
        case end
    }
    let kind: Kind
    let position: SourcePosition

    /// The token as the user wrote it (for "found …" in messages).
    var text: String {
        switch kind {
        case .identifier(let s): "'\(s)'"
        case .integer(let i): "'\(i)'"
        case .real(let r): "'\(r)'"
        case .string(let s): "\"\(s)\""
        case .symbol(let s): "'\(s)'"
        case .end: "the end of the file"
        }
    }
}

/// Splits OpenQASM 2 text into tokens. Comments (`//` to the end of the line) are skipped.
struct Lexer {
    let file: String
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var column = 1

    init(text: String, file: String) {
        self.file = file
        bytes = Array(text.utf8)
    }

    private func error(_ message: String, at position: SourcePosition) -> QuantumError {
        .qasm(file: file, line: position.line, column: position.column, message: message)
    }

    private mutating func advance() {
        if bytes[index] == UInt8(ascii: "\n") {
            line += 1
            column = 1
        } else if bytes[index] & 0xC0 != 0x80 {
            column += 1  // count characters, not UTF-8 continuation bytes
        }
        index += 1
    }

    private func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    private static func isIdentifierStart(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == UInt8(ascii: "_")
    }
    private static func isIdentifierPart(_ c: UInt8) -> Bool { isIdentifierStart(c) || isDigit(c) }

    /// All tokens, ending with `.end`.
    /// - Throws: ``QuantumError/qasm(file:line:column:message:)`` for a character that starts no
    ///   token, an unterminated string or a malformed number.
    mutating func tokenize() throws -> [Token] {
        var tokens: [Token] = []
        while true {
            // Skip white space and comments.
            while let c = peek() {
                if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") {
                    advance()
                } else if c == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "/") {
                    while let d = peek(), d != UInt8(ascii: "\n") { advance() }
                } else {
                    break
                }
            }
            let position = SourcePosition(line: line, column: column)
            guard let c = peek() else {
                tokens.append(Token(kind: .end, position: position))
                return tokens
            }
            if Lexer.isIdentifierStart(c) {
                let start = index
                while let d = peek(), Lexer.isIdentifierPart(d) { advance() }
                tokens.append(Token(kind: .identifier(String(decoding: bytes[start..<index], as: UTF8.self)), position: position))
            } else if Lexer.isDigit(c) || (c == UInt8(ascii: ".") && peek(1).map(Lexer.isDigit) == true) {
                tokens.append(try number(at: position))
            } else if c == UInt8(ascii: "\"") {
                advance()
                let start = index
                while let d = peek(), d != UInt8(ascii: "\""), d != UInt8(ascii: "\n") { advance() }
                guard peek() == UInt8(ascii: "\"") else {
                    throw error("unterminated string: expected a closing '\"' on the same line", at: position)
                }
                let text = String(decoding: bytes[start..<index], as: UTF8.self)
                advance()
                tokens.append(Token(kind: .string(text), position: position))
            } else if c == UInt8(ascii: "-"), peek(1) == UInt8(ascii: ">") {
                advance()
                advance()
                tokens.append(Token(kind: .symbol("->"), position: position))
            } else if c == UInt8(ascii: "="), peek(1) == UInt8(ascii: "=") {
                advance()
                advance()
                tokens.append(Token(kind: .symbol("=="), position: position))
            } else if "()[]{};,+-*/^".utf8.contains(c) {
                advance()
                tokens.append(Token(kind: .symbol(String(UnicodeScalar(c))), position: position))
            } else {
                let scalar = String(decoding: bytes[index..<min(bytes.count, index + utf8Length(c))], as: UTF8.self)
                throw error("unexpected character '\(scalar)'", at: position)
            }
        }
    }

    private func utf8Length(_ lead: UInt8) -> Int {
        if lead < 0x80 { return 1 }
        if lead >> 5 == 0b110 { return 2 }
        if lead >> 4 == 0b1110 { return 3 }
        return 4
    }

    /// An integer (`0`, `42`) or a real (`1.5`, `.5`, `2.`, `1e-3`, `6.02E23`).
    private mutating func number(at position: SourcePosition) throws -> Token {
        let start = index
        var isReal = false
        while let d = peek(), Lexer.isDigit(d) { advance() }
        if peek() == UInt8(ascii: ".") {
            isReal = true
            advance()
            while let d = peek(), Lexer.isDigit(d) { advance() }
        }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            let afterSign = peek(1) == UInt8(ascii: "+") || peek(1) == UInt8(ascii: "-") ? 2 : 1
            if let d = peek(afterSign), Lexer.isDigit(d) {
                isReal = true
                for _ in 0..<afterSign { advance() }
                while let d = peek(), Lexer.isDigit(d) { advance() }
            }
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if isReal {
            guard let value = Double(text) else { throw error("malformed number '\(text)'", at: position) }
            return Token(kind: .real(value), position: position)
        }
        // OpenQASM 2's integers are 0 or start with 1–9 (Qiskit's reader refuses `007` too); reals may.
        if text.count > 1, text.first == "0" {
            let digits = String(text.drop(while: { $0 == "0" }))
            throw error("integer '\(text)' has a leading zero, which OpenQASM 2 does not allow: write \(digits.isEmpty ? "0" : digits)",
                        at: position)
        }
        guard let value = Int(text) else {
            throw error("integer '\(text)' is too large (the largest is \(Int.max))", at: position)
        }
        return Token(kind: .integer(value), position: position)
    }
}
