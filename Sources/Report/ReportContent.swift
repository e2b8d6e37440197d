import Energy
import Foundation
import Quantum
import QuantumML

/// Everything a report draws, gathered from files or handed over in memory: circuit runs, models
/// (with the samples to evaluate them on), energy reports, benchmark results, and what was read.
///
/// Fill it with ``ReportReader`` (files and folders) or the `add` methods (results in memory, as
/// `verdant demo --report` and `train --report` do), then give it to ``Report/build(_:title:)``.
public struct ReportContent: Sendable {
    /// Circuit runs (counts, probabilities).
    public var runs: [CircuitRun] = []
    /// Models, quantum and classical.
    public var models: [ModelEntry] = []
    /// Energy reports.
    public var energy: [EnergyEntry] = []
    /// Benchmark results.
    public var benchmarks: [BenchEntry] = []
    /// Samples to evaluate models on (a data file or `builtin:` set given as an input).
    public var samples: Dataset?
    /// Held-out samples that came with ``samples`` (the ad hoc set's own test set), if any.
    public var heldOutSamples: Dataset?
    /// The sealed inputs that were opened (a report drawn from them shows what they hold).
    public var sealedInputs: [String] = []
    /// What was read, in order, for the page's header (paths or descriptions).
    public var sources: [String] = []
    /// What was skipped or could not be drawn, and why.
    public var notes: [String] = []

    /// Empty content.
    public init() {}

    /// Whether there is anything to draw.
    public var isEmpty: Bool { runs.isEmpty && models.isEmpty && energy.isEmpty && benchmarks.isEmpty }

    /// Adds a circuit run from memory.
    ///
    /// - Parameters:
    ///   - result: The run's result.
    ///   - circuit: The circuit's name (e.g. its file).
    public mutating func add(run result: RunResult, circuit: String) {
        runs.append(CircuitRun(source: "verdant run", circuit: circuit, shots: result.shots, seed: String(result.seed),
                               qubits: result.numQubits,
                               counts: result.counts.map { ($0.key, $0.value) }, probabilities: []))
        sources.append(circuit)
    }

    /// Adds a trained model from memory, with the samples it was trained and tested on.
    ///
    /// - Parameters:
    ///   - model: The model (its energy record, when filled in, is used).
    ///   - name: What to call it (e.g. "quantum SVM" or a file name).
    ///   - training: The training samples (kernel matrix, decision regions).
    ///   - test: The held-out samples (confusion matrix).
    ///   - shards: With federated shards, each site's counts (the report shows them instead of
    ///     samples, which never left their sites).
    ///   - source: Where it came from, for captions.
    /// - Throws: The model's encoding errors (the report reads the model's JSON record, so that
    ///   fields added later are read from memory as they are from files).
    public mutating func add(model: TrainedModel, name: String, training: DataSource? = nil, test: DataSource? = nil,
                             shards: ShardSummary? = nil, source: String = "this run") throws {
        let data: Data
        switch model {
        case .kernel(let classifier): data = try classifier.encoded()
        case .variational(let variational): data = try variational.encoded()
        }
        var entry = try ModelEntry(json: data, model: model, name: name, source: source)
        entry.trainingSamples = training.flatMap(Self.dataset)
        entry.testSamplesData = test.flatMap(Self.dataset)
        entry.shards = shards
        models.append(entry)
        sources.append(name)
    }

    /// Adds an energy report from memory.
    ///
    /// - Parameter report: The meter's report.
    /// - Throws: ``ReportError/unreadableInput(path:found:valid:)`` if the report's JSON cannot be
    ///   read back (it always can; the same reader reads `--energy-report` files).
    public mutating func add(energy report: EnergyReport, source: String = "this run") throws {
        guard let object = try JSONSerialization.jsonObject(with: Data(report.json(indent: 0).utf8)) as? [String: Any],
              let entry = EnergyEntry(json: object, source: source) else {
            throw ReportError.unreadableInput(path: source, found: "an energy report that does not read back", valid: "verdant-energy-report JSON")
        }
        energy.append(entry)
    }

    static func dataset(_ source: DataSource) -> Dataset? {
        if case .dataset(let data) = source { return data }
        return nil
    }
}

