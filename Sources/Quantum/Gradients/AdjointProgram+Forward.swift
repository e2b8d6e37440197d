import ComplexModule
import Foundation
import Synchronization

// Binding a differentiable program to angle values and running it forward (AdjointProgram.swift).

extension AdjointProgram {
    // MARK: Binding

    /// Every angle's value for parameter values in the compiled circuit's order.
    func angleValues(_ values: [Double]) -> [Double] {
        angles.map { slot in
            if let j = slot.parameter { return values[j] }
            return slot.expression.evaluate { p in parameterIndex[p].map { values[$0] } } ?? .nan
        }
    }

    /// The value of ∂angle/∂p.
    func derivativeValue(_ d: AngleDerivative, _ values: [Double]) -> Double {
        d.constant ?? d.expression.evaluate { p in parameterIndex[p].map { values[$0] } } ?? .nan
    }

    /// Writes U and U† of every parameterised operation.
    func writeNumbers(angles values: [Double], into numbers: UnsafeMutablePointer<Real>) {
        for operation in operations {
            if case .bound(let op) = operation { writeNumbers(of: op, angles: values, into: numbers) }
        }
    }

    /// Writes U (at op.offset) and U† (at op.offset + op.size) of one operation.
    func writeNumbers(of op: BoundOperation<Real>, angles values: [Double], into numbers: UnsafeMutablePointer<Real>) {
        let forward = numbers + op.offset, adjoint = numbers + op.offset + op.size
        if op.pair != nil {
            var u = Matrix2<Double>.identity
            for f in op.factors { u = f.matrix(f.angle.map { values[$0] } ?? 0) * u }
            if op.shape == .diagonal {
                (forward[0], forward[1], forward[2], forward[3]) = (Real(u.m00r), Real(u.m00i), Real(u.m11r), Real(u.m11i))
                (adjoint[0], adjoint[1], adjoint[2], adjoint[3]) = (Real(u.m00r), Real(-u.m00i), Real(u.m11r), Real(-u.m11i))
            } else {
                u.write(to: forward)
                u.adjoint.write(to: adjoint)
            }
            return
        }
        // exp(−iθ/2 · P⊗P) = cos(θ/2)·1 − i·sin(θ/2)·P⊗P, P⊗P real and symmetric.
        let x = values[op.angles[0]]
        let c = cos(x / 2), s = sin(x / 2)
        if op.shape == .diagonal {
            for r in 0..<4 {
                let pp = op.pauliProduct[5 * r]
                (forward[2 * r], forward[2 * r + 1]) = (Real(c), Real(-s * pp))
                (adjoint[2 * r], adjoint[2 * r + 1]) = (Real(c), Real(s * pp))
            }
        } else {
            for r in 0..<4 {
                for col in 0..<4 {
                    let pp = op.pauliProduct[4 * r + col]
                    let o = 2 * (4 * r + col)
                    let re = r == col ? c : 0
                    (forward[o], forward[o + 1]) = (Real(re), Real(-s * pp))
                    (adjoint[o], adjoint[o + 1]) = (Real(re), Real(s * pp))
                }
            }
        }
    }

    // MARK: Running

