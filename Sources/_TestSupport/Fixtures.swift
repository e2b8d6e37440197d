import ComplexModule
import RealModule
import Foundation

/// Reads the committed reference data (made by the scripts beside it).
public enum FixtureLoader {
    /// A fixture that is missing or malformed.
    public struct Failure: Error, CustomStringConvertible {
        /// What is wrong.
        public let description: String
    }

    /// The parsed JSON object in `directory/name`.
    public static func json(_ name: String, in directory: URL) throws -> [String: Any] {
        let url = directory.appendingPathComponent(name)
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Failure(description: "\(url.path) is not a JSON object")
        }
        return object
    }

    /// `[[re, im], …]` as complex numbers.
    public static func complexArray(_ value: Any?) throws -> [Complex<Double>] {
        guard let pairs = value as? [[Double]] else {
            guard let pairs = value as? [[NSNumber]] else { throw Failure(description: "expected [[re, im]]") }
            return pairs.map { Complex($0[0].doubleValue, $0[1].doubleValue) }
        }
        return pairs.map { Complex($0[0], $0[1]) }
    }

    /// Rows of `[re, im]` pairs as a dense matrix.
    public static func complexMatrix(_ value: Any?) throws -> DenseMatrix {
        guard let rows = value as? [Any] else { throw Failure(description: "expected a list of rows") }
        return try rows.map { try complexArray($0) }
    }
}