/// One circuit run: its counts (and probabilities when the run printed them).
public struct CircuitRun: Sendable {
    /// Where it was read from.
    public var source: String
    /// The circuit (its file name).
    public var circuit: String
    /// Shots sampled (nil: not recorded).
    public var shots: Int?
    /// The sampling seed, as text (nil: not recorded).
    public var seed: String?
    /// Qubits (nil: not recorded).
    public var qubits: Int?
    /// Counts per outcome (Qiskit's bit order).
    public var counts: [(String, Int)]
    /// Probabilities per basis state (`run --probabilities`), if present.
    public var probabilities: [(String, Double)]
}

/// A model's energy: the best estimate of the joules of its training job, its band and how it was
/// obtained (docs/energy-method.md).
public struct EnergyFigure: Sendable, Equatable {
    /// Joules.
    public var joules: Double
    /// The band's lower end.
    public var low: Double
    /// The band's upper end.
    public var high: Double
    /// `measured`, `attributed`, `modelled`, `upper-bound` or `default`.
    public var provenance: String
}

/// One epoch of a model's history, with whatever the file holds for it.
public struct EpochPoint: Sendable, Equatable {
    /// The epoch, from 1.
    public var epoch: Int
    /// The training loss.
    public var loss: Double?
    /// The training accuracy.
    public var accuracy: Double?
    /// The validation loss.
    public var validationLoss: Double?
    /// The validation accuracy.
    public var validationAccuracy: Double?
    /// ε spent up to this epoch, when the history records it (private training).
    public var epsilon: Double?
}

/// DP-SGD's record in a model file (`training.privacy`, docs/model-format.md).
public struct PrivacyRecord: Sendable, Equatable {
    /// q.
    public var samplingRate: Double
    /// σ.
    public var noiseMultiplier: Double
    /// Optimiser steps taken.
    public var steps: Int
    /// δ.
    public var delta: Double
    /// `rdp` or `pld`.
    public var accountant: String
    /// ε at δ after all the steps, as recorded.
    public var epsilon: Double?
    /// The ε asked for, if any.
    public var targetEpsilon: Double?
}

/// A model and what the report knows about it.
public struct ModelEntry: Sendable {
    /// What to call it.
    public var name: String
    /// Where it came from (a path, or "this run").
    public var source: String
    /// The model itself, for predictions (nil for a summary such as `train --json` output).
    public var model: TrainedModel?
    /// `qsvm`, `svm-rbf`, `svm-linear`, `vqc`, `vqr`.
    public var kind: String
    /// Accuracy on the held-out samples.
    public var testAccuracy: Double?
    /// Accuracy on the training samples.
    public var trainAccuracy: Double?
    /// Training samples.
    public var samples: Int?
    /// Held-out samples.
    public var testSamples: Int?
    /// Validation samples (variational models).
    public var validationSamples: Int?
    /// Training seconds.
    public var seconds: Double?
    /// The energy of its training job.
    public var energy: EnergyFigure?
    /// The per-epoch history (variational models).
    public var history: [EpochPoint] = []
    /// DP-SGD's record (private training).
    public var privacy: PrivacyRecord?
    /// The split's seed and test share, when the model recorded one.
    public var split: (seed: UInt64, testSize: Double)?
    /// The data set's name as recorded.
    public var dataset: String?
    /// Training samples in memory (kernel matrix, decision regions).
    public var trainingSamples: Dataset?
    /// Held-out samples in memory (confusion matrix).
    public var testSamplesData: Dataset?
    /// With federated shards: each site's row (and class) counts; the samples stayed on their sites.
    public var shards: ShardSummary?

    /// Whether the model is a quantum one (qsvm, vqc, vqr) rather than a classical baseline.
    public var isQuantum: Bool { !kind.hasPrefix("svm-") }

