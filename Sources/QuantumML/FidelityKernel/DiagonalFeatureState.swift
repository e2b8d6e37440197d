import Foundation

// A direct construction of the states of Pauli feature maps made of Z and I only (Qiskit's ZZ and
// Z maps): each repetition is a Hadamard on every qubit followed by a diagonal phase
// exp(i·Σ_S α·φ_S(x)·parity_S(b)), because the CX chain + p(angle) + CX chain of a Z…Z term
// multiplies basis state b by e^{i·angle} exactly when the bits of b in S have odd parity. So a
// state costs one Walsh–Hadamard transform and one phase per amplitude per repetition instead of
// a gate-by-gate simulation. Internal kernel: the caller validates; tests compare it with the
// general simulator and with Qiskit.

/// The terms of a Z/I-only Pauli feature map, computed once per map.
struct DiagonalFeaturePlan: Sendable {
    /// One term: the qubits whose parity it reads, and the features of φ_S.
    struct Term: Sendable {
        let mask: Int
        let features: [Int]
    }

    let numQubits: Int
    let reps: Int
    let alpha: Double
    let terms: [Term]

    /// The plan, or nil when the map has X or Y characters (those need the general simulator).
    init?(_ map: FeatureMap) {
        guard case .pauli(let paulis, let entanglement, let alpha) = map.kind,
              paulis.allSatisfy({ $0.allSatisfy { $0 == "Z" || $0 == "I" } })
        else { return nil }
        numQubits = map.numQubits
        reps = map.reps
        self.alpha = alpha
        var terms: [Term] = []
        for label in paulis {
            let characters = Array(label.reversed())  // character k from the right acts on block[k]
            for block in entanglement.blocks(size: label.count, qubits: map.numQubits) {
                var mask = 0
                for (k, q) in block.enumerated() where characters[k] == "Z" { mask |= 1 << q }
                if mask != 0 { terms.append(Term(mask: mask, features: block)) }
            }
        }
        self.terms = terms
    }

    /// Writes the state of `sample` into `real` and `imaginary` (2^n each); `theta` is scratch of 2^n.
    func state(_ sample: UnsafePointer<Double>, real: UnsafeMutablePointer<Double>, imaginary: UnsafeMutablePointer<Double>,
               theta: UnsafeMutablePointer<Double>)
    {
        let dimension = 1 << numQubits
        // θ(b) = Σ_S α·φ_S(x)·parity(b & mask_S); φ_S = x_i for one qubit, ∏(π − x_j) otherwise.
        theta.update(repeating: 0, count: dimension)
        for term in terms {
            var angle = alpha
            if term.features.count == 1 {
                angle *= sample[term.features[0]]
            } else {
                for j in term.features { angle *= Double.pi - sample[j] }
            }
            let mask = term.mask
            for b in 0..<dimension { theta[b] += angle * Double((b & mask).nonzeroBitCount & 1) }
        }
        // Repetition 1: H on |0…0⟩ is uniform, then the phase.
        let amplitude = 1 / Double(dimension).squareRoot()
        for b in 0..<dimension {
            real[b] = amplitude * cos(theta[b])
            imaginary[b] = amplitude * sin(theta[b])
        }
        for _ in 1..<max(1, reps) {
            walshHadamard(real, imaginary, numQubits: numQubits)
            for b in 0..<dimension {
                let c = cos(theta[b]), s = sin(theta[b])
                let re = real[b], im = imaginary[b]
                real[b] = re * c - im * s
                imaginary[b] = re * s + im * c
            }
        }
    }
}

/// H on every qubit, in place: the normalised Walsh–Hadamard transform.
func walshHadamard(_ real: UnsafeMutablePointer<Double>, _ imaginary: UnsafeMutablePointer<Double>, numQubits: Int) {
    let dimension = 1 << numQubits
    var half = 1
    while half < dimension {
        var start = 0
        while start < dimension {
            for i in start..<(start + half) {
                let j = i + half
                let ar = real[i], ai = imaginary[i], br = real[j], bi = imaginary[j]
                real[i] = ar + br
                imaginary[i] = ai + bi
                real[j] = ar - br
                imaginary[j] = ai - bi
            }
            start += 2 * half
        }
        half *= 2
    }
    let scale = 1 / Double(dimension).squareRoot()
    for b in 0..<dimension {
        real[b] *= scale
        imaginary[b] *= scale
    }
}
