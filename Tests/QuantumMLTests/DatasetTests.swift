import Foundation
import Privacy
import Quantum
import Testing
@testable import QuantumML

/// Fixtures in Fixtures/data/, made by make_fixtures.py (scikit-learn, qiskit-machine-learning).
private let dataFixtures = "data/"

private struct ComplexMatrixFixture: Decodable {
    let real: [[Double]]
    let imag: [[Double]]
}

private struct AdHocFixture: Decodable {
    let n: Int
    let gap: Double
    let gridCount: Int
    let draw: ComplexMatrixFixture
    let v: ComplexMatrixFixture
    let gridLabels: String
    let expectationStride: Int
    let expectations: [Double]
    let trainFeatures: [[Double]]
    let trainLabels: [Int]
    let testFeatures: [[Double]]
    let testLabels: [Int]
}

// MARK: - CSV

@Suite("Dataset: CSV")
struct DatasetCSVTests {
    @Test("label in the last column by default; features in file order; classes sorted by text")
    func lastColumn() throws {
        let data = try DatasetLoader.csv(text: "a,b,kind\n1,2,dog\n3,4.5,cat\n-1e-3,6,dog\n", name: "pets")
        #expect(data.name == "pets")
        #expect(data.featureNames == ["a", "b"])
        #expect(data.labelName == "kind")
        #expect(data.classes == ["cat", "dog"])
        #expect(data.labels == [1, 0, 1])
        #expect(data.features.rowArrays == [[1, 2], [3, 4.5], [-0.001, 6]])
        #expect(data.count == 3)
    }

    @Test("label column by name, anywhere; the other columns stay in order")
    func namedLabel() throws {
        let data = try DatasetLoader.csv(text: "x,y,z\n1,a,2\n3,b,4\n", name: "t", labelColumn: "y")
        #expect(data.featureNames == ["x", "z"])
        #expect(data.features.rowArrays == [[1, 2], [3, 4]])
        #expect(data.classes == ["a", "b"] && data.labels == [0, 1])
    }

    @Test("quoted fields, CRLF, a byte order mark, spaces, no last line end, blank lines at the end")
    func syntax() throws {
        let text = "\u{FEFF}\"first, one\" , second,\"the \"\"label\"\"\"\r\n 1 ,\t2,\"a,b\"\r\n3,4,\"multi\nline\"\r\n5,6,plain\r\n\r\n  \n"
        let data = try DatasetLoader.csv(text: text, name: "q")
        #expect(data.featureNames == ["first, one", "second"])
        #expect(data.labelName == "the \"label\"")
        #expect(data.features.rowArrays == [[1, 2], [3, 4], [5, 6]])
        #expect(data.classes == ["a,b", "multi\nline", "plain"])
        let noEnd = try DatasetLoader.csv(text: "a,b\n1,x", name: "n")
        #expect(noEnd.count == 1 && noEnd.classes == ["x"])
        // A lone CR ends a line too.
        let oldMac = try DatasetLoader.csv(text: "a,b\r1,x\r2,y", name: "m")
        #expect(oldMac.features.rowArrays == [[1], [2]])
    }

