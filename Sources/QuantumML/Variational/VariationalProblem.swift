import ComplexModule
import Foundation
import Quantum

// The per-sample computation of a variational model: the feature map followed by the ansatz,
// compiled once and bound per sample (data values + weights), the readout's expectations and
// their Jacobian, and the loss gradient by the chain rule. Everything here runs on checked inputs
// (VariationalValidation.swift checks them once); the functions are called from worker threads.

/// The flat parameter vector θ of a model: the ansatz weights (in the ansatz's order), then the
/// hybrid layer's W (outputs × inputs, row-major) and b.
struct VariationalProblem: Sendable {
    /// Feature map then ansatz, compiled once, simulated on one thread per sample.
    let compiled: CompiledCircuit
    /// For feature j, its parameter's index in `compiled.parameters` (−1: the map does not use it).
    let dataSlots: [Int]
    /// For ansatz weight j, its parameter's index in `compiled.parameters` (−1: unused).
    let weightSlots: [Int]
    /// How expectations become outputs and a loss.
    let head: ReadoutHead
    /// The readout's observables.
    let observables: [PauliSum]
    /// How the Jacobian of the expectations is computed.
    let method: GradientMethod
    /// Amplitude encoding: each sample is the circuit's input state (normalised, zero-padded to
    /// 2^n) and the circuit is the ansatz alone.
    let amplitudeEncoding: Bool
    /// The feature map (for ``checkEncodable(_:name:)``).
    let featureMap: FeatureMap
    /// The ansatz weights the circuit uses: the only parameters differentiated (the feature map's
    /// data angles are not, so the adjoint sweep stops at the ansatz and parameter shift shifts
    /// weights only).
    let weightParameters: ParameterSelection

    /// The ansatz weights in θ.
    var weightCount: Int { weightSlots.count }
    /// The length of θ.
    var parameterCount: Int { weightSlots.count + head.linearParameterCount }

    /// Builds and compiles the circuit of a checked feature map and ansatz of equal width.
    /// - Throws: the simulator's compile errors (none expected for checked inputs).
    /// - Parameter noise: run the circuit under noise (its density matrix; NoiseSettings.swift).
    init(featureMap: FeatureMap, ansatz: Ansatz, head: ReadoutHead, method: GradientMethod, noise: NoiseSettings? = nil) throws {
        self.featureMap = featureMap
        let (mapCircuit, x) = featureMap.parameterisedCircuit()
        let (ansatzCircuit, theta) = ansatz.parameterisedCircuit()
        let composed = try mapCircuit.compose(ansatzCircuit)
        let circuit = try noise?.prepared(composed) ?? composed
        // One thread per simulation: the parallelism is across the samples of a mini-batch.
        compiled = try (noise?.simulator() ?? Simulator(threads: 1)).compile(circuit)
        let slot = Dictionary(uniqueKeysWithValues: compiled.parameters.enumerated().map { ($1, $0) })
        dataSlots = x.map { slot[$0] ?? -1 }
        weightSlots = theta.map { slot[$0] ?? -1 }
        weightParameters = try compiled.selection(theta.filter { slot[$0] != nil })
        if case .amplitude = featureMap.kind { amplitudeEncoding = true } else { amplitudeEncoding = false }
        self.head = head
        observables = try head.observables()
        self.method = method
    }

    /// Throws for a sample that amplitude encoding cannot use (all features zero), naming it;
    /// nothing for other feature maps.
    /// - Parameter name: what `x` is, for the message ("training data", …).
    func checkEncodable(_ x: Matrix, name: String) throws {
        try featureMap.checkEncodable(x, name: name)
        guard amplitudeEncoding else { return }
        for i in 0..<x.rows where (0..<x.columns).allSatisfy({ x[i, $0] == 0 }) {
            throw QuantumMLError.data(location: "\(name), sample \(i)",
                                      found: "every feature is 0 (after scaling), and amplitude encoding cannot normalise an all-zero sample",
                                      valid: "drop the sample, or, if minmax scaling made it zero (it sits at every feature's training minimum), "
                                          + "use --scale standard")
        }
    }

    /// The input state of sample `row` under amplitude encoding (nil: |0…0⟩ for gate feature maps).
    private func initialState(_ x: Matrix, row: Int) throws -> StateVector<Double>? {
        guard amplitudeEncoding else { return nil }
        var amplitudes = [Complex<Double>](repeating: .zero, count: 1 << compiled.numQubits)
        for (j, a) in FeatureMap.normalisedAmplitudes(x, row: row).enumerated() { amplitudes[j] = Complex(a) }
        return try StateVector(amplitudes: amplitudes)
    }

    /// The circuit's parameter values for sample `row` of `x` and weights θ, in compiled order.
    private func circuitValues(_ x: Matrix, row: Int, _ theta: [Double]) -> [Double] {
        var values = [Double](repeating: 0, count: compiled.parameters.count)
        for (j, slot) in dataSlots.enumerated() where slot >= 0 { values[slot] = x[row, j] }
        for (j, slot) in weightSlots.enumerated() where slot >= 0 { values[slot] = theta[j] }
        return values
    }

    /// Adds sample `row`'s loss gradient ∂ℓ/∂θ to `accumulator[0..<parameterCount]`, its loss to
    /// `accumulator[parameterCount]` and 1 to `accumulator[parameterCount + 1]` when it is
    /// classified right.
    func addGradient(_ x: Matrix, row: Int, target: Double, theta: [Double], into accumulator: inout [Double]) throws {
        let values = circuitValues(x, row: row, theta)
        let (e, jacobian) = try compiled.gradient(of: observables, values: values, withRespectTo: weightParameters, method: method,
                                                 initialState: initialState(x, row: row))
        let m = head.inputCount, p = parameterCount
        var gradientE = [Double](repeating: 0, count: m)
        let result = accumulator.withUnsafeMutableBufferPointer { buffer -> (loss: Double, correct: Bool) in
            let linear = head.hybrid ? UnsafeMutableBufferPointer(rebasing: buffer[weightCount..<p]) : nil
            return head.loss(e, theta[weightCount...], target: target, gradientE: &gradientE, gradientLinear: linear)
        }
        // Chain rule: ∂ℓ/∂θ_j = Σ_k ∂ℓ/∂e_k · ∂e_k/∂θ_j.
        for (j, slot) in weightSlots.enumerated() where slot >= 0 {
            var s = 0.0
            for k in 0..<m { s += gradientE[k] * jacobian[k][slot] }
            accumulator[j] += s
        }
        accumulator[p] += result.loss
        if result.correct { accumulator[p + 1] += 1 }
    }

    /// The readout's expectations for sample `row`.
    func expectations(_ x: Matrix, row: Int, theta: [Double]) throws -> [Double] {
        try compiled.expectations(observables, values: circuitValues(x, row: row, theta), initialState: initialState(x, row: row))
    }

    /// Sample `row`'s loss and whether it is classified right.
    func loss(_ x: Matrix, row: Int, target: Double, theta: [Double]) throws -> (loss: Double, correct: Bool) {
        let e = try expectations(x, row: row, theta: theta)
        var unused = [Double](repeating: 0, count: head.inputCount)
        return head.loss(e, theta[weightCount...], target: target, gradientE: &unused, gradientLinear: nil)
    }

    /// Sample `row`'s outputs: class probabilities, or the scaled value.
    func outputs(_ x: Matrix, row: Int, theta: [Double]) throws -> [Double] {
        head.outputs(try expectations(x, row: row, theta: theta), theta[weightCount...])
    }
}
