import ComplexModule
import RealModule
import Foundation

/// The kinds of gate Verdant knows: every gate of OpenQASM 2's `qelib1.inc` and Qiskit's standard
/// gates, multi-controlled X / Z / phase, and arbitrary unitaries.
///
/// Matrices and angle conventions are Qiskit's. Qubit arguments follow Qiskit's order: controls
/// first, then targets; in a gate's matrix the first argument is the least significant bit.
public enum GateKind: Hashable, Sendable {
    // One qubit, fixed.
    case id, x, y, z, h, s, sdg, t, tdg, sx, sxdg
    // One qubit, parameterised.
    case rx, ry, rz, p, u1, u2, u, u3
    // Two qubits.
    case cx, cy, cz, ch, cs, csdg, csx, swap, iswap, dcx, ecr
    case cp, cu1, crx, cry, crz, cu, cu3
    case rxx, ryy, rzz, rzx
    // Three and more qubits.
    case ccx, cswap, rccx, rc3x, c3sqrtx
    /// X on the last qubit when all `controls` earlier qubits are 1 (3 or more controls).
    case mcx(controls: Int)
    /// Z on the last qubit when all `controls` earlier qubits are 1 (2 or more controls).
    case mcz(controls: Int)
    /// Phase e^{iλ} on the all-ones state of `controls` + 1 qubits (2 or more controls).
    case mcp(controls: Int)
    /// An arbitrary unitary on `qubits` qubits, its matrix held by the ``Gate``.
    case unitary(qubits: Int)

    /// Every fixed-width kind, for tests and for name lookup.
    public static let standard: [GateKind] = [
        .id, .x, .y, .z, .h, .s, .sdg, .t, .tdg, .sx, .sxdg,
        .rx, .ry, .rz, .p, .u1, .u2, .u, .u3,
        .cx, .cy, .cz, .ch, .cs, .csdg, .csx, .swap, .iswap, .dcx, .ecr,
        .cp, .cu1, .crx, .cry, .crz, .cu, .cu3,
        .rxx, .ryy, .rzz, .rzx,
        .ccx, .cswap, .rccx, .rc3x, .c3sqrtx,
    ]

    /// Qiskit's instruction name (what ``QuantumCircuit/countOps()`` reports).
    public var name: String {
        switch self {
        case .id: "id"
        case .x: "x"
        case .y: "y"
        case .z: "z"
        case .h: "h"
        case .s: "s"
        case .sdg: "sdg"
        case .t: "t"
        case .tdg: "tdg"
        case .sx: "sx"
        case .sxdg: "sxdg"
        case .rx: "rx"
        case .ry: "ry"
        case .rz: "rz"
        case .p: "p"
        case .u1: "u1"
        case .u2: "u2"
        case .u: "u"
        case .u3: "u3"
        case .cx: "cx"
        case .cy: "cy"
        case .cz: "cz"
        case .ch: "ch"
        case .cs: "cs"
        case .csdg: "csdg"
        case .csx: "csx"
        case .swap: "swap"
        case .iswap: "iswap"
        case .dcx: "dcx"
        case .ecr: "ecr"
        case .cp: "cp"
        case .cu1: "cu1"
        case .crx: "crx"
        case .cry: "cry"
        case .crz: "crz"
        case .cu: "cu"
        case .cu3: "cu3"
        case .rxx: "rxx"
        case .ryy: "ryy"
        case .rzz: "rzz"
        case .rzx: "rzx"
        case .ccx: "ccx"
        case .cswap: "cswap"
        case .rccx: "rccx"
        case .rc3x: "rcccx"
        case .c3sqrtx: "c3sx"
        case .mcx: "mcx"
        case .mcz: "mcz"
        case .mcp: "mcphase"
        case .unitary: "unitary"
        }
    }

    /// The number of qubits the gate acts on.
    public var numQubits: Int {
        switch self {
        case .id, .x, .y, .z, .h, .s, .sdg, .t, .tdg, .sx, .sxdg,
             .rx, .ry, .rz, .p, .u1, .u2, .u, .u3:
            1
        case .cx, .cy, .cz, .ch, .cs, .csdg, .csx, .swap, .iswap, .dcx, .ecr,
             .cp, .cu1, .crx, .cry, .crz, .cu, .cu3, .rxx, .ryy, .rzz, .rzx:
            2
        case .ccx, .cswap, .rccx: 3
        case .rc3x, .c3sqrtx: 4
        case .mcx(let c), .mcz(let c), .mcp(let c): c + 1
        case .unitary(let k): k
        }
    }

