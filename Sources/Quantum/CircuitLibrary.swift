import Foundation

extension QuantumCircuit {
    /// The quantum Fourier transform on `numQubits` qubits, as Qiskit's `QFT` builds it:
    /// for j from n−1 down to 0, `h j` then `cp(π/2^(j−k)) j, k` for k from j−1 down to 0;
    /// then, if `swaps`, `swap i, n−1−i` for i < n/2.
    /// - Parameters:
    ///   - numQubits: the width.
    ///   - swaps: whether to reverse the qubit order at the end (default true).
    /// - Returns: a circuit of n h, n(n−1)/2 cp and ⌊n/2⌋ swap gates.
    public static func qft(numQubits n: Int, swaps: Bool = true) -> QuantumCircuit {
        var circuit = QuantumCircuit(numQubits: n)
        circuit.name = "qft-\(n)"
        for j in stride(from: n - 1, through: 0, by: -1) {
            circuit.h(j)
            for k in stride(from: j - 1, through: 0, by: -1) {
                circuit.cp(Double.pi / Double(1 << min(j - k, 62)), j, k)
            }
        }
        if swaps {
            for i in 0..<(n / 2) { circuit.swap(i, n - 1 - i) }
        }
        return circuit
    }

    /// A seeded random circuit of `depth` layers of u and cx gates (the shape Qiskit transpiles
    /// random circuits to): each layer shuffles the qubits, pairs them, and gives each pair either
    /// a cx (probability ½) or a u with random angles on both qubits. The same seed gives the same
    /// circuit on every machine.
    /// - Parameters:
    ///   - numQubits: the width.
    ///   - depth: the number of layers.
    ///   - seed: the seed.
    /// - Returns: the circuit.
    public static func randomLayers(numQubits n: Int, depth: Int, seed: UInt64) -> QuantumCircuit {
        var rng = SeededGenerator(seed: seed)
        var circuit = QuantumCircuit(numQubits: n)
        circuit.name = "random-\(n)"
        func angle() -> Double { (rng.nextUniform() * 2 - 1) * Double.pi }
        for _ in 0..<max(depth, 0) {
            var order = Array(0..<n)
            order.shuffle(using: &rng)
            var i = 0
            while i + 1 < order.count {
                if rng.next() & 1 == 0 {
                    circuit.cx(order[i], order[i + 1])
                } else {
                    circuit.u(angle(), angle(), angle(), order[i])
                    circuit.u(angle(), angle(), angle(), order[i + 1])
                }
                i += 2
            }
            if n % 2 == 1 { circuit.u(angle(), angle(), angle(), order[n - 1]) }
        }
        return circuit
    }

    /// A GHZ state preparation: h on qubit 0, then a cx chain.
    /// - Parameter n: the width.
    /// - Returns: the circuit (no measurements).
    public static func ghz(numQubits n: Int) -> QuantumCircuit {
        var circuit = QuantumCircuit(numQubits: n)
        circuit.name = "ghz-\(n)"
        if n > 0 { circuit.h(0) }
        for q in stride(from: 0, to: n - 1, by: 1) { circuit.cx(q, q + 1) }
        return circuit
    }
}
