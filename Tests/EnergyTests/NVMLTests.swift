import Foundation
import VerdantCommon
import Testing
import _TestSupport
@testable import Energy

/// A fake NVML library: C entry points over global state, injected through the same symbol
/// binding the real `dlsym` path uses. Device 1 (handle 1) has the total-energy counter; device 2
/// (handle 2) offers only power readings.
enum FakeNVML {
    nonisolated(unsafe) static var initStatus: UInt32 = 0
    nonisolated(unsafe) static var deviceCount: UInt32 = 2
    nonisolated(unsafe) static var energyMillijoules: UInt64 = 5_000_000
    nonisolated(unsafe) static var powerMilliwatts: UInt32 = 50_000
    nonisolated(unsafe) static var processes: [UInt32] = []
    nonisolated(unsafe) static var shutdowns = 0
    nonisolated(unsafe) static var omit: Set<String> = []

    static func reset() {
        initStatus = 0; deviceCount = 2; energyMillijoules = 5_000_000; powerMilliwatts = 50_000
        processes = []; shutdowns = 0; omit = []
    }

    static let initialize: @convention(c) () -> UInt32 = { FakeNVML.initStatus }
    static let shutdown: @convention(c) () -> UInt32 = { FakeNVML.shutdowns += 1; return 0 }
    static let count: @convention(c) (UnsafeMutablePointer<UInt32>?) -> UInt32 = { $0?.pointee = FakeNVML.deviceCount; return 0 }
    static let handle: @convention(c) (UInt32, UnsafeMutablePointer<OpaquePointer?>?) -> UInt32 = { index, out in
        out?.pointee = OpaquePointer(bitPattern: Int(index) + 1)
        return 0
    }
    static let name: @convention(c) (OpaquePointer?, UnsafeMutablePointer<CChar>?, UInt32) -> UInt32 = { device, buffer, length in
        let text = Array("Fake GPU \(Int(bitPattern: UnsafeRawPointer(device)) - 1)".utf8CString)
        guard let buffer, Int(length) >= text.count else { return NVMLReturn.insufficientSize }
        for (i, c) in text.enumerated() { buffer[i] = c }
        return 0
    }
    static let energy: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt64>?) -> UInt32 = { device, out in
        guard Int(bitPattern: UnsafeRawPointer(device)) == 1 else { return NVMLReturn.notSupported }
        out?.pointee = FakeNVML.energyMillijoules
        return 0
    }
    static let power: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt32>?) -> UInt32 = { _, out in
        out?.pointee = FakeNVML.powerMilliwatts
        return 0
    }
    /// `nvmlProcessInfo_t` records of 24 bytes: pid at offset 0. Device 1 runs `processes`.
    static let running: @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt32>?, UnsafeMutableRawPointer?) -> UInt32 = { device, count, buffer in
        let pids = Int(bitPattern: UnsafeRawPointer(device)) == 1 ? FakeNVML.processes : []
        guard let count else { return 2 }
        if pids.isEmpty { count.pointee = 0; return 0 }
        guard let buffer, Int(count.pointee) >= pids.count else {
            count.pointee = UInt32(pids.count)
            return NVMLReturn.insufficientSize
        }
        for (i, pid) in pids.enumerated() {
            buffer.storeBytes(of: pid, toByteOffset: i * 24, as: UInt32.self)
            buffer.storeBytes(of: UInt64(1 << 30), toByteOffset: i * 24 + 8, as: UInt64.self)
        }
        count.pointee = UInt32(pids.count)
        return 0
    }
    static let errorString: @convention(c) (UInt32) -> UnsafePointer<CChar>? = { code in
        code == 9 ? UnsafePointer(FakeNVML.driverNotLoadedText) : nil
    }
    nonisolated(unsafe) static let driverNotLoadedText: UnsafeMutablePointer<CChar> = strdup("Driver Not Loaded")

    static func resolve(_ symbol: String) -> UnsafeMutableRawPointer? {
        guard !omit.contains(symbol) else { return nil }
        switch symbol {
        case "nvmlInit_v2": return unsafeBitCast(initialize, to: UnsafeMutableRawPointer.self)
        case "nvmlShutdown": return unsafeBitCast(shutdown, to: UnsafeMutableRawPointer.self)
        case "nvmlDeviceGetCount_v2": return unsafeBitCast(count, to: UnsafeMutableRawPointer.self)
        case "nvmlDeviceGetHandleByIndex_v2": return unsafeBitCast(handle, to: UnsafeMutableRawPointer.self)
        case "nvmlDeviceGetName": return unsafeBitCast(name, to: UnsafeMutableRawPointer.self)
        case "nvmlDeviceGetTotalEnergyConsumption": return unsafeBitCast(energy, to: UnsafeMutableRawPointer.self)
        case "nvmlDeviceGetPowerUsage": return unsafeBitCast(power, to: UnsafeMutableRawPointer.self)
        case "nvmlDeviceGetComputeRunningProcesses_v3": return unsafeBitCast(running, to: UnsafeMutableRawPointer.self)
        case "nvmlErrorString": return unsafeBitCast(errorString, to: UnsafeMutableRawPointer.self)
        default: return nil
        }
    }

    /// - Parameter status: replaces the text of `/proc/self/status` (to simulate a container).
    static func configuration(scope: AccountingScope = .process, status: String? = nil) -> EnergyConfiguration {
        let files = status.map { text in
            SystemFiles(read: { $0 == "/proc/self/status" ? .text(text) : FileRead.contents(of: $0) }, list: SystemFiles.live.list)
        } ?? .live
        var configuration = testConfiguration(files: files)
        configuration.scope = scope
        configuration.loadNVML = { _ in
            NVMLFunctions.bind(FakeNVML.resolve).mapError {
                UnavailableSource(source: "nvml", reason: .unsupported, detail: "no '\($0.name)'")
            }
        }
        return configuration
    }
}

