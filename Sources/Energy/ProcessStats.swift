import Foundation
import VerdantCommon
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Whose CPU time and memory the model counts.
enum JobProcess: Sendable, Equatable {
    /// This process, its threads and its finished children (`getrusage` SELF + CHILDREN).
    case current
    /// A child started by ``EnergyMeter/measure(command:configuration:)``: `/proc/PID/stat` while it
    /// runs, `wait4`'s resource usage once it has ended.
    case child(pid_t)
}

/// CPU seconds split the kernel's way.
struct CPUTimes: Sendable, Equatable {
    var user: Double
    var system: Double
    var total: Double { user + system }
    static let zero = CPUTimes(user: 0, system: 0)
}

/// Reads the kernel's accounting of processes and of the whole machine.
struct ProcessStats: Sendable {
    let files: SystemFiles
    /// Clock ticks per second for `/proc` times.
    let ticksPerSecond: Double = Double(sysconf(Int32(_SC_CLK_TCK)))
    let pageBytes: Double = Double(sysconf(Int32(_SC_PAGESIZE)))

    /// `getrusage` of this process plus its waited-for children.
    static func currentCPU() -> CPUTimes {
        var own = rusage(), children = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &own)
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &children)
        return CPUTimes(user: seconds(own.ru_utime) + seconds(children.ru_utime),
                        system: seconds(own.ru_stime) + seconds(children.ru_stime))
    }

    static func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) * 1e-6 }

    /// Peak resident bytes of this process (`ru_maxrss`, KiB on Linux).
    static func currentPeakResidentBytes() -> Double {
        var own = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &own)
        return Double(own.ru_maxrss) * 1024
    }

    /// User and system seconds of a running process and its waited-for children from `/proc/PID/stat`
    /// (fields 14–17: utime, stime, cutime, cstime, in clock ticks).
    func childCPU(_ pid: pid_t) -> CPUTimes? {
        guard let text = files.read("/proc/\(pid)/stat").text, let fields = ProcessStats.statFields(text), fields.count > 16 else { return nil }
        guard let utime = Double(fields[13]), let stime = Double(fields[14]), let cutime = Double(fields[15]),
              let cstime = Double(fields[16]) else { return nil }
        return CPUTimes(user: (utime + cutime) / ticksPerSecond, system: (stime + cstime) / ticksPerSecond)
    }

    /// The fields of a `/proc/PID/stat` line; the command name (field 2) may hold spaces and
    /// parentheses, so the split starts after its last `)`.
    static func statFields(_ text: String) -> [String]? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")") else { return nil }
        let head = text[..<open].trimmingCharacters(in: .whitespaces)
        let rest = text[text.index(after: close)...].split(separator: " ").map(String.init)
        return [head, String(text[text.index(after: open)..<close])] + rest
    }

    /// Resident bytes now of a process (`/proc/PID/statm` field 2 × page size).
    func residentBytes(_ pid: pid_t?) -> Double? {
        let path = pid.map { "/proc/\($0)/statm" } ?? "/proc/self/statm"
        guard let text = files.read(path).text else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Double(fields[1]) else { return nil }
        return pages * pageBytes
    }

    /// Resident bytes now of a process and all its descendants (a measured command's whole tree:
    /// a shell, `make` or a launcher may leave the work to children). `nil` when the root is gone.
    /// - Parameter tree: the tree when the caller has just read it (``processTree(root:)``).
    func treeResidentBytes(root: pid_t, tree: Set<Int32>? = nil) -> Double? {
        guard let rootBytes = residentBytes(root) else { return nil }
        var total = rootBytes
        for pid in tree ?? processTree(root: root) where pid != root {
            total += residentBytes(pid) ?? 0
        }
        return total
    }

    /// Busy CPU seconds of the whole machine since boot, over all CPUs, from `/proc/stat`:
    /// user + nice + system + irq + softirq (idle, iowait and steal are not busy time of this machine).
    func machineBusySeconds() -> Double? {
        guard let text = files.read("/proc/stat").text, let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard values.count >= 7 else { return nil }
        return (values[0] + values[1] + values[2] + values[5] + values[6]) / ticksPerSecond
    }

    /// Total installed memory in bytes (`MemTotal` of `/proc/meminfo`).
    func installedMemoryBytes() -> Double {
        guard let text = files.read("/proc/meminfo").text, let bytes = SystemInfo.meminfoBytes("MemTotal", in: text) else {
            return Double(ProcessInfo.processInfo.physicalMemory)
        }
        return Double(bytes)
    }

    /// Whether this process runs in a PID namespace below another (a container): the `NSpid` line of
    /// `/proc/self/status` lists one id per namespace level (Linux 4.1 and later).
    func inNestedPIDNamespace() -> Bool {
        guard let text = files.read("/proc/self/status").text else { return false }
        return ProcessStats.nestedPIDNamespace(status: text)
    }

    /// Whether a `/proc/<pid>/status` text shows more than one PID-namespace level.
    static func nestedPIDNamespace(status: String) -> Bool {
        for line in status.split(separator: "\n") where line.hasPrefix("NSpid:") {
            return line.dropFirst("NSpid:".count).split(whereSeparator: { $0 == " " || $0 == "\t" }).count > 1
        }
        return false
    }

    /// A process and all its descendants, from the parent ids in `/proc/*/stat`.
    func processTree(root: pid_t) -> Set<Int32> {
        var parentOf: [Int32: Int32] = [:]
        if case .success(let names) = files.entries("/proc") {
            for name in names {
                guard let pid = Int32(name), let text = files.read("/proc/\(name)/stat").text,
                      let fields = ProcessStats.statFields(text), fields.count > 3, let ppid = Int32(fields[3]) else { continue }
                parentOf[pid] = ppid
            }
        }
        var tree: Set<Int32> = [root]
        var grew = true
        while grew {
            grew = false
            for (pid, ppid) in parentOf where tree.contains(ppid) && !tree.contains(pid) {
                tree.insert(pid)
                grew = true
            }
        }
        return tree
    }
}
