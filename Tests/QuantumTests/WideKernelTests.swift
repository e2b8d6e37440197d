import Foundation
import Testing
import _TestSupport
@testable import Quantum
import CQuantumKernels
import VerdantCommon

/// The AVX2/FMA loops (CQuantumKernels) against the portable Swift loops they replace, on random
/// states and matrices, every target, with and without controls, ranges that start and end inside
/// runs, both precisions. On a CPU without AVX2 both sides are the portable loop (the test then
/// checks nothing new, and says so in its name).
@Suite("Wide kernels")
struct WideKernelTests {
    static func randomMatrix<Real: StateScalar>(_ rng: inout SeededGenerator, as _: Real.Type) -> Matrix2<Real> {
        var m = Matrix2<Real>(SmallMatrix.identity(2))
        (m.m00r, m.m00i, m.m01r, m.m01i) = (Real(rng.nextUniform() - 0.5), Real(rng.nextUniform() - 0.5),
                                            Real(rng.nextUniform() - 0.5), Real(rng.nextUniform() - 0.5))
        (m.m10r, m.m10i, m.m11r, m.m11i) = (Real(rng.nextUniform() - 0.5), Real(rng.nextUniform() - 0.5),
                                            Real(rng.nextUniform() - 0.5), Real(rng.nextUniform() - 0.5))
        return m
    }

    /// The matrix with its imaginary parts set to 0.
    static func realPart<Real: StateScalar>(_ m: Matrix2<Real>) -> Matrix2<Real> {
        var r = m
        (r.m00i, r.m01i, r.m10i, r.m11i) = (0, 0, 0, 0)
        return r
    }

    static func compare<Real: StateScalar>(_: Real.Type, tolerance: Double) {
        let n = 7
        var rng = SeededGenerator(seed: 77)
        let state = (0..<(2 << n)).map { _ in Real(rng.nextUniform() - 0.5) }
        for target in 0..<n {
            // Fixed bits: controls (1 in controlMask) and held bits (0 in controlMask: the parts of
            // multiplexed blocks), alone and together.
            let cases = [(0, 0), (1 << ((target + 1) % n), 0), ((1 << ((target + 2) % n)) | (1 << ((target + 5) % n)), 0),
                         (0, 1 << ((target + 3) % n)), (1 << ((target + 1) % n), 1 << ((target + 4) % n))]
            for (controlMask, held) in cases {
                let positions = setBitPositions(controlMask | held | (1 << target))
                let freeCount = (1 << n) >> positions.count
                let runLength = 1 << positions[0]
                let complex = randomMatrix(&rng, as: Real.self)
                // Whole range, and a range cut inside runs (odd start, odd length); complex and real loops.
                for (start, end) in [(0, freeCount), (1, max(1, freeCount - 2))] {
                    for real in [false, true] {
                        // The real loops take real matrices (H, RY, …).
                        let m = real ? Self.realPart(complex) : complex
                        var wide = state, portable = state
                        positions.withUnsafeBufferPointer { positions in
                            wide.withUnsafeMutableBufferPointer { p in
                                if real {
                                    dense1RealRange(p.baseAddress!, target: target, controlMask: controlMask, positions: positions,
                                                    runLength: runLength, matrix: m, start: start, end: end)
                                } else {
                                    dense1Range(p.baseAddress!, target: target, controlMask: controlMask, positions: positions,
                                                runLength: runLength, matrix: m, start: start, end: end)
                                }
                            }
                            portable.withUnsafeMutableBufferPointer { p in
                                if real {
                                    dense1RealRangePortable(p.baseAddress!, target: target, controlMask: controlMask,
                                                            positions: positions, runLength: runLength, matrix: m, start: start, end: end)
                                } else {
                                    dense1RangePortable(p.baseAddress!, target: target, controlMask: controlMask, positions: positions,
                                                        runLength: runLength, matrix: m, start: start, end: end)
                                }
                            }
                        }
                        let difference = zip(wide, portable).map { Double(abs($0 - $1)) }.max() ?? 0
                        #expect(difference < tolerance, "target \(target) controls \(controlMask) held \(held) range \(start)..<\(end) real \(real)")
                        #expect(wide != state, "the kernel changed nothing")
                    }
                }
            }
        }
        // Qubit 0, uncontrolled: pair k is amplitudes 2k, 2k + 1.
        let m = randomMatrix(&rng, as: Real.self), realM = realPart(m)
        for (start, end) in [(0, 1 << (n - 1)), (3, 60)] {
            var wide = state, portable = state, wideReal = state, portableReal = state
            wide.withUnsafeMutableBufferPointer { dense1AdjacentRange($0.baseAddress!, matrix: m, start: start, end: end) }
            portable.withUnsafeMutableBufferPointer {
                dense1AdjacentRangePortable($0.baseAddress!, matrix: m, start: start, end: end)
            }
            wideReal.withUnsafeMutableBufferPointer {
                dense1RealAdjacentRange($0.baseAddress!, matrix: realM, start: start, end: end)
            }
            portableReal.withUnsafeMutableBufferPointer {
                dense1RealAdjacentRangePortable($0.baseAddress!, matrix: realM, start: start, end: end)
            }
            let difference = zip(wide, portable).map { Double(abs($0 - $1)) }.max() ?? 0
            #expect(difference < tolerance, "qubit 0 range \(start)..<\(end)")
            let realDifference = zip(wideReal, portableReal).map { Double(abs($0 - $1)) }.max() ?? 0
            #expect(realDifference < tolerance, "qubit 0 range \(start)..<\(end), real")
            #expect(wideReal != state && wideReal != wide)
        }
    }

