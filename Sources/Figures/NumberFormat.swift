import Foundation

/// Numbers as figures print them: tick labels with just the digits their step needs, significant
/// figures, SI prefixes with units, percentages and grouped integers.
///
/// Conventions (the same in every figure and table): the minus sign is U+2212 (−), as typographers
/// and d3-format use; thousands are grouped with a comma from 10,000 up (1234 stays 1234);
/// exponents are written `1.2×10⁻⁷` rather than `1.2e-07`.
public enum NumberFormat {
    /// The minus sign used in figures.
    public static let minus = "\u{2212}"

    /// A tick label: the value with as many decimals as the step between ticks needs (d3's
    /// `precisionFixed`: max(0, −⌊log10 step⌋)), e.g. 0.25 with step 0.05 → "0.25", 3 with step 0.5 →
    /// "3.0". Very large or very small steps switch to ``scientific(_:digits:)``.
    ///
    /// - Parameters:
    ///   - value: The tick.
    ///   - step: The distance between neighbouring ticks (> 0).
    /// - Returns: The label.
    public static func tick(_ value: Double, step: Double) -> String {
        guard value.isFinite else { return nonFinite(value) }
        guard step.isFinite, step > 0 else { return significant(value, digits: 3) }
        if value == 0 { return "0" }
        if step >= 1e6 || step < 1e-4 {
            let magnitude = max(abs(value), step)
            let digits = max(1, Int(floor(log10(magnitude))) - Int(floor(log10(step))) + 1)
            return scientific(value, digits: min(digits, 6))
        }
        let decimals = max(0, -Int(floor(log10(step) + 1e-9)))
        return fixed(value, decimals: decimals)
    }

    /// Labels for a set of ticks with one step (see ``tick(_:step:)``).
    ///
    /// - Parameter ticks: Evenly spaced ticks, ascending or descending.
    /// - Returns: One label per tick.
    public static func ticks(_ ticks: [Double]) -> [String] {
        guard ticks.count >= 2 else { return ticks.map { significant($0, digits: 3) } }
        let step = abs(ticks[1] - ticks[0])
        return ticks.map { tick($0, step: step) }
    }

