import Communication
import Foundation
import VerdantCommon

// NumPy's .npy format (versions 1.0, 2.0, 3.0), as specified in numpy/lib/format.py: the magic
// "\x93NUMPY", a major and minor version byte, the header length (2 bytes little-endian for 1.0,
// 4 for 2.0 and 3.0), then a Python dict literal {'descr': …, 'fortran_order': …, 'shape': …}
// padded with spaces and a newline so that the data starts on a multiple of 64 bytes; then the
// raw elements, C (row-major) or Fortran (column-major) order.

/// The parsed header of a .npy file.
struct NPYHeader: Equatable {
    var descriptor: String
    var fortranOrder: Bool
    var shape: [Int]
    var dataOffset: Int
}

/// The element types .npy files may hold that Verdant reads.
private struct NPYType {
    enum Kind { case float, signed, unsigned, boolean }
    let kind: Kind
    let size: Int
    let bigEndian: Bool

    var name: String {
        switch kind {
        case .float: "float\(size * 8)"
        case .signed: "int\(size * 8)"
        case .unsigned: "uint\(size * 8)"
        case .boolean: "bool"
        }
    }
}

enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // \x93NUMPY

    // MARK: - Header

    static func parseHeader(_ bytes: UnsafeRawBufferPointer, path: String) throws -> NPYHeader {
        func fail(_ message: String) -> ParallelError { .npy(path: path, message: message) }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail("not a .npy file: it does not start with the magic string \\x93NUMPY")
        }
        let major = bytes[6], minor = bytes[7]
        let headerLength: Int, start: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            start = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw fail("truncated header (version \(major).\(minor))") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            start = 12
        default:
            throw fail("unsupported .npy version \(major).\(minor); Verdant reads versions 1.0, 2.0 and 3.0")
        }
        guard start + headerLength <= bytes.count else {
            throw fail("truncated header: it declares \(headerLength) bytes, the file has \(bytes.count - start) after the length field")
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<start + headerLength]), as: UTF8.self)
        var parser = DictParser(text: text, path: path)
        let dict = try parser.parse()
        guard case .string(let descriptor)? = dict["descr"] else {
            throw fail("header: 'descr' is missing or not a string (header: \(text.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        guard case .bool(let fortran)? = dict["fortran_order"] else {
            throw fail("header: 'fortran_order' is missing or not True/False")
        }
        guard case .tuple(let shape)? = dict["shape"] else { throw fail("header: 'shape' is missing or not a tuple of integers") }
        if let extra = dict.keys.sorted().first(where: { !["descr", "fortran_order", "shape"].contains($0) }) {
            throw fail("header: unexpected key '\(extra)'; a .npy header has exactly 'descr', 'fortran_order' and 'shape'")
        }
        return NPYHeader(descriptor: descriptor, fortranOrder: fortran, shape: shape, dataOffset: start + headerLength)
    }

    private static func type(_ descriptor: String, path: String) throws -> NPYType {
        let chars = Array(descriptor)
        guard chars.count >= 3, "<>|=".contains(chars[0]), let size = Int(String(chars[2...])) else {
            throw ParallelError.npy(path: path, message: "header: unsupported dtype '\(descriptor)'; Verdant reads float64, float32, "
                + "integers and bool ('<f8', '<f4', '<i8', '<i4', '<i2', '|i1', '|u1', '<u2', '<u4', '<u8', '|b1')")
        }
        let big = chars[0] == ">"
        let t: NPYType
        switch (chars[1], size) {
        case ("f", 8), ("f", 4): t = NPYType(kind: .float, size: size, bigEndian: big)
        case ("i", 1), ("i", 2), ("i", 4), ("i", 8): t = NPYType(kind: .signed, size: size, bigEndian: big)
        case ("u", 1), ("u", 2), ("u", 4), ("u", 8): t = NPYType(kind: .unsigned, size: size, bigEndian: big)
        case ("b", 1): t = NPYType(kind: .boolean, size: 1, bigEndian: false)
        default:
            let known = ["c": "complex", "O": "object", "U": "unicode string", "S": "byte string", "V": "structured/void",
                         "M": "datetime", "m": "timedelta", "f": "float", "i": "integer", "u": "unsigned integer"]
            let what = known[String(chars[1])].map { "\($0) of \(size) bytes" } ?? "kind '\(chars[1])'"
            throw ParallelError.npy(path: path, message: "header: unsupported dtype '\(descriptor)' (\(what)); Verdant reads float64, "
                + "float32, integers and bool")
        }
        return t
    }

    /// The header text NumPy writes (numpy/lib/format.py `_write_array_header` and `_wrap_header`):
    /// the dict with keys sorted, spaces for the growth axis (21 − digits of the first axis), then
    /// padding to 64 bytes and a newline.
    static func header(descriptor: String, shape: [Int]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var dict = "{'descr': '\(descriptor)', 'fortran_order': False, 'shape': \(shapeText), }"
        if let first = shape.first { dict += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        var length = dict.utf8.count + 1
        let version1 = 10 + length + 64 <= 65535 + 10
        let prefix = version1 ? 10 : 12
        var padding = 64 - ((prefix + length) % 64)
        if padding == 0 { padding = 64 }
        let text = dict + String(repeating: " ", count: padding) + "\n"
        length = text.utf8.count
        var bytes = magic + [version1 ? 1 : 2, 0]
        if version1 {
            bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        } else {
            bytes += [UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF), UInt8((length >> 16) & 0xFF), UInt8(length >> 24)]
        }
        return bytes + Array(text.utf8)
    }

    // MARK: - Reading

    static func read<Element: ChunkElement>(_ path: String, as: Element.Type) throws -> (ChunkBuffer<Element>, [Int]) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ParallelError.file(path: path, reason: exists ? "cannot be read (\(error.localizedDescription))" : "no such file")
        }
        return try data.withUnsafeBytes { bytes in
            let header = try parseHeader(bytes, path: path)
            let t = try type(header.descriptor, path: path)
            let shape = header.shape
            guard (1...2).contains(shape.count) else {
                throw ParallelError.npy(path: path, message: "holds a \(shape.count)-D array of shape \(shape); Verdant reads 1-D and 2-D arrays")
            }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw ParallelError.npy(path: path, message: "header: negative length in shape \(shape)") }
            let (count, overflow) = shape.reduce((1, false)) { acc, n in
                let m = acc.0.multipliedReportingOverflow(by: n)
                return (m.partialValue, acc.1 || m.overflow)
            }
            guard !overflow else { throw ParallelError.npy(path: path, message: "header: shape \(shape) is too large") }
            let needed = count * t.size
            let available = bytes.count - header.dataOffset
            guard available >= needed else {
                throw ParallelError.npy(path: path, message: "truncated: shape \(shape) of \(t.name) needs \(needed) bytes of data, the file has \(available)")
            }
            guard available == needed else {
                throw ParallelError.npy(path: path, message: "\(available - needed) bytes follow the data that shape \(shape) of \(t.name) describes")
            }
            // Which element types may hold this data.
            let target = Element.elementKind.storage
            switch (t.kind, target) {
            case (.float, .double), (.signed, .int), (.unsigned, .int), (.boolean, .int): break
            case (.float, .float) where t.size == 4: break
            default:
                let suggestion = t.kind == .float ? (t.size == 8 ? "Double" : "Float or Double") : "Int"
                throw ParallelError.npy(path: path, message: "holds \(t.name) data; read it as ChunkedArray<\(suggestion)> "
                    + "(this is ChunkedArray<\(Element.elementKind)>)")
            }
            let rows = shape.count == 1 ? 1 : shape[0]
            let columns = shape.count == 1 ? shape[0] : shape[1]
            let buffer = ChunkBuffer<Element>(rows: rows, columns: columns)
            let base = bytes.baseAddress.map { $0 + header.dataOffset }
            for k in 0..<count {
                guard let base else { break }
                // Element k of the file; in Fortran order it is (k % rows, k / rows).
                let destination = header.fortranOrder && shape.count == 2 ? (k % rows) * columns + k / rows : k
                let p = base + k * t.size
                var raw: UInt64 = 0
                for b in 0..<t.size {
                    let byte = UInt64(p.load(fromByteOffset: t.bigEndian ? t.size - 1 - b : b, as: UInt8.self))
                    raw |= byte << (8 * UInt64(b))
                }
                switch t.kind {
                case .float:
                    let value = t.size == 8 ? Double(bitPattern: raw) : Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))
                    buffer.pointer[destination] = Element(convertingFrom: value)
                case .signed:
                    let shift = UInt64(64 - 8 * t.size)
                    let value = Int(Int64(bitPattern: raw << shift) >> Int64(shift))
                    buffer.pointer[destination] = unsafeBitCast(value, to: Element.self)
                case .unsigned, .boolean:
                    guard raw <= UInt64(Int.max) else {
                        throw ParallelError.npy(path: path, message: "element \(k) is \(raw), larger than Int.max; it does not fit in ChunkedArray<Int>")
                    }
                    buffer.pointer[destination] = unsafeBitCast(Int(raw), to: Element.self)
                }
            }
            return (buffer, shape)
        }
    }

    // MARK: - Writing

    /// The bytes of a `.npy` file (version 1.0, C order) holding `values` of `shape` (row-major).
    static func encoded<Element: ChunkElement>(_ values: [Element], shape: [Int]) -> Data {
        let descriptor: String
        switch Element.elementKind.storage {
        case .double: descriptor = "<f8"
        case .float: descriptor = "<f4"
        case .int: descriptor = "<i8"
        }
        var bytes = header(descriptor: descriptor, shape: shape)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }  // little-endian hosts (x86-64, arm64)
        return Data(bytes)
    }

    /// Writes `values` of `shape` (row-major) atomically: to a temporary file beside `path`, then
    /// renamed; on failure nothing is left behind.
    static func write<Element: ChunkElement>(_ values: [Element], shape: [Int], to path: String) throws {
        do throws(AtomicFileError) {
            try AtomicFile.write(encoded(values, shape: shape), toPath: path, replacing: true)
        } catch {
            throw ParallelError.file(path: path, reason: "cannot be written (\(error.reason))")
        }
    }
}

