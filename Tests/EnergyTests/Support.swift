@_exported import _TestSupport
import Foundation
import VerdantCommon
@testable import Energy

/// The folder of committed fixtures (made by Fixtures/make_fixtures.py).
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

/// A fake Linux powercap tree: zones with `name`, `energy_uj` and `max_energy_range_uj`.
struct FakePowercap {
    let root: String

    init(in folder: TemporaryFolder) { root = folder.path }

    func zone(_ zone: String, name: String, microjoules: UInt64, range: UInt64 = 262_143_328_850) throws {
        let dir = "\(root)/\(zone)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "\(name)\n".write(toFile: "\(dir)/name", atomically: true, encoding: .utf8)
        try set(zone, microjoules)
        try "\(range)\n".write(toFile: "\(dir)/max_energy_range_uj", atomically: true, encoding: .utf8)
    }

    func set(_ zone: String, _ microjoules: UInt64) throws {
        try "\(microjoules)\n".write(toFile: "\(root)/\(zone)/energy_uj", atomically: true, encoding: .utf8)
    }

    /// A typical two-domain server package: package-0 with core, uncore and dram subzones, a psys
    /// platform zone, and the MMIO duplicate of the package.
    func makeServerTree(package: UInt64 = 1_000_000, dram: UInt64 = 500_000, range: UInt64 = 262_143_328_850) throws {
        try zone("intel-rapl:0", name: "package-0", microjoules: package, range: range)
        try zone("intel-rapl:0:0", name: "core", microjoules: 400_000)
        try zone("intel-rapl:0:1", name: "uncore", microjoules: 100_000)
        try zone("intel-rapl:0:2", name: "dram", microjoules: dram, range: range)
        try zone("intel-rapl:1", name: "psys", microjoules: 9_000_000)
        try zone("intel-rapl-mmio:0", name: "package-0", microjoules: package)
    }
}

extension SystemFiles {
    /// The real files, except that reading any of `denied` fails with EACCES (tests run as root,
    /// who may read any file, so permissions cannot be tested with chmod).
    static func denying(_ denied: Set<String>) -> SystemFiles {
        SystemFiles(read: { path in denied.contains(path) ? .permissionDenied : FileRead.contents(of: path) }, list: SystemFiles.live.list)
    }
}

/// A configuration that reads the given powercap tree, no NVML, a fixed CPU model.
func testConfiguration(powercap: String? = nil, files: SystemFiles = .live) -> EnergyConfiguration {
    var configuration = EnergyConfiguration()
    if let powercap {
        configuration.powercapRoot = powercap
        configuration.files = files
    } else {
        // The default root, seen as missing (as on this CI machine, but also on one with RAPL).
        configuration.files = SystemFiles(read: files.read, list: { $0 == RAPLDiscovery.defaultRoot ? nil : files.list($0) })
    }
    configuration.loadNVML = { path in
        .failure(UnavailableSource(source: "nvml", reason: .missing, detail: "\(path) could not be loaded (test)"))
    }
    configuration.cpuModelName = "Test CPU"
    return configuration
}

/// Parses one CSV line (RFC 4180 quoting).
func csvFields(_ line: String) -> [String] {
    var fields: [String] = []
    var current = ""
    var quoted = false
    var iterator = Array(line).makeIterator()
    var pending: Character? = nil
    while let c = pending ?? iterator.next() {
        pending = nil
        if quoted {
            if c == "\"" {
                if let next = iterator.next() {
                    if next == "\"" { current.append("\"") } else { quoted = false; pending = next }
                } else {
                    quoted = false
                }
            } else {
                current.append(c)
            }
        } else if c == "," {
            fields.append(current)
            current = ""
        } else if c == "\"" {
            quoted = true
        } else {
            current.append(c)
        }
    }
    fields.append(current)
    return fields
}
