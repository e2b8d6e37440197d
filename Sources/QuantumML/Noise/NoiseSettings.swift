import Foundation
import Quantum

/// How quantum ML runs under noise: the noise model, the shots each estimate is made from, and
/// whether readout errors are mitigated. The same settings serve the fidelity kernel (QSVM) and
/// the variational models (VQC, VQR), in training and in prediction.
///
/// - Kernel: exact, K(x, x′) = Tr(ρ(x)·ρ(x′)) from the density matrices of the noisy feature-map
///   circuits; with ``shots``, each entry is the estimate a destructive SWAP test of ρ(x) and ρ(x′)
///   makes from that many shots (each shot reads "even" with probability (1 + K)/2; the test's own
///   measurement is taken as ideal, so readout errors and their mitigation do not apply to it).
/// - Variational models: the readout's ⟨Z⟩ values exactly from the density matrix, or measured
///   from ``shots`` shots with the model's readout errors (undone by the tensored inverse
///   assignment matrices when ``mitigatesReadout`` is set); gradients by the parameter-shift rule.
public struct NoiseSettings: Sendable {
    /// The noise model (errors on the gates of the circuits, readout errors on their measurements).
    public var model: NoiseModel
    /// Shots per estimate (nil: exact expectation values and kernel entries).
    public var shots: Int?
    /// Whether shot estimates of variational readouts undo the readout errors (tensored inverse).
    public var mitigatesReadout: Bool
    /// The seed of the shot estimates (each estimate derives its own from it and its inputs, so
    /// results do not depend on threads or ranks).
    public var seed: UInt64
    /// How circuits meet a device model's basis: `.automatic` translates them to the model's
    /// ``NoiseModel/deviceBasis`` when they have gates the model has no error for (a fake backend's
    /// model has errors on sx, x and cx only, so h or ry would otherwise run ideally); `.none`
    /// keeps them as built; `.gates(set)` translates to the given gates.
    public var basis: BasisChoice = .automatic

    /// How circuits are translated before they run under noise.
    public enum BasisChoice: Sendable, Equatable {
        /// To the model's device basis when the circuit has gates the model has no error for.
        case automatic
        /// Not at all.
        case none
        /// To these gate names.
        case gates(Set<String>)
    }

    /// The circuit as it should run under these settings.
    /// - Throws: ``NoiseError/cannotTranslate(gate:basis:)``.
    func prepared(_ circuit: QuantumCircuit) throws -> QuantumCircuit {
        switch basis {
        case .none: return circuit
        case .gates(let gates): return try circuit.translated(toBasis: gates)
        case .automatic:
            guard let gates = model.basisNeeded(for: circuit) else { return circuit }
            return try circuit.translated(toBasis: gates)
        }
    }

    /// Noise settings.
    /// - Parameters:
    ///   - model: the noise model.
    ///   - shots: shots per estimate (nil: exact).
    ///   - mitigatesReadout: undo readout errors in shot estimates.
    ///   - seed: the seed of the shot estimates.
    public init(model: NoiseModel, shots: Int? = nil, mitigatesReadout: Bool = false, seed: UInt64 = 0) {
        self.model = model
        self.shots = shots
        self.mitigatesReadout = mitigatesReadout
        self.seed = seed
    }

    /// Throws unless the shot count is at least 1.
    func validate() throws {
        if let shots, shots < 1 {
            throw QuantumMLError.invalidArgument(argument: "shots", received: "\(shots)", valid: "at least 1 (or none for exact values)")
        }
    }

    /// A one-thread simulator that runs circuits under these settings.
    func simulator() -> Simulator {
        var simulator = Simulator(method: .automatic, noise: model, threads: 1)
        simulator.estimateShots = shots
        simulator.mitigatesReadout = mitigatesReadout
        simulator.seed = seed
        return simulator
    }
}