    /// The number of angle parameters.
    public var numParameters: Int {
        switch self {
        case .rx, .ry, .rz, .p, .u1, .cp, .cu1, .crx, .cry, .crz,
             .rxx, .ryy, .rzz, .rzx, .mcp:
            1
        case .u2: 2
        case .u, .u3, .cu3: 3
        case .cu: 4
        default: 0
        }
    }

    /// The names of the angle parameters, for messages.
    var parameterNames: [String] {
        switch self {
        case .u2: ["phi", "lambda"]
        case .u, .u3, .cu3: ["theta", "phi", "lambda"]
        case .cu: ["theta", "phi", "lambda", "gamma"]
        case .p, .u1, .cp, .cu1, .mcp: ["lambda"]
        default: numParameters == 1 ? ["theta"] : []
        }
    }
}

/// A gate: its kind and its angles (numbers or symbolic expressions), or a unitary matrix.
public struct Gate: Hashable, Sendable, CustomStringConvertible {
    /// What gate this is.
    public let kind: GateKind
    /// The angles, in Qiskit's order (e.g. θ, φ, λ for `u`).
    public internal(set) var parameters: [ParameterExpression]
    /// For ``GateKind/unitary(qubits:)``: the matrix, row-major, 2^k × 2^k.
    public let unitaryMatrix: [Complex<Double>]?
    /// An optional label (unitaries carry one into OpenQASM export).
    public var label: String?

    init(kind: GateKind, parameters: [ParameterExpression] = [], unitaryMatrix: [Complex<Double>]? = nil,
         label: String? = nil)
    {
        self.kind = kind
        self.parameters = parameters
        self.unitaryMatrix = unitaryMatrix
        self.label = label
    }

    /// Creates a gate of a standard kind.
    /// - Parameters:
    ///   - kind: the gate kind (not ``GateKind/unitary(qubits:)``; use ``unitary(_:label:)``).
    ///   - parameters: exactly `kind.numParameters` angles.
    /// - Throws: ``QuantumError/wrongParameterCount(gate:received:expected:)`` when the count is
    ///   off, ``QuantumError/invalidGate(_:)`` for a unitary kind or a bad control count.
    public init(_ kind: GateKind, _ parameters: [any AngleConvertible] = []) throws {
        if case .unitary = kind {
            throw QuantumError.invalidGate("a unitary gate needs its matrix: use Gate.unitary(_:label:)")
        }
        switch kind {
        case .mcx(let c) where c < 3, .mcz(let c) where c < 2, .mcp(let c) where c < 2:
            throw QuantumError.invalidGate(
                "\(kind.name) with \(c) controls: use at least \(kind == .mcx(controls: c) ? 3 : 2) "
                    + "(fewer controls are the gates cx/ccx, cz, cp)")
        default: break
        }
        guard parameters.count == kind.numParameters else {
            throw QuantumError.wrongParameterCount(gate: kind.name, received: parameters.count,
                                                   expected: kind.numParameters)
        }
        self.init(kind: kind, parameters: parameters.map(\.angleExpression))
    }

    /// Creates an arbitrary unitary gate on k qubits.
    /// - Parameters:
    ///   - matrix: row-major 2^k × 2^k entries, first qubit argument = least significant bit.
    ///   - label: a name used in printing and OpenQASM export.
    /// - Throws: ``QuantumError/notUnitary(dimension:deviation:)`` when ‖U†U − I‖max > 1e-10,
    ///   ``QuantumError/invalidGate(_:)`` when the size is not 4^k for k ≥ 1.
    public static func unitary(_ matrix: [Complex<Double>], label: String? = nil) throws -> Gate {
        let dimension = Int(Double(matrix.count).squareRoot().rounded())
        guard dimension >= 2, dimension * dimension == matrix.count, dimension & (dimension - 1) == 0 else {
            throw QuantumError.invalidGate(
                "a unitary needs 4^k entries (2^k × 2^k, k ≥ 1); received \(matrix.count)")
        }
        let deviation = SmallMatrix(dimension: dimension, entries: matrix).unitarityDeviation()
        guard deviation <= 1e-10 else {
            throw QuantumError.notUnitary(dimension: dimension, deviation: deviation)
        }
        let k = dimension.trailingZeroBitCount
        return Gate(kind: .unitary(qubits: k), unitaryMatrix: matrix, label: label)
    }

