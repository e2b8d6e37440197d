import Foundation
import Testing
@testable import Privacy

/// Tests/PrivacyTests/Fixtures/dp: values produced by dp-accounting (and the `cryptography`
/// package for the random stream) with Fixtures/dp/make_dp_fixtures.py.
let dpFixtureFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures").appendingPathComponent("dp")

/// One fixture file as a JSON object, numbers as `NSNumber`s of the exact `Double`s written.
/// (Foundation's JSONSerialization on Linux rounds some numbers by an ulp or two; JSONDecoder reads
/// them exactly, so the tree is built with it.)
func dpFixture(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: dpFixtureFolder.appendingPathComponent(name))
    return try #require(try JSONDecoder().decode(FixtureJSON.self, from: data).value as? [String: Any], "\(name) is not a JSON object")
}

/// Any JSON value, decoded exactly.
private struct FixtureJSON: Decodable {
    let value: Any

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            value = NSNull()
        } else if let bool = try? container.decode(Bool.self) {
            value = bool
        } else if let number = try? container.decode(Double.self) {
            value = NSNumber(value: number)
        } else if let text = try? container.decode(String.self) {
            value = text
        } else if let array = try? container.decode([FixtureJSON].self) {
            value = array.map(\.value)
        } else {
            value = try container.decode([String: FixtureJSON].self).mapValues(\.value)
        }
    }
}

/// The records under `key` of a fixture file.
func dpCases(_ name: String, key: String = "cases") throws -> [[String: Any]] {
    try #require(try dpFixture(name)[key] as? [[String: Any]], "\(name) has no '\(key)' list")
}

/// A fixture number: a JSON number, or the strings "inf" / "-inf" that stand for infinities.
func fixtureDouble(_ value: Any?) -> Double? {
    if let number = value as? NSNumber { return number.doubleValue }
    if let text = value as? String { return text == "inf" ? .infinity : text == "-inf" ? -.infinity : Double(text) }
    return nil
}

/// A fixture integer.
func fixtureInt(_ value: Any?) -> Int? {
    (value as? NSNumber)?.intValue
}

/// |a − b| / |b| (0 when both are equal, including equal infinities).
func relativeError(_ a: Double, _ b: Double) -> Double {
    if a == b { return 0 }
    return abs(a - b) / abs(b)
}

/// The exact ε of T compositions of the Gaussian mechanism with noise multiplier σ (q = 1): the
/// composition is the Gaussian mechanism with σ/√T, whose δ(ε) = Φ(−εs + 1/(2s)) − e^ε Φ(−εs − 1/(2s))
/// with s = σ/√T (Balle and Wang 2018, Thm. 8); ε solved by bisection. An oracle independent of both
/// accountants.
func exactGaussianEpsilon(sigma: Double, steps: Int, delta: Double) -> Double {
    let s = sigma / Double(steps).squareRoot()
    func phi(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }
    func deltaAt(_ epsilon: Double) -> Double { phi(-epsilon * s + 1 / (2 * s)) - exp(epsilon) * phi(-epsilon * s - 1 / (2 * s)) }
    var low = 0.0, high = 1.0
    while deltaAt(high) > delta { high *= 2 }
    for _ in 0..<200 {
        let middle = 0.5 * (low + high)
        if deltaAt(middle) > delta { low = middle } else { high = middle }
    }
    return high
}