    @Test("numeric labels are kept as text and sorted by value, one class per number; others by code point")
    func classOrder() throws {
        #expect(Dataset.sortedClassNames(["1", "-1", "1", "-1"]) == ["-1", "1"])
        #expect(Dataset.sortedClassNames(["10", "2", "1", "0.5"]) == ["0.5", "1", "2", "10"])
        // One number is one class, named as first written (an audit found "1" and "1.0" made two
        // classes where pandas and scikit-learn see one).
        #expect(Dataset.sortedClassNames(["1.0", "1", "2"]) == ["1.0", "2"])
        #expect(Dataset.sortedClassNames(["+1", "1", "-1", "1e0", "-0", "0"]) == ["-1", "-0", "+1"])
        #expect(Dataset.sortedClassNames(["0x1", "1"]) == ["0x1", "1"])
        #expect(Dataset.sameClass("1", "1.00") && Dataset.sameClass("-0", "0") && !Dataset.sameClass("1", "0x1") && !Dataset.sameClass("a", "A"))
        #expect(Dataset.classIndex(of: "0.0", in: ["0", "1"]) == 0 && Dataset.classIndex(of: "2", in: ["0", "1"]) == nil)
        let merged = try DatasetLoader.csv(text: "f,y\n0,1\n1,1.0\n2,0\n3,+1\n", name: "m")
        #expect(merged.classes == ["0", "1"] && merged.labels == [1, 1, 0, 1])
        #expect(try DatasetLoader.csv(text: "f,y\n0,1\n1,1.0\n", name: "one").classes == ["1"])
        #expect(throws: (any Error).self) {
            _ = try Dataset(name: "d", features: Matrix(rows: 2, columns: 1), labels: [0, 1], classes: ["1", "1.0"], featureNames: ["f"], labelName: "y")
        }
        #expect(Dataset.sortedClassNames(["b", "B", "a", "10", "9"]) == ["10", "9", "B", "a", "b"])
        #expect(Dataset.sortedClassNames(["nan", "1"]) == ["1", "nan"])
        let data = try DatasetLoader.csv(text: "f,y\n0,10\n1,2\n2,-1\n3,2\n", name: "n")
        #expect(data.classes == ["-1", "2", "10"])
        #expect(data.labels == [2, 1, 0, 1])
    }

    /// Each way a CSV can be wrong, with the message that says where.
    @Test("errors name the file, the line and the column", arguments: [
        ("", "e.csv: the file is empty; a header row and at least one data row are needed"),
        ("\n\n", "e.csv: the file is empty; a header row and at least one data row are needed"),
        ("a,b\n", "e.csv: there are no data rows after the header (line 1); at least one data row is needed"),
        ("a,b\n\n", "e.csv: there are no data rows after the header (line 1); at least one data row is needed"),
        ("label\nx\n", "e.csv: line 1: the header has 1 column; at least one feature column and a label column are needed"),
        ("a,a,y\n1,2,x\n", "e.csv: line 1, column 2 (\"a\"): column 1 has the same name; column names must be distinct"),
        ("a,,y\n1,2,x\n", "e.csv: line 1, column 2: the column has no name; every column of the header needs one"),
        ("a,b,y\n1,2,x\n3,4\n", "e.csv: line 3: 2 fields; the header (line 1) has 3"),
        ("a,b,y\n1,2,x,9\n", "e.csv: line 2: 4 fields; the header (line 1) has 3"),
        ("a,b\n1,x\n\n2,y\n", "e.csv: line 3 is blank; blank lines are allowed only at the end of the file"),
        ("a,b,y\n1,2,x\n1,abc,x\n", "e.csv: line 3, column 2 (\"b\"): \"abc\" is not a number; a feature cell holds a finite number"),
        ("a,b,y\n1,,x\n", "e.csv: line 2, column 2 (\"b\"): the cell is empty; a number is needed"),
        ("a,b,y\n1,nan,x\n", "e.csv: line 2, column 2 (\"b\"): \"nan\" is not a finite number; NaN and infinity are not accepted"),
        ("a,b,y\n1,-inf,x\n", "e.csv: line 2, column 2 (\"b\"): \"-inf\" is not a finite number; NaN and infinity are not accepted"),
        ("a,b,y\n1,Infinity,x\n", "e.csv: line 2, column 2 (\"b\"): \"Infinity\" is not a finite number; NaN and infinity are not accepted"),
        ("a,b,y\n1,2,\n", "e.csv: line 2, column 3 (\"y\"): the label is empty; every row needs a label"),
        ("a,b\n1,\"x\n2,y\n", "e.csv: line 2, column 2: the quoted field is not closed before the end of the file; close it with a quote"),
        ("a,b\n1,\"x\"z\n", "e.csv: line 2, column 2: \"z\" after the closing quote; a quoted field must be followed by a comma or the end of the line (write \"\" for a quote inside it)"),
        ("a,\"b\nc\",y\n1,2,x\n3,q,x\n", "e.csv: line 4, column 2 (\"b\nc\"): \"q\" is not a number; a feature cell holds a finite number"),
        // Swift reads hexadecimal; NumPy and pandas do not (an audit found 0x10 trained as 16).
        ("a,b,y\n1,0x10,x\n", "e.csv: line 2, column 2 (\"b\"): \"0x10\" is not a number; a feature cell holds a finite number"),
        ("a,b,y\n1,0x1p3,x\n", "e.csv: line 2, column 2 (\"b\"): \"0x1p3\" is not a number; a feature cell holds a finite number"),
    ])
    func errors(text: String, message: String) {
        #expect(thrownMessage { _ = try DatasetLoader.csv(text: text, name: "e.csv") } == message)
    }

    @Test("an unknown label column lists the columns")
    func unknownLabel() {
        let message = thrownMessage { _ = try DatasetLoader.csv(text: "a,b,y\n1,2,x\n", name: "e.csv", labelColumn: "kind") }
        #expect(message == "e.csv: there is no column named \"kind\" (the label column); the columns are \"a\", \"b\", \"y\"")
    }

    @Test("files: the name drops .csv and .sealed; a missing file is a Privacy io error")
    func files() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("flowers.csv")
        try Data("a,b\n1,x\n2,y\n".utf8).write(to: URL(fileURLWithPath: path))
        let data = try DatasetLoader.csv(atPath: path)
        #expect(data.name == "flowers" && data.count == 2)
        try Data("a,b\n1,zz\n2,y\n".utf8).write(to: URL(fileURLWithPath: folder.path("bad.csv")))
        #expect(throws: QuantumMLError.self) { try DatasetLoader.csv(atPath: folder.path("bad.csv"), labelColumn: "c") }
        let missing = folder.path("missing.csv")
        #expect(throws: PrivacyError.io(path: missing, operation: "read", reason: "no such file")) {
            try DatasetLoader.csv(atPath: missing)
        }
        try Data([0x61, 0x2C, 0x62, 0x0A, 0xFF, 0x2C, 0x31, 0x0A]).write(to: URL(fileURLWithPath: folder.path("latin.csv")))
        #expect(thrownMessage { _ = try DatasetLoader.csv(atPath: folder.path("latin.csv")) }
                == "\(folder.path("latin.csv")): the file is not UTF-8 text; a CSV file is expected")
        #expect(DatasetLoader.datasetName(forPath: "/d/iris.CSV.sealed") == "iris")
        #expect(DatasetLoader.datasetName(forPath: "plain") == "plain")
        #expect(DatasetLoader.datasetName(forPath: ".csv") == ".csv")
    }
}