    @Test("one-target dense loops equal the portable loops (when the CPU lacks AVX2 both sides are portable)")
    func dense1() {
        Self.compare(Double.self, tolerance: 1e-15)
        Self.compare(Float.self, tolerance: 1e-6)
    }

    static func compareCorrelations<Real: StateScalar>(_: Real.Type, tolerance: Double) {
        let n = 7
        var rng = SeededGenerator(seed: 78)
        var psi = (0..<(2 << n)).map { _ in Real(rng.nextUniform() - 0.5) }
        var lambda = (0..<(2 << n)).map { _ in Real(rng.nextUniform() - 0.5) }
        for target in 0..<n {
            let pairs = (1 << n) >> 1
            for (start, end) in [(0, pairs), (1, pairs - 3), (5, 6)] {
                let (wide, portable) = psi.withUnsafeMutableBufferPointer { p in
                    lambda.withUnsafeMutableBufferPointer { l in
                        (offDiagonalCorrelationRange(p.baseAddress!, l.baseAddress!, target: target, start: start, end: end),
                         offDiagonalCorrelationRangePortable(p.baseAddress!, l.baseAddress!, target: target, start: start, end: end))
                    }
                }
                let difference = (0..<4).map { abs(wide[$0] - portable[$0]) }.max() ?? 0
                let size = max(1, (0..<4).map { abs(portable[$0]) }.max() ?? 0)
                #expect(difference < tolerance * size, "target \(target) range \(start)..<\(end): \(wide) vs \(portable)")
                #expect(portable != SIMD4<Double>())
            }
        }
    }

    @Test("adjoint off-diagonal correlations equal the portable loop (when the CPU lacks AVX2 both sides are portable)")
    func offDiagonal() {
        Self.compareCorrelations(Double.self, tolerance: 1e-13)
        Self.compareCorrelations(Float.self, tolerance: 1e-5)
    }

    /// The dense k-target loops (k = 2…5): the wide loop, the portable SIMD loop and a plain
    /// group-by-group product (the oracle) on random states and matrices; target sets with and
    /// without qubits 0 and 1 (the float loops' across-lanes form), with controls and held bits (also on
    /// qubits 0 and 1, where the wide loops fall back to narrower forms), ranges cut inside runs.
    static func compareDense<Real: StateScalar>(_: Real.Type, tolerance: Double) {
        let n = 8
        var rng = SeededGenerator(seed: 91)
        let state = (0..<(2 << n)).map { _ in Real(rng.nextUniform() - 0.5) }
        let targetSets: [[Int]] = [[0, 1], [1, 2], [2, 5], [0, 3, 7], [1, 4, 6], [3, 4, 5], [0, 1, 2, 3], [2, 3, 6, 7],
                                   [1, 2, 4, 7], [0, 2, 4, 6, 7], [2, 3, 4, 5, 6], [1, 3, 5, 6, 7]]
        for targets in targetSets {
            let free = (0..<n).filter { !targets.contains($0) }
            // Fixed bits besides the targets: none, a control on the highest or the lowest free
            // qubit, and a held bit (skipped, left 0: a multiplexed part) on the lowest free qubit.
            for (controlMask, held) in [(0, 0), (1 << free[free.count - 1], 0), (1 << free[0], 0), (0, 1 << free[0])] {
                let d = 1 << targets.count
                let matrix = (0..<(2 * d * d)).map { _ in Real(rng.nextUniform() - 0.5) }
                let offsets = (0..<d).map { r in targets.enumerated().reduce(0) { r & (1 << $1.offset) != 0 ? $0 | (1 << $1.element) : $0 } }
                let positions = setBitPositions(controlMask | held | targets.reduce(0) { $0 | (1 << $1) })
                let freeCount = (1 << n) >> positions.count
                let runLength = 1 << positions[0]
                for (start, end) in [(0, freeCount), (1, freeCount - 1), (3, 4)] where start < end {
                    var wide = state, portable = state, oracle = state
                    matrix.withUnsafeBufferPointer { m in
                        offsets.withUnsafeBufferPointer { o in
                            positions.withUnsafeBufferPointer { pos in
                                wide.withUnsafeMutableBufferPointer {
                                    denseKRange($0.baseAddress!, offsets: o, controlMask: controlMask, positions: pos,
                                                runLength: runLength, matrix: m, start: start, end: end)
                                }
                                portable.withUnsafeMutableBufferPointer {
                                    denseKRangePortable($0.baseAddress!, offsets: o, controlMask: controlMask, positions: pos,
                                                        runLength: runLength, matrix: m, start: start, end: end)
                                }
                                oracle.withUnsafeMutableBufferPointer { p in
                                    for k in start..<end {
                                        denseKScalar(p.baseAddress!, base: insertZeroBits(k, pos) | controlMask, offsets: o, matrix: m)
                                    }
                                }
                            }
                        }
                    }
                    let what = "targets \(targets) controls \(controlMask) range \(start)..<\(end)"
                    #expect((zip(wide, oracle).map { Double(abs($0 - $1)) }.max() ?? 0) < tolerance, "wide: \(what)")
                    #expect((zip(portable, oracle).map { Double(abs($0 - $1)) }.max() ?? 0) < tolerance, "portable: \(what)")
                    #expect(wide != state, "the kernel changed nothing: \(what)")
                }
            }
        }
    }

