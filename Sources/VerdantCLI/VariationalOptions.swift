import ArgumentParser
import Foundation
import Verdant

/// The options of `verdant train --model vqc` and `--model vqr`.
struct VariationalOptions: ParsableArguments {
    @Option(help: "vqc, vqr: the trainable circuit: real-amplitudes, efficient-su2 or strongly-entangling.")
    var ansatz: String = "real-amplitudes"

    @Option(help: "vqc, vqr: repetitions (real-amplitudes, efficient-su2; default 3) or layers (strongly-entangling; default 2).")
    var layers: Int?

    @Option(name: .customLong("ansatz-entanglement"), help: "vqc, vqr: entanglement of real-amplitudes/efficient-su2: full, linear, reverse_linear, circular.")
    var ansatzEntanglement: String = "reverse_linear"

    @Option(help: "vqc, vqr: passes over the training data.")
    var epochs: Int = 20

    @Option(name: .customLong("batch-size"), help: "vqc, vqr: samples per gradient step.")
    var batchSize: Int = 16

    @Option(help: "vqc, vqr: the optimiser: adam, sgd or spsa.")
    var optimizer: String = "adam"

    @Option(name: .customLong("learning-rate"), help: "vqc, vqr: the step size (default 0.05 for adam, 0.1 for sgd and spsa).")
    var learningRate: Double?

    @Option(help: "vqc, vqr: sgd's momentum.")
    var momentum: Double = 0.9

    @Option(help: "vqc: class scores from z (⟨Z_i⟩ of qubit i per class) or parity (two classes); vqr: z only (predicts ⟨Z_0⟩).")
    var readout: String = "z"

    @Flag(help: "vqc, vqr: a trained linear layer on the measured expectations (vqr: w·e + b on every ⟨Z_i⟩).")
    var hybrid = false

    @Option(name: .customLong("validation-fraction"), help: "vqc, vqr: share of the training samples held out for early stopping, in [0, 1).")
    var validationFraction: Double = 0

    @Option(help: "vqc, vqr: stop after this many epochs without a better validation loss (needs --validation-fraction).")
    var patience: Int?

    @Option(help: "vqc, vqr: gradients by adjoint or parameter-shift (default: adjoint; parameter-shift under noise).")
    var gradient: String?

    /// Why these options do not fit a regressor (`--model vqr`), or nil when they do: the parity
    /// readout is a two-class readout.
    var regressorConflict: String? {
        guard readout == "parity" else { return nil }
        return "--readout parity scores two classes; --model vqr predicts a value from ⟨Z_0⟩ (or w·e + b on every ⟨Z_i⟩ with --hybrid): leave --readout at z"
    }

    /// The library's settings, checked; `underNoise` makes parameter shift the default gradient.
    func settings(underNoise: Bool = false) throws -> VariationalSettings {
        guard epochs >= 1 else { throw CLIError.usage("--epochs must be at least 1, received \(epochs)") }
        guard batchSize >= 1 else { throw CLIError.usage("--batch-size must be at least 1, received \(batchSize)") }
        guard let kind = AnsatzChoice.Kind(rawValue: ansatz) else {
            throw CLIError.usage("--ansatz: '\(ansatz)' is not one of \(AnsatzChoice.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let entanglement = Entanglement(rawValue: ansatzEntanglement) else {
            throw CLIError.usage("--ansatz-entanglement: '\(ansatzEntanglement)' is not one of \(Entanglement.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let optimizer: Optimizer
        switch self.optimizer {
        case "adam": optimizer = .adam(learningRate: learningRate ?? 0.05)
        case "sgd": optimizer = .sgd(learningRate: learningRate ?? 0.1, momentum: momentum)
        case "spsa": optimizer = .spsa(learningRate: learningRate ?? 0.1)
        default: throw CLIError.usage("--optimizer: '\(self.optimizer)' is not one of adam, sgd, spsa")
        }
        let readout: Readout
        switch self.readout {
        case "z": readout = .zExpectations
        case "parity": readout = .parity
        default: throw CLIError.usage("--readout: '\(self.readout)' is not one of z, parity")
        }
        let gradient = self.gradient ?? (underNoise ? "parameter-shift" : "adjoint")
        guard let method = GradientMethod(rawValue: gradient) else {
            throw CLIError.usage("--gradient: '\(gradient)' is not one of adjoint, parameter-shift")
        }
        return VariationalSettings(ansatz: AnsatzChoice(kind, layers: layers, entanglement: entanglement), readout: readout, hybrid: hybrid,
                                   optimizer: optimizer, epochs: epochs, batchSize: batchSize, validationFraction: validationFraction,
                                   patience: patience, gradientMethod: method)
    }
}