// MARK: - Features for prediction

@Suite("Dataset: features for prediction")
struct DatasetFeatureTests {
    @Test("columns are matched by name; other columns are ignored; the label is returned when present")
    func byName() throws {
        let text = "id,b,a,species\nr1,2,1,x\nr2,4,3,y\n"
        let withLabels = try DatasetLoader.features(text: text, name: "p", featureNames: ["a", "b"], labelColumn: "species")
        #expect(withLabels.features.rowArrays == [[1, 2], [3, 4]])
        #expect(withLabels.labels == ["x", "y"])
        let absent = try DatasetLoader.features(text: "b,a\n2,1\n", name: "p", featureNames: ["a", "b"], labelColumn: "species")
        #expect(absent.features.rowArrays == [[1, 2]] && absent.labels == nil)
        let none = try DatasetLoader.features(text: text, name: "p", featureNames: ["b"], labelColumn: nil)
        #expect(none.features.rowArrays == [[2], [4]] && none.labels == nil)
    }

    @Test("a missing feature column, a bad cell and bad feature names are errors")
    func errors() {
        #expect(thrownMessage { _ = try DatasetLoader.features(text: "a,y\n1,x\n", name: "p.csv", featureNames: ["a", "b"], labelColumn: "y") }
                == "p.csv: there is no column named \"b\" (a feature the model needs); the columns are \"a\", \"y\"")
        #expect(thrownMessage { _ = try DatasetLoader.features(text: "y,a\nx,1\nx,?\n", name: "p.csv", featureNames: ["a"], labelColumn: "y") }
                == "p.csv: line 3, column 2 (\"a\"): \"?\" is not a number; a feature cell holds a finite number")
        #expect(thrownMessage { _ = try DatasetLoader.features(text: "a\n1\n", name: "p", featureNames: [], labelColumn: nil) }
                == "invalid argument: the feature names must be at least one name; received none")
        #expect(thrownMessage { _ = try DatasetLoader.features(text: "a\n1\n", name: "p", featureNames: ["a", "a"], labelColumn: nil) }
                == "invalid argument: the feature names must be distinct; received \"a\" twice")
    }
}

// MARK: - Sealed CSV

@Suite("Dataset: sealed CSV")
struct DatasetSealedTests {
    static let csv = "a,b,y\n1,2,x\n3,4,z\n"

    @Test("a sealed CSV is read in memory with a key file and an X25519 identity; no plaintext reaches the disk")
    func sealed() throws {
        let folder = try TemporaryFolder()
        let key = RawKey()
        let identity = X25519Identity()
        let path = folder.path("secret.csv.sealed")
        // A key file stands alone in a sealed file: one file for the key, one for the identity.
        try SealedFile.write(Data(Self.csv.utf8), toPath: path, for: [.key(key)], contentType: "dataset/csv")
        try FileManager.default.createDirectory(atPath: folder.path("x25519"), withIntermediateDirectories: false)
        let forIdentity = folder.path("x25519/secret.csv.sealed")
        try SealedFile.write(Data(Self.csv.utf8), toPath: forIdentity, for: [.x25519(identity.recipient)], contentType: "dataset/csv")
        #expect(SealedFile.isSealed(atPath: path))

        let plain = try DatasetLoader.csv(text: Self.csv, name: "secret")
        let byKey = try DatasetLoader.csv(atPath: path, identities: [.key(key)])
        let byX25519 = try DatasetLoader.csv(atPath: forIdentity, identities: [.x25519(identity)])
        #expect(byKey == plain && byX25519 == plain)
        let forPrediction = try DatasetLoader.features(atPath: path, featureNames: ["b"], labelColumn: "y", identities: [.key(key)])
        #expect(forPrediction.features.rowArrays == [[2], [4]] && forPrediction.labels == ["x", "z"])

        let listing = try FileManager.default.contentsOfDirectory(atPath: folder.url.path).sorted()
        #expect(listing == ["secret.csv.sealed", "x25519"])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.range(of: Data("1,2,x".utf8)) == nil)
    }

