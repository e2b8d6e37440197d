import ComplexModule
import RealModule


extension QuantumCircuit {
    /// Appends the identity.
    /// - Parameters:
    ///   - qubit: the qubit it acts on.
    public mutating func id(_ qubit: some QubitConvertible) {
        append(.id, [], [qubit])
    }

    /// Appends Pauli X (NOT).
    /// - Parameters:
    ///   - qubit: the qubit it acts on.
    public mutating func x(_ qubit: some QubitConvertible) {
        append(.x, [], [qubit])
    }

    /// Appends Pauli Y.
    /// - Parameters:
    ///   - qubit: the qubit it acts on.
    public mutating func y(_ qubit: some QubitConvertible) {
        append(.y, [], [qubit])
    }

    /// Appends Pauli Z.
    /// - Parameters:
    ///   - qubit: the qubit it acts on.
    public mutating func z(_ qubit: some QubitConvertible) {
        append(.z, [], [qubit])
    }

    /// Appends Hadamard.
    /// - Parameters:
    ///   - qubit: the qubit it acts on.
    public mutating func h(_ qubit: some QubitConvertible) {
        append(.h, [], [qubit])
    }

    /// Appends S = √Z = p(π/2).
    /// - Parameters:
    ///   - qubit: the qubit it acts on.
    public mutating func s(_ qubit: some QubitConvertible) {
        append(.s, [], [qubit])
    }

    /// Appends S† = p(−π/2).
    /// - Parameters:
    ///   - qubit: the qubit it acts on.
    public mutating func sdg(_ qubit: some QubitConvertible) {
        append(.sdg, [], [qubit])
    }

    /// Appends T = p(π/4).
    /// - Parameters:
    ///   - qubit: the qubit it acts on.
    public mutating func t(_ qubit: some QubitConvertible) {
        append(.t, [], [qubit])
    }

    /// Appends T† = p(−π/4).
    /// - Parameters:
    ///   - qubit: the qubit it acts on.
    public mutating func tdg(_ qubit: some QubitConvertible) {
        append(.tdg, [], [qubit])
    }

    /// Appends √X = ½[[1+i, 1−i], [1−i, 1+i]].
    /// - Parameters:
    ///   - qubit: the qubit it acts on.
    public mutating func sx(_ qubit: some QubitConvertible) {
        append(.sx, [], [qubit])
    }

    /// Appends √X†.
    /// - Parameters:
    ///   - qubit: the qubit it acts on.
    public mutating func sxdg(_ qubit: some QubitConvertible) {
        append(.sxdg, [], [qubit])
    }

    /// Appends exp(−iθX/2).
    /// - Parameters:
    ///   - theta: the angle θ (radians), a number or a parameter expression.
    ///   - qubit: the qubit it acts on.
    public mutating func rx(_ theta: some AngleConvertible, _ qubit: some QubitConvertible) {
        append(.rx, [theta], [qubit])
    }

    /// Appends exp(−iθY/2).
    /// - Parameters:
    ///   - theta: the angle θ (radians), a number or a parameter expression.
    ///   - qubit: the qubit it acts on.
    public mutating func ry(_ theta: some AngleConvertible, _ qubit: some QubitConvertible) {
        append(.ry, [theta], [qubit])
    }

    /// Appends exp(−iθZ/2) = diag(e^{−iθ/2}, e^{iθ/2}).
    /// - Parameters:
    ///   - theta: the angle θ (radians), a number or a parameter expression.
    ///   - qubit: the qubit it acts on.
    public mutating func rz(_ theta: some AngleConvertible, _ qubit: some QubitConvertible) {
        append(.rz, [theta], [qubit])
    }

    /// Appends the phase gate diag(1, e^{iλ}).
    /// - Parameters:
    ///   - lambda: the angle λ (radians), a number or a parameter expression.
    ///   - qubit: the qubit it acts on.
    public mutating func p(_ lambda: some AngleConvertible, _ qubit: some QubitConvertible) {
        append(.p, [lambda], [qubit])
    }

