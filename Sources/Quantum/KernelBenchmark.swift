import ComplexModule
import Foundation
import VerdantCommon

extension QuantumBenchmark {
    /// One kernel form timed in cache.
    public struct KernelTime: Sendable, Codable {
        /// What was timed, e.g. "dense 3 targets (4, 8, 12)".
        public let kernel: String
        /// The form: "dense", "dense-real", "diagonal", "permutation", "exchange" or "phase-run".
        public let form: String
        /// Target qubits (in the cache block).
        public let targets: [Int]
        /// Controls.
        public let controls: Int
        /// Nanoseconds per amplitude of the block (the median of the repeats).
        public let nanosecondsPerAmplitude: Double
        /// The same relative to a complex one-target dense kernel on a high target.
        public let relativeToDense1: Double

        enum CodingKeys: String, CodingKey {
            case kernel, form, targets, controls
            case nanosecondsPerAmplitude = "ns_per_amplitude"
            case relativeToDense1 = "relative_to_dense1"
        }
    }

    /// Times each kernel form the fuser chooses among on one cache block of a pass (2^15 Double or
    /// 2^16 Float amplitudes, one thread, the thread's CPU time), the measurements behind the
    /// fuser's cost model (`KernelCosts`): `verdant bench --suite quantum --cases kernels`.
    /// - Parameters:
    ///   - precision: the amplitude type.
    ///   - repeats: timed repeats (the median is reported); each applies the kernel 64 times.
    /// - Returns: one row per kernel form.
    public static func kernelTimes(precision: Precision, repeats: Int = 5) -> [KernelTime] {
        switch precision {
        case .double: kernelTimes(as: Double.self, repeats: repeats)
        case .single: kernelTimes(as: Float.self, repeats: repeats)
        }
    }