    @Test("the default content type is accepted; a model is refused before decryption; keys are required")
    func contentTypes() throws {
        let folder = try TemporaryFolder()
        let key = RawKey()
        let untyped = folder.path("stdin.sealed")
        try SealedFile.write(Data(Self.csv.utf8), toPath: untyped, for: [.key(key)])
        #expect(try DatasetLoader.csv(atPath: untyped, identities: [.key(key)]).count == 2)

        let model = folder.path("model.sealed")
        try SealedFile.write(Data(Self.csv.utf8), toPath: model, for: [.key(key)], contentType: "model/verdant")
        #expect(thrownMessage { _ = try DatasetLoader.csv(atPath: model, identities: [.key(key)]) }
                == "\(model): the sealed file holds model/verdant, not a CSV dataset; accepted content types: dataset/csv, text/csv, application/octet-stream")

        #expect(throws: PrivacyError.self) { try DatasetLoader.csv(atPath: untyped) }
        #expect(throws: PrivacyError.self) { try DatasetLoader.csv(atPath: untyped, identities: [.key(RawKey())]) }
        // A plain file is read as is without keys; with keys a sealed file is expected, and a plain
        // one is refused unless the caller allows it (issue 14: no silent plaintext).
        let plain = folder.path("plain.csv")
        try Data(Self.csv.utf8).write(to: URL(fileURLWithPath: plain))
        #expect(try DatasetLoader.csv(atPath: plain).count == 2)
        #expect(throws: PrivacyError.unsealedInput(source: plain, firstBytes: Array("a,b,y\n1,".utf8),
                                                   why: "keys were given, so a sealed file is expected")) {
            try DatasetLoader.csv(atPath: plain, identities: [.key(key)])
        }
        #expect(try DatasetLoader.csv(atPath: plain, identities: [.key(key)], options: OpenOptions(plaintext: .allow)).count == 2)
        // A plain file named *.sealed is refused even without keys.
        let disguised = folder.path("swapped.csv.sealed")
        try Data(Self.csv.utf8).write(to: URL(fileURLWithPath: disguised))
        #expect(throws: PrivacyError.self) { try DatasetLoader.csv(atPath: disguised) }
    }
}

// MARK: - Iris

@Suite("Dataset: Iris")
struct DatasetIrisTests {
    private struct Fixture: Decodable {
        let features: [[Double]]
        let labels: [Int]
        let classes: [String]
    }

    @Test("150 samples, 50 per species, every value equal to scikit-learn's load_iris()")
    func iris() throws {
        let iris = DatasetLoader.iris()
        let reference = try loadFixture(dataFixtures + "iris.json", as: Fixture.self)
        #expect(iris.count == 150 && iris.features.rows == 150 && iris.features.columns == 4)
        #expect(iris.name == "iris" && iris.labelName == "species")
        #expect(iris.featureNames == ["sepal_length", "sepal_width", "petal_length", "petal_width"])
        #expect(iris.classes == ["setosa", "versicolor", "virginica"] && iris.classes == reference.classes)
        #expect((0..<3).map { c in iris.labels.filter { $0 == c }.count } == [50, 50, 50])
        #expect(iris.labels == reference.labels)
        #expect(iris.features.rowArrays == reference.features)
        // A checksum that also catches a swapped pair of values: Σ (k + 1) · x_k.
        let checksum = iris.features.values.enumerated().reduce(0.0) { $0 + Double($1.offset + 1) * $1.element }
        let expected = reference.features.joined().enumerated().reduce(0.0) { $0 + Double($1.offset + 1) * $1.element }
        #expect(abs(checksum - expected) < 1e-9)
        #expect(try Dataset(name: iris.name, features: iris.features, labels: iris.labels, classes: iris.classes,
                            featureNames: iris.featureNames, labelName: iris.labelName) == iris)
    }
}

// MARK: - Ad hoc

@Suite("Dataset: ad hoc")
struct DatasetAdHocTests {
    private static func matrix(_ m: ComplexMatrixFixture) -> (real: [Double], imag: [Double]) {
        (Array(m.real.joined()), Array(m.imag.joined()))
    }

    @Test("V from qiskit-ml's random draw equals qiskit-ml's V (NumPy eig, zgeev normalisation)", arguments: [2, 3])
    func unitaryFromDraw(n: Int) throws {
        let fixture = try loadFixture(dataFixtures + "ad_hoc_n\(n).json", as: AdHocFixture.self)
        let draw = Self.matrix(fixture.draw)
        let ours = AdHocLabelling.unitary(drawReal: draw.real, drawImag: draw.imag, dimension: 1 << n)
        let theirs = Self.matrix(fixture.v)
        #expect(maxDifference(ours.real, theirs.real) < 1e-10)
        #expect(maxDifference(ours.imag, theirs.imag) < 1e-10)
    }

