import Foundation
import Quantum

/// A feature map described before the data is known: its kind and options. A job makes the
/// ``FeatureMap`` once it knows how many features the data has (``featureMap(features:)``).
public struct FeatureMapChoice: Sendable, Equatable {
    /// The encodings (`--feature-map`).
    public enum Kind: String, Sendable, CaseIterable {
        /// Qiskit's `zz_feature_map` (``FeatureMap/zz(features:reps:entanglement:alpha:)``).
        case zz
        /// Qiskit's `z_feature_map`.
        case z
        /// Qiskit's `pauli_feature_map` with ``FeatureMapChoice/paulis``.
        case pauli
        /// One rotation per feature (``FeatureMapChoice/rotation``).
        case angle
        /// The normalised feature vector as amplitudes on ⌈log₂ features⌉ qubits.
        case amplitude
    }

    /// The encoding.
    public var kind: Kind
    /// Repetitions of the Pauli maps (zz, z, pauli).
    public var reps: Int
    /// Entanglement of multi-qubit Paulis.
    public var entanglement: Entanglement
    /// The Pauli labels of ``Kind/pauli`` (e.g. `["Z", "ZZ"]`).
    public var paulis: [String]
    /// The Pauli maps' α (angles are α·φ(x)).
    public var alpha: Double
    /// The axis of ``Kind/angle``.
    public var rotation: RotationAxis

    /// A choice; the defaults are Qiskit's (2 reps, full entanglement, `["Z", "ZZ"]`, α = 2) and
    /// `ry` for angle encoding.
    public init(_ kind: Kind, reps: Int = 2, entanglement: Entanglement = .full, paulis: [String] = ["Z", "ZZ"], alpha: Double = 2,
                rotation: RotationAxis = .y) {
        self.kind = kind
        self.reps = reps
        self.entanglement = entanglement
        self.paulis = paulis
        self.alpha = alpha
        self.rotation = rotation
    }

    /// The feature map for data with `features` features.
    ///
    /// - Parameter features: The data's feature count.
    /// - Returns: The map.
    /// - Throws: The ``FeatureMap`` constructors' ``QuantumMLError/invalidArgument(argument:received:valid:)``.
    public func featureMap(features: Int) throws -> FeatureMap {
        switch kind {
        case .zz: try .zz(features: features, reps: reps, entanglement: entanglement, alpha: alpha)
        case .z: try .z(features: features, reps: reps, alpha: alpha)
        case .pauli: try .pauli(features: features, paulis: paulis, reps: reps, entanglement: entanglement, alpha: alpha)
        case .angle: try .angle(features: features, rotation: rotation)
        case .amplitude: try .amplitude(features: features)
        }
    }
}

/// A trainable circuit described before the qubit count is known.
public struct AnsatzChoice: Sendable, Equatable {
    /// The circuits (`--ansatz`).
    public enum Kind: String, Sendable, CaseIterable {
        /// Qiskit's `real_amplitudes`.
        case realAmplitudes = "real-amplitudes"
        /// Qiskit's `efficient_su2`.
        case efficientSU2 = "efficient-su2"
        /// PennyLane's `StronglyEntanglingLayers`.
        case stronglyEntangling = "strongly-entangling"
    }

    /// The circuit.
    public var kind: Kind
    /// Repetitions (real-amplitudes, efficient-su2; nil: 3) or layers (strongly-entangling; nil: 2).
    public var layers: Int?
    /// Entanglement of real-amplitudes and efficient-su2.
    public var entanglement: Entanglement

    /// A choice (defaults: 3 repetitions or 2 layers, Qiskit's reverse-linear entanglement).
    public init(_ kind: Kind = .realAmplitudes, layers: Int? = nil, entanglement: Entanglement = .reverseLinear) {
        self.kind = kind
        self.layers = layers
        self.entanglement = entanglement
    }

    /// The ansatz on `qubits` qubits.
    ///
    /// - Parameter qubits: The feature map's qubit count.
    /// - Returns: The ansatz.
    /// - Throws: The ``Ansatz`` constructors' ``QuantumMLError/invalidArgument(argument:received:valid:)``.
    public func ansatz(qubits: Int) throws -> Ansatz {
        switch kind {
        case .realAmplitudes: try .realAmplitudes(qubits: qubits, reps: layers ?? 3, entanglement: entanglement)
        case .efficientSU2: try .efficientSU2(qubits: qubits, reps: layers ?? 3, entanglement: entanglement)
        case .stronglyEntangling: try .stronglyEntangling(qubits: qubits, layers: layers ?? 2)
        }
    }
}

/// The settings of a variational model (vqc, vqr) that do not depend on the data: the circuit
/// choice, readout, optimiser and schedule. ``TrainingJob`` turns them into a
/// ``VariationalConfiguration`` once the data is loaded.
public struct VariationalSettings: Sendable, Equatable {
    /// The trainable circuit.
    public var ansatz: AnsatzChoice
    /// Class scores from ⟨Z_i⟩ or parity (a regressor reads ⟨Z_0⟩).
    public var readout: Readout
    /// A trained linear layer on the measured expectations.
    public var hybrid: Bool
    /// The optimiser and its step size.
    public var optimizer: Optimizer
    /// Passes over the training data.
    public var epochs: Int
    /// Samples per gradient step.
    public var batchSize: Int
    /// Share of the training samples held out for early stopping, in [0, 1).
    public var validationFraction: Double
    /// Epochs without a better validation loss before stopping (nil: never stop early).
    public var patience: Int?
    /// How gradients are computed.
    public var gradientMethod: GradientMethod

    /// Settings; the defaults are `verdant train`'s (real-amplitudes with 3 repetitions, ⟨Z_i⟩
    /// readout, Adam with step 0.05, 20 epochs of batches of 16, adjoint gradients).
    public init(ansatz: AnsatzChoice = AnsatzChoice(), readout: Readout = .zExpectations, hybrid: Bool = false,
                optimizer: Optimizer = .adam(), epochs: Int = 20, batchSize: Int = 16, validationFraction: Double = 0,
                patience: Int? = nil, gradientMethod: GradientMethod = .adjoint) {
        self.ansatz = ansatz
        self.readout = readout
        self.hybrid = hybrid
        self.optimizer = optimizer
        self.epochs = epochs
        self.batchSize = batchSize
        self.validationFraction = validationFraction
        self.patience = patience
        self.gradientMethod = gradientMethod
    }
}
