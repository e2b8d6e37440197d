import Foundation

/// A real-weighted sum of Pauli strings, e.g. `0.5*ZZ - 1.2*XI`.
///
/// Labels follow Qiskit: the leftmost character acts on the highest qubit, so in `XI` the X acts
/// on qubit 1. All terms have the same width.
public struct PauliSum: Sendable, Hashable, CustomStringConvertible {
    /// One weighted Pauli string.
    public struct Term: Sendable, Hashable {
        /// The Pauli string, e.g. "XZI" (qubit 0 is the last character).
        public let label: String
        /// The real weight.
        public let coefficient: Double
        /// Qubits with X or Y.
        let xMask: Int
        /// Qubits with Z or Y.
        let zMask: Int
        /// How many Y factors.
        let yCount: Int

        init(label: String, coefficient: Double) {
            self.label = label
            self.coefficient = coefficient
            var x = 0, z = 0, y = 0
            for (position, ch) in label.reversed().enumerated() {
                switch ch {
                case "X": x |= 1 << position
                case "Z": z |= 1 << position
                case "Y":
                    x |= 1 << position
                    z |= 1 << position
                    y += 1
                default: break
                }
            }
            xMask = x
            zMask = z
            yCount = y
        }
    }

    /// The terms in the order given.
    public let terms: [Term]
    /// The number of qubits every term acts on.
    public let numQubits: Int

    /// Creates a sum from (label, coefficient) pairs.
    /// - Parameter terms: Pauli strings over `IXYZ` of one common length ≥ 1, with weights.
    /// - Throws: ``QuantumError/invalidObservable(text:column:message:)`` for an empty list,
    ///   a character outside `IXYZ`, labels of different lengths or a coefficient that is not finite.
    public init(_ terms: [(String, Double)]) throws {
        guard let first = terms.first else {
            throw QuantumError.invalidObservable(text: "", column: 1, message: "expected at least one Pauli term")
        }
        let width = first.0.count
        for (label, coefficient) in terms {
            guard coefficient.isFinite else {
                throw QuantumError.invalidObservable(text: label, column: 1, message: "the coefficient of '\(label)' is \(coefficient); it must be a finite number")
            }
            if let bad = label.firstIndex(where: { !"IXYZ".contains($0) }) {
                let column = label.distance(from: label.startIndex, to: bad) + 1
                throw QuantumError.invalidObservable(
                    text: label, column: column, message: "'\(label[bad])' is not a Pauli letter (valid: I, X, Y, Z)")
            }
            guard label.count == width, width > 0 else {
                throw QuantumError.invalidObservable(
                    text: label, column: 1,
                    message: "every Pauli string must have the same nonzero length; '\(first.0)' has \(width), '\(label)' has \(label.count)")
            }
        }
        self.terms = terms.map { Term(label: $0.0, coefficient: $0.1) }
        numQubits = width
    }