    @Test("given qiskit-ml's V: the grid, every label and the expectation values agree", arguments: [2, 3])
    func labelling(n: Int) throws {
        let fixture = try loadFixture(dataFixtures + "ad_hoc_n\(n).json", as: AdHocFixture.self)
        let v = Self.matrix(fixture.v)
        let labelling = AdHocLabelling(qubits: n, unitaryReal: v.real, unitaryImag: v.imag)
        let grid = labelling.grid()
        #expect(grid.count == fixture.gridCount)
        #expect(grid.expectations.count == fixture.gridLabels.count)

        let sampled = stride(from: 0, to: grid.expectations.count, by: fixture.expectationStride).map { grid.expectations[$0] }
        #expect(maxDifference(sampled, fixture.expectations) < 1e-10)

        let symbols = grid.expectations.map { $0 > fixture.gap ? "+" : $0 < -fixture.gap ? "-" : "0" }.joined()
        let mismatches = zip(symbols, fixture.gridLabels).filter { $0 != $1 }.count
        #expect(mismatches == 0)

        // qiskit-ml's own samples are grid points, of the class our labelling gives them.
        let points = fixture.trainFeatures + fixture.testFeatures
        let classes = fixture.trainLabels + fixture.testLabels
        for (point, label) in zip(points, classes) {
            #expect(point.allSatisfy { grid.values.contains($0) })
            let value = labelling.expectation(point)
            #expect(label == 0 ? value > fixture.gap : value < -fixture.gap)
        }
    }

    @Test("sizes, classes, names, range, the gap, and seeded determinism", arguments: [2, 3])
    func generated(n: Int) throws {
        let gap = 0.3
        let (train, test) = try DatasetLoader.adHoc(trainingSize: 20, testSize: 7, features: n, gap: gap, seed: 11)
        #expect(train.count == 40 && test.count == 14)
        #expect(train.labels == Array(repeating: 0, count: 20) + Array(repeating: 1, count: 20))
        #expect(test.labels == Array(repeating: 0, count: 7) + Array(repeating: 1, count: 7))
        #expect(train.classes == ["0", "1"] && train.featureNames == (0..<n).map { "x\($0)" })
        #expect(train.name == "ad_hoc" && train.labelName == "label" && train.features.columns == n)
        #expect((train.features.values + test.features.values).allSatisfy { $0 >= 0 && $0 < 2 * .pi })

        // The gap, checked with V rebuilt from the seed's first draws.
        var generator = SeededGenerator(seed: 11)
        let v = AdHocLabelling.randomUnitary(dimension: 1 << n, using: &generator)
        let labelling = AdHocLabelling(qubits: n, unitaryReal: v.real, unitaryImag: v.imag)
        for set in [train, test] {
            for i in 0..<set.count {
                let value = labelling.expectation(set.features.row(i))
                #expect(set.labels[i] == 0 ? value > gap : value < -gap)
            }
        }

        let again = try DatasetLoader.adHoc(trainingSize: 20, testSize: 7, features: n, gap: gap, seed: 11)
        #expect(again.train == train && again.test == test)
        let other = try DatasetLoader.adHoc(trainingSize: 20, testSize: 7, features: n, gap: gap, seed: 12)
        #expect(other.train != train)
        let noTest = try DatasetLoader.adHoc(trainingSize: 3, testSize: 0, features: n, gap: 0, seed: 1)
        #expect(noTest.train.count == 6 && noTest.test.count == 0)
    }

    @Test("arguments out of range are refused", arguments: [
        (4, 10, 5, 0.3, "invalid argument: the ad hoc feature count must be 2 or 3; received 4"),
        (1, 10, 5, 0.3, "invalid argument: the ad hoc feature count must be 2 or 3; received 1"),
        (2, 0, 5, 0.3, "invalid argument: ad hoc sizes must be trainingSize ≥ 1 and testSize ≥ 0 samples per class, at most 1000000 together; received 0 and 5"),
        (2, 10, -1, 0.3, "invalid argument: ad hoc sizes must be trainingSize ≥ 1 and testSize ≥ 0 samples per class, at most 1000000 together; received 10 and -1"),
        (2, 10, 5, -0.1, "invalid argument: the ad hoc gap must be a finite number ≥ 0; received -0.1"),
        (2, 10, 5, .nan, "invalid argument: the ad hoc gap must be a finite number ≥ 0; received nan"),
    ] as [(Int, Int, Int, Double, String)])
    func errors(features: Int, training: Int, test: Int, gap: Double, message: String) {
        #expect(thrownMessage { _ = try DatasetLoader.adHoc(trainingSize: training, testSize: test, features: features, gap: gap, seed: 1) } == message)
    }

    @Test("a gap wider than every |⟨O⟩| on the grid is refused with the largest value")
    func wideGap() {
        let message = thrownMessage { _ = try DatasetLoader.adHoc(trainingSize: 2, testSize: 0, features: 2, gap: 1, seed: 1) } ?? ""
        #expect(message.hasPrefix("invalid argument: the ad hoc gap must be smaller than "))
        #expect(message.hasSuffix(", the largest |⟨O⟩| on the grid for this seed; received 1.0, which leaves class \"0\" without grid points"))
    }

