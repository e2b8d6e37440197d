import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// NVML return codes Verdant tells apart (from `nvml.h`).
enum NVMLReturn {
    static let success: UInt32 = 0
    static let notSupported: UInt32 = 3
    static let noPermission: UInt32 = 4
    static let insufficientSize: UInt32 = 7
    static let driverNotLoaded: UInt32 = 9
}

/// The NVML entry points the meter uses, as C function pointers resolved from the library.
///
/// Built from a symbol resolver so the same code runs on the real `libnvidia-ml.so.1` (through
/// `dlsym`) and, in tests, on an injected fake library.
struct NVMLFunctions: @unchecked Sendable {
    typealias Device = OpaquePointer?
    let initialize: @convention(c) () -> UInt32
    let shutdown: @convention(c) () -> UInt32
    let deviceCount: @convention(c) (UnsafeMutablePointer<UInt32>?) -> UInt32
    let handleByIndex: @convention(c) (UInt32, UnsafeMutablePointer<Device>?) -> UInt32
    let name: (@convention(c) (Device, UnsafeMutablePointer<CChar>?, UInt32) -> UInt32)?
    /// `nvmlDeviceGetTotalEnergyConsumption`: millijoules since the driver loaded (Volta and later).
    let totalEnergy: (@convention(c) (Device, UnsafeMutablePointer<UInt64>?) -> UInt32)?
    /// `nvmlDeviceGetPowerUsage`: milliwatts now.
    let powerUsage: (@convention(c) (Device, UnsafeMutablePointer<UInt32>?) -> UInt32)?
    /// `nvmlDeviceGetComputeRunningProcesses_v3`: the processes with a compute context
    /// (`nvmlProcessInfo_t`: pid u32, usedGpuMemory u64, gpuInstanceId u32, computeInstanceId u32).
    let runningProcesses: (@convention(c) (Device, UnsafeMutablePointer<UInt32>?, UnsafeMutableRawPointer?) -> UInt32)?
    let errorString: (@convention(c) (UInt32) -> UnsafePointer<CChar>?)?

    /// The symbol names, in the order required ones are checked.
    static let requiredSymbols = ["nvmlInit_v2", "nvmlShutdown", "nvmlDeviceGetCount_v2", "nvmlDeviceGetHandleByIndex_v2"]

    /// Binds the entry points; `nil` names the first required symbol that is missing.
    static func bind(_ resolve: (String) -> UnsafeMutableRawPointer?) -> Result<NVMLFunctions, MissingSymbol> {
        func required<T>(_ symbol: String, as type: T.Type) -> Result<T, MissingSymbol> {
            guard let pointer = resolve(symbol) else { return .failure(MissingSymbol(name: symbol)) }
            return .success(unsafeBitCast(pointer, to: type))
        }
        func optional<T>(_ symbol: String, as type: T.Type) -> T? {
            resolve(symbol).map { unsafeBitCast($0, to: type) }
        }
        do throws(MissingSymbol) {
            return .success(NVMLFunctions(
                initialize: try required("nvmlInit_v2", as: (@convention(c) () -> UInt32).self).get(),
                shutdown: try required("nvmlShutdown", as: (@convention(c) () -> UInt32).self).get(),
                deviceCount: try required("nvmlDeviceGetCount_v2", as: (@convention(c) (UnsafeMutablePointer<UInt32>?) -> UInt32).self).get(),
                handleByIndex: try required("nvmlDeviceGetHandleByIndex_v2",
                                            as: (@convention(c) (UInt32, UnsafeMutablePointer<Device>?) -> UInt32).self).get(),
                name: optional("nvmlDeviceGetName", as: (@convention(c) (Device, UnsafeMutablePointer<CChar>?, UInt32) -> UInt32).self),
                totalEnergy: optional("nvmlDeviceGetTotalEnergyConsumption", as: (@convention(c) (Device, UnsafeMutablePointer<UInt64>?) -> UInt32).self),
                powerUsage: optional("nvmlDeviceGetPowerUsage", as: (@convention(c) (Device, UnsafeMutablePointer<UInt32>?) -> UInt32).self),
                runningProcesses: optional("nvmlDeviceGetComputeRunningProcesses_v3",
                                           as: (@convention(c) (Device, UnsafeMutablePointer<UInt32>?, UnsafeMutableRawPointer?) -> UInt32).self),
                errorString: optional("nvmlErrorString", as: (@convention(c) (UInt32) -> UnsafePointer<CChar>?).self)))
        } catch {
            return .failure(error)
        }
    }

    struct MissingSymbol: Error { let name: String }

    /// NVML's text for a return code, with the code.
    func describe(_ code: UInt32) -> String {
        if let errorString, let text = errorString(code) { return "\(String(cString: text)) (NVML error \(code))" }
        return "NVML error \(code)"
    }
}

