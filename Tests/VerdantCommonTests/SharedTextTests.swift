import Foundation
import Testing
import VerdantCommon

/// The folder of committed reference data for these tests.
private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// Parses JSON text with Foundation's parser (an implementation independent of `JSONValue`).
private func parsed(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}

@Suite("JSONValue: the one JSON writer")
struct JSONValueTests {
    /// A value with every case, nested, with strings that need escaping.
    static let sample = JSONValue.object([
        ("name", .string("quote \" backslash \\ line\nbreak tab\t cr\r bell\u{07} unicode θ🧪")),
        ("integer", .integer(-42)), ("number", .number(0.1)), ("tiny", .number(1e-300)), ("big", .number(6.02e23)),
        ("nan", .number(.nan)), ("infinity", .number(-.infinity)),
        ("flags", .array([.bool(true), .bool(false), .null])),
        ("numbers", .array([.number(1.5), .integer(2), .number(-0.25)])),
        ("empty object", .object([])), ("empty array", .array([])),
        ("nested", .object([("z", .integer(1)), ("a", .array([.object([("k", .string("v"))])]))])),
        ("lazy", .lazyArray(count: 3) { .integer($0 * $0) }),
        ("lazy object", .lazyObject(count: 4) { $0 == 2 ? nil : ("m\($0)", .integer($0)) }),
    ])

    @Test("one-line and indented text parse, with Foundation's parser, to the same values")
    func parsesBack() throws {
        for text in [Self.sample.text, Self.sample.text(indent: 2), Self.sample.text(indent: 4)] {
            let object = try #require(try parsed(text) as? [String: Any])
            #expect(object["name"] as? String == "quote \" backslash \\ line\nbreak tab\t cr\r bell\u{07} unicode θ🧪")
            #expect(object["integer"] as? Int == -42)
            #expect(object["number"] as? Double == 0.1)
            #expect(object["tiny"] as? Double == 1e-300)
            #expect(object["big"] as? Double == 6.02e23)
            #expect(object["nan"] is NSNull && object["infinity"] is NSNull)
            let flags = try #require(object["flags"] as? [Any])
            #expect(flags.count == 3 && flags[0] as? Bool == true && flags[1] as? Bool == false && flags[2] is NSNull)
            #expect(object["numbers"] as? [Double] == [1.5, 2, -0.25])
            #expect((object["empty object"] as? [String: Any])?.isEmpty == true)
            #expect((object["empty array"] as? [Any])?.isEmpty == true)
            #expect(object["lazy"] as? [Int] == [0, 1, 4])
            let lazyObject = try #require(object["lazy object"] as? [String: Int])
            #expect(lazyObject == ["m0": 0, "m1": 1, "m3": 3])
        }
    }

    @Test("members keep the order given; one-line text has the documented separators")
    func order() {
        let value = JSONValue.object([("z", .integer(1)), ("a", .integer(2)), ("m", .array([.integer(1), .string("x")]))])
        #expect(value.text == #"{"z": 1, "a": 2, "m": [1, "x"]}"#)
        #expect(value.text(indent: 2) == "{\n  \"z\": 1,\n  \"a\": 2,\n  \"m\": [\n    1,\n    \"x\"\n  ]\n}")
        // Arrays of numbers stay on one line when indented.
        #expect(JSONValue.object([("v", .array([.number(1.5), .integer(2)]))]).text(indent: 2) == "{\n  \"v\": [1.5, 2]\n}")
    }

    @Test("numbers are written in shortest round-trip form: every Double reads back exactly (JSONDecoder)")
    func roundTrip() throws {
        var state: UInt64 = 12345
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = Double(bitPattern: state >> 2 | 0x3000_0000_0000_0000)  // finite, wide exponent range
            let text = JSONValue.array([.number(value), .number(-value)]).text
            // JSONDecoder parses numbers exactly (JSONSerialization on Linux may return a lossy NSDecimalNumber).
            #expect(try JSONDecoder().decode([Double].self, from: Data(text.utf8)) == [value, -value])
        }
    }

    @Test("streamed writing (flushed every MiB) gives the same text as one string")
    func streaming() {
        let big = JSONValue.object([("amplitudes", .lazyArray(count: 200_000) { .number(Double($0) * 0.37) })])
        var pieces: [String] = []
        var out = ""
        big.write(into: &out) { buffer in
            pieces.append(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
        pieces.append(out)
        #expect(pieces.count > 2)  // the flush ran: no single string held it all
        #expect(pieces.joined() == big.text)
    }
}

@Suite("CSVText: the one CSV quoting rule")
struct CSVTextTests {
    struct Case: Decodable {
        let fields: [String]
        let line: String
    }

    struct Fixture: Decodable {
        let cases: [Case]
    }

    @Test("rows are written as Python's csv.writer writes them (Fixtures/csv_quoting.json)")
    func matchesPython() throws {
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: fixtures.appendingPathComponent("csv_quoting.json")))
        #expect(fixture.cases.count >= 10)
        for c in fixture.cases {
            #expect(CSVText.row(c.fields) == c.line, "fields \(c.fields)")
        }
    }

    @Test("a field holding CR LF is quoted (one Character in Swift, two scalars)")
    func crlf() {
        #expect(CSVText.field("a\r\nb") == "\"a\r\nb\"")
        #expect(CSVText.field("plain") == "plain")
    }
}