    @Test("the Hermitian eigensolver: H V = V Λ, V unitary, Λ descending (random 1…8 × 8 matrices)")
    func eigensystem() {
        var generator = SeededGenerator(seed: 5)
        for n in 1...8 {
            let real = (0..<(n * n)).map { _ in generator.nextUniform() - 0.5 }
            let imag = (0..<(n * n)).map { _ in generator.nextUniform() - 0.5 }
            // H = (A + A†)/2.
            var hr = [Double](repeating: 0, count: n * n), hi = hr
            for i in 0..<n { for j in 0..<n {
                hr[i * n + j] = (real[i * n + j] + real[j * n + i]) / 2
                hi[i * n + j] = (imag[i * n + j] - imag[j * n + i]) / 2
            } }
            let eigen = HermitianEigensystem(real: hr, imag: hi, dimension: n)
            #expect(zip(eigen.values, eigen.values.dropFirst()).allSatisfy { $0 >= $1 })
            var residual = 0.0, orthogonality = 0.0
            for i in 0..<n { for j in 0..<n {
                // (H V)_ij − λ_j V_ij and (V† V)_ij − δ_ij.
                var sr = 0.0, si = 0.0, gr = 0.0, gi = 0.0
                for k in 0..<n {
                    let (vr, vi) = (eigen.vectorsReal[k * n + j], eigen.vectorsImag[k * n + j])
                    sr += hr[i * n + k] * vr - hi[i * n + k] * vi
                    si += hr[i * n + k] * vi + hi[i * n + k] * vr
                    let (ur, ui) = (eigen.vectorsReal[k * n + i], -eigen.vectorsImag[k * n + i])
                    gr += ur * vr - ui * vi
                    gi += ur * vi + ui * vr
                }
                residual = max(residual, abs(sr - eigen.values[j] * eigen.vectorsReal[i * n + j]),
                               abs(si - eigen.values[j] * eigen.vectorsImag[i * n + j]))
                orthogonality = max(orthogonality, abs(gr - (i == j ? 1 : 0)), abs(gi))
            } }
            #expect(residual < 1e-12 && orthogonality < 1e-12, "n = \(n)")
        }
    }
}

// MARK: - Stratified split

@Suite("Dataset: stratified split")
struct DatasetSplitTests {
    private struct Fixture: Decodable {
        struct Case: Decodable {
            let counts: [Int]
            let fraction: Double
            let testCounts: [Int]
        }
        let cases: [Case]
    }

    /// A dataset with `counts[c]` samples of class c, interleaved; feature = sample index.
    private static func dataset(_ counts: [Int]) throws -> Dataset {
        var labels: [Int] = []
        var remaining = counts
        while remaining.contains(where: { $0 > 0 }) {
            for c in remaining.indices where remaining[c] > 0 { labels.append(c); remaining[c] -= 1 }
        }
        return try Dataset(name: "d", features: Matrix(rows: labels.count, columns: 1, values: labels.indices.map(Double.init)),
                           labels: labels, classes: counts.indices.map { "c\($0)" }, featureNames: ["i"], labelName: "y")
    }

    @Test("Iris at 0.2: 10 of each species in the test set, disjoint, covering, in the original order, seeded")
    func iris() throws {
        let iris = DatasetLoader.iris()
        let (train, test) = try stratifiedSplit(iris, testFraction: 0.2, seed: 3)
        #expect(train.count == 120 && test.count == 30)
        #expect((0..<3).map { c in test.labels.filter { $0 == c }.count } == [10, 10, 10])
        #expect(train.classes == iris.classes && test.featureNames == iris.featureNames)
        let again = try stratifiedSplit(iris, testFraction: 0.2, seed: 3)
        #expect(again.train == train && again.test == test)
        let other = try stratifiedSplit(iris, testFraction: 0.2, seed: 4)
        #expect(other.test != test)
    }

    @Test("every sample lands in exactly one set, in the original order")
    func partition() throws {
        let data = try Self.dataset([7, 3, 12])
        let (train, test) = try stratifiedSplit(data, testFraction: 0.3, seed: 9)
        let trainIndices = train.features.values.map { Int($0) }, testIndices = test.features.values.map { Int($0) }
        #expect(Set(trainIndices).isDisjoint(with: testIndices))
        #expect((trainIndices + testIndices).sorted() == Array(0..<22))
        #expect(trainIndices == trainIndices.sorted() && testIndices == testIndices.sorted())
        #expect(train.labels == trainIndices.map { data.labels[$0] })
    }