    /// A model from its file's JSON (already opened if it was sealed).
    ///
    /// - Parameters:
    ///   - json: The model file's bytes.
    ///   - model: The decoded model (nil: decoded here).
    ///   - name: What to call it.
    ///   - source: Where it came from.
    /// - Throws: ``QuantumMLError/model(path:found:valid:)`` for a file that is not a model.
    public init(json: Data, model: TrainedModel? = nil, name: String, source: String) throws {
        let decoded = try model ?? TrainedModel.decode(json, path: source)
        self.model = decoded
        self.name = name
        self.source = source
        kind = decoded.kind
        let object = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] ?? [:]
        let training = object["training"] as? [String: Any] ?? [:]
        testAccuracy = JSONRead.number(training["testAccuracy"])
        trainAccuracy = JSONRead.number(training["trainAccuracy"])
        samples = JSONRead.integer(training["samples"])
        testSamples = JSONRead.integer(training["testSamples"])
        validationSamples = JSONRead.integer(training["validationSamples"])
        seconds = JSONRead.number(training["seconds"])
        dataset = training["dataset"] as? String
        energy = (training["energy"] as? [String: Any]).flatMap(JSONRead.energyRecord)
        history = (object["history"] as? [[String: Any]] ?? []).compactMap(JSONRead.epoch)
        privacy = (training["privacy"] as? [String: Any]).flatMap(JSONRead.privacy)
        let seed = JSONRead.integer(training["splitSeed"]) ?? JSONRead.integer(training["seed"])
        if let seed, seed >= 0, let testSize = JSONRead.number(training["testSize"]), testSize > 0 {
            split = (UInt64(seed), testSize)
        }
    }

    /// A model known only from a summary (`train --json` or a row of `demo --json`).
    init(summary name: String, kind: String, source: String) {
        self.name = name
        self.source = source
        self.kind = kind
        model = nil
    }
}

/// An energy report (`measure --json`, `--energy-report`), as drawn: totals with the band, sources
/// with theirs, spans and the timeline.
public struct EnergyEntry: Sendable {
    /// One source of energy (cpu, memory, gpu:0, …).
    public struct Source: Sendable {
        /// Its name.
        public var name: String
        /// How it was obtained (method).
        public var method: String
        /// Joules, band and provenance.
        public var figure: EnergyFigure
        /// Whether it counts towards the total.
        public var counted: Bool
    }

    /// A span of the job.
    public struct Span: Sendable {
        /// Its name.
        public var name: String
        /// Nesting depth (0: top level).
        public var depth: Int
        /// Seconds from the meter's start.
        public var start: Double
        /// Its length.
        public var seconds: Double
        /// Its joules and band.
        public var figure: EnergyFigure
    }

    /// One sampling interval of the timeline.
    public struct Interval: Sendable {
        /// Seconds from the start to the interval's end.
        public var end: Double
        /// Its length.
        public var seconds: Double
        /// Joules per source.
        public var joules: [(String, Double)]
    }

    /// Where it was read from.
    public var source: String
    /// What was measured.
    public var label: String
    /// The whole job.
    public var total: EnergyFigure
    /// Wall seconds.
    public var seconds: Double
    /// The sources.
    public var sources: [Source]
    /// Sources that could not be used, with the reason.
    public var unavailable: [(String, String)]
    /// The spans.
    public var spans: [Span]
    /// The timeline.
    public var timeline: [Interval]
    /// The sampling interval (s).
    public var sampleInterval: Double?

    /// An entry from the report's JSON object, or nil when it is not one.
    init?(json object: [String: Any], source: String) {
        guard object["format"] as? String == "verdant-energy-report", let joules = JSONRead.number(object["joules"]) else { return nil }
        self.source = source
        label = object["label"] as? String ?? source
        let band = ((object["bands"] as? [String: Any])?["joules"] as? [Any]).map { $0.compactMap(JSONRead.number) } ?? []
        total = EnergyFigure(joules: joules, low: band.first ?? joules, high: band.count > 1 ? band[1] : joules,
                             provenance: object["provenance"] as? String ?? "unknown")
        seconds = JSONRead.number(object["seconds"]) ?? 0
        sources = (object["sources"] as? [[String: Any]] ?? []).compactMap { item in
            guard let name = item["name"] as? String, let joules = JSONRead.number(item["joules"]) else { return nil }
            let band = (item["band"] as? [Any] ?? []).compactMap(JSONRead.number)
            return Source(name: name, method: item["method"] as? String ?? "",
                          figure: EnergyFigure(joules: joules, low: band.first ?? joules, high: band.count > 1 ? band[1] : joules,
                                               provenance: item["provenance"] as? String ?? "unknown"),
                          counted: item["counted"] as? Bool ?? true)
        }
        unavailable = (object["unavailable"] as? [[String: Any]] ?? []).compactMap { item in
            guard let name = item["source"] as? String else { return nil }
            return (name, item["reason"] as? String ?? "")
        }
        spans = (object["spans"] as? [[String: Any]] ?? []).compactMap { item in
            guard let name = item["name"] as? String, let start = JSONRead.number(item["start_seconds"]),
                  let seconds = JSONRead.number(item["seconds"]), let joules = JSONRead.number(item["joules"]) else { return nil }
            let band = (item["band"] as? [Any] ?? []).compactMap(JSONRead.number)
            return Span(name: name, depth: JSONRead.integer(item["depth"]) ?? 0, start: start, seconds: seconds,
                        figure: EnergyFigure(joules: joules, low: band.first ?? joules, high: band.count > 1 ? band[1] : joules,
                                             provenance: item["provenance"] as? String ?? "unknown"))
        }
        let timelineObject = object["timeline"] as? [String: Any] ?? [:]
        sampleInterval = JSONRead.number(timelineObject["interval_seconds"])
        timeline = (timelineObject["points"] as? [[String: Any]] ?? []).compactMap { item in
            guard let end = JSONRead.number(item["t"]), let seconds = JSONRead.number(item["seconds"]) else { return nil }
            let perSource = (item["sources"] as? [String: Any] ?? [:]).compactMap { key, value in JSONRead.number(value).map { (key, $0) } }
            return Interval(end: end, seconds: seconds, joules: perSource.sorted { $0.0 < $1.0 })
        }
    }
}