    /// Applies U (numbers at op.offset) or U† (at op.offset + op.size) to a state.
    func apply(_ op: BoundOperation<Real>, adjoint: Bool, numbers: UnsafeMutablePointer<Real>,
               to p: UnsafeMutablePointer<Real>, threads: Int)
    {
        let call = op.kernel
        let shared = SharedPointer(base: p)
        let matrix = SharedPointer(base: numbers + op.offset + (adjoint ? op.size : 0))
        let groupQubits = op.shape == .diagonal ? 0 : call.targets.count
        forEachRange(count: call.freeCount, threads: threads, alignment: min(call.runLength, 64),
                     grain: max(1, minimumIndicesPerThread >> groupQubits)) { start, end in
            call.positions.withUnsafeBufferPointer { positions in
                let p = shared.base, m = UnsafePointer(matrix.base)
                switch op.shape {
                case .dense1:
                    if call.adjacent {
                        dense1AdjacentRange(p, matrix: Matrix2(m), start: start, end: end)
                    } else {
                        dense1Range(p, target: call.targets[0], controlMask: call.controlMask, positions: positions,
                                    runLength: call.runLength, matrix: Matrix2(m), start: start, end: end)
                    }
                case .dense1Real:
                    if call.adjacent {
                        dense1RealAdjacentRange(p, matrix: Matrix2(m), start: start, end: end)
                    } else {
                        dense1RealRange(p, target: call.targets[0], controlMask: call.controlMask, positions: positions,
                                        runLength: call.runLength, matrix: Matrix2(m), start: start, end: end)
                    }
                case .diagonal:
                    let factors = UnsafeBufferPointer(start: m, count: 2 << call.targets.count)
                    if call.adjacent {
                        diagonalAdjacentRange(p, factors: factors, start: start, end: end)
                    } else {
                        call.targets.withUnsafeBufferPointer { targets in
                            diagonalRange(p, targets: targets, controlMask: call.controlMask, positions: positions,
                                          runLength: call.runLength, factors: factors, start: start, end: end)
                        }
                    }
                case .dense2:
                    dense2Range(p, target0: call.targets[0], target1: call.targets[1], controlMask: call.controlMask,
                                positions: positions, runLength: call.runLength,
                                matrix: UnsafeBufferPointer(start: m, count: 32), start: start, end: end)
                }
            }
        }
    }

    /// Writes the final state into `p` (every amplitude is overwritten): the leading layer as a
    /// product state, then every other operation. `checkpoints` (position → buffer, position p
    /// meaning after operation p − 1) receive copies of the state on the way.
    /// `fromGivenState`: `p` holds the input state; every operation is applied to it in turn.
    func forward(_ p: UnsafeMutablePointer<Real>, numbers: UnsafeMutablePointer<Real>, threads: Int,
                 checkpoints: [Int: UnsafeMutablePointer<Real>] = [:], fromGivenState: Bool = false)
    {
        func save(at position: Int) {
            guard let buffer = checkpoints[position] else { return }
            let source = SharedPointer(base: p), destination = SharedPointer(base: buffer)
            forEachRange(count: 2 << numQubits, threads: threads, alignment: 64) { start, end in
                (destination.base + start).update(from: source.base + start, count: end - start)
            }
        }
        if fromGivenState {
            for index in operations.indices {
                switch operations[index] {
                case .fixed(let call, _): call.apply(to: p, threads: threads)
                case .bound(let op): apply(op, adjoint: false, numbers: numbers, to: p, threads: threads)
                }
                save(at: index + 1)
            }
            return
        }
        withUnsafeTemporaryAllocation(of: Real.self, capacity: 4 * max(numQubits, 1)) { columns in
            let c = columns.baseAddress!
            for q in 0..<numQubits { (c[4 * q], c[4 * q + 1], c[4 * q + 2], c[4 * q + 3]) = (1, 0, 0, 0) }
            for (index, leading) in leadingLayer.enumerated() {
                let o = 4 * leading.qubit
                switch operations[index] {
                case .fixed:
                    guard let (u00, u10) = leading.fixedColumn else { continue }
                    (c[o], c[o + 1], c[o + 2], c[o + 3]) = (Real(u00.real), Real(u00.imaginary), Real(u10.real), Real(u10.imaginary))
                case .bound(let op):
                    // U|0⟩: the first column (dense: entries 00 and 10; diagonal: d0 and 0).
                    let u = numbers + op.offset
                    if op.shape == .diagonal {
                        (c[o], c[o + 1], c[o + 2], c[o + 3]) = (u[0], u[1], 0, 0)
                    } else {
                        (c[o], c[o + 1], c[o + 2], c[o + 3]) = (u[0], u[1], u[4], u[5])
                    }
                }
            }
            writeProductState(p, numQubits: numQubits, columns: c, threads: threads)
        }
        save(at: leadingLayer.count)
        for index in leadingLayer.count..<operations.count {
            switch operations[index] {
            case .fixed(let call, _): call.apply(to: p, threads: threads)
            case .bound(let op): apply(op, adjoint: false, numbers: numbers, to: p, threads: threads)
            }
            save(at: index + 1)
        }
    }
}
