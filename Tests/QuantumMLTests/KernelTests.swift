import Foundation
import Parallel
import Testing
@testable import QuantumML

/// One committed Qiskit case (Fixtures/kernels/make_kernel_fixtures.py).
struct KernelFixture: Decodable {
    struct Spec: Decodable {
        let paulis: [String]
        let reps: Int
        let entanglement: String
        let alpha: Double
    }
    let name: String
    let spec: Spec
    let features: Int
    let train: [[Double]]
    let test: [[Double]]
    let train_kernel: [[Double]]
    let test_kernel: [[Double]]
    let states: [[Double]]

    func featureMap() throws -> FeatureMap {
        guard let entanglement = Entanglement(rawValue: spec.entanglement) else { throw QuantumMLError.invalidArgument(argument: "the fixture's entanglement", received: spec.entanglement, valid: "an Entanglement") }
        return try .pauli(features: features, paulis: spec.paulis, reps: spec.reps, entanglement: entanglement, alpha: spec.alpha)
    }
}

struct KernelFixtureFile: Decodable {
    let cases: [KernelFixture]
}

@Suite("Feature maps and the fidelity kernel")
struct KernelTests {
    static let cases: [KernelFixture] = (try? loadFixture("kernels/kernels.json", as: KernelFixtureFile.self).cases) ?? []

    @Test("the fixture file is present and has every case")
    func fixturesLoad() {
        #expect(Self.cases.count == 8)
    }

    @Test("states equal Qiskit's up to a global phase, to 1e-10", arguments: cases.map(\.name))
    func statesMatchQiskit(name: String) throws {
        let fixture = try #require(Self.cases.first { $0.name == name })
        let kernel = QuantumKernel(featureMap: try fixture.featureMap())
        for (sample, reference) in zip(fixture.train, fixture.states) {
            let ours = try kernel.state(sample)
            #expect(ours.count == reference.count)
            // The global phase that maps our largest amplitude onto Qiskit's.
            let k = stride(from: 0, to: reference.count, by: 2).max { hypot(reference[$0], reference[$0 + 1]) < hypot(reference[$1], reference[$1 + 1]) } ?? 0
            let (ar, ai, br, bi) = (ours[k], ours[k + 1], reference[k], reference[k + 1])
            let norm = ar * ar + ai * ai
            let (pr, pi) = ((br * ar + bi * ai) / norm, (bi * ar - br * ai) / norm)   // b / a
            var worst = 0.0
            for m in stride(from: 0, to: ours.count, by: 2) {
                let re = ours[m] * pr - ours[m + 1] * pi, im = ours[m] * pi + ours[m + 1] * pr
                worst = max(worst, abs(re - reference[m]), abs(im - reference[m + 1]))
            }
            #expect(worst < 1e-10, "\(name): largest amplitude difference \(worst)")
        }
    }

    @Test("training and test kernels equal qiskit-machine-learning's FidelityStatevectorKernel to 1e-10", arguments: cases.map(\.name))
    func kernelsMatchQiskit(name: String) throws {
        let fixture = try #require(Self.cases.first { $0.name == name })
        let kernel = QuantumKernel(featureMap: try fixture.featureMap())
        let train = try Matrix(fixture.train), test = try Matrix(fixture.test)
        let k = try kernel.trainingMatrix(train)
        #expect(maxDifference(k.values, fixture.train_kernel.flatMap { $0 }) < 1e-10)
        let t = try kernel.matrix(test, train)
        #expect(t.rows == test.rows && t.columns == train.rows)
        #expect(maxDifference(t.values, fixture.test_kernel.flatMap { $0 }) < 1e-10)
    }