    @Test("dense k-target loops (k = 2…5) equal the portable loops and a plain product")
    func denseK() {
        Self.compareDense(Double.self, tolerance: 1e-14)
        Self.compareDense(Float.self, tolerance: 2e-5)
    }

    /// The diagonal and permutation loops of fused blocks: wide against portable on random states,
    /// factors and permutations; target sets with and without qubit 0, controls, ranges cut
    /// inside runs; permutations with and without phases, every row moving or only some.
    static func compareDiagonalAndPermutation<Real: StateScalar>(_: Real.Type, tolerance: Double) {
        let n = 9
        var rng = SeededGenerator(seed: 93)
        let state = (0..<(2 << n)).map { _ in Real(rng.nextUniform() - 0.5) }
        let targetSets: [[Int]] = [[0], [1], [3], [0, 1], [1, 2], [2, 5], [0, 3, 7], [1, 4, 6], [0, 1, 2, 3], [2, 3, 6, 7],
                                   [0, 2, 4, 6, 8], [1, 3, 5, 6, 8]]
        func difference(_ a: [Real], _ b: [Real]) -> Double { zip(a, b).map { Double(abs($0 - $1)) }.max() ?? 0 }
        for targets in targetSets {
            let free = (0..<n).filter { !targets.contains($0) }
            let d = 1 << targets.count
            let offsets = (0..<d).map { r in targets.enumerated().reduce(0) { r & (1 << $1.offset) != 0 ? $0 | (1 << $1.element) : $0 } }
            for controlMask in [0, 1 << free[free.count - 1], 1 << free[0]] {
                // Diagonal: free indices skip the controls only.
                let factors = (0..<(2 * d)).map { _ in Real(rng.nextUniform() - 0.5) }
                let diagonalPositions = setBitPositions(controlMask)
                let diagonalCount = (1 << n) >> diagonalPositions.count
                let diagonalRun = diagonalPositions.first.map { 1 << $0 } ?? diagonalCount
                // Permutation: a random one, half the time with phases; some rows fixed.
                var order = Array(0..<d)
                order.shuffle(using: &rng)
                let phases: [Real]? = rng.next() % 2 == 0 ? (0..<(2 * d)).map { _ in Real(rng.nextUniform() - 0.5) } : nil
                let moving = (0..<d).filter { r in order[r] != r || phases != nil }
                let positions = setBitPositions(controlMask | targets.reduce(0) { $0 | (1 << $1) })
                let freeCount = (1 << n) >> positions.count
                let runLength = 1 << positions[0]
                for (cut, (start, end)) in [(0, diagonalCount), (3, diagonalCount - 5)].enumerated() where start < end {
                    var wide = state, portable = state
                    targets.withUnsafeBufferPointer { t in
                        factors.withUnsafeBufferPointer { f in
                            diagonalPositions.withUnsafeBufferPointer { pos in
                                wide.withUnsafeMutableBufferPointer {
                                    diagonalRange($0.baseAddress!, targets: t, controlMask: controlMask, positions: pos,
                                                  runLength: diagonalRun, factors: f, start: start, end: end)
                                }
                                portable.withUnsafeMutableBufferPointer {
                                    diagonalRangePortable($0.baseAddress!, targets: t, controlMask: controlMask, positions: pos,
                                                          runLength: diagonalRun, factors: f, start: start, end: end)
                                }
                            }
                        }
                    }
                    #expect(difference(wide, portable) < tolerance, "diagonal \(targets) controls \(controlMask) cut \(cut)")
                    #expect(wide != state)
                }
                for (start, end) in [(0, freeCount), (1, freeCount - 1)] where start < end {
                    var wide = state, portable = state
                    order.withUnsafeBufferPointer { sources in
                        offsets.withUnsafeBufferPointer { o in
                            moving.withUnsafeBufferPointer { m in
                                positions.withUnsafeBufferPointer { pos in
                                    func run(_ p: inout [Real], portableLoop: Bool, _ ph: UnsafeBufferPointer<Real>?) {
                                        p.withUnsafeMutableBufferPointer {
                                            if portableLoop {
                                                permutationRangePortable($0.baseAddress!, sources: sources, phases: ph, offsets: o,
                                                                         moving: m, controlMask: controlMask, positions: pos,
                                                                         runLength: runLength, start: start, end: end)
                                            } else {
                                                permutationRange($0.baseAddress!, sources: sources, phases: ph, offsets: o, moving: m,
                                                                 controlMask: controlMask, positions: pos, runLength: runLength,
                                                                 start: start, end: end)
                                            }
                                        }
                                    }
                                    if let phases {
                                        phases.withUnsafeBufferPointer { ph in
                                            run(&wide, portableLoop: false, ph)
                                            run(&portable, portableLoop: true, ph)
                                        }
                                    } else {
                                        run(&wide, portableLoop: false, nil)
                                        run(&portable, portableLoop: true, nil)
                                    }
                                }
                            }
                        }
                    }
                    #expect(difference(wide, portable) < tolerance,
                            "permutation \(targets) controls \(controlMask) range \(start)..<\(end) phases \(phases != nil)")
                    if !moving.isEmpty { #expect(wide != state) }
                }
            }
        }
    }

