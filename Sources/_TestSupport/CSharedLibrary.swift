import Foundation

/// Builds a small C file into a shared library for a test, with the C compiler that ships with the
/// Swift toolchain (`clang`, else `cc`). Used to exercise real `dlopen` paths with fake libraries.
public enum CSharedLibrary {
    /// A compiler that is missing or a build that failed.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong, with the compiler's own output.
        public let description: String
    }

    /// Compiles `source` into `directory/name` (`-shared -fPIC -O1`) and returns the library's path.
    public static func build(source: URL, into directory: URL, name: String) throws -> String {
        let output = directory.appendingPathComponent(name).path
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        guard let compiler = ["clang", "cc"].lazy.compactMap({ tool in
            paths.map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }).first else {
            throw Failure(description: "no C compiler (clang or cc) on PATH; the Swift toolchain ships clang")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: compiler)
        process.arguments = ["-shared", "-fPIC", "-O1", "-o", output, source.path]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(compiler) failed (status \(process.terminationStatus)) on \(source.path):\n\(text)")
        }
        return output
    }
}