@Suite("NVML (a fake library through the dlsym binding; the real dlopen path)", .serialized)
struct NVMLTests {
    @Test("energy counter and power sampling, per device; used devices counted in process scope")
    func devices() throws {
        FakeNVML.reset()
        FakeNVML.processes = [UInt32(getpid())]
        let meter = try EnergyMeter(configuration: FakeNVML.configuration())
        FakeNVML.energyMillijoules += 12_345  // 12.345 J on device 0
        let report = meter.stop()
        #expect(FakeNVML.shutdowns == 1)
        let gpu0 = try #require(report.total.sources.first { $0.name == "gpu:0" })
        let gpu1 = try #require(report.total.sources.first { $0.name == "gpu:1" })
        #expect(gpu0.method == "nvml energy counter")
        #expect(abs(gpu0.joules.value - 12.345) < 1e-9)
        #expect(gpu0.joules.provenance == .measured)
        #expect(gpu0.counted)
        #expect(gpu0.note.hasPrefix("Fake GPU 0; whole device"))
        #expect(gpu0.note.contains("only processes of this job ran on it"))
        #expect(gpu1.method == "nvml power sampling")
        // Constant 50 W integrated over the meter's wall time.
        #expect(abs(gpu1.joules.value - 50 * report.total.seconds) < 1e-6)
        #expect(!gpu1.counted)
        #expect(gpu1.note.contains("not counted: no process of this job ran on it"))
        let counted = report.total.sources.filter(\.counted).reduce(0) { $0 + $1.joules.value }
        #expect(abs(report.total.joules.value - counted) < 1e-12)
    }