    @Test("diagonal and permutation loops equal the portable loops")
    func diagonalAndPermutation() {
        Self.compareDiagonalAndPermutation(Double.self, tolerance: 1e-15)
        Self.compareDiagonalAndPermutation(Float.self, tolerance: 1e-6)
    }
}

@Suite("Kernel selection")
struct KernelSelectionTests {
    @Test("the environment switch forces portable loops; the CPU decides otherwise")
    func decision() {
        #expect(KernelSelection.decide(cpuHasAVX2AndFMA: true, environment: [:]) == .wide)
        #expect(KernelSelection.decide(cpuHasAVX2AndFMA: false, environment: [:]) == .portableCPU)
        #expect(KernelSelection.decide(cpuHasAVX2AndFMA: true, environment: ["VERDANT_PORTABLE_KERNELS": "1"]) == .portableForced)
        #expect(KernelSelection.decide(cpuHasAVX2AndFMA: true, environment: ["VERDANT_PORTABLE_KERNELS": "0"]) == .wide)
        #expect(KernelSelection.choice.description.contains("loops"))
    }

    @Test("reading /proc/cpuinfo agrees with the compiler's CPU check")
    func cpuCheck() {
        #expect(KernelSelection.flags(inCPUInfo: "processor : 0\nflags\t\t: fpu avx2 fma sse\n") == ["fpu", "avx2", "fma", "sse"])
        #expect(KernelSelection.flags(inCPUInfo: "processor : 0\n").isEmpty)
        #expect(KernelSelection.cpuHasAVX2AndFMA == (verdant_state_avx2_available() != 0))
        // Quantum's wide loops follow the selection point.
        #expect(WideKernels.available == KernelSelection.wideLoops)
        let forced = ProcessInfo.processInfo.environment["VERDANT_PORTABLE_KERNELS"] == "1"
        #expect(KernelSelection.wideLoops == (!forced && KernelSelection.cpuHasAVX2AndFMA))
    }
}