    /// Creates an arbitrary unitary gate from rows.
    /// - Parameters:
    ///   - rows: 2^k rows of 2^k entries each.
    ///   - label: a name used in printing and OpenQASM export.
    /// - Throws: as ``unitary(_:label:)``, and ``QuantumError/invalidGate(_:)`` for ragged rows.
    public static func unitary(rows: [[Complex<Double>]], label: String? = nil) throws -> Gate {
        guard rows.allSatisfy({ $0.count == rows.count }) else {
            throw QuantumError.invalidGate(
                "a unitary needs a square matrix; received rows of lengths \(rows.map(\.count))")
        }
        return try unitary(rows.flatMap { $0 }, label: label)
    }

    /// Qiskit's instruction name.
    public var name: String { kind.name }
    /// The number of qubits the gate acts on.
    public var numQubits: Int { kind.numQubits }

    /// The free parameters of all angles, in first-appearance order.
    public var freeParameters: [Parameter] {
        var seen = Set<Parameter>()
        var result: [Parameter] = []
        for p in parameters { p.collectParameters(into: &result, seen: &seen) }
        return result
    }

    /// `name(angles)`.
    public var description: String {
        if parameters.isEmpty { return label.map { "\(name)[\($0)]" } ?? name }
        return "\(name)(\(parameters.map(\.description).joined(separator: ", ")))"
    }

    /// The gate's matrix, row-major, 2^k × 2^k, with the first qubit argument as the least
    /// significant bit (Qiskit's `Operator(gate).data`).
    /// - Throws: ``QuantumError/unboundParameters(_:)`` if an angle still has free parameters.
    public func matrix() throws -> [Complex<Double>] {
        let values = try numericParameters()
        return GateDefinitions.structure(of: self, values: values).fullMatrix().entries
    }

    /// The angles as numbers.
    /// - Throws: ``QuantumError/unboundParameters(_:)`` if any has free parameters.
    func numericParameters() throws -> [Double] {
        var result: [Double] = []
        result.reserveCapacity(parameters.count)
        for p in parameters {
            guard let v = p.value else { throw QuantumError.unboundParameters(freeParameters.map(\.name)) }
            result.append(v)
        }
        return result
    }

    /// The inverse gate: a standard gate where one exists, else a unitary (the conjugate transpose).
    /// - Throws: ``QuantumError/unboundParameters(_:)`` when a unitary inverse is needed for a
    ///   gate with free parameters (never for Verdant's parameterised kinds).
    public func inverse() throws -> Gate {
        let ps = parameters
        switch kind {
        case .id, .x, .y, .z, .h, .cx, .cy, .cz, .ch, .swap, .ecr, .ccx, .cswap, .mcx, .mcz:
            return self
        case .s: return Gate(kind: .sdg)
        case .sdg: return Gate(kind: .s)
        case .t: return Gate(kind: .tdg)
        case .tdg: return Gate(kind: .t)
        case .sx: return Gate(kind: .sxdg)
        case .sxdg: return Gate(kind: .sx)
        case .cs: return Gate(kind: .csdg)
        case .csdg: return Gate(kind: .cs)
        case .rx, .ry, .rz, .p, .u1, .cp, .cu1, .crx, .cry, .crz, .rxx, .ryy, .rzz, .rzx, .mcp:
            return Gate(kind: kind, parameters: [-ps[0]])
        case .u2:
            // u2(φ, λ)⁻¹ = u(−π/2, −λ, −φ)
            return Gate(kind: .u, parameters: [.constant(-Double.pi / 2), -ps[1], -ps[0]])
        case .u, .u3, .cu3:
            return Gate(kind: kind, parameters: [-ps[0], -ps[2], -ps[1]])
        case .cu:
            return Gate(kind: .cu, parameters: [-ps[0], -ps[2], -ps[1], -ps[3]])
        case .csx, .iswap, .dcx, .rccx, .rc3x, .c3sqrtx, .unitary:
            break
        }
        let m = SmallMatrix(dimension: 1 << numQubits, entries: try matrix()).adjoint()
        let baseLabel = label ?? name
        return Gate(kind: .unitary(qubits: numQubits), unitaryMatrix: m.entries, label: "\(baseLabel)_dg")
    }
}