    @Test("a device whose use cannot be told is counted whole as an upper bound, never reported as 0 J")
    func unknownAttribution() throws {
        // In a container (two PID-namespace levels) the host ids NVML lists cannot be matched.
        FakeNVML.reset()
        FakeNVML.processes = [4_000_000]
        let container = try EnergyMeter(configuration: FakeNVML.configuration(status: "Name:\tverdant\nNSpid:\t7\t1\n"))
        FakeNVML.energyMillijoules += 2_000
        let inContainer = container.stop()
        let gpu0 = try #require(inContainer.total.sources.first { $0.name == "gpu:0" })
        #expect(gpu0.counted)
        #expect(abs(gpu0.joules.value - 2) < 1e-9)
        #expect(gpu0.note.contains("counted whole as an upper bound because it ran processes whose ids cannot be matched"))
        // Its own label, and a band from 0 (the job may have used none of it) to the whole device.
        #expect(gpu0.joules.provenance == .upperBound && gpu0.joules.low == 0 && abs(gpu0.joules.high - 2 * 1.05) < 1e-9)
        #expect(inContainer.total.provenance >= .upperBound)
        // Device 1 runs nothing: still not counted.
        #expect(try #require(inContainer.total.sources.first { $0.name == "gpu:1" }).counted == false)

        // The same foreign process outside a container: another job's, so not counted.
        FakeNVML.reset()
        FakeNVML.processes = [4_000_000]
        let host = try EnergyMeter(configuration: FakeNVML.configuration(status: "Name:\tverdant\nNSpid:\t7\n")).stop()
        #expect(try #require(host.total.sources.first { $0.name == "gpu:0" }).counted == false)

        // The job and another job on the same device: counted whole, as an upper bound.
        FakeNVML.reset()
        FakeNVML.processes = [UInt32(getpid()), 4_000_000]
        let sharing = try EnergyMeter(configuration: FakeNVML.configuration(status: "Name:\tverdant\nNSpid:\t7\n"))
        FakeNVML.energyMillijoules += 3_000
        let shared = try #require(sharing.stop().total.sources.first { $0.name == "gpu:0" })
        #expect(shared.counted && shared.joules.provenance == .upperBound && shared.joules.low == 0)
        #expect(shared.note.contains("counted whole as an upper bound because processes of other jobs ran on it too"))

        // No process list at all: every device counted whole, and the report says so.
        FakeNVML.reset()
        FakeNVML.omit = ["nvmlDeviceGetComputeRunningProcesses_v3"]
        let blind = try EnergyMeter(configuration: FakeNVML.configuration()).stop()
        let gpus = blind.total.sources.filter { $0.name.hasPrefix("gpu:") }
        #expect(gpus.count == 2 && gpus.allSatisfy { $0.counted && $0.note.contains("its compute-process list could not be read") })
        #expect(blind.notes.contains { $0.hasPrefix("GPU 0: its process list could not be read") && $0.hasSuffix("counted as an upper bound") })
        FakeNVML.reset()
    }

    @Test("the NSpid line tells a PID namespace below the host's")
    func pidNamespace() {
        #expect(ProcessStats.nestedPIDNamespace(status: "Name:\tx\nNSpid:\t123\n") == false)
        #expect(ProcessStats.nestedPIDNamespace(status: "Name:\tx\nNSpid:\t123\t45\n") == true)
        #expect(ProcessStats.nestedPIDNamespace(status: "Name:\tx\nNSpid:\t9 1\n") == true)
        #expect(ProcessStats.nestedPIDNamespace(status: "Name:\tx\n") == false)  // kernels before 4.1
    }

    @Test("machine scope counts every device")
    func machineScope() throws {
        FakeNVML.reset()
        let report = try EnergyMeter(configuration: FakeNVML.configuration(scope: .machine)).stop()
        #expect(report.total.sources.filter { $0.name.hasPrefix("gpu:") }.allSatisfy { $0.counted })
    }