/// A parser for the Python dict literal of a .npy header: strings, True/False, tuples of ints.
private struct DictParser {
    enum Value: Equatable {
        case string(String)
        case bool(Bool)
        case tuple([Int])
    }

    let chars: [Character]
    let path: String
    var i = 0

    init(text: String, path: String) {
        chars = Array(text)
        self.path = path
    }

    private func fail(_ message: String) -> ParallelError {
        .npy(path: path, message: "header: \(message) at character \(i + 1) of '\(String(chars).trimmingCharacters(in: .whitespacesAndNewlines))'")
    }

    private mutating func skipSpace() { while i < chars.count, chars[i].isWhitespace { i += 1 } }

    private mutating func expect(_ c: Character) throws {
        skipSpace()
        guard i < chars.count, chars[i] == c else { throw fail("expected '\(c)'") }
        i += 1
    }

    private mutating func string() throws -> String {
        skipSpace()
        guard i < chars.count, chars[i] == "'" || chars[i] == "\"" else { throw fail("expected a quoted string") }
        let quote = chars[i]
        i += 1
        var result = ""
        while i < chars.count, chars[i] != quote {
            result.append(chars[i])
            i += 1
        }
        guard i < chars.count else { throw fail("unterminated string") }
        i += 1
        return result
    }