@Suite("Wide controlled-X loop")
struct WideFlipTests {
    /// The wide controlled-X loop against the portable loops (flipRange, flipLowRange): every
    /// target (Float's loop takes targets 0 and 1 inside a vector too; Double's starts at 1),
    /// controls below the vector width (in the vector's lanes) and above, bits held at 0 (a
    /// multiplexed part's, at qubit 2 or above as `KernelCall.multiplexedBits` makes them), ranges
    /// that start and end inside vectors.
    static func compare<Real: StateScalar>(_: Real.Type) {
        let n = 8
        var rng = SeededGenerator(seed: 95)
        let state = (0..<(2 << n)).map { _ in Real(rng.nextUniform() - 0.5) }
        for target in 0..<n {
            for (controlMask, held) in [(0, 0), (1, 0), (2, 0), (3, 0), (1 << ((target + 1) % n), 0), (1 | (1 << ((target + 2) % n)), 0),
                                        (2 | (1 << ((target + 3) % n)), 0), (0, 1 << max(2, (target + 4) % n)),
                                        (1, 1 << max(2, (target + 5) % n))]
            where (controlMask | held) & (1 << target) == 0 && controlMask & held == 0 {
                if target == 0, controlMask == 0, held == 0 { continue }  // the uncontrolled qubit-0 X has its own loop
                let positions = setBitPositions(controlMask | held | (1 << target))
                let freeCount = (1 << n) >> positions.count
                let runLength = 1 << positions[0]
                for (start, end) in [(0, freeCount), (1, freeCount - 1), (3, 6)] where start < end {
                    var wide = state, portable = state
                    let done = WideKernels.available && positions.withUnsafeBufferPointer { pos in
                        wide.withUnsafeMutableBufferPointer {
                            WideKernels.flip($0.baseAddress!, target: target, controlMask: controlMask, positions: pos,
                                             start: start, end: end)
                        }
                    }
                    positions.withUnsafeBufferPointer { pos in
                        portable.withUnsafeMutableBufferPointer {
                            if pos.first == 0 {
                                flipLowRange($0.baseAddress!, target: target, controlMask: controlMask, positions: pos,
                                             start: start, end: end)
                            } else {
                                flipRange($0.baseAddress!, target: target, controlMask: controlMask, positions: pos,
                                          runLength: runLength, start: start, end: end)
                            }
                        }
                    }
                    if done || !WideKernels.available {
                        if !done { wide = portable }
                        #expect(wide == portable, "target \(target) controls \(controlMask) held \(held) range \(start)..<\(end)")
                    }
                    #expect(portable != state)
                }
            }
        }
    }

    @Test("controlled-X: the wide loop moves exactly the amplitudes the portable loops move")
    func flip() {
        Self.compare(Double.self)
        Self.compare(Float.self)
    }
}

@Suite("Wide folded diagonal runs")
struct WidePhaseRunTests {
    /// A folded run of random controlled phases (low, high, mixed and outside terms) applied by the
    /// wide segment loop and by the portable Swift, on blocks of 2^L amplitudes with 8, 9 and 11
    /// local qubits (split 8: segments of 256) and 3 (one segment of 8).
    static func compare<Real: StateScalar>(_: Real.Type, tolerance: Double) {
        var rng = SeededGenerator(seed: 97)
        for L in [3, 8, 9, 11] {
            let local = Array(0..<L).map { $0 < 3 ? $0 : $0 + 2 }  // two outside qubits: 3 and 4
            var terms: [(mask: Int, angle: Double)] = []
            for _ in 0..<12 {
                let a = local[Int(rng.next() % UInt64(L))], b = local[Int(rng.next() % UInt64(L))]
                let outside = rng.next() % 3 == 0 ? 1 << 3 : 0
                terms.append(((1 << a) | (1 << b) | outside, RandomCircuits.angle(&rng)))
            }
            guard let run = PhaseRun<Real>(terms: terms, localQubits: local) else {
                Issue.record("the run did not fold")
                continue
            }
            let size = 1 << L
            let state = (0..<(2 * size)).map { _ in Real(rng.nextUniform() - 0.5) }
            for base in [0, 1 << 3] {
                var wide = state, portable = state
                let scratch = UnsafeMutablePointer<Real>.allocate(capacity: 4 * 256 + 16)
                defer { scratch.deallocate() }
                wide.withUnsafeMutableBufferPointer { run.apply(to: $0.baseAddress!, base: base, scratch: scratch) }
                portable.withUnsafeMutableBufferPointer { run.applyPortable(to: $0.baseAddress!, base: base, scratch: scratch) }
                let difference = zip(wide, portable).map { Double(abs($0 - $1)) }.max() ?? 0
                #expect(difference < tolerance, "L = \(L), base \(base)")
                #expect(portable != state)
            }
        }
    }

    @Test("folded diagonal runs: the wide segment loop equals the portable one")
    func phaseRuns() {
        Self.compare(Double.self, tolerance: 1e-14)
        Self.compare(Float.self, tolerance: 1e-5)
    }
}
