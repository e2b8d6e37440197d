import Foundation

/// The one place that decides whether Verdant's wide loops run — the AVX2 + FMA C loops of the
/// simulator (CQuantumKernels) and of the matrix product (CParallelKernels) — or the portable
/// Swift loops. It reads the CPU's features and `VERDANT_PORTABLE_KERNELS` once per process;
/// every module asks it and none decides on its own.
///
/// `VERDANT_PORTABLE_KERNELS=1` forces the portable loops (for comparisons, and for machines
/// where the wide loops misbehave). The wide loops fuse multiplies and adds, so they round
/// differently from the portable ones (differences of a few units in the last place).
public enum KernelSelection {
    /// What the selection point decided, and why.
    public enum Choice: Sendable, Equatable, CustomStringConvertible {
        /// The AVX2 + FMA loops run.
        case wide
        /// The portable loops run because `VERDANT_PORTABLE_KERNELS=1`.
        case portableForced
        /// The portable loops run because this CPU (or this build's architecture) lacks AVX2 + FMA.
        case portableCPU

        /// "AVX2+FMA loops", "portable loops (VERDANT_PORTABLE_KERNELS=1)" or "portable loops (no AVX2+FMA)".
        public var description: String {
            switch self {
            case .wide: "AVX2+FMA loops"
            case .portableForced: "portable loops (VERDANT_PORTABLE_KERNELS=1)"
            case .portableCPU: "portable loops (no AVX2+FMA)"
            }
        }
    }

    /// The process's choice, made on first use.
    public static let choice: Choice = decide(cpuHasAVX2AndFMA: cpuHasAVX2AndFMA,
                                              environment: ProcessInfo.processInfo.environment)

    /// Whether the wide loops run in this process.
    public static var wideLoops: Bool { choice == .wide }

    /// The decision as a pure function of the CPU and the environment.
    /// - Parameters:
    ///   - cpuHasAVX2AndFMA: whether the CPU (and the operating system) run AVX2 and FMA code.
    ///   - environment: the process environment.
    /// - Returns: `.portableForced` when `VERDANT_PORTABLE_KERNELS` is "1", else `.wide` or
    ///   `.portableCPU` by the CPU.
    public static func decide(cpuHasAVX2AndFMA: Bool, environment: [String: String]) -> Choice {
        if environment["VERDANT_PORTABLE_KERNELS"] == "1" { return .portableForced }
        return cpuHasAVX2AndFMA ? .wide : .portableCPU
    }

    /// Whether this CPU runs AVX2 and FMA code: on Linux the `avx2` and `fma` flags of
    /// /proc/cpuinfo (the kernel lists a feature only when it also saves its registers), on macOS
    /// `hw.optional.avx2_0` and `hw.optional.fma`; false on other architectures and when the
    /// information cannot be read.
    public static let cpuHasAVX2AndFMA: Bool = {
        #if arch(x86_64)
            #if os(Linux)
                guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
                return flags(inCPUInfo: text).isSuperset(of: ["avx2", "fma"])
            #elseif canImport(Darwin)
                func enabled(_ name: String) -> Bool {
                    var value: Int32 = 0
                    var size = MemoryLayout<Int32>.size
                    return sysctlbyname(name, &value, &size, nil, 0) == 0 && value != 0
                }
                return enabled("hw.optional.avx2_0") && enabled("hw.optional.fma")
            #else
                return false
            #endif
        #else
            return false
        #endif
    }()

    /// The feature flags of the first processor in /proc/cpuinfo text (empty when there are none).
    /// - Parameter text: the file's contents.
    /// - Returns: the words after `flags :`.
    public static func flags(inCPUInfo text: String) -> Set<String> {
        for line in text.split(separator: "\n") where line.hasPrefix("flags") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
        }
        return []
    }
}
