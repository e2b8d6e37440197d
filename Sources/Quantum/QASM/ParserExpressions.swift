import Foundation

// The OpenQASM 2 reader, part 4: parameter expressions, parsed with bounds on nesting and length
// and evaluated (QASMParser is in Parser.swift).
extension QASMParser {
    // MARK: - Expressions

    /// expression := term (('+' | '-') term)*
    mutating func parseExpression(allowed: [String]) throws -> QASMExpression {
        if nesting == 0 { operators = 0 }
        try enter()
        defer { nesting -= 1 }
        var left = try parseTerm(allowed: allowed)
        while isSymbol("+") || isSymbol("-") {
            let op: Character = isSymbol("+") ? "+" : "-"
            try countOperator()
            _ = next()
            left = .binary(op, left, try parseTerm(allowed: allowed))
        }
        return left
    }

    /// term := unary (('*' | '/') unary)*
    mutating func parseTerm(allowed: [String]) throws -> QASMExpression {
        var left = try parseUnary(allowed: allowed)
        while isSymbol("*") || isSymbol("/") {
            let op: Character = isSymbol("*") ? "*" : "/"
            try countOperator()
            _ = next()
            left = .binary(op, left, try parseUnary(allowed: allowed))
        }
        return left
    }

    /// unary := '-' unary | power
    mutating func parseUnary(allowed: [String]) throws -> QASMExpression {
        if isSymbol("-") || isSymbol("+") {
            let negative = isSymbol("-")
            _ = next()
            try enter()
            defer { nesting -= 1 }
            let operand = try parseUnary(allowed: allowed)
            return negative ? .negate(operand) : operand
        }
        return try parsePower(allowed: allowed)
    }

    /// power := primary ('^' unary)?   (right-associative)
    mutating func parsePower(allowed: [String]) throws -> QASMExpression {
        let base = try parsePrimary(allowed: allowed)
        if isSymbol("^") {
            try countOperator()
            _ = next()
            try enter()
            defer { nesting -= 1 }
            return .binary("^", base, try parseUnary(allowed: allowed))
        }
        return base
    }

    mutating func enter() throws {
        nesting += 1
        guard nesting < QASMParser.maximumNesting else {
            throw error("expression is nested too deeply (more than \(QASMParser.maximumNesting) levels)", at: current.position)
        }
    }

    mutating func countOperator() throws {
        operators += 1
        guard operators <= QASMParser.maximumOperators else {
            throw error("expression is too long (more than \(QASMParser.maximumOperators) operators)", at: current.position)
        }
    }

    static let functions: Set<String> = ["sin", "cos", "tan", "exp", "ln", "sqrt"]

    mutating func parsePrimary(allowed: [String]) throws -> QASMExpression {
        let t = next()
        switch t.kind {
        case .integer(let v): return .number(Double(v))
        case .real(let v): return .number(v)
        case .symbol("("):
            let inner = try parseExpression(allowed: allowed)
            try expectSymbol(")", "to close the parenthesis")
            return inner
        case .identifier("pi"): return .number(Double.pi)
        case .identifier(let name):
            if QASMParser.functions.contains(name) {
                try expectSymbol("(", "after the function '\(name)'")
                let argument = try parseExpression(allowed: allowed)
                try expectSymbol(")", "after the argument of '\(name)'")
                return .function(name, argument)
            }
            if isSymbol("(") {
                throw error("unknown function '\(name)' (valid: sin, cos, tan, exp, ln, sqrt)", at: t.position)
            }
            guard allowed.contains(name) else {
                if allowed.isEmpty {
                    throw error("unknown name '\(name)' in an expression (outside a gate body only numbers, pi and functions are allowed)",
                                at: t.position)
                }
                throw error("unknown parameter '\(name)' (this gate's parameters: \(allowed.joined(separator: ", ")))", at: t.position)
            }
            return .name(name, t.position)
        default:
            throw error("expected a number, 'pi', a parameter or '(', found \(t.text)", at: t.position)
        }
    }

    func evaluate(_ expression: QASMExpression, _ environment: [String: Double], at position: SourcePosition) throws -> Double {
        let value = QASMParser.value(of: expression, environment)
        guard value.isFinite else {
            throw error("an angle evaluates to \(value) (division by zero or a function outside its domain)", at: position)
        }
        return value
    }

    static func value(of expression: QASMExpression, _ environment: [String: Double]) -> Double {
        switch expression {
        case .number(let v): return v
        case .name(let n, _): return environment[n] ?? .nan
        case .negate(let e): return -value(of: e, environment)
        case .function(let f, let e):
            let x = value(of: e, environment)
            switch f {
            case "sin": return sin(x)
            case "cos": return cos(x)
            case "tan": return tan(x)
            case "exp": return exp(x)
            case "ln": return log(x)
            default: return x.squareRoot()
            }
        case .binary(let op, let a, let b):
            let x = value(of: a, environment), y = value(of: b, environment)
            switch op {
            case "+": return x + y
            case "-": return x - y
            case "*": return x * y
            case "/": return x / y
            default: return pow(x, y)
            }
        }
    }
}