    private static func kernelTimes<Real: StateScalar>(as _: Real.Type, repeats: Int) -> [KernelTime] {
        let L = ExecutionPlan.defaultBlockQubits(for: Real.self)
        let size = 1 << L
        let block = UnsafeMutablePointer<Real>.allocate(capacity: 2 * size)
        defer { block.deallocate() }
        var rng = SeededGenerator(seed: 11)
        let norm = Real(1 / Double(size).squareRoot())
        for i in 0..<(2 * size) { block[i] = Real(rng.nextUniform() - 0.5) * norm }
        func phase() -> Complex<Double> {
            let a = (rng.nextUniform() * 2 - 1) * Double.pi
            return Complex(Double.cos(a), Double.sin(a))
        }
        func unitary(_ d: Int, real: Bool = false) -> SmallMatrix {
            // A random unitary from Gram–Schmidt (orthogonal when real).
            var columns: [[Complex<Double>]] = (0..<d).map { _ in
                (0..<d).map { _ in Complex(rng.nextUniform() - 0.5, real ? 0 : rng.nextUniform() - 0.5) }
            }
            for j in 0..<d {
                for k in 0..<j {
                    var dot = Complex<Double>.zero
                    for r in 0..<d { dot = dot + columns[k][r].conjugate * columns[j][r] }
                    for r in 0..<d { columns[j][r] = columns[j][r] - dot * columns[k][r] }
                }
                let length = columns[j].reduce(0.0) { $0 + $1.lengthSquared }.squareRoot()
                columns[j] = columns[j].map { $0 / Complex(length) }
            }
            var entries = [Complex<Double>](repeating: .zero, count: d * d)
            for r in 0..<d { for c in 0..<d { entries[r * d + c] = columns[c][r] } }
            return SmallMatrix(dimension: d, entries: entries)
        }
        func permutation(_ d: Int, phases: Bool) -> SmallMatrix {
            var order = Array(0..<d)
            order.shuffle(using: &rng)
            var m = SmallMatrix(dimension: d, entries: [Complex<Double>](repeating: .zero, count: d * d))
            for r in 0..<d { m[r, order[r]] = phases ? phase() : .one }
            return m
        }
        // Median ns per amplitude of `body` applied 64 times per repeat, in this thread's CPU time
        // (a loaded machine stretches wall time, not the work a kernel does).
        func time(_ body: () -> Void) -> Double {
            body()
            var samples: [Double] = []
            for _ in 0..<max(repeats, 1) {
                let start = threadCPUSeconds()
                for _ in 0..<64 { body() }
                samples.append((threadCPUSeconds() - start) * 1e9 / 64 / Double(size))
            }
            return Timing.median(samples)
        }
        var rows: [(String, String, [Int], Int, Double)] = []
        func kernel(_ name: String, _ form: String, _ structure: GateStructure, _ qubits: [Int]) {
            let call = KernelCall<Real>(structure: structure, qubits: qubits, numQubits: L)
            let targets = Array(qubits.dropFirst(structure.numControls))
            rows.append((name, form, targets, structure.numControls, time { call.run(block, start: 0, end: call.freeCount) }))
        }
        let high = [[7], [5, 9], [4, 8, 12], [3, 6, 9, 12], [2, 5, 8, 11, 13]]
        let low = [[0], [0, 9], [0, 6, 12], [0, 4, 8, 12], [0, 3, 6, 9, 12]]
        for (k, targets) in high.enumerated() {
            kernel("dense \(k + 1) target\(k == 0 ? "" : "s") \(targets)", "dense",
                   GateStructure(numControls: 0, target: unitary(1 << (k + 1))), targets)
        }
        for (k, targets) in low.enumerated() {
            kernel("dense \(k + 1) target\(k == 0 ? "" : "s") \(targets)", "dense",
                   GateStructure(numControls: 0, target: unitary(1 << (k + 1))), targets)
        }
        kernel("dense real 1 target [7]", "dense-real", GateStructure(numControls: 0, target: unitary(2, real: true)), [7])
        kernel("dense real 1 target [0]", "dense-real", GateStructure(numControls: 0, target: unitary(2, real: true)), [0])
        kernel("controlled dense 1 target [7], control 3", "dense", GateStructure(numControls: 1, target: unitary(2)), [3, 7])
        for targets in [[7], [0], [5, 9], [0, 9], [2, 5, 8, 11, 13]] {
            kernel("diagonal \(targets)", "diagonal",
                   GateStructure(numControls: 0, target: .diagonal((0..<(1 << targets.count)).map { _ in phase() })), targets)
        }
        kernel("controlled phase [9], control 5", "diagonal", GateStructure(numControls: 1, target: .diagonal([.one, phase()])), [5, 9])
        kernel("X [7]", "exchange", GateStructure(numControls: 0, target: GateDefinitions.pauliX), [7])
        kernel("CX [7], control 3", "exchange", GateStructure(numControls: 1, target: GateDefinitions.pauliX), [3, 7])
        kernel("SWAP [5, 9]", "exchange", GateStructure(numControls: 0, target: GateDefinitions.swapMatrix), [5, 9])
        for targets in [[5, 9], [4, 8, 12], [2, 5, 8, 11, 13]] {
            kernel("permutation \(targets)", "permutation",
                   GateStructure(numControls: 0, target: permutation(1 << targets.count, phases: false)), targets)
            kernel("permutation with phases \(targets)", "permutation",
                   GateStructure(numControls: 0, target: permutation(1 << targets.count, phases: true)), targets)
        }
        // A folded run of ten controlled phases on random pairs of the block's qubits.
        var terms: [(mask: Int, angle: Double)] = []
        for _ in 0..<10 {
            let a = Int(rng.next() % UInt64(L)), b = (a + 1 + Int(rng.next() % UInt64(L - 1))) % L
            terms.append(((1 << a) | (1 << b), (rng.nextUniform() * 2 - 1) * Double.pi))
        }
        let tables = UnsafeMutablePointer<Real>.allocate(capacity: 4 * 256 + 16)
        defer { tables.deallocate() }
        if let run = PhaseRun<Real>(terms: terms, localQubits: Array(0..<L)) {
            rows.append(("phase run of 10 controlled phases", "phase-run", [], 0, time { run.apply(to: block, base: 0, scratch: tables) }))
        }
        let reference = rows.first?.4 ?? 1
        return rows.map { KernelTime(kernel: $0.0, form: $0.1, targets: $0.2, controls: $0.3, nanosecondsPerAmplitude: $0.4,
                                     relativeToDense1: $0.4 / reference) }
    }
}

/// The calling thread's CPU time in seconds.
func threadCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
}
