import Foundation

/// How a noisy circuit is simulated.
public enum SimulationMethod: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The cheaper of the two for the circuit, shots and memory (``NoisyRunInfo/reason`` says why).
    case automatic = "auto"
    /// The exact density matrix: 16·4^n bytes, every shot sampled from its diagonal.
    case densityMatrix = "density-matrix"
    /// Monte-Carlo trajectories on the state vector: 2^n amplitudes per live branch, error branches
    /// drawn with their true probabilities, shots that share an error pattern simulated once.
    case trajectories

    /// "auto", "density-matrix" or "trajectories".
    public var description: String { rawValue }
}

/// An expectation value under noise and its standard error.
public struct ExpectationEstimate: Sendable, Equatable, CustomStringConvertible {
    /// The estimate (exact for the density-matrix method without shots).
    public let value: Double
    /// The standard error of ``value``: 0 when exact; s/√N over N trajectories or shots otherwise.
    public let standardError: Double
    /// The method that produced it.
    public let method: SimulationMethod
    /// Trajectories or shots averaged (0 when exact).
    public let samples: Int

    /// `0.8123 ± 0.0041 (trajectories, 1000 samples)`.
    public var description: String {
        samples == 0 ? "\(value) (exact, \(method))"
            : String(format: "%.6g ± %.2g", value, standardError) + " (\(method), \(samples) samples)"
    }
}

/// How a noisy run went: the method and why it was chosen, the exact outcome probabilities (density
/// matrix), the final density matrix when asked for, and where the model put errors.
public struct NoisyRunInfo: Sendable {
    /// The method used.
    public let method: SimulationMethod
    /// Why it was used (`auto`'s reasoning, or "requested").
    public let reason: String
    /// The probability of each basis state of all qubits at the end, after every quantum error
    /// (including those the model puts before measurements) and before readout errors — Aer's
    /// `save_probabilities_dict` values. Density-matrix method only (nil for trajectories).
    public let probabilities: [Double]?
    /// The final density matrix, when ``Simulator/keepsDensityMatrix`` is set (density-matrix method).
    public let densityMatrix: DensityMatrix?
    /// Instruction names that had an error, with their counts in the circuit.
    public let noisyInstructions: [String: Int]
    /// Instruction names the model has no error for (they ran ideally), with their counts.
    public let idealInstructions: [String: Int]
    /// Readout errors of the model that never apply (multi-qubit ones: Verdant measures one qubit
    /// at a time, and Aer applies them to multi-qubit measure instructions only).
    public let unusedReadoutErrors: [[Int]]
    /// Trajectories: distinct branches simulated (shots that share an error pattern share one).
    public let branches: Int?
    /// Trajectories: how many times an error term other than the most likely was applied.
    public let errorsApplied: Int?
}

extension CompiledCircuit {
    /// Expectation values with their standard errors, by the simulator's method: exact from the
    /// density matrix (standard error 0), measured from ``Simulator/estimateShots`` shots of it
    /// (readout errors included, mitigated when ``Simulator/mitigatesReadout`` is set), or averaged
    /// over trajectories (``Simulator/expectationTrajectories``, else ``Simulator/estimateShots``,
    /// else 1000).
    /// - Parameters:
    ///   - observables: Pauli sums as wide as the circuit.
    ///   - values: one number per parameter, in ``parameters`` order.
    /// - Returns: one estimate per observable.
    /// - Throws: ``QuantumError/wrongBindingCount(received:expected:)``,
    ///   ``QuantumError/observableWidth(received:numQubits:)``, ``QuantumError/invalidState(_:)`` for
    ///   circuits that measure, reset or condition, memory errors.
    public func estimateExpectations(_ observables: [PauliSum], values: [Double] = []) throws -> [ExpectationEstimate] {
        guard values.count == parameters.count else {
            throw QuantumError.wrongBindingCount(received: values.count, expected: parameters.map(\.name))
        }
        guard let noisy else {
            return try expectations(observables, values: values).map {
                ExpectationEstimate(value: $0, standardError: 0, method: .automatic, samples: 0)
            }
        }
        return try noisy.estimates(self, observables, values: values, initialState: nil)
    }

    /// The final density matrix of the circuit with the simulator's noise model: exact, in double
    /// precision (measurements at the end are not applied; the errors placed before them are).
    /// - Parameters:
    ///   - values: one number per parameter, in ``parameters`` order.
    ///   - initialState: the input state instead of |0…0⟩ (nil: |0…0⟩).
    /// - Returns: ρ.
    /// - Throws: ``NoiseError/insufficientMemory(qubits:bytesNeeded:bytesAvailable:limitSource:)``,
    ///   ``NoiseError/methodUnavailable(method:reason:remedy:)`` for conditions or mid-circuit
    ///   measurements, ``QuantumError/wrongBindingCount(received:expected:)``, and
    ///   ``QuantumError/invalidState(_:)`` for a circuit compiled without noise.
    public func densityMatrix(values: [Double] = [], initialState: StateVector<Double>? = nil) throws -> DensityMatrix {
        guard values.count == parameters.count else {
            throw QuantumError.wrongBindingCount(received: values.count, expected: parameters.map(\.name))
        }
        guard let source = noisy else {
            throw QuantumError.invalidState("this circuit was compiled for the state vector: compile it with a simulator that has a noise "
                                            + "model or method .densityMatrix (or use Simulator.densityMatrix(_:))")
        }
        if let initialState, initialState.numQubits != numQubits {
            throw QuantumError.invalidState("the initial state has \(initialState.numQubits) qubits; the circuit has \(numQubits)")
        }
        return try source.densityMatrix(self, values: Dictionary(uniqueKeysWithValues: zip(parameters, values)), initialState: initialState)
    }
}

extension Simulator {
    /// A simulator with a noise model and a method for it.
    /// - Parameters:
    ///   - method: `.automatic` (default), `.densityMatrix` or `.trajectories`.
    ///   - noise: the noise model (nil: ideal; with `.densityMatrix` the ideal density matrix).
    ///   - precision: the state vectors' precision (density matrices are always double).
    ///   - threads: threads for kernels and branches (nil: all cores).
    ///   - maxMemoryBytes: refuse states larger than this.
    public init(method: SimulationMethod, noise: NoiseModel?, precision: Precision = .double, threads: Int? = nil,
                maxMemoryBytes: UInt64? = nil)
    {
        self.init(precision: precision, threads: threads, maxMemoryBytes: maxMemoryBytes)
        self.method = method
        self.noise = noise
    }

    /// The final density matrix of a circuit under this simulator's noise model (ideal without one).
    /// - Parameter circuit: a circuit with numeric angles; measurements at the end are not applied.
    /// - Returns: ρ, exact in double precision.
    /// - Throws: as ``CompiledCircuit/densityMatrix(values:)``, and the circuit's validation errors.
    public func densityMatrix(_ circuit: QuantumCircuit) throws -> DensityMatrix {
        var simulator = self
        simulator.method = .densityMatrix
        return try simulator.compile(circuit).densityMatrix()
    }
}
