import Foundation
import Privacy

// Variational model files (docs/model-format.md): the same format, version, sealing and reading
// rules as the kernel models (ModelFile), with kind `vqc` or `vqr`.

extension VariationalModel {
    /// The model as JSON (sorted keys, indented; numbers round-trip exactly).
    /// - Throws: an encoding error only for non-finite numbers, which training never produces.
    public func encoded() throws -> Data {
        try ModelFile.encode(self)
    }

    /// Writes the model to `path`, atomically; sealed for `recipients` when there are any.
    /// - Parameters:
    ///   - path: the file.
    ///   - recipients: who can open the sealed file (none: plain JSON).
    ///   - overwrite: replace an existing file.
    ///   - mode: a plain file's permissions (nil: 0666 less the umask; 0o600 for a model of sealed data).
    /// - Throws: Privacy's errors (`outputExists` without `overwrite`, I/O).
    public func write(toPath path: String, recipients: [Recipient] = [], overwrite: Bool = false, mode: mode_t? = nil) throws {
        try ModelFile.write(encoded(), toPath: path, recipients: recipients, overwrite: overwrite, mode: mode)
    }

    /// Reads a variational model file, plain or sealed (opened in memory).
    /// - Parameters:
    ///   - path: the file.
    ///   - options: limits for opening a sealed file.
    ///   - identities: given a sealed file's header, the keys to try (not called for a plain file).
    /// - Throws: Privacy's errors for a sealed file that cannot be opened; ``QuantumMLError/model(path:found:valid:)``
    ///   for anything that is not a readable variational model.
    public static func load(atPath path: String, options: OpenOptions = OpenOptions(),
                            identities: (SealedHeader) throws -> [Identity] = { _ in [] }) throws -> VariationalModel
    {
        try decode(ModelFile.contents(atPath: path, options: options, identities: identities), path: path)
    }

    /// Decodes and checks a model file's bytes.
    /// - Throws: ``QuantumMLError/model(path:found:valid:)`` naming what is wrong: not JSON, a foreign
    ///   file, an unsupported version, a model of another kind (such as a kernel SVM), a missing or
    ///   mistyped field, sizes that disagree, non-finite numbers.
    public static func decode(_ data: Data, path: String) throws -> VariationalModel {
        let model = try ModelFile.decode(VariationalModel.self, from: data, path: path,
                                         kinds: Kind.allCases.map(\.rawValue), family: "variational")
        try model.checkConsistency(path: path)
        return model
    }

    /// Checks that the parts fit, so prediction cannot index out of range or compute nonsense.
    func checkConsistency(path: String) throws {
        func fail(_ found: String, _ valid: String = "a model as Verdant writes it (docs/model-format.md)") -> QuantumMLError {
            .model(path: path, found: "inconsistent model: \(found)", valid: valid)
        }
        guard scaler.featureCount == featureNames.count else {
            throw fail("the scaler has \(scaler.featureCount) features", "the model names \(featureNames.count)")
        }
        // The feature map through its builders, so its fields are checked as on creation.
        let rebuilt: FeatureMap
        do {
            switch featureMap.kind {
            case .pauli(let paulis, let entanglement, let alpha):
                rebuilt = try .pauli(features: featureMap.featureCount, paulis: paulis, reps: featureMap.reps,
                                     entanglement: entanglement, alpha: alpha)
            case .angle(let rotation):
                rebuilt = try .angle(features: featureMap.featureCount, rotation: rotation)
            case .amplitude:
                rebuilt = try .amplitude(features: featureMap.featureCount)
            }
        } catch let error as QuantumMLError {
            throw fail("the feature map is not valid (\(error))")
        }
        guard rebuilt == featureMap else { throw fail("the feature map's reps do not fit its kind") }
        guard featureMap.featureCount == featureNames.count else {
            throw fail("the feature map takes \(featureMap.featureCount) features", "the model names \(featureNames.count)")
        }
        guard ansatz.qubits == featureMap.numQubits else {
            throw fail("the ansatz acts on \(ansatz.qubits) qubits", "the feature map on \(featureMap.numQubits)")
        }
        guard weights.count == ansatz.parameterCount else {
            throw fail("the ansatz takes \(ansatz.parameterCount) weights", "the file has \(weights.count)")
        }
        switch kind {
        case .vqc:
            guard let classes, classes.count >= 2, Set(classes).count == classes.count else {
                throw fail("a vqc model needs at least two distinct classes", "has \(classes ?? [])")
            }
            guard targetScaling == nil else { throw fail("a vqc model has no \"targetScaling\"") }
            if linear == nil {
                switch readout {
                case .zExpectations where classes.count > ansatz.qubits:
                    throw fail("the z_expectations readout needs one qubit per class: \(classes.count) classes on \(ansatz.qubits) qubits")
                case .parity where classes.count != 2:
                    throw fail("the parity readout is binary", "the model has \(classes.count) classes")
                default: break
                }
            }
        case .vqr:
            guard classes == nil else { throw fail("a vqr model has no \"classes\"") }
            guard let targetScaling, targetScaling.offset.isFinite, targetScaling.factor.isFinite, targetScaling.factor != 0 else {
                throw fail("a vqr model needs \"targetScaling\" with a finite offset and a finite non-zero factor")
            }
        }
        if let linear {
            let head = self.head
            guard linear.weights.rows == head.outputCount, linear.weights.columns == head.inputCount,
                  linear.weights.values.count == head.outputCount * head.inputCount, linear.bias.count == head.outputCount
            else {
                throw fail("the linear layer must be \(head.outputCount) × \(head.inputCount) with \(head.outputCount) biases", "it is \(linear.weights.rows) × \(linear.weights.columns) with \(linear.bias.count)")
            }
        }
        guard parameters.allSatisfy(\.isFinite) else { throw fail("non-finite weights") }
    }
}