/// Opens NVML with `dlopen` at run time: Verdant neither links nor needs it.
enum NVMLLoader {
    /// The library's soname, as the NVIDIA driver installs it.
    static let defaultLibrary = "libnvidia-ml.so.1"

    /// Loads the library and binds its functions, or says why not.
    static func load(_ path: String) -> Result<NVMLFunctions, UnavailableSource> {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            return .failure(UnavailableSource(
                source: "nvml", reason: .missing,
                detail: "\(path) could not be loaded (\(why)); no NVIDIA driver here, so GPU energy is not included"))
        }
        // The handle stays open for the life of the process, like NVML's own bindings do.
        switch NVMLFunctions.bind({ dlsym(handle, $0) }) {
        case .success(let functions): return .success(functions)
        case .failure(let missing):
            return .failure(UnavailableSource(
                source: "nvml", reason: .unsupported,
                detail: "\(path) loaded but has no '\(missing.name)': not NVML, or a driver older than NVML 5.319"))
        }
    }
}

/// How a GPU's energy is attributed to the job in process scope.
enum GPUAttribution: Sendable, Equatable {
    /// A process of the job was seen in the device's compute-process list; `shared` when processes
    /// of other jobs were seen there too (the whole device is then an upper bound of the job's use).
    case used(shared: Bool)
    /// The meter cannot tell (the reason): the whole device is counted as an upper bound rather than
    /// reported as 0 J.
    case unknown(String)
}

/// The GPUs NVML reports and their running energy totals.
struct NVMLDevices: @unchecked Sendable {
    enum Mode: String {
        /// `nvmlDeviceGetTotalEnergyConsumption`, a millijoule counter.
        case counter = "energy counter"
        /// `nvmlDeviceGetPowerUsage` sampled and integrated (trapezoids).
        case powerSampling = "power sampling"
    }

    struct Device {
        let index: Int
        let name: String
        let handle: NVMLFunctions.Device
        let mode: Mode
        var lastMillijoules: UInt64
        var lastWatts: Double
        var joules: Double
        var samples: Int
        var failedReads: Int
        /// Whether a process of the job was seen with a compute context on this device.
        var usedByJob: Bool
        /// Whether the device's process list held processes, none of them the job's.
        var othersSeen = false
        /// `nil` when the device's process list could be read, else why not.
        var processListProblem: String?
    }

    let functions: NVMLFunctions
    private(set) var devices: [Device] = []
    private(set) var unavailable: [UnavailableSource] = []