    /// Appends diag(1, e^{iλ}) (OpenQASM's u1, equal to p).
    /// - Parameters:
    ///   - lambda: the angle λ (radians), a number or a parameter expression.
    ///   - qubit: the qubit it acts on.
    public mutating func u1(_ lambda: some AngleConvertible, _ qubit: some QubitConvertible) {
        append(.u1, [lambda], [qubit])
    }

    /// Appends u(π/2, φ, λ).
    /// - Parameters:
    ///   - phi: the angle φ (radians), a number or a parameter expression.
    ///   - lambda: the angle λ (radians), a number or a parameter expression.
    ///   - qubit: the qubit it acts on.
    public mutating func u2(_ phi: some AngleConvertible, _ lambda: some AngleConvertible, _ qubit: some QubitConvertible) {
        append(.u2, [phi, lambda], [qubit])
    }

    /// Appends U(θ, φ, λ) = [[cos(θ/2), −e^{iλ}sin(θ/2)], [e^{iφ}sin(θ/2), e^{i(φ+λ)}cos(θ/2)]].
    /// - Parameters:
    ///   - theta: the angle θ (radians), a number or a parameter expression.
    ///   - phi: the angle φ (radians), a number or a parameter expression.
    ///   - lambda: the angle λ (radians), a number or a parameter expression.
    ///   - qubit: the qubit it acts on.
    public mutating func u(_ theta: some AngleConvertible, _ phi: some AngleConvertible, _ lambda: some AngleConvertible, _ qubit: some QubitConvertible) {
        append(.u, [theta, phi, lambda], [qubit])
    }

    /// Appends U(θ, φ, λ) (OpenQASM's u3, equal to u).
    /// - Parameters:
    ///   - theta: the angle θ (radians), a number or a parameter expression.
    ///   - phi: the angle φ (radians), a number or a parameter expression.
    ///   - lambda: the angle λ (radians), a number or a parameter expression.
    ///   - qubit: the qubit it acts on.
    public mutating func u3(_ theta: some AngleConvertible, _ phi: some AngleConvertible, _ lambda: some AngleConvertible, _ qubit: some QubitConvertible) {
        append(.u3, [theta, phi, lambda], [qubit])
    }

    /// Appends controlled X (CNOT).
    /// - Parameters:
    ///   - control: a control qubit.
    ///   - target: a target qubit.
    public mutating func cx(_ control: some QubitConvertible, _ target: some QubitConvertible) {
        append(.cx, [], [control, target])
    }

    /// Appends controlled Y.
    /// - Parameters:
    ///   - control: a control qubit.
    ///   - target: a target qubit.
    public mutating func cy(_ control: some QubitConvertible, _ target: some QubitConvertible) {
        append(.cy, [], [control, target])
    }

    /// Appends controlled Z.
    /// - Parameters:
    ///   - control: a control qubit.
    ///   - target: a target qubit.
    public mutating func cz(_ control: some QubitConvertible, _ target: some QubitConvertible) {
        append(.cz, [], [control, target])
    }

    /// Appends controlled Hadamard.
    /// - Parameters:
    ///   - control: a control qubit.
    ///   - target: a target qubit.
    public mutating func ch(_ control: some QubitConvertible, _ target: some QubitConvertible) {
        append(.ch, [], [control, target])
    }

    /// Appends controlled S.
    /// - Parameters:
    ///   - control: a control qubit.
    ///   - target: a target qubit.
    public mutating func cs(_ control: some QubitConvertible, _ target: some QubitConvertible) {
        append(.cs, [], [control, target])
    }

    /// Appends controlled S†.
    /// - Parameters:
    ///   - control: a control qubit.
    ///   - target: a target qubit.
    public mutating func csdg(_ control: some QubitConvertible, _ target: some QubitConvertible) {
        append(.csdg, [], [control, target])
    }

    /// Appends controlled √X.
    /// - Parameters:
    ///   - control: a control qubit.
    ///   - target: a target qubit.
    public mutating func csx(_ control: some QubitConvertible, _ target: some QubitConvertible) {
        append(.csx, [], [control, target])
    }