    private mutating func integer() throws -> Int {
        skipSpace()
        var text = ""
        if i < chars.count, chars[i] == "-" {
            text.append("-")
            i += 1
        }
        while i < chars.count, chars[i].isNumber {
            text.append(chars[i])
            i += 1
        }
        if i < chars.count, chars[i] == "L" { i += 1 }  // Python 2 longs
        guard let value = Int(text) else { throw fail("expected an integer") }
        return value
    }

    private mutating func value() throws -> Value {
        skipSpace()
        guard i < chars.count else { throw fail("expected a value") }
        switch chars[i] {
        case "'", "\"":
            return .string(try string())
        case "(":
            i += 1
            var items: [Int] = []
            skipSpace()
            while i < chars.count, chars[i] != ")" {
                items.append(try integer())
                skipSpace()
                if i < chars.count, chars[i] == "," { i += 1 }
                skipSpace()
            }
            try expect(")")
            return .tuple(items)
        default:
            if chars[i...].starts(with: "True") {
                i += 4
                return .bool(true)
            }
            if chars[i...].starts(with: "False") {
                i += 5
                return .bool(false)
            }
            throw fail("expected a string, a tuple or True/False")
        }
    }

    mutating func parse() throws -> [String: Value] {
        try expect("{")
        var result: [String: Value] = [:]
        skipSpace()
        while i < chars.count, chars[i] != "}" {
            let key = try string()
            try expect(":")
            result[key] = try value()
            skipSpace()
            if i < chars.count, chars[i] == "," { i += 1 }
            skipSpace()
        }
        try expect("}")
        return result
    }
}