    @Test("per-class test counts within one of scikit-learn's StratifiedShuffleSplit; both sets keep every class")
    func proportions() throws {
        let fixture = try loadFixture(dataFixtures + "split.json", as: Fixture.self)
        #expect(fixture.cases.count > 20)
        for item in fixture.cases {
            let (train, test) = try stratifiedSplit(Self.dataset(item.counts), testFraction: item.fraction, seed: 1)
            let ours = item.counts.indices.map { c in test.labels.filter { $0 == c }.count }
            #expect(zip(ours, item.testCounts).allSatisfy { abs($0 - $1) <= 1 }, "\(item.counts) at \(item.fraction): \(ours) vs \(item.testCounts)")
            #expect(item.counts.indices.allSatisfy { c in train.labels.contains(c) && test.labels.contains(c) })
        }
        // Rounding: 0.25 · 10 = 2.5 rounds up; a class of 2 always splits 1/1.
        let (_, test) = try stratifiedSplit(Self.dataset([10, 2]), testFraction: 0.25, seed: 1)
        #expect([0, 1].map { c in test.labels.filter { $0 == c }.count } == [3, 1])
    }

    @Test("a fraction outside (0, 1) and a class of one sample are refused")
    func errors() throws {
        let iris = DatasetLoader.iris()
        for fraction in [0, 1, -0.5, 1.5, Double.nan] {
            #expect(thrownMessage { _ = try stratifiedSplit(iris, testFraction: fraction, seed: 1) }
                    == "invalid argument: the test fraction must be between 0 and 1 (exclusive); received \(fraction)")
        }
        #expect(thrownMessage { _ = try stratifiedSplit(Self.dataset([5, 1]), testFraction: 0.2, seed: 1) }
                == "invalid argument: the samples of class \"c1\" of d must be at least 2 per class for a stratified split; received 1")
        #expect(thrownMessage { _ = try stratifiedSplit(iris.subset([3]), testFraction: 0.2, seed: 1) }
                == "invalid argument: the sample count of iris must be at least 2 for a split; received 1")
        // A class without samples is skipped.
        let sparse = try Self.dataset([4, 0, 4])
        let (train, test) = try stratifiedSplit(sparse, testFraction: 0.5, seed: 1)
        #expect(train.count == 4 && test.count == 4 && train.classes.count == 3)
    }
}

// MARK: - Scalers

@Suite("Dataset: scalers")
struct DatasetScalerTests {
    private struct Fixture: Decodable {
        struct Pair: Decodable {
            let train: [[Double]]
            let test: [[Double]]
        }
        let train: [[Double]]
        let test: [[Double]]
        let minmax: Pair
        let standard: Pair
    }

    @Test("minmax (0…π) and standard agree with scikit-learn on training and new data, a constant feature included",
          arguments: [Scaler.Kind.minmax, .standard])
    func reference(kind: Scaler.Kind) throws {
        let fixture = try loadFixture(dataFixtures + "scalers.json", as: Fixture.self)
        let expected = kind == .minmax ? fixture.minmax : fixture.standard
        let scaler = try Scaler.fit(Matrix(fixture.train), kind: kind)
        #expect(scaler.kind == kind && scaler.featureCount == 4)
        let train = try scaler.transform(Matrix(fixture.train))
        let test = try scaler.transform(Matrix(fixture.test))
        #expect(maxDifference(train.values, Array(expected.train.joined())) < 1e-12)
        #expect(maxDifference(test.values, Array(expected.test.joined())) < 1e-12)
        // The constant column (3) maps to 0 on the training data.
        #expect((0..<train.rows).allSatisfy { abs(train[$0, 3]) < 1e-12 })
        if kind == .minmax {
            #expect(train.values.allSatisfy { $0 >= -1e-15 && $0 <= .pi + 1e-15 })
            #expect((0..<3).allSatisfy { j in (0..<train.rows).map { train[$0, j] }.max().map { abs($0 - .pi) < 1e-15 } == true })
        }
    }

