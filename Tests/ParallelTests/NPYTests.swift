import Foundation
import Testing
@testable import Parallel

/// .npy files written by NumPy (Fixtures/make_fixtures.py) read back with the values NumPy saw, and
/// files Verdant writes equal to NumPy's byte for byte.
@Suite("npy files")
struct NPYTests {
    let expected: [String: Any]
    init() throws { expected = try FixtureJSON.load() }

    private func entry(_ name: String) throws -> [String: Any] {
        try #require((expected["files"] as? [String: Any])?[name] as? [String: Any])
    }

    private func path(_ name: String) -> String { fixtures.appendingPathComponent("npy/\(name).npy").path }

    @Test("floating-point files: every layout, order, byte order and version", arguments: [
        "f8_1d", "f8_2d", "f8_2d_fortran", "f8_big_endian", "f4_1d", "f8_version2", "f8_version3", "empty_f8", "empty_rows_f8",
    ])
    func floating(name: String) throws {
        let e = try entry(name)
        let shape = try #require(e["shape"] as? [Int])
        let values = try #require(doubles(e["values"]))
        for spec in [ChunkSpec.size(2), .size(-1), .size(3)] {
            let x = try ChunkedArray<Double>(npyFile: path(name), chunks: spec)
            #expect(x.shape == shape)
            #expect(try x.compute() == values)
            try expectBlocksMatchChunks(x)
        }
        guard let sum = double(e["sum"]) else { return }
        let x = try ChunkedArray<Double>(npyFile: path(name), chunks: 3)
        #expect(close([try x.sum().compute()], [sum]))
        #expect(close([try x.mean().compute()], [try #require(double(e["mean"]))]))
        #expect(close([try x.variance().compute()], [try #require(double(e["var"]))]))
        #expect(close([try x.variance(ddof: 1).compute()], [try #require(double(e["var_ddof1"]))]))
        #expect(close([try x.std().compute()], [try #require(double(e["std"]))]))
        #expect(try x.min().compute() == double(e["min"]))
        #expect(try x.max().compute() == double(e["max"]))
        #expect(try x.argmax().compute() == e["argmax"] as? Int)
        #expect(try x.argmin().compute() == e["argmin"] as? Int)
        if shape.count == 2 {
            #expect(close(try x.sum(axis: 0).compute(), try #require(doubles(e["sum_axis0"]))))
            #expect(close(try x.sum(axis: 1).compute(), try #require(doubles(e["sum_axis1"]))))
            #expect(close(try x.mean(axis: 0).compute(), try #require(doubles(e["mean_axis0"]))))
            #expect(close(try x.std(axis: 1).compute(), try #require(doubles(e["std_axis1"]))))
            #expect(try x.argmax(axis: 0).compute() == e["argmax_axis0"] as? [Int])
            #expect(try x.argmin(axis: 1).compute() == e["argmin_axis1"] as? [Int])
        }
        if name == "f4_1d" {
            let f = try ChunkedArray<Float>(npyFile: path(name), chunks: 4)
            #expect(try f.compute().map(Double.init) == values)
        }
    }

    @Test("integer and bool files into Int", arguments: ["i8_2d", "i4_1d", "i2_1d", "u1_1d", "bool_1d"])
    func integers(name: String) throws {
        let e = try entry(name)
        let values = try #require(e["values"] as? [Int])
        let x = try ChunkedArray<Int>(npyFile: path(name), chunks: 3)
        #expect(x.shape == e["shape"] as? [Int])
        #expect(try x.compute() == values)
        if let sum = e["sum"] as? Int {
            #expect(try x.sum().compute() == sum)
            #expect(try x.max().compute() == e["max"] as? Int)
            #expect(try x.argmin().compute() == e["argmin"] as? Int)
        }
        if name == "i8_2d" {
            #expect(try x.sum(axis: 0).compute() == (e["sum_axis0"] as? [Int]))
            #expect(try x.argmax(axis: 0).compute() == e["argmax_axis0"] as? [Int])
        }
    }

    @Test("files written by Verdant equal NumPy's byte for byte")
    func writing() throws {
        let folder = try TemporaryFolder()
        func check<E: ChunkElement>(_ name: String, _ array: ChunkedArray<E>) throws {
            let out = folder.path("\(name).npy")
            try array.writeNPY(to: out)
            let ours = try Data(contentsOf: URL(fileURLWithPath: out))
            let numpy = try Data(contentsOf: URL(fileURLWithPath: path(name)))
            #expect(ours == numpy, "\(name)")
            // Replacing an existing file works and leaves no temporary files.
            try array.writeNPY(to: out)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.url.path).filter { $0.hasSuffix(".tmp") }.isEmpty)
        }
        try check("write_f8_1d", ChunkedArray((0..<10).map { Double($0) * 0.5 }, chunks: 3))
        try check("write_f8_2d", ChunkedArray((0..<12).map { (Double($0) - 5) / 3 }, shape: [3, 4], chunks: 2))
        try check("write_f4_1d", ChunkedArray<Float>((0..<5).map { Float($0) * 0.25 }, chunks: 2))
        try check("write_i8_2d", ChunkedArray(Array(-6..<6), shape: [4, 3], chunks: 2))
        try check("write_i8_long", ChunkedArray<Int>.arange(12345, chunks: 1000))
        try check("write_empty", ChunkedArray([Double](), chunks: 1))
        // Round trip.
        let x = try ChunkedArray<Double>.random(shape: [9, 4], chunks: 2, seed: 3)
        try x.writeNPY(to: folder.path("round.npy"))
        #expect(try ChunkedArray<Double>(npyFile: folder.path("round.npy"), chunks: 5).compute() == x.compute())
        // A failed write leaves nothing behind.
        let missing = folder.path("no/such/folder/x.npy")
        #expect(thrownMessage { try x.writeNPY(to: missing) }?.hasPrefix("'\(missing)': cannot be written") == true)
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    @Test("bad files fail with a message naming the file and the problem", arguments: [
        "bad_3d", "bad_complex", "bad_scalar", "bad_object", "bad_truncated", "bad_magic", "bad_version", "bad_header",
    ])
    func badFiles(name: String) throws {
        let errors = try #require(expected["errors"] as? [String: String])
        let message = try #require(errors[name])
        let thrown = thrownMessage { _ = try ChunkedArray<Double>(npyFile: path(name)) } ?? ""
        #expect(thrown.hasPrefix("\(path(name)): \(message)"), "\(thrown)")
    }

    @Test("type mismatches and missing files")
    func mismatches() throws {
        #expect(thrownMessage { _ = try ChunkedArray<Int>(npyFile: path("f8_1d")) }
            == "\(path("f8_1d")): holds float64 data; read it as ChunkedArray<Double> (this is ChunkedArray<int64>)")
        #expect(thrownMessage { _ = try ChunkedArray<Float>(npyFile: path("f8_1d")) }
            == "\(path("f8_1d")): holds float64 data; read it as ChunkedArray<Double> (this is ChunkedArray<float32>)")
        #expect(thrownMessage { _ = try ChunkedArray<Double>(npyFile: path("i8_2d")) }
            == "\(path("i8_2d")): holds int64 data; read it as ChunkedArray<Int> (this is ChunkedArray<float64>)")
        #expect(thrownMessage { _ = try ChunkedArray<Double>(npyFile: "/nonexistent/x.npy") } == "'/nonexistent/x.npy': no such file")
    }
}
