import ComplexModule
import Foundation

/// The density-matrix method: a noisy program becomes a circuit on 2n qubits acting on vec(ρ)
/// (U on Q and conj(U) on Q + n for a gate; the superoperator on Q ∪ (Q + n) for an error or a
/// reset), compiled once by the state-vector planner — so gate fusion, cache blocking and every
/// kernel apply unchanged — and bound per parameter set.
struct DensityMatrixEngine: Sendable {
    let program: NoisyProgram
    /// The plan of the doubled circuit.
    let plan: ExecutionPlan

    /// Compiles the doubled circuit.
    /// - Parameters:
    ///   - fusion: fuse gates (as ``Simulator/fusion``).
    ///   - startsFromZero: whether it always starts from |0…0⟩⟨0…0| (lets the planner drop early resets).
    /// - Throws: ``NoiseError/methodUnavailable(method:reason:remedy:)`` for conditions or
    ///   mid-circuit measurements.
    init(program: NoisyProgram, fusion: Bool, startsFromZero: Bool = true) throws {
        if program.hasConditions || program.hasMidCircuitMeasurement {
            let what = program.hasConditions ? "classically conditioned instructions" : "a measured qubit that is used again (mid-circuit measurement)"
            throw NoiseError.methodUnavailable(method: "density-matrix method", reason: "the circuit has \(what)",
                                               remedy: "use the trajectory method (--method trajectories), which samples measurements shot by shot")
        }
        self.program = program
        let n = program.numQubits
        var doubled = QuantumCircuit(numQubits: 2 * n)
        for step in program.steps {
            switch step {
            case .gate(let gate, let qubits, _):
                if case .id = gate.kind { continue }
                doubled.append(gate, indices: qubits)
                doubled.append(try DensityMatrixEngine.conjugate(gate), indices: qubits.map { $0 + n })
            case .channel(let channel, let qubits, _):
                doubled.append(DensityMatrixEngine.superoperatorGate(channel), indices: qubits + qubits.map { $0 + n })
            case .reset(let q, _):
                doubled.append(DensityMatrixEngine.resetGate, indices: [q, q + n])
            case .barrier(let qubits):
                doubled.appendResolved(Instruction(operation: .barrier, qubits: qubits + qubits.map { $0 + n }, clbits: [], condition: nil))
            case .measure:
                continue
            }
        }
        plan = try ExecutionPlan(circuit: doubled, fusion: fusion)
    }

    /// The superoperator of a channel as a (non-unitary) gate on Q ++ (Q + n).
    static func superoperatorGate(_ channel: QuantumChannel) -> Gate {
        let s = channel.superoperatorMatrix()
        return Gate(kind: .unitary(qubits: 2 * channel.numQubits), unitaryMatrix: s.entries, label: "superop")
    }

    /// The reset channel |0⟩⟨0|·ρ·|0⟩⟨0| + |0⟩⟨1|·ρ·|1⟩⟨0| on (q, q + n).
    static let resetGate: Gate = {
        let one = Complex<Double>.one, zero = Complex<Double>.zero
        // vec index r + 2c: (00) ← (00) + (11); everything else → 0.
        var m = [Complex<Double>](repeating: zero, count: 16)
        m[0 * 4 + 0] = one
        m[0 * 4 + 3] = one
        return Gate(kind: .unitary(qubits: 2), unitaryMatrix: m, label: "reset")
    }()

    /// conj(U) exactly (a global phase would not cancel between the row and column halves):
    /// angles negated for rotation and phase kinds (symbolic angles stay symbolic), S ↔ S†,
    /// T ↔ T†, SX ↔ SX†, real kinds unchanged, and the conjugated matrix for the rest.
    static func conjugate(_ gate: Gate) throws -> Gate {
        let ps = gate.parameters
        switch gate.kind {
        case .id, .x, .z, .h, .ry, .cx, .cz, .ch, .cry, .swap, .dcx, .ccx, .cswap, .mcx, .mcz:
            return gate
        case .s: return Gate(kind: .sdg)
        case .sdg: return Gate(kind: .s)
        case .t: return Gate(kind: .tdg)
        case .tdg: return Gate(kind: .t)
        case .sx: return Gate(kind: .sxdg)
        case .sxdg: return Gate(kind: .sx)
        case .cs: return Gate(kind: .csdg)
        case .csdg: return Gate(kind: .cs)
        case .rx, .rz, .p, .u1, .cp, .cu1, .crx, .crz, .rxx, .ryy, .rzz, .rzx, .mcp:
            return Gate(kind: gate.kind, parameters: [-ps[0]])
        case .u2:
            return Gate(kind: .u2, parameters: [-ps[0], -ps[1]])
        case .u, .u3, .cu3:
            return Gate(kind: gate.kind, parameters: [ps[0], -ps[1], -ps[2]])
        case .cu:
            return Gate(kind: .cu, parameters: [ps[0], -ps[1], -ps[2], -ps[3]])
        case .y, .csx, .iswap, .ecr, .rccx, .rc3x, .c3sqrtx, .cy, .unitary:
            let m = try gate.matrix()
            return Gate(kind: .unitary(qubits: gate.numQubits), unitaryMatrix: m.map { $0.conjugate }, label: "conj")
        }
    }

    /// Runs the doubled circuit on vec(ρ) with parameter values.
    func evolve(_ vector: inout StateVector<Double>, values: [Parameter: Double] = [:], blockQubits: Int? = nil,
                progress: (@Sendable (Int, Int) -> Void)?) throws
    {
        try plan.applyUnitarySteps(plan.steps.indices, to: &vector, values: values, blockQubits: blockQubits, progress: progress)
    }
}

extension ExecutionPlan {
    /// What fusion and cache blocking made of this plan in double precision.
    func executionSummary(blockQubits: Int?) -> ExecutionSummary {
        summary(blockQubits: blockQubits ?? ExecutionPlan.defaultBlockQubits(for: Double.self))
    }
}