    @Test("nvmlInit failing, missing symbols and devices without energy are reported")
    func failures() throws {
        FakeNVML.reset()
        FakeNVML.initStatus = NVMLReturn.driverNotLoaded
        let notLoaded = try EnergyMeter(configuration: FakeNVML.configuration()).stop()
        let problem = try #require(notLoaded.unavailable.first { $0.source == "nvml" })
        #expect(problem.reason == .missing)
        #expect(problem.detail == "nvmlInit failed: Driver Not Loaded (NVML error 9); GPU energy is not included")

        FakeNVML.reset()
        FakeNVML.omit = ["nvmlDeviceGetCount_v2"]
        guard case .failure(let missing) = NVMLFunctions.bind(FakeNVML.resolve) else {
            Issue.record("binding without nvmlDeviceGetCount_v2 succeeded")
            return
        }
        #expect(missing.name == "nvmlDeviceGetCount_v2")

        FakeNVML.reset()
        FakeNVML.omit = ["nvmlDeviceGetPowerUsage"]
        let noPower = try EnergyMeter(configuration: FakeNVML.configuration()).stop()
        #expect(noPower.unavailable.contains {
            $0.source == "nvml:1" && $0.reason == .unsupported && $0.detail.contains("neither a total-energy counter nor power readings")
        })
        #expect(noPower.total.sources.map(\.name).contains("gpu:0"))
        FakeNVML.reset()
    }

    @Test("the real loader: a missing library and a library that is not NVML")
    func realLoader() {
        guard case .failure(let missing) = NVMLLoader.load("libverdant-no-such-nvml.so.1") else {
            Issue.record("a missing library loaded")
            return
        }
        #expect(missing.reason == .missing)
        #expect(missing.detail.hasPrefix("libverdant-no-such-nvml.so.1 could not be loaded ("))
        guard case .failure(let notNVML) = NVMLLoader.load("libc.so.6") else {
            Issue.record("libc bound as NVML")
            return
        }
        #expect(notNVML.reason == .unsupported)
        #expect(notNVML.detail == "libc.so.6 loaded but has no 'nvmlInit_v2': not NVML, or a driver older than NVML 5.319")
        // Given explicitly, an unusable library is a usage error.
        var configuration = EnergyConfiguration()
        configuration.nvmlLibrary = "libc.so.6"
        configuration.powercapRoot = RAPLDiscovery.defaultRoot
        #expect(throws: EnergyError.self) { try EnergyMeter(configuration: configuration) }
    }
}

@Suite("NVML through dlopen of a compiled fake library (Fixtures/fake_nvml.c)", .serialized)
struct CompiledNVMLTests {
    @Test("the meter loads, calls and attributes a real shared library by path")
    func compiledLibrary() throws {
        let folder = try TemporaryFolder()
        let library = try CSharedLibrary.build(source: fixtures.appendingPathComponent("fake_nvml.c"), into: folder.url,
                                               name: "libverdant-fake-nvml.so")
        var configuration = testConfiguration()
        configuration.loadNVML = NVMLLoader.load
        configuration.nvmlLibrary = library
        configuration.sampleInterval = 0.02
        let meter = try EnergyMeter(configuration: configuration)
        Thread.sleep(forTimeInterval: 0.1)
        let report = meter.stop()
        #expect(report.unavailable.allSatisfy { !$0.source.hasPrefix("nvml") })
        let gpu0 = try #require(report.total.sources.first { $0.name == "gpu:0" })
        let gpu1 = try #require(report.total.sources.first { $0.name == "gpu:1" })
        // The counter advances 1000 mJ per read: one read when the meter opened, one per reading since.
        #expect(gpu0.method == "nvml energy counter")
        #expect(abs(gpu0.joules.value - Double(report.readings)) < 1e-9)
        #expect(report.readings >= 2)
        #expect(gpu0.note.hasPrefix("Compiled Fake GPU 0; whole device"))
        // nvmlProcessInfo_t came back with this process's id: the device is the job's.
        #expect(gpu0.counted && gpu0.note.hasSuffix("only processes of this job ran on it"))
        #expect(gpu1.method == "nvml power sampling")
        #expect(abs(gpu1.joules.value - 40 * report.total.seconds) < 1e-6)
        #expect(!gpu1.counted)
    }
}