extension ChunkedArray {
    /// Reads a NumPy `.npy` file (versions 1.0–3.0; float64/float32 into `Double`, float32 into
    /// `Float`, integers and bool into `Int`; C or Fortran order; 1-D or 2-D).
    /// - Parameters:
    ///   - path: the file.
    ///   - chunks: the chunking.
    /// - Throws: ``ParallelError/npy(path:message:)`` for a malformed or unsupported file (bad magic,
    ///   version, header, dtype, shape, truncated data); ``ParallelError/file(path:reason:)``;
    ///   ``ParallelError/invalidChunks(_:)``.
    public init(npyFile path: String, chunks: ChunkSpec = .auto) throws {
        let (buffer, shape) = try NPY.read(path, as: Element.self)
        let layout = Layout(try Chunks(shape: shape, chunks, elementBytes: Element.elementKind.byteCount))
        self.init(node: StoredNode(buffer: buffer, layout: layout, label: "npy \((path as NSString).lastPathComponent)"))
    }

    /// Computes the array and returns the bytes of its NumPy `.npy` file (version 1.0, C order,
    /// `<f8`, `<f4` or `<i8`), byte for byte as NumPy writes it: for callers that seal or send the
    /// file instead of writing it.
    /// - Parameter scheduler: the threads of this process.
    /// - Throws: anything ``compute(on:using:)`` throws.
    public func npyData(using scheduler: Scheduler = .shared) throws -> Data {
        NPY.encoded(try compute(on: nil, using: scheduler), shape: shape)
    }

    /// Computes the array and writes it as a NumPy `.npy` file (version 1.0, C order, `<f8`, `<f4`
    /// or `<i8`), byte for byte as NumPy writes it. The file appears only when complete. With a
    /// communicator of several ranks, rank 0 writes and every rank learns whether it worked.
    /// - Parameters:
    ///   - path: the file to create or replace.
    ///   - communicator: as for ``compute(on:using:)``.
    ///   - scheduler: the threads of this process.
    /// - Throws: ``ParallelError/file(path:reason:)``, and anything ``compute(on:using:)`` throws.
    public func writeNPY(to path: String, on communicator: (any Communicator)? = nil, using scheduler: Scheduler = .shared) throws {
        let values = try compute(on: communicator, using: scheduler)
        guard let communicator, communicator.size > 1 else {
            return try NPY.write(values, shape: shape, to: path)
        }
        let outcome = Result { () throws -> [UInt8] in
            if communicator.rank == 0 { try NPY.write(values, shape: shape, to: path) }
            return []
        }
        _ = try communicator.exchange(outcome)
    }
}
