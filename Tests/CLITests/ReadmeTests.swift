import Foundation
import Testing
import Verdant

/// The README's Swift example, as written there (only the sealed file goes to a temporary folder
/// instead of the working directory), through the umbrella module.
@Suite("README examples")
struct ReadmeTests {
    @Test("the README's Swift example runs as written and prints what it says")
    func readmeExample() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sealedPath = directory.appendingPathComponent("data.csv.sealed").path

        let q = QuantumRegister(2, name: "q"); let c = ClassicalRegister(2, name: "c")
        var circuit = QuantumCircuit(q, c)
        circuit.h(q[0]); circuit.cx(q[0], q[1]); circuit.measure(q, c)
        let result = try circuit.run(shots: 1024, seed: 7)
        #expect(result.counts == ["00": 496, "11": 528])

        let theta = Parameter("θ")
        var ansatz = QuantumCircuit(numQubits: 2)
        ansatz.ry(theta, 0); ansatz.cx(0, 1)
        let compiled = try Simulator().compile(ansatz)
        let energy = try compiled.expectation(PauliSum("0.5*ZZ - 1.2*XI"), binding: [theta: 0.3])
        #expect(abs(energy - 0.5) < 1e-12)
        let (value, gradient) = try compiled.gradient(of: PauliSum("ZI"), binding: [theta: 0.3])
        #expect(abs(value - cos(0.3)) < 1e-12 && abs(gradient[0] + sin(0.3)) < 1e-12)
        let qasm = try QuantumCircuit.qft(numQubits: 5).qasm()
        #expect(qasm.hasPrefix("OPENQASM 2.0;"))
        let noise = try DeviceNoise.parse(depolarizing: "1e-3,1e-2", readoutError: "0.02").model()
        let noisy = try Simulator(method: .densityMatrix, noise: noise).run(circuit, shots: 1024, seed: 7)
        #expect(noisy.counts.values.reduce(0, +) == 1024 && noisy.counts.count > 2, "readout errors record 01 and 10 too")
        let exact = try #require(noisy.noise?.probabilities)
        // The error after h leaves q0 diagonal-or-coherent, which cx copies to q1 (00 or 11 only); the
        // two-qubit depolarizing λ2 after cx gives P(01) = P(10) = λ2/4.
        #expect(abs(exact[1] - 1e-2 / 4) < 1e-12 && abs(exact[2] - 1e-2 / 4) < 1e-12 && abs(exact.reduce(0, +) - 1) < 1e-12)

        let x = ChunkedArray(Array(0..<10), chunks: 5)
        let y = x ** 2
        #expect(try y.compute() == [0, 1, 4, 9, 16, 25, 36, 49, 64, 81])
        let squares = try Scheduler.shared.map(Array(1...100)) { $0 * $0 }
        #expect(squares == (1...100).map { $0 * $0 })

        let me = X25519Identity()
        let csv = Data("x,y,label\n0.1,0.2,a\n".utf8)
        try SealedFile.write(csv, toPath: sealedPath, for: [.x25519(me.recipient)], contentType: "dataset/csv")
        let plain = try SealedFile.contents(atPath: sealedPath, identities: [.x25519(me)], expecting: "dataset/csv")
        #expect(plain == csv)
        #expect(try SealedFile.isSealed(atPath: sealedPath))

        var config = EnergyConfiguration()
        config.grid = try CarbonIntensity.lookup("FR")
        let meter = try EnergyMeter(configuration: config)
        let state = try meter.span("simulate") { try QuantumCircuit.qft(numQubits: 12).statevector() }
        let report = meter.stop(label: "my job")
        #expect(state.numQubits == 12)
        #expect(report.summary.contains("J"))

        let iris = DatasetLoader.iris()
        let (train, test) = try stratifiedSplit(iris, testFraction: 0.25, seed: 7)
        let qsvm = try Classifier.train(train, test: test, configuration: TrainingConfiguration(
            kind: .qsvm, featureMap: try .zz(features: 4, reps: 2, alpha: 0.5)))
        #expect(abs((qsvm.training.testAccuracy ?? 0) - 38.0 / 39.0) < 1e-12)
        let modelPath = directory.appendingPathComponent("iris.model.sealed").path
        try qsvm.write(toPath: modelPath, recipients: [.x25519(me.recipient)])
        #expect(try Classifier.load(atPath: modelPath) { _ in [.x25519(me)] } == qsvm)
        let kernel = try QuantumKernel(featureMap: .zz(features: 4)).trainingMatrix(train.features)
        #expect(kernel.rows == 111 && kernel.columns == 111)
        let qnn = try VariationalModel.trainClassifier(train, test: test, configuration: VariationalConfiguration(
            ansatz: try .realAmplitudes(qubits: 4, reps: 2), seed: 7))
        #expect((qnn.training.testAccuracy ?? 0) >= 0.9)
        #expect(qnn.history.count == 20 && qnn.history.last!.loss < qnn.history.first!.loss)

        let irisPath = directory.appendingPathComponent("iris.csv.sealed").path
        try SealedFile.write(Data(DatasetLoader.irisCSV.utf8), toPath: irisPath, for: [.x25519(me.recipient)], contentType: "dataset/csv")
        var job = TrainingJob(model: .qsvm, data: .file(irisPath))
        job.featureMap = FeatureMapChoice(.zz, alpha: 0.5)
        job.keys = InputKeys(identities: [.x25519(me)])
        let outcome = try TrainedModel.train(job)
        let predictions = try outcome.model.predict(PredictionJob(data: outcome.testSamples ?? .iris))
        #expect(abs((predictions.accuracy ?? 0) - 38.0 / 39.0) < 1e-12 && predictions.csv.hasPrefix("sample,prediction,label\n"))

        var content = ReportContent()
        try content.add(model: outcome.model, name: "qsvm", training: outcome.trainingSamples, test: outcome.testSamples)
        try content.add(energy: report)
        let reportPath = directory.appendingPathComponent("report.html").path
        try Report.build(content).write(toPath: reportPath)
        #expect(try String(contentsOfFile: reportPath, encoding: .utf8).contains("<h3>Quantum kernel matrix</h3>"))
    }
}
