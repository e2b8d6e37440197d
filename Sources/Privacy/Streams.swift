import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a sealed or opened stream comes from: a function that fills a buffer and returns how many
/// bytes it wrote (0 at the end of the input).
public struct ByteSource {
    private let readFunction: (UnsafeMutableRawBufferPointer) throws -> Int

    /// A source that reads by calling `read`.
    /// - Parameter read: Fills (part of) the buffer and returns the bytes written; 0 means the end.
    public init(_ read: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        readFunction = read
    }

    /// A source that reads an open file descriptor (a file, a pipe, standard input) to its end.
    /// - Parameters:
    ///   - descriptor: The descriptor; it is not closed.
    ///   - name: The path or `<stdin>`, for error messages.
    /// - Returns: The source.
    public static func fileDescriptor(_ descriptor: Int32, name: String) -> ByteSource {
        ByteSource { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
            while true {
                let n = posixRead(descriptor, base, buffer.count)
                if n >= 0 { return n }
                if errno == EINTR { continue }
                throw PrivacyError.io(path: name, operation: "read", reason: String(cString: strerror(errno)))
            }
        }
    }

    /// A source that reads the bytes of `data`.
    /// - Parameter data: The bytes.
    /// - Returns: The source.
    public static func data(_ data: Data) -> ByteSource {
        final class Cursor { var offset = 0 }
        let cursor = Cursor()
        return ByteSource { buffer in
            let count = min(buffer.count, data.count - cursor.offset)
            guard count > 0 else { return 0 }
            let start = data.startIndex + cursor.offset
            data.copyBytes(to: buffer.bindMemory(to: UInt8.self), from: start..<(start + count))
            cursor.offset += count
            return count
        }
    }

    /// Reads once into `buffer`.
    /// - Parameter buffer: Where the bytes go.
    /// - Returns: The bytes read; 0 at the end of the input.
    /// - Throws: Whatever the read function throws (`PrivacyError.io` for descriptors).
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        try readFunction(buffer)
    }

    /// Reads until `buffer` is full or the input ends.
    /// - Parameter buffer: Where the bytes go.
    /// - Returns: The bytes read (less than `buffer.count` only at the end of the input).
    /// - Throws: Whatever the read function throws.
    public func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let n = try readFunction(UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if n <= 0 { break }
            filled += n
        }
        return filled
    }

    /// Reads up to `count` bytes into the start of `array`.
    func readFully(into array: inout [UInt8], count: Int) throws -> Int {
        try array.withUnsafeMutableBytes { try readFully(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<count])) }
    }
}

/// Where a sealed or opened stream goes: a function that takes every byte it is given.
public struct ByteSink {
    private let writeFunction: (UnsafeRawBufferPointer) throws -> Void

    /// A sink that writes by calling `write`.
    /// - Parameter write: Takes all the bytes of the buffer (or throws).
    public init(_ write: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        writeFunction = write
    }

    /// A sink that writes to an open file descriptor (a file, a pipe, standard output).
    /// - Parameters:
    ///   - descriptor: The descriptor; it is not closed.
    ///   - name: The path or `<stdout>`, for error messages.
    /// - Returns: The sink.
    public static func fileDescriptor(_ descriptor: Int32, name: String) -> ByteSink {
        ByteSink { buffer in
            guard var base = buffer.baseAddress else { return }
            var left = buffer.count
            while left > 0 {
                let n = posixWrite(descriptor, base, left)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw PrivacyError.io(path: name, operation: "write", reason: String(cString: strerror(errno)))
                }
                left -= n
                base += n
            }
        }
    }

    /// A sink that appends to a growing `Data`, read back with `data()`.
    /// - Returns: The sink and a function that returns what was written so far.
    public static func collecting() -> (sink: ByteSink, data: () -> Data) {
        final class Buffer { var data = Data() }
        let buffer = Buffer()
        return (ByteSink { bytes in buffer.data.append(contentsOf: bytes) }, { buffer.data })
    }

    /// Writes all of `buffer`.
    /// - Parameter buffer: The bytes.
    /// - Throws: Whatever the write function throws (`PrivacyError.io` for descriptors).
    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        try writeFunction(buffer)
    }
}

/// `read(2)`, out of reach of `ByteSource.read`'s name.
private func posixRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// `write(2)`, out of reach of `ByteSink.write`'s name.
private func posixWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}