    /// Appends SWAP.
    /// - Parameters:
    ///   - qubit1: a qubit it acts on.
    ///   - qubit2: a qubit it acts on.
    public mutating func swap(_ qubit1: some QubitConvertible, _ qubit2: some QubitConvertible) {
        append(.swap, [], [qubit1, qubit2])
    }

    /// Appends iSWAP: swaps |01⟩ and |10⟩ with phase i.
    /// - Parameters:
    ///   - qubit1: a qubit it acts on.
    ///   - qubit2: a qubit it acts on.
    public mutating func iswap(_ qubit1: some QubitConvertible, _ qubit2: some QubitConvertible) {
        append(.iswap, [], [qubit1, qubit2])
    }

    /// Appends double CNOT: cx(qubit1 → qubit2) then cx(qubit2 → qubit1).
    /// - Parameters:
    ///   - qubit1: a qubit it acts on.
    ///   - qubit2: a qubit it acts on.
    public mutating func dcx(_ qubit1: some QubitConvertible, _ qubit2: some QubitConvertible) {
        append(.dcx, [], [qubit1, qubit2])
    }

    /// Appends echoed cross-resonance (1/√2)(IX − XY).
    /// - Parameters:
    ///   - qubit1: a qubit it acts on.
    ///   - qubit2: a qubit it acts on.
    public mutating func ecr(_ qubit1: some QubitConvertible, _ qubit2: some QubitConvertible) {
        append(.ecr, [], [qubit1, qubit2])
    }

    /// Appends controlled phase diag(1, 1, 1, e^{iλ}).
    /// - Parameters:
    ///   - lambda: the angle λ (radians), a number or a parameter expression.
    ///   - control: a control qubit.
    ///   - target: a target qubit.
    public mutating func cp(_ lambda: some AngleConvertible, _ control: some QubitConvertible, _ target: some QubitConvertible) {
        append(.cp, [lambda], [control, target])
    }

    /// Appends controlled u1 (equal to cp).
    /// - Parameters:
    ///   - lambda: the angle λ (radians), a number or a parameter expression.
    ///   - control: a control qubit.
    ///   - target: a target qubit.
    public mutating func cu1(_ lambda: some AngleConvertible, _ control: some QubitConvertible, _ target: some QubitConvertible) {
        append(.cu1, [lambda], [control, target])
    }

    /// Appends controlled rx.
    /// - Parameters:
    ///   - theta: the angle θ (radians), a number or a parameter expression.
    ///   - control: a control qubit.
    ///   - target: a target qubit.
    public mutating func crx(_ theta: some AngleConvertible, _ control: some QubitConvertible, _ target: some QubitConvertible) {
        append(.crx, [theta], [control, target])
    }

    /// Appends controlled ry.
    /// - Parameters:
    ///   - theta: the angle θ (radians), a number or a parameter expression.
    ///   - control: a control qubit.
    ///   - target: a target qubit.
    public mutating func cry(_ theta: some AngleConvertible, _ control: some QubitConvertible, _ target: some QubitConvertible) {
        append(.cry, [theta], [control, target])
    }

    /// Appends controlled rz.
    /// - Parameters:
    ///   - theta: the angle θ (radians), a number or a parameter expression.
    ///   - control: a control qubit.
    ///   - target: a target qubit.
    public mutating func crz(_ theta: some AngleConvertible, _ control: some QubitConvertible, _ target: some QubitConvertible) {
        append(.crz, [theta], [control, target])
    }

    /// Appends controlled e^{iγ}U(θ, φ, λ).
    /// - Parameters:
    ///   - theta: the angle θ (radians), a number or a parameter expression.
    ///   - phi: the angle φ (radians), a number or a parameter expression.
    ///   - lambda: the angle λ (radians), a number or a parameter expression.
    ///   - gamma: the angle γ (radians), a number or a parameter expression.
    ///   - control: a control qubit.
    ///   - target: a target qubit.
    public mutating func cu(_ theta: some AngleConvertible, _ phi: some AngleConvertible, _ lambda: some AngleConvertible, _ gamma: some AngleConvertible, _ control: some QubitConvertible, _ target: some QubitConvertible) {
        append(.cu, [theta, phi, lambda, gamma], [control, target])
    }