    /// A fixed number of decimals, grouped thousands from 10,000, U+2212 for negatives.
    ///
    /// - Parameters:
    ///   - value: The number.
    ///   - decimals: Digits after the decimal point (0…15).
    /// - Returns: E.g. `fixed(12345.678, decimals: 1)` → "12,345.7"; `fixed(-0.5, decimals: 2)` → "−0.50".
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return nonFinite(value) }
        let text = String(format: "%.\(min(max(decimals, 0), 15))f", abs(value))
        let rounded = Double(text) ?? abs(value)
        let parts = text.split(separator: ".", maxSplits: 1)
        let whole = group(String(parts.first ?? "0"))
        let body = parts.count > 1 ? whole + "." + parts[1] : whole
        return value < 0 && rounded != 0 ? minus + body : body
    }

    /// `digits` significant figures: plain decimals for 10⁻³ ≤ |x| < 10⁶, else scientific.
    /// Trailing zeros after the decimal point are dropped ("0.5", not "0.500").
    ///
    /// - Parameters:
    ///   - value: The number.
    ///   - digits: Significant figures (1…15).
    /// - Returns: E.g. `significant(0.000123456, digits: 3)` → "1.23×10⁻⁴"; `significant(41.26, digits: 3)` → "41.3";
    ///   `significant(15549, digits: 3)` → "15,500".
    public static func significant(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return nonFinite(value) }
        if value == 0 { return "0" }
        let digits = min(max(digits, 1), 15)
        let magnitude = abs(value)
        guard magnitude >= 1e-3, magnitude < 1e6 else { return scientific(value, digits: digits) }
        // Round to the significant figures first: 999.96 at 3 figures is 1000, which has no decimals.
        let exponent = Int(floor(log10(Double(String(format: "%.\(digits - 1)e", magnitude)) ?? magnitude)))
        let decimals = max(0, digits - 1 - exponent)
        if exponent >= digits {
            // Whole numbers longer than the figures asked for: 15549 at 3 figures is 15,500.
            let unit = pow(10, Double(exponent - digits + 1))
            return fixed((value / unit).rounded() * unit, decimals: 0)
        }
        return trimZeros(fixed(value, decimals: decimals))
    }

    /// Scientific notation with `digits` significant figures and a superscript exponent:
    /// `scientific(0.00012345, digits: 2)` → "1.2×10⁻⁴"; an exponent of 0 is left out.
    ///
    /// - Parameters:
    ///   - value: The number.
    ///   - digits: Significant figures (1…15).
    /// - Returns: The text.
    public static func scientific(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return nonFinite(value) }
        if value == 0 { return "0" }
        let text = String(format: "%.\(min(max(digits, 1), 15) - 1)e", abs(value))
        let parts = text.split(separator: "e")
        guard parts.count == 2, let exponent = Int(parts[1]) else { return text }
        let mantissa = trimZeros(String(parts[0]))
        let sign = value < 0 ? minus : ""
        if exponent == 0 { return sign + mantissa }
        return sign + mantissa + "×10" + superscript(exponent)
    }

    /// A value with an SI prefix chosen so that 1 ≤ |mantissa| < 1000, and its unit:
    /// `si(41260, unit: "J")` → "41.3 kJ", `si(0.00042, unit: "s")` → "420 µs".
    ///
    /// - Parameters:
    ///   - value: The value in the base unit.
    ///   - unit: The base unit's symbol (J, W, s, B…); empty for a bare number.
    ///   - digits: Significant figures (default 3).
    /// - Returns: The text.
    public static func si(_ value: Double, unit: String, digits: Int = 3) -> String {
        guard value.isFinite else { return nonFinite(value) + (unit.isEmpty ? "" : " " + unit) }
        let prefixes: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""), (1e-3, "m"), (1e-6, "µ"),
                                            (1e-9, "n"), (1e-12, "p")]
        let magnitude = abs(value)
        guard magnitude > 0 else { return "0" + (unit.isEmpty ? "" : " " + unit) }
        // Round first, so that 999.96 W becomes 1.00 kW rather than 1000 W.
        let rounded = Double(String(format: "%.\(min(max(digits, 1), 15) - 1)e", magnitude)) ?? magnitude
        let (factor, prefix) = prefixes.first { rounded >= $0.0 } ?? prefixes[prefixes.count - 1]
        let number = significant(value / factor, digits: digits)
        let suffix = prefix + unit
        return suffix.isEmpty ? number : number + " " + suffix
    }

    /// A share as a percentage: `percent(0.9736, decimals: 1)` → "97.4 %".
    ///
    /// - Parameters:
    ///   - fraction: The share (1 = 100 %).
    ///   - decimals: Digits after the decimal point.
    /// - Returns: The text, with a thin space before the sign.
    public static func percent(_ fraction: Double, decimals: Int = 1) -> String {
        fixed(fraction * 100, decimals: decimals) + "\u{2009}%"
    }

    /// A whole number with thousands grouped from 10,000: 1024 → "1024", 100000 → "100,000".
    ///
    /// - Parameter value: The number.
    /// - Returns: The text.
    public static func integer(_ value: Int) -> String {
        let digits = group(String(value.magnitude))
        return value < 0 ? minus + digits : digits
    }

    /// A duration: "420 µs", "12.3 ms", "1.23 s", "2 min 5 s".
    ///
    /// - Parameter seconds: The duration.
    /// - Returns: The text.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return nonFinite(seconds) }
        if seconds >= 120 {
            let whole = Int(seconds.rounded())
            return "\(whole / 60) min \(whole % 60) s"
        }
        return si(seconds, unit: "s")
    }

    // MARK: - Parts

    private static func nonFinite(_ value: Double) -> String {
        value.isNaN ? "–" : (value < 0 ? minus + "∞" : "∞")
    }

    /// Groups the digits of a whole number (no sign) with commas when it has five or more.
    private static func group(_ digits: String) -> String {
        guard digits.count >= 5 else { return digits }
        var out = ""
        for (i, character) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return out
    }

    /// "1.500" → "1.5", "2.000" → "2"; text without a decimal point is returned as it is.
    private static func trimZeros(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var out = text
        while out.hasSuffix("0") { out.removeLast() }
        if out.hasSuffix(".") { out.removeLast() }
        return out
    }

    /// An exponent in superscript digits: −4 → "⁻⁴".
    private static func superscript(_ exponent: Int) -> String {
        let digits: [Character] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        let body = String(exponent.magnitude).compactMap { $0.wholeNumberValue.map { digits[$0] } }
        return (exponent < 0 ? "⁻" : "") + String(body)
    }
}