    /// Parses text such as `0.5*ZZ - 1.2*XI`, `ZZ + XI`, `-2.5 * XYZ`, `1e-3*ZI`.
    /// - Parameter text: terms `[coefficient[*]]LABEL` joined by `+` or `-`.
    /// - Throws: ``QuantumError/invalidObservable(text:column:message:)`` with the 1-based column.
    public init(_ text: String) throws {
        let chars = Array(text)
        var i = 0
        var parsed: [(String, Double)] = []
        func skipSpaces() { while i < chars.count, chars[i] == " " { i += 1 } }
        func fail(_ message: String) -> QuantumError {
            QuantumError.invalidObservable(text: text, column: i + 1, message: message)
        }
        skipSpaces()
        if i == chars.count { throw fail("expected a Pauli term such as 0.5*ZZ") }
        var expectTerm = true
        var sign = 1.0
        while i < chars.count {
            skipSpaces()
            if !expectTerm {
                guard i < chars.count, chars[i] == "+" || chars[i] == "-" else {
                    throw fail("expected '+' or '-' between terms, found '\(chars[i])'")
                }
                sign = chars[i] == "-" ? -1 : 1
                i += 1
                skipSpaces()
                expectTerm = true
                continue
            }
            if i < chars.count, chars[i] == "+" || chars[i] == "-" {
                sign *= chars[i] == "-" ? -1 : 1
                i += 1
                skipSpaces()
            }
            // Optional number.
            var coefficient = 1.0
            let numberStart = i
            while i < chars.count, chars[i].isNumber || chars[i] == "." || chars[i] == "e" || chars[i] == "E"
                || ((chars[i] == "-" || chars[i] == "+") && i > numberStart && (chars[i - 1] == "e" || chars[i - 1] == "E"))
            {
                i += 1
            }
            if i > numberStart {
                let numberText = String(chars[numberStart..<i])
                guard let value = Double(numberText) else {
                    i = numberStart
                    throw fail("'\(numberText)' is not a number")
                }
                guard value.isFinite else {
                    i = numberStart
                    throw fail("'\(numberText)' is too large for a coefficient (at most about 1.8e308)")
                }
                coefficient = value
                skipSpaces()
                if i < chars.count, chars[i] == "*" {
                    i += 1
                    skipSpaces()
                }
            }
            let labelStart = i
            while i < chars.count, chars[i].isLetter { i += 1 }
            guard i > labelStart else {
                throw fail(i < chars.count ? "expected a Pauli string, found '\(chars[i])'" : "expected a Pauli string at the end")
            }
            let label = String(chars[labelStart..<i])
            if let bad = label.firstIndex(where: { !"IXYZ".contains($0) }) {
                i = labelStart + label.distance(from: label.startIndex, to: bad)
                throw fail("'\(label[bad])' is not a Pauli letter (valid: I, X, Y, Z)")
            }
            if let width = parsed.first?.0.count, width != label.count {
                i = labelStart
                throw fail("'\(label)' has \(label.count) qubits but the first term has \(width)")
            }
            parsed.append((label, sign * coefficient))
            sign = 1
            expectTerm = false
        }
        if expectTerm { throw fail("expected a Pauli term after the last operator") }
        try self.init(parsed)
    }

    /// This observable on a state whose qubits outside `qubits` are all |0⟩, written as an
    /// observable of `qubits` alone (its qubit k is `qubits[k]` here), with the same expectation
    /// value: I and Z on a qubit in |0⟩ contribute a factor 1, so those letters are dropped; X and Y
    /// contribute 0, so their terms are dropped. For a circuit with its idle qubits removed
    /// (``QuantumCircuit/removingIdleQubits()``).
    /// - Parameter qubits: the qubits kept, distinct and below ``numQubits``, at least one.
    /// - Returns: the restricted sum; a zero-weighted identity when every term has X or Y on a
    ///   qubit left out.
    /// - Throws: ``QuantumError/invalidObservable(text:column:message:)`` when `qubits` is empty,
    ///   repeats a qubit or names one outside this observable.
    public func restricted(toQubits qubits: [Int]) throws -> PauliSum {
        guard !qubits.isEmpty, Set(qubits).count == qubits.count, qubits.allSatisfy({ (0..<numQubits).contains($0) }) else {
            throw QuantumError.invalidObservable(
                text: description, column: 1,
                message: "cannot restrict a \(numQubits)-qubit observable to qubits \(qubits): expected distinct qubits 0…\(numQubits - 1)")
        }
        let kept = qubits.reduce(0) { $0 | 1 << $1 }
        let restricted: [(String, Double)] = terms.compactMap { term in
            guard term.xMask & ~kept == 0 else { return nil }
            let letters = Array(term.label.reversed())
            return (String(qubits.reversed().map { letters[$0] }), term.coefficient)
        }
        return try PauliSum(restricted.isEmpty ? [(String(repeating: "I", count: qubits.count), 0)] : restricted)
    }

    /// `0.5*ZZ - 1.2*XI`.
    public var description: String {
        var text = ""
        for (n, term) in terms.enumerated() {
            let magnitude = abs(term.coefficient)
            if n == 0 {
                text += term.coefficient < 0 ? "-" : ""
            } else {
                text += term.coefficient < 0 ? " - " : " + "
            }
            text += "\(formatAngle(magnitude))*\(term.label)"
        }
        return text
    }
}