/// Benchmark results: bars of ratios (against anchors, or a reference such as a streaming sweep),
/// one series per ratio field the file holds.
public struct BenchEntry: Sendable {
    /// One ratio field across the file's rows.
    public struct Series: Sendable {
        /// The field's name in the file (e.g. `anchor_over_verdant`).
        public var field: String
        /// What a value means (e.g. "> 1: Verdant faster"), or nil when the field is not known.
        public var meaning: String?
        /// The anchor named in the rows (e.g. "dask.delayed threads"), when the rows name one.
        public var anchor: String?
        /// One bar per row: the row's label and the ratio.
        public var bars: [(String, Double)]
        /// Which part of the file the rows came from (e.g. `kernel`, `rows`).
        public var part: String
    }

    /// Where it was read from.
    public var source: String
    /// What was run (the command, or the suite).
    public var title: String
    /// The ratio series.
    public var series: [Series]
}

/// Reading loosely typed JSON (`JSONSerialization`'s values): numbers that are not booleans, whole
/// numbers, and the records the report draws.
enum JSONRead {
    static func number(_ value: Any?) -> Double? {
        // JSON's true and false arrive as NSNumbers whose C type is `char` ("c"); numbers never do.
        guard let number = value as? NSNumber, String(cString: number.objCType) != "c" else { return nil }
        let double = number.doubleValue
        return double.isFinite ? double : nil
    }

    static func integer(_ value: Any?) -> Int? {
        guard let double = number(value), double == double.rounded(), abs(double) < 9e15 else { return nil }
        return Int(double)
    }

    static func energyRecord(_ object: [String: Any]) -> EnergyFigure? {
        guard let joules = number(object["joules"]) else { return nil }
        // A model file records joulesLow and joulesHigh; `train --json` writes joules_band, as demo --json does.
        let band = (object["joules_band"] as? [Any])?.compactMap(number) ?? []
        return EnergyFigure(joules: joules, low: number(object["joulesLow"]) ?? band.first ?? joules,
                            high: number(object["joulesHigh"]) ?? (band.count > 1 ? band[1] : joules),
                            provenance: object["provenance"] as? String ?? "unknown")
    }

    static func epoch(_ object: [String: Any]) -> EpochPoint? {
        guard let epoch = integer(object["epoch"]) else { return nil }
        return EpochPoint(epoch: epoch, loss: number(object["loss"]), accuracy: number(object["accuracy"]),
                          validationLoss: number(object["validationLoss"]), validationAccuracy: number(object["validationAccuracy"]),
                          epsilon: number(object["epsilon"]))
    }

    static func privacy(_ object: [String: Any]) -> PrivacyRecord? {
        guard let q = number(object["samplingRate"]), let sigma = number(object["noiseMultiplier"]), let steps = integer(object["steps"]),
              let delta = number(object["delta"]) else { return nil }
        return PrivacyRecord(samplingRate: q, noiseMultiplier: sigma, steps: steps, delta: delta,
                             accountant: object["accountant"] as? String ?? "rdp", epsilon: number(object["epsilon"]),
                             targetEpsilon: number(object["targetEpsilon"]))
    }
}