    @Test("the matrix is the same bit for bit for every tile size, thread count, rank count and the streaming path")
    func splitIndependence() throws {
        let map = try FeatureMap.zz(features: 3, reps: 2)
        var generator = SplitMix(seed: 5)
        let x = try Matrix((0..<23).map { _ in (0..<3).map { _ in generator.nextUnit() * .pi } })
        let y = try Matrix((0..<9).map { _ in (0..<3).map { _ in generator.nextUnit() * .pi } })
        let reference = try QuantumKernel(featureMap: map, scheduler: Scheduler(threads: 1)).trainingMatrix(x)
        let referenceTest = try QuantumKernel(featureMap: map, scheduler: Scheduler(threads: 1)).matrix(y, x)
        for tile in [1, 4, 7, 64] {
            for threads in [1, 3] {
                for budget: UInt64? in [nil, 1024] {
                    var kernel = QuantumKernel(featureMap: map, scheduler: try Scheduler(threads: threads), memoryBudgetBytes: budget)
                    kernel.tileSize = tile
                    #expect(try kernel.trainingMatrix(x) == reference, "tile \(tile), threads \(threads), budget \(String(describing: budget))")
                    #expect(try kernel.matrix(y, x) == referenceTest, "tile \(tile), threads \(threads), budget \(String(describing: budget))")
                }
            }
        }
        let perRank = try LocalCommunicator.run(ranks: 3) { communicator in
            var kernel = QuantumKernel(featureMap: map, scheduler: try Scheduler(threads: 1), communicator: communicator)
            kernel.tileSize = 5
            return try kernel.trainingMatrix(x)
        }
        #expect(perRank.allSatisfy { $0 == reference })
        // Symmetric, ones on the diagonal, entries in [0, 1].
        for i in 0..<x.rows {
            #expect(reference[i, i] == 1)
            for j in 0..<x.rows { #expect(reference[i, j] == reference[j, i] && reference[i, j] >= 0 && reference[i, j] <= 1 + 1e-12) }
        }
    }

    @Test("Z-only maps: the direct Walsh–Hadamard construction equals the gate-by-gate simulation to 1e-12")
    func directDiagonalStates() throws {
        var generator = SplitMix(seed: 11)
        let maps: [FeatureMap] = [
            try .zz(features: 5, reps: 3), try .zz(features: 4, reps: 1, entanglement: .circular, alpha: 0.7),
            try .z(features: 3, reps: 2), try .pauli(features: 4, paulis: ["ZIZ", "Z", "ZZZ"], reps: 2, entanglement: .linear),
        ]
        for map in maps {
            #expect(DiagonalFeaturePlan(map) != nil)
            let x = try Matrix((0..<6).map { _ in (0..<map.featureCount).map { _ in generator.nextUnit() * 4 - 1 } })
            var general = QuantumKernel(featureMap: map)
            general.directDiagonalStates = false
            let direct = QuantumKernel(featureMap: map)
            for i in 0..<x.rows {
                #expect(maxDifference(try direct.state(x.row(i)), try general.state(x.row(i))) < 1e-12, "\(map)")
            }
            #expect(maxDifference(try direct.trainingMatrix(x).values, try general.trainingMatrix(x).values) < 1e-12)
        }
        #expect(DiagonalFeaturePlan(try .pauli(features: 2, paulis: ["ZX"])) == nil)
    }

    @Test("angle encoding gives ∏ cos²((xᵢ − yᵢ)/2) for every axis")
    func angleEncoding() throws {
        let x = try Matrix([[0.1, 2.0, -1.3], [0.7, 0.2, 3.0], [1.5, -0.4, 0.0]])
        for axis in RotationAxis.allCases {
            let k = try QuantumKernel(featureMap: .angle(features: 3, rotation: axis)).trainingMatrix(x)
            for i in 0..<3 {
                for j in 0..<3 {
                    let expected = (0..<3).reduce(1.0) { $0 * pow(cos((x[i, $1] - x[j, $1]) / 2), 2) }
                    #expect(abs(k[i, j] - expected) < 1e-12, "axis \(axis) (\(i), \(j))")
                }
            }
        }
    }

    @Test("amplitude encoding gives (x·y)² / (‖x‖²‖y‖²), padded to a power of two")
    func amplitudeEncoding() throws {
        let x = try Matrix([[1, 2, 3], [0, -1, 4], [5, 0.5, 0]])
        let map = try FeatureMap.amplitude(features: 3)
        #expect(map.numQubits == 2)
        let k = try QuantumKernel(featureMap: map).trainingMatrix(x)
        for i in 0..<3 {
            for j in 0..<3 {
                let dot = (0..<3).reduce(0.0) { $0 + x[i, $1] * x[j, $1] }
                let ni = (0..<3).reduce(0.0) { $0 + x[i, $1] * x[i, $1] }, nj = (0..<3).reduce(0.0) { $0 + x[j, $1] * x[j, $1] }
                #expect(abs(k[i, j] - dot * dot / (ni * nj)) < 1e-12)
            }
        }
    }

    @Test("entanglement blocks follow Qiskit's get_entangler_map")
    func entanglementBlocks() {
        #expect(Entanglement.full.blocks(size: 2, qubits: 4) == [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]])
        #expect(Entanglement.linear.blocks(size: 3, qubits: 4) == [[0, 1, 2], [1, 2, 3]])
        #expect(Entanglement.reverseLinear.blocks(size: 2, qubits: 4) == [[2, 3], [1, 2], [0, 1]])
        #expect(Entanglement.circular.blocks(size: 2, qubits: 4) == [[3, 0], [0, 1], [1, 2], [2, 3]])
        #expect(Entanglement.circular.blocks(size: 3, qubits: 4) == [[2, 3, 0], [3, 0, 1], [0, 1, 2], [1, 2, 3]])
        #expect(Entanglement.circular.blocks(size: 2, qubits: 2) == [[0, 1]])
    }

    @Test("bad inputs get errors that say what was received")
    func errors() throws {
        let map = try FeatureMap.zz(features: 2)
        let kernel = QuantumKernel(featureMap: map)
        #expect(thrownMessage { _ = try kernel.trainingMatrix(Matrix([[1, 2, 3]])) }
            == "shape mismatch: the training data: 3 features; expected 2, as the zz feature map, 2 reps, full entanglement, alpha 2.0, 2 qubits takes")
        #expect(thrownMessage { _ = try kernel.trainingMatrix(Matrix([[1, .nan]])) }
            == "training data, sample 0, feature 1: nan is not a finite number; features must be finite")
        #expect(thrownMessage { _ = try QuantumKernel(featureMap: .amplitude(features: 2)).trainingMatrix(Matrix([[0, 0]])) }
            == "training data, sample 0: every feature is 0; amplitude encoding cannot normalise an all-zero sample")
        #expect(thrownMessage { _ = try FeatureMap.pauli(features: 2, paulis: ["ZA"]) }
            == "invalid argument: a Pauli label must be made of the characters I, X, Y and Z; received \"ZA\"")
        #expect(thrownMessage { _ = try FeatureMap.zz(features: 0) }
            == "invalid argument: the feature count of a feature map must be 1…26 (one qubit each); received 0")
        #expect(thrownMessage { _ = try FeatureMap.zz(features: 2, reps: 0) } == "invalid argument: reps must be ≥ 1; received 0")
    }
}

/// A small seeded generator for test inputs (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