    /// Appends controlled U(θ, φ, λ).
    /// - Parameters:
    ///   - theta: the angle θ (radians), a number or a parameter expression.
    ///   - phi: the angle φ (radians), a number or a parameter expression.
    ///   - lambda: the angle λ (radians), a number or a parameter expression.
    ///   - control: a control qubit.
    ///   - target: a target qubit.
    public mutating func cu3(_ theta: some AngleConvertible, _ phi: some AngleConvertible, _ lambda: some AngleConvertible, _ control: some QubitConvertible, _ target: some QubitConvertible) {
        append(.cu3, [theta, phi, lambda], [control, target])
    }

    /// Appends exp(−iθ X⊗X/2).
    /// - Parameters:
    ///   - theta: the angle θ (radians), a number or a parameter expression.
    ///   - qubit1: a qubit it acts on.
    ///   - qubit2: a qubit it acts on.
    public mutating func rxx(_ theta: some AngleConvertible, _ qubit1: some QubitConvertible, _ qubit2: some QubitConvertible) {
        append(.rxx, [theta], [qubit1, qubit2])
    }

    /// Appends exp(−iθ Y⊗Y/2).
    /// - Parameters:
    ///   - theta: the angle θ (radians), a number or a parameter expression.
    ///   - qubit1: a qubit it acts on.
    ///   - qubit2: a qubit it acts on.
    public mutating func ryy(_ theta: some AngleConvertible, _ qubit1: some QubitConvertible, _ qubit2: some QubitConvertible) {
        append(.ryy, [theta], [qubit1, qubit2])
    }

    /// Appends exp(−iθ Z⊗Z/2).
    /// - Parameters:
    ///   - theta: the angle θ (radians), a number or a parameter expression.
    ///   - qubit1: a qubit it acts on.
    ///   - qubit2: a qubit it acts on.
    public mutating func rzz(_ theta: some AngleConvertible, _ qubit1: some QubitConvertible, _ qubit2: some QubitConvertible) {
        append(.rzz, [theta], [qubit1, qubit2])
    }

    /// Appends exp(−iθ Z⊗X/2): Z on qubit1, X on qubit2.
    /// - Parameters:
    ///   - theta: the angle θ (radians), a number or a parameter expression.
    ///   - qubit1: a qubit it acts on.
    ///   - qubit2: a qubit it acts on.
    public mutating func rzx(_ theta: some AngleConvertible, _ qubit1: some QubitConvertible, _ qubit2: some QubitConvertible) {
        append(.rzx, [theta], [qubit1, qubit2])
    }

    /// Appends Toffoli: X on target when both controls are 1.
    /// - Parameters:
    ///   - control1: a control qubit.
    ///   - control2: a control qubit.
    ///   - target: a target qubit.
    public mutating func ccx(_ control1: some QubitConvertible, _ control2: some QubitConvertible, _ target: some QubitConvertible) {
        append(.ccx, [], [control1, control2, target])
    }

    /// Appends Fredkin: swaps the targets when the control is 1.
    /// - Parameters:
    ///   - control: a control qubit.
    ///   - target1: a target qubit.
    ///   - target2: a target qubit.
    public mutating func cswap(_ control: some QubitConvertible, _ target1: some QubitConvertible, _ target2: some QubitConvertible) {
        append(.cswap, [], [control, target1, target2])
    }

    /// Appends the relative-phase Toffoli of qelib1.inc.
    /// - Parameters:
    ///   - control1: a control qubit.
    ///   - control2: a control qubit.
    ///   - target: a target qubit.
    public mutating func rccx(_ control1: some QubitConvertible, _ control2: some QubitConvertible, _ target: some QubitConvertible) {
        append(.rccx, [], [control1, control2, target])
    }

