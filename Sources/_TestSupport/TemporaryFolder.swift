import Foundation

/// A fresh folder under the system's temporary directory, removed with everything in it when the
/// last reference goes (at the end of the test that made it).
public final class TemporaryFolder {
    /// The folder.
    public let url: URL

    /// Makes the folder, named `prefix` and a UUID.
    public init(prefix: String = "verdant-test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The folder's path.
    public var path: String { url.path }

    /// The path of `name` inside the folder.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Writes `text` (UTF-8) to `name` inside the folder and returns its path.
    public func write(_ name: String, _ text: String) throws -> String {
        let file = path(name)
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Every entry's name, hidden ones included, sorted.
    public var names: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted() }

    /// The contents of `name`, or nil when it cannot be read.
    public func read(_ name: String) -> Data? { FileManager.default.contents(atPath: path(name)) }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// The description of the error `body` throws, or nil when it throws none.
public func thrownMessage(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch {
        return "\(error)"
    }
}