    @Test("none is the identity; a scaler survives JSON; other feature counts and bad input are refused")
    func behaviour() throws {
        let x = try Matrix([[1, 2], [3, 5]])
        let none = try Scaler.fit(x, kind: .none)
        #expect(try none.transform(x) == x)
        let standard = try Scaler.fit(x, kind: .standard)
        let decoded = try JSONDecoder().decode(Scaler.self, from: JSONEncoder().encode(standard))
        #expect(decoded == standard)
        #expect(try decoded.transform(x).values == [-1, -1, 1, 1])
        #expect(Scaler.Kind.allCases.map(\.rawValue) == ["none", "minmax", "standard"])

        #expect(thrownMessage { _ = try standard.transform(Matrix([[1, 2, 3]])) }
                == "shape mismatch: the data to scale: 3 features; expected 2, as the scaler was fitted on")
        #expect(thrownMessage { _ = try none.transform(Matrix([[1]])) } == "shape mismatch: the data to scale: 1 features; expected 2, as the scaler was fitted on")
        #expect(thrownMessage { _ = try Scaler.fit(Matrix(rows: 0, columns: 2), kind: .minmax) }
                == "invalid argument: the data a scaler is fitted on must be at least one sample of at least one feature; received 0 × 2")
        #expect(thrownMessage { _ = try Scaler.fit(Matrix([[1, .infinity]]), kind: .standard) }
                == "invalid argument: feature 1 of sample 0 (fitting a scaler) must be finite; received inf")
        let corrupt = Data(#"{"kind":"minmax","offsets":[0,1],"factors":[1]}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Scaler.self, from: corrupt) }
    }

    @Test("finite values whose range, sum or scaled form overflows are named, not turned into NaN (found by an audit)")
    func overflow() throws {
        func message(_ body: () throws -> Void) -> String { thrownMessage(body) ?? "(nothing thrown)" }
        let wide = try Matrix([[1, -1e308], [3, 1e308], [5, 6]])
        for kind in [Scaler.Kind.minmax, .standard] {
            #expect(message { _ = try Scaler.fit(wide, kind: kind) }.contains("feature 1 (counting from 0) of the training data, fitting the "
                                                                                    + "\(kind.rawValue) scaler: values from -1e+308 to 1e+308"))
        }
        // A test value far outside a narrow training range scales to infinity.
        let narrow = try Scaler.fit(Matrix([[0], [1e-10]]), kind: .minmax)
        #expect(message { _ = try narrow.transform(Matrix([[0.5], [1e300]])) }
                .hasPrefix("sample 1, feature 0 (counting from 0): 1e+300, which scales to inf"))
        // Finite but huge scaled features: the ZZ map's angle α·(π − x)(π − y) overflows; the angle map's does not.
        let huge = try Matrix([[1e200, 1]])
        #expect(message { try FeatureMap.zz(features: 2).checkEncodable(huge, name: "data") }
                .contains("whose feature-map angle α·∏(π − x) over 2 features overflows a double"))
        try FeatureMap.angle(features: 2).checkEncodable(huge, name: "data")
        #expect(message { try FeatureMap.amplitude(features: 2).checkEncodable(huge, name: "data") }.contains("whose norm overflows"))
        // A model holding NaN is refused with the reason, not Foundation's encoder message.
        #expect(message { _ = try ModelFile.encode(["weights": [0.5, Double.nan]]) }
                .hasPrefix("training failed: the trained model holds nan at weights[1], which a model file cannot store"))
    }
}

// MARK: - Dataset

@Suite("Dataset: validation")
struct DatasetValidationTests {
    @Test("the initialiser checks shapes, names, labels and finiteness", arguments: [
        ([0, 1], ["a", "b"], ["f"], "shape mismatch: the labels: 2 for 3 samples; expected one label per sample"),
        ([0, 1, 1], ["a", "b"], ["f", "g"], "shape mismatch: the feature names: 2 for 1 feature columns; expected one name per column"),
        ([0, 0, 0], [], ["f"], "invalid argument: the classes of a dataset must be at least one class; received none"),
        ([0, 1, 1], ["a", "a"], ["f"], "invalid argument: class names 0 and 1 must be distinct; received \"a\" for both"),
        ([0, 1, 1], ["a", ""], ["f"], "invalid argument: class name 1 must be a non-empty name; received an empty name"),
        ([0, 2, 1], ["a", "b"], ["f"], "invalid argument: the label of sample 1 must be in 0..<2 (there are 2 classes); received 2"),
        ([0, -1, 1], ["a", "b"], ["f"], "invalid argument: the label of sample 1 must be in 0..<2 (there are 2 classes); received -1"),
    ] as [([Int], [String], [String], String)])
    func invalid(labels: [Int], classes: [String], names: [String], message: String) throws {
        let features = try Matrix(rows: 3, columns: 1, values: [1, 2, 3])
        #expect(thrownMessage { _ = try Dataset(name: "d", features: features, labels: labels, classes: classes,
                                                featureNames: names, labelName: "y") } == message)
    }

    @Test("features must be finite; subset keeps classes; JSON round trip checks the data")
    func finiteSubsetCodable() throws {
        let bad = try Matrix([[1, 2], [.nan, 4]])
        #expect(thrownMessage { _ = try Dataset(name: "d", features: bad, labels: [0, 0], classes: ["a"], featureNames: ["f", "g"], labelName: "y") }
                == "invalid argument: feature 0 (\"f\") of sample 1 must be finite; received nan")
        #expect(thrownMessage { _ = try Dataset(name: "d", features: Matrix([[1, 2]]), labels: [0], classes: ["a"], featureNames: ["f", "f"], labelName: "y") }
                == "invalid argument: feature names 0 and 1 must be distinct; received \"f\" for both")

        let iris = DatasetLoader.iris()
        let part = iris.subset([149, 0, 0])
        #expect(part.count == 3 && part.labels == [2, 0, 0] && part.classes == iris.classes)
        #expect(part.features.row(0) == iris.features.row(149))
        #expect(iris.subset([]).count == 0)

        let decoded = try JSONDecoder().decode(Dataset.self, from: JSONEncoder().encode(part))
        #expect(decoded == part)
        var broken = part
        broken.labels[0] = 7
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Dataset.self, from: JSONEncoder().encode(broken)) }
    }
}