    /// Appends the relative-phase 3-controlled X of qelib1.inc.
    /// - Parameters:
    ///   - control1: a control qubit.
    ///   - control2: a control qubit.
    ///   - control3: a control qubit.
    ///   - target: a target qubit.
    public mutating func rc3x(_ control1: some QubitConvertible, _ control2: some QubitConvertible, _ control3: some QubitConvertible, _ target: some QubitConvertible) {
        append(.rc3x, [], [control1, control2, control3, target])
    }

    /// Appends √X on target when three controls are 1.
    /// - Parameters:
    ///   - control1: a control qubit.
    ///   - control2: a control qubit.
    ///   - control3: a control qubit.
    ///   - target: a target qubit.
    public mutating func c3sqrtx(_ control1: some QubitConvertible, _ control2: some QubitConvertible, _ control3: some QubitConvertible, _ target: some QubitConvertible) {
        append(.c3sqrtx, [], [control1, control2, control3, target])
    }

    /// Appends X on target when three controls are 1 (qelib1's c3x).
    /// - Parameters:
    ///   - control1: a control qubit.
    ///   - control2: a control qubit.
    ///   - control3: a control qubit.
    ///   - target: a target qubit.
    public mutating func c3x(_ control1: some QubitConvertible, _ control2: some QubitConvertible, _ control3: some QubitConvertible, _ target: some QubitConvertible) {
        append(.mcx(controls: 3), [], [control1, control2, control3, target])
    }

    /// Appends X on target when four controls are 1 (qelib1's c4x).
    /// - Parameters:
    ///   - control1: a control qubit.
    ///   - control2: a control qubit.
    ///   - control3: a control qubit.
    ///   - control4: a control qubit.
    ///   - target: a target qubit.
    public mutating func c4x(_ control1: some QubitConvertible, _ control2: some QubitConvertible, _ control3: some QubitConvertible, _ control4: some QubitConvertible, _ target: some QubitConvertible) {
        append(.mcx(controls: 4), [], [control1, control2, control3, control4, target])
    }

    /// Appends X on `target` when every control is 1 (`x`, `cx`, `ccx` or `mcx` by control count).
    /// - Parameters:
    ///   - controls: the control qubits.
    ///   - target: a target qubit.
    public mutating func mcx(_ controls: [any QubitConvertible], _ target: some QubitConvertible) {
        let kind: GateKind = switch controls.count {
        case 0: .x
        case 1: .cx
        case 2: .ccx
        default: .mcx(controls: controls.count)
        }
        append(kind, [], controls + [target])
    }

    /// Appends Z on `target` when every control is 1 (`z`, `cz` or `mcz` by control count).
    /// - Parameters:
    ///   - controls: the control qubits.
    ///   - target: a target qubit.
    public mutating func mcz(_ controls: [any QubitConvertible], _ target: some QubitConvertible) {
        let kind: GateKind = switch controls.count {
        case 0: .z
        case 1: .cz
        default: .mcz(controls: controls.count)
        }
        append(kind, [], controls + [target])
    }

    /// Appends the phase e^{iλ} on the state where every control and the target are 1
    /// (`p`, `cp` or `mcphase` by control count).
    /// - Parameters:
    ///   - lambda: the angle λ (radians).
    ///   - controls: the control qubits.
    ///   - target: a target qubit.
    public mutating func mcp(_ lambda: some AngleConvertible, _ controls: [any QubitConvertible], _ target: some QubitConvertible) {
        let kind: GateKind = switch controls.count {
        case 0: .p
        case 1: .cp
        default: .mcp(controls: controls.count)
        }
        append(kind, [lambda], controls + [target])
    }

    /// Appends an arbitrary unitary, checked for unitarity (max |U†U − I| ≤ 1e-10).
    /// - Parameters:
    ///   - matrix: row-major 2^k × 2^k entries; bit j of an index is `qubits[j]`.
    ///   - qubits: the k qubits, first = least significant.
    ///   - label: a name for printing and OpenQASM export.
    public mutating func unitary(_ matrix: [Complex<Double>], _ qubits: [any QubitConvertible], label: String? = nil) {
        do {
            append(try Gate.unitary(matrix, label: label), qubits)
        } catch let error as QuantumError {
            record(error)
        } catch {
            record(.invalidGate("\(error)"))
        }
    }
}