@Suite("Timing: one median for every suite")
struct TimingTests {
    /// The median by its definition, computed differently: the value(s) with as many samples at or
    /// below as at or above, found by counting rather than by sorting.
    static func countingMedian(_ values: [Double]) -> Double {
        func rank(_ k: Int) -> Double {  // the k-th smallest (0-based), by counting
            for v in values {
                let below = values.filter { $0 < v }.count
                let equal = values.filter { $0 == v }.count
                if below <= k, k < below + equal { return v }
            }
            return .nan
        }
        let n = values.count
        return n % 2 == 1 ? rank(n / 2) : (rank(n / 2 - 1) + rank(n / 2)) / 2
    }

    @Test("known values: odd counts take the middle, even counts the mean of the two middle ones")
    func known() {
        #expect(Timing.median([3, 1, 2]) == 2)
        #expect(Timing.median([4, 1, 3, 2]) == 2.5)
        #expect(Timing.median([7]) == 7)
        #expect(Timing.median([5, 5, 1, 9]) == 5)
        #expect(Timing.median([]).isNaN)
        #expect(Timing.medianRatio([2, 6, 9], [1, 2, 3]) == 3)
        #expect(Timing.medianRatio([1], [1, 2]).isNaN)
    }

    @Test("random samples agree with the counting definition")
    func random() {
        var state: UInt64 = 99
        for n in 1...40 {
            let values = (0..<n).map { _ -> Double in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Double(state >> 54)  // small integers: many ties
            }
            #expect(Timing.median(values) == Self.countingMedian(values), "\(values)")
        }
    }

    @Test("samples: one warm-up then the repeats, each a non-negative time")
    func samples() {
        var calls = 0
        let times = Timing.samples(repeats: 4) { calls += 1 }
        #expect(calls == 5 && times.count == 4 && times.allSatisfy { $0 >= 0 })
        calls = 0
        #expect(Timing.samples(repeats: 0, warmUp: false) { calls += 1 }.count == 1 && calls == 1)
    }
}

@Suite("SystemInfo: the /proc readers")
struct SystemInfoTests {
    static let cpuinfo = """
        processor\t: 0
        vendor_id\t: GenuineIntel
        cpu family\t: 6
        model\t\t: 143
        model name\t: Intel(R) Xeon(R) Platinum 8480+
        stepping\t: 8

        processor\t: 1
        model name\t: Something Else
        """

    static let meminfo = """
        MemTotal:       24568120 kB
        MemFree:          812344 kB
        MemAvailable:   19131092 kB
        HugePages_Total:       4
        Broken:         notanumber kB
        """

    @Test("fixed texts: the first model name; meminfo fields in bytes (kB = 1024 bytes)")
    func parsing() {
        #expect(SystemInfo.cpuModelName(cpuinfo: Self.cpuinfo) == "Intel(R) Xeon(R) Platinum 8480+")
        #expect(SystemInfo.cpuModelName(cpuinfo: "processor\t: 0\nBogoMIPS\t: 50.00\n") == nil)
        #expect(SystemInfo.meminfoBytes("MemTotal", in: Self.meminfo) == 24_568_120 * 1024)
        #expect(SystemInfo.meminfoBytes("MemAvailable", in: Self.meminfo) == 19_131_092 * 1024)
        #expect(SystemInfo.meminfoBytes("HugePages_Total", in: Self.meminfo) == 4)
        #expect(SystemInfo.meminfoBytes("Mem", in: Self.meminfo) == nil)  // a prefix is not a field
        #expect(SystemInfo.meminfoBytes("Broken", in: Self.meminfo) == nil)
        #expect(SystemInfo.meminfoBytes("MemTotal", in: "") == nil)
    }

    @Test("this machine: MemTotal agrees with sysconf's pages × page size; available ≤ total")
    func live() throws {
        let total = try #require(SystemInfo.totalMemoryBytes())
        let pages = Double(sysconf(Int32(_SC_PHYS_PAGES))) * Double(sysconf(Int32(_SC_PAGESIZE)))
        #expect(abs(Double(total) - pages) <= 0.01 * pages)
        let available = try #require(SystemInfo.availableMemoryBytes())
        #expect(available <= total)
        #expect(!SystemInfo.cpuModelName().isEmpty)
    }

    @Test("FileRead keeps why a file could not be read")
    func failures() {
        #expect(FileRead.contents(of: "/no/such/file") == .missing)
        #expect(FileRead.contents(of: "/proc/self/status").text?.contains("Pid:") == true)
        #expect(FileRead.failed(code: 5).failurePhrase.hasPrefix("error 5: "))
    }
}

@Suite("JSONDiagnosis: why JSON does not parse, with a position")
struct JSONDiagnosisTests {
    @Test("empty, cut short, NaN and Infinity, out-of-range numbers, stray brackets, open strings; nil for text without these")
    func problems() {
        func problem(_ text: String) -> String? { JSONDiagnosis.problem(in: Data(text.utf8)) }
        #expect(problem(" \n") == "the text is empty")
        #expect(problem("{\"errors\": [") == "the text ends before the ']' that closes the '[' at line 1, column 12 (is the file cut short?)")
        #expect(problem("{\"a\": [1,\n NaN]}")?.hasPrefix("line 2, column 2: NaN is not a JSON number") == true)
        #expect(problem("[-Infinity]")?.hasPrefix("line 1, column 2: -Infinity is not a JSON number") == true)
        #expect(problem("[1e999]") == "line 1, column 2: 1e999 is beyond the range of a double (about ±1.8e308)")
        #expect(problem("{\"a\": ]") == "line 1, column 7: ']' does not match an opening bracket")
        #expect(problem("{\"a\": \"open") == "the text ends inside a string")
        // Brackets and words inside strings do not count; text whose problem is elsewhere gives nil.
        #expect(problem("{\"NaN [\": \"}\"}") == nil)
        #expect(problem("{\"a\": 1,}") == nil)
    }
}