    /// Initialises NVML and finds the devices; returns the failure when NVML itself cannot start.
    static func open(_ functions: NVMLFunctions) -> Result<NVMLDevices, UnavailableSource> {
        let status = functions.initialize()
        guard status == NVMLReturn.success else {
            let reason: UnavailableSource.Reason = status == NVMLReturn.noPermission ? .permissionDenied
                : (status == NVMLReturn.driverNotLoaded ? .missing : .failed)
            return .failure(UnavailableSource(source: "nvml", reason: reason,
                                              detail: "nvmlInit failed: \(functions.describe(status)); GPU energy is not included"))
        }
        var session = NVMLDevices(functions: functions)
        var count: UInt32 = 0
        let countStatus = functions.deviceCount(&count)
        guard countStatus == NVMLReturn.success else {
            _ = functions.shutdown()
            return .failure(UnavailableSource(source: "nvml", reason: .failed,
                                              detail: "nvmlDeviceGetCount failed: \(functions.describe(countStatus)); GPU energy is not included"))
        }
        for index in 0..<Int(count) {
            var handle: NVMLFunctions.Device = nil
            let handleStatus = functions.handleByIndex(UInt32(index), &handle)
            guard handleStatus == NVMLReturn.success else {
                session.unavailable.append(UnavailableSource(source: "nvml:\(index)", reason: handleStatus == NVMLReturn.noPermission ? .permissionDenied : .failed,
                                                             detail: "GPU \(index): nvmlDeviceGetHandleByIndex failed: \(functions.describe(handleStatus))"))
                continue
            }
            var nameBuffer = [CChar](repeating: 0, count: 96)
            var name = "GPU \(index)"
            if let getName = functions.name, getName(handle, &nameBuffer, UInt32(nameBuffer.count)) == NVMLReturn.success {
                name = String(decoding: nameBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            var millijoules: UInt64 = 0
            var milliwatts: UInt32 = 0
            if let total = functions.totalEnergy, total(handle, &millijoules) == NVMLReturn.success {
                session.devices.append(Device(index: index, name: name, handle: handle, mode: .counter, lastMillijoules: millijoules,
                                              lastWatts: 0, joules: 0, samples: 0, failedReads: 0, usedByJob: false))
            } else if let power = functions.powerUsage, power(handle, &milliwatts) == NVMLReturn.success {
                session.devices.append(Device(index: index, name: name, handle: handle, mode: .powerSampling, lastMillijoules: 0,
                                              lastWatts: Double(milliwatts) / 1000, joules: 0, samples: 0, failedReads: 0, usedByJob: false))
            } else {
                session.unavailable.append(UnavailableSource(
                    source: "nvml:\(index)", reason: .unsupported,
                    detail: "GPU \(index) (\(name)) offers neither a total-energy counter nor power readings through NVML"))
            }
        }
        return .success(session)
    }

    /// Reads every device once; `seconds` is the time since the last reading (for power sampling);
    /// `jobProcesses` are the process ids of the job (checked against each device's process list).
    mutating func sample(seconds: Double, jobProcesses: Set<Int32>?) {
        for i in devices.indices {
            let handle = devices[i].handle
            switch devices[i].mode {
            case .counter:
                var millijoules: UInt64 = 0
                if let total = functions.totalEnergy, total(handle, &millijoules) == NVMLReturn.success {
                    // The counter is 64-bit and starts at driver load: it does not wrap in practice.
                    let delta = millijoules >= devices[i].lastMillijoules ? millijoules - devices[i].lastMillijoules : 0
                    devices[i].joules += Double(delta) / 1000
                    devices[i].lastMillijoules = millijoules
                    devices[i].samples += 1
                } else {
                    devices[i].failedReads += 1
                }
            case .powerSampling:
                var milliwatts: UInt32 = 0
                if let power = functions.powerUsage, power(handle, &milliwatts) == NVMLReturn.success {
                    let watts = Double(milliwatts) / 1000
                    devices[i].joules += 0.5 * (watts + devices[i].lastWatts) * max(0, seconds)
                    devices[i].lastWatts = watts
                    devices[i].samples += 1
                } else {
                    devices[i].failedReads += 1
                }
            }
            // Watch the process list until both the job and others have been seen (each sample).
            if let jobProcesses, !(devices[i].usedByJob && devices[i].othersSeen) {
                switch processes(on: handle) {
                case .success(let pids):
                    if !pids.isDisjoint(with: jobProcesses) { devices[i].usedByJob = true }
                    if !pids.subtracting(jobProcesses).isEmpty { devices[i].othersSeen = true }
                case .failure(let problem): devices[i].processListProblem = problem.text
                }
            }
        }
    }

    struct Problem: Error { let text: String }

    /// The process ids with a compute context on a device.
    func processes(on handle: NVMLFunctions.Device) -> Result<Set<Int32>, Problem> {
        guard let list = functions.runningProcesses else {
            return .failure(Problem(text: "this NVML has no nvmlDeviceGetComputeRunningProcesses_v3"))
        }
        let stride = 24  // sizeof(nvmlProcessInfo_t): u32 pid, (pad), u64 memory, u32, u32
        var count: UInt32 = 0
        var status = list(handle, &count, nil)
        if status == NVMLReturn.success { return .success([]) }
        guard status == NVMLReturn.insufficientSize else { return .failure(Problem(text: functions.describe(status))) }
        count = count * 2 + 8
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Int(count) * stride, alignment: 8)
        defer { buffer.deallocate() }
        status = list(handle, &count, buffer)
        guard status == NVMLReturn.success else { return .failure(Problem(text: functions.describe(status))) }
        var pids = Set<Int32>()
        for i in 0..<Int(count) {
            pids.insert(Int32(bitPattern: buffer.load(fromByteOffset: i * stride, as: UInt32.self)))
        }
        return .success(pids)
    }

    /// Whether a process of the job used each device, as far as NVML lets the meter tell.
    ///
    /// - Parameter nestedPIDNamespace: whether this process runs in a PID namespace below the host's
    ///   (a container): NVML lists host process ids, which cannot be matched to the job's there.
    func attribution(nestedPIDNamespace: Bool) -> [Int: GPUAttribution] {
        var result: [Int: GPUAttribution] = [:]
        for device in devices {
            if device.usedByJob {
                result[device.index] = .used(shared: device.othersSeen)
            } else if let problem = device.processListProblem {
                result[device.index] = .unknown("its compute-process list could not be read (\(problem))")
            } else if nestedPIDNamespace && device.othersSeen {
                result[device.index] = .unknown(
                    "it ran processes whose ids cannot be matched to this job: NVML gives host process ids and this process is in a PID namespace (a container)")
            }
        }
        return result
    }

    /// Ends the NVML session.
    func close() { _ = functions.shutdown() }
}
