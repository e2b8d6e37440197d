import Energy
import Figures
import Foundation
import Privacy
import QuantumML
import Testing
import _TestSupport

@testable import Report

/// The shared temporary folder, under this file's name for it.
typealias Scratch = TemporaryFolder

/// The SVG of each figure of a page, read back.
func svgs(_ report: Report) -> [(Figure, XMLElements)] {
    report.figures.map { ($0, XMLElements($0.svg)) }
}

/// A figure by the start of its title.
func figure(_ report: Report, _ title: String) -> (Figure, XMLElements)? {
    svgs(report).first { $0.0.title.hasPrefix(title) }
}

/// Checks what every report must satisfy: each figure's SVG is well-formed XML with a title, axis
/// titles and a caption, and nothing in the page is fetched from outside.
func checkPage(_ report: Report) {
    let html = report.html
    for (figure, svg) in svgs(report) {
        #expect(svg.wellFormed, "figure \(figure.title): \(String(describing: svg.error))")
        #expect(!figure.title.isEmpty && !figure.caption.isEmpty)
        #expect(html.contains("<h3>\(HTMLPage.escape(figure.title))</h3>"))
        #expect(!svg.withClass("axis-title").isEmpty, "figure \(figure.title) has no axis title")
    }
    // No src or href may point outside the page (anchors # only).
    let pattern = try! NSRegularExpression(pattern: #"(?i)\b(src|href)\s*=\s*["']?([^"' >]*)"#)
    let range = NSRange(html.startIndex..., in: html)
    for match in pattern.matches(in: html, range: range) {
        let value = (html as NSString).substring(with: match.range(at: 2))
        #expect(value.hasPrefix("#"), "a link or source that leaves the page: \(value)")
        #expect(!value.lowercased().contains("http"))
    }
    #expect(!html.lowercased().contains("<script"))
    #expect(!html.contains("@import") && !html.contains("url("))
}

struct HistogramTests {
    @Test("counts keep the 20 most frequent outcomes and sum the rest, as plot_histogram does; probabilities sum to 1")
    func countsHistogram() throws {
        let scratch = try Scratch()
        // Outcome i (five bits) is seen 10·(i + 1) times: the five rarest (0…4) sum to 150.
        let counts = (0..<25).map { i in (String(i, radix: 2).leftPadded(to: 5), 10 * (i + 1)) }
        let shots = counts.map(\.1).reduce(0, +)
        let json = "{\"file\": \"wide.qasm\", \"qubits\": 5, \"shots\": \(shots), \"seed\": \"7\", \"counts\": {"
            + counts.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}}"
        var content = ReportContent()
        try ReportReader().read([try scratch.write("run.json", json)], into: &content)
        #expect(content.runs.count == 1 && content.runs[0].shots == shots)
        let report = try Report.build(content)
        checkPage(report)
        let (countsFigure, svg) = try #require(figure(report, "Counts"))
        let bars = svg.withClass("bar")
        #expect(bars.count == 21)
        #expect(bars.last?.title == "rest (5): 150")
        // The kept ones, in outcome order, are 5…24.
        #expect(bars.dropLast().map { String($0.title?.prefix(5) ?? "") } == (5..<25).map { String($0, radix: 2).leftPadded(to: 5) })
        // Heights in proportion to the counts.
        let heights = bars.map { $0.number("height") }
        #expect(abs(heights[19] / heights[0] - 250.0 / 60.0) < 0.01)
        #expect(countsFigure.caption.contains("20 most frequent of 25 outcomes in 3250 shots"))
        #expect(svg.texts.contains("count (shots)"))
        let (probabilities, probabilitySVG) = try #require(figure(report, "Probabilities"))
        let values = probabilitySVG.withClass("bar").compactMap { $0.title?.split(separator: " ").last.flatMap { Double($0) } }
        #expect(values.count == 21)
        #expect(abs(values.reduce(0, +) - 1) < 0.01)
        #expect(probabilities.caption.contains("counts ÷ 3250 shots"))
    }

    @Test("the terminal histogram: the top outcomes, most frequent first, then the rest")
    func terminalHistogram() {
        let chart = TerminalLook.histogram(["00": 500, "11": 400, "01": 50, "10": 74], top: 2, width: 10)
        let lines = chart.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        // 1024 shots: 500 is 48.8 %; 400 is 8 of 10 cells; 124 is 19.84 eighths → 2 cells and 4/8 (▌).
        #expect(lines[0] == "00       │██████████ 500  48.8\u{2009}%")
        #expect(lines[1] == "11       │████████   400  39.1\u{2009}%")
        #expect(lines[2] == "rest (2) │██▌        124  12.1\u{2009}%")
        let history = [EpochRecord(epoch: 1, loss: 1.0), EpochRecord(epoch: 2, loss: 0.5), EpochRecord(epoch: 3, loss: 0.125)]
        // 0.5 lies at (0.5 − 0.125) / 0.875 = 3/7 of the range: ⌊3 + ½⌋ = level 3, ▄.
        #expect(TerminalLook.lossLine(history) == "loss █▄▁ 1 → 0.125 (3 epochs)")
        #expect(TerminalLook.lossLine(history, bestEpoch: 2) == "loss █▄▁ 1 → 0.125 (3 epochs, best 2)")
        #expect(TerminalLook.lossLine([]) == nil)
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

struct EnergyFigureTests {
    static let energyJSON = """
        {"joules": 7.0, "seconds": 2.5, "provenance": "modelled", "format": "verdant-energy-report", "version": 1,
         "bands": {"joules": [3.5, 14.0]}, "label": "verdant train",
         "sources": [{"name": "cpu", "method": "cpu-time model", "joules": 6.0, "band": [3.0, 12.0], "provenance": "modelled", "counted": true},
                     {"name": "memory", "method": "resident-memory model", "joules": 1.0, "band": [0.5, 2.0], "provenance": "modelled", "counted": true}],
         "unavailable": [{"source": "rapl", "reason": "missing", "detail": "no powercap"}],
         "spans": [{"name": "load data", "depth": 0, "start_seconds": 0.0, "seconds": 1.2, "joules": 2.5, "band": [1.2, 5.0], "provenance": "modelled"},
                   {"name": "inner", "depth": 1, "start_seconds": 0.1, "seconds": 0.5, "joules": 1.0, "band": [0.5, 2.0], "provenance": "modelled"},
                   {"name": "train", "depth": 0, "start_seconds": 1.2, "seconds": 1.3, "joules": 4.5, "band": [2.2, 9.0], "provenance": "modelled"}],
         "timeline": {"interval_seconds": 1, "points": [
            {"t": 1.0, "seconds": 1.0, "joules": 2.5, "sources": {"cpu": 2.0, "memory": 0.5}},
            {"t": 2.0, "seconds": 1.0, "joules": 3.25, "sources": {"cpu": 3.0, "memory": 0.25}},
            {"t": 2.5, "seconds": 0.5, "joules": 1.25, "sources": {"cpu": 1.0, "memory": 0.25}}]},
         "future_field": {"ignored": true}}
        """

    @Test("power over time: steps per interval stacked by source, the band from each source's band, the top-level spans")
    func timeline() throws {
        let scratch = try Scratch()
        var content = ReportContent()
        try ReportReader().read([try scratch.write("energy.json", Self.energyJSON)], into: &content)
        let entry = try #require(content.energy.first)
        let series = PageBuilder.powerSeries(entry)
        // By hand: CPU 2, 3, 2 W (1 J in 0.5 s); CPU + memory 2.5, 3.25, 2.5 W.
        #expect(series.x == [0, 1, 1, 2, 2, 2.5])
        #expect(series.stacked["CPU"] == [2, 2, 3, 3, 2, 2])
        #expect(series.stacked["memory"] == [2.5, 2.5, 3.25, 3.25, 2.5, 2.5])
        // Band: cpu × (3/6, 12/6), memory × (0.5/1, 2/1): low 1.25, 1.625, 1.25 W; high 5, 6.5, 5 W.
        #expect(series.low == [1.25, 1.25, 1.625, 1.625, 1.25, 1.25])
        #expect(series.high == [5, 5, 6.5, 6.5, 5, 5])
        let report = try Report.build(content)
        checkPage(report)
        let (power, svg) = try #require(figure(report, "Power over time"))
        #expect(svg.withClass("area").count == 2)
        #expect(svg.withClass("band").count == 2)  // the band and its legend swatch
        #expect(svg.withClass("interval").map(\.title) == ["load data: 1.2 s, 2.5 J", "train: 1.3 s, 4.5 J"])
        #expect(svg.texts.contains("power (W)") && svg.texts.contains("time since the job started (s)"))
        #expect(power.caption.contains("1 s sampling interval") && power.caption.contains("CPU, memory"))
        let (_, spans) = try #require(figure(report, "Energy by span"))
        #expect(spans.withClass("bar").count == 2)
        #expect(spans.withClass("value-label").map(\.text) == ["2.5 J", "4.5 J"])
        #expect(report.html.contains("<td>rapl</td>") || report.html.contains("<th scope=\"row\">rapl</th>"))
    }

    @Test("a job shorter than one sample is drawn as its average")
    func noTimeline() throws {
        var object = try #require(try JSONSerialization.jsonObject(with: Data(Self.energyJSON.utf8)) as? [String: Any])
        object["timeline"] = ["interval_seconds": 1, "points": [Any]()]
        let entry = try #require(EnergyEntry(json: object, source: "e.json"))
        let series = PageBuilder.powerSeries(entry)
        #expect(series.averaged && series.x == [0, 2.5])
        #expect(series.stacked["memory"] == [7 / 2.5, 7 / 2.5])
    }
}

struct AccuracyEnergyTests {
    static let demoJSON = """
        {"workDir": "/tmp/d", "trainSamples": 111, "testSamples": 39, "models": [
          {"model": "qsvm", "name": "quantum SVM", "accuracy": 0.9743589743589743, "seconds": 0.06, "joules": 0.124, "joules_band": [0.05, 0.37], "provenance": "default"},
          {"model": "svm-rbf", "name": "classical SVM (RBF)", "accuracy": 0.9743589743589743, "seconds": 0.05, "joules": 0.117, "joules_band": [0.047, 0.35], "provenance": "default"},
          {"model": "vqc", "name": "quantum neural network", "accuracy": 0.9487179487179487, "seconds": 1.07, "joules": 2.62, "joules_band": [1.05, 7.85], "provenance": "default"}],
         "total": {"seconds": 1.25, "joules": 2.9}}
        """

    @Test("every model on one accuracy-against-joules figure, with its band; the verdict names the cheapest best model")
    func accuracyAgainstJoules() throws {
        let scratch = try Scratch()
        var content = ReportContent()
        try ReportReader().read([try scratch.write("demo.json", Self.demoJSON)], into: &content)
        #expect(content.models.map(\.kind) == ["qsvm", "svm-rbf", "vqc"])
        let report = try Report.build(content)
        checkPage(report)
        let (figureValue, svg) = try #require(figure(report, "Accuracy against energy"))
        #expect(svg.withClass("point-label").map(\.text).sorted() == ["qsvm", "svm-rbf", "vqc"])
        #expect(svg.withClass("error-bar").count == 3)
        #expect(svg.texts.contains("training energy (J)") && svg.texts.contains("test accuracy (%)"))
        // 0.047 … 7.85 J spans more than 20×: a log axis, labelled 0.05 … 5.
        #expect(svg.withClass("tick-label").map(\.text).contains("0.1"))
        // The error bar of vqc spans 1.05 … 7.85 J: its pixel length ÷ qsvm's equals the ratio of log spans.
        let bars = svg.withClass("error-bar")
        let lengths = bars.map { $0.number("x2") - $0.number("x1") }
        #expect(abs(lengths[2] / lengths[0] - log(7.85 / 1.05) / log(0.37 / 0.05)) < 0.01)
        #expect(figureValue.caption.contains("error band"))
        #expect(report.html.contains("Best test accuracy (97.4\u{2009}%) for the fewest joules: classical SVM (RBF), 117 mJ."))
        #expect(report.html.contains("quantum neural network: 94.9\u{2009}% for 2.62 J (22× the joules)"))
    }
}

struct ModelFigureTests {
    /// A quantum SVM on Qiskit's ad hoc data (2 features): confusion matrix, kernel matrix and
    /// decision regions, each checked against the model and the samples.
    @Test("a qsvm on two features: confusion cells sum to the test samples, the kernel covers every pair, regions cover the grid")
    func qsvmFigures() throws {
        var job = TrainingJob(model: .qsvm, data: .adHoc)
        job.seed = 7
        let outcome = try TrainedModel.train(job)
        var content = ReportContent()
        try content.add(model: outcome.model, name: "adhoc qsvm", training: outcome.trainingSamples, test: outcome.testSamples)
        let report = try Report.build(content)
        checkPage(report)
        let testSource = try #require(outcome.testSamples)
        let test = try #require(ReportContent.dataset(testSource))
        let (confusion, confusionSVG) = try #require(figure(report, "Confusion matrix"))
        let cells = confusionSVG.withClass("cell-value").compactMap { Int($0.text) }
        #expect(cells.count == 4 && cells.reduce(0, +) == test.count)
        // Right answers (the diagonal) over all: the model's recorded test accuracy.
        let accuracy = try #require(content.models[0].testAccuracy)
        #expect(Double(cells[0] + cells[3]) / Double(test.count) == accuracy)
        #expect(confusion.caption.contains("as recorded in the model"))
        let (_, kernel) = try #require(figure(report, "Quantum kernel matrix"))
        let trainSource = try #require(outcome.trainingSamples)
        let train = try #require(ReportContent.dataset(trainSource))
        #expect(kernel.withClass("level").compactMap { Int($0.attributes["data-cells"] ?? "") }.reduce(0, +) == train.count * train.count)
        // The diagonal is k(x, x) = 1: the top colour level holds it.
        let top = try #require(kernel.withClass("level").first { $0.attributes["fill"] == Palette.viridis(63.5 / 64) })
        // Subpaths "Mj ihnv1h-nz": a run of n cells from column j in row i. Every (i, i) lies in one.
        let runs = (top.attributes["d"] ?? "").split(separator: "M").map { part -> (Int, Int, Int) in
            let numbers = part.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            return (numbers[0], numbers[1], numbers[2])
        }
        for i in 0..<train.count { #expect(runs.contains { $0.1 == i && $0.0 <= i && i < $0.0 + $0.2 }, "diagonal cell \(i)") }
        #expect(kernel.withClass("group-outline").count == 2)
        let (regions, regionSVG) = try #require(figure(report, "Decision regions"))
        let n = ModelEvaluation.gridSize
        #expect(regionSVG.withClass("cell").compactMap { Int($0.attributes["data-cells"] ?? "") }.reduce(0, +) == n * n)
        #expect(regionSVG.withClass("point").count >= train.count + test.count)
        #expect(regions.caption.contains("\(n)×\(n) grid points"))
        #expect(regionSVG.texts.contains("x0 (as in the data)") && regionSVG.texts.contains("x1 (as in the data)"))
        // `train --json` writes the band as joules_band (a model file as joulesLow/joulesHigh): both are read.
        let fromJSON = try #require(JSONRead.energyRecord(["joules": 1.0, "joules_band": [0.4, 3.0], "provenance": "model"]))
        #expect(fromJSON.low == 0.4 && fromJSON.high == 3.0)
        let fromModel = try #require(JSONRead.energyRecord(["joules": 1.0, "joulesLow": 0.5, "joulesHigh": 2.0]))
        #expect(fromModel.low == 0.5 && fromModel.high == 2.0)
        #expect(confusion.caption.contains("held-out samples"))

        // Data that cannot be split as the model was (its test samples alone): both figures use all
        // of it and call it neither held out nor training (an audit found both labels on one file).
        var other = ReportContent()
        try other.add(model: outcome.model, name: "adhoc qsvm")
        other.samples = test
        let second = try Report.build(other)
        let (otherConfusion, _) = try #require(figure(second, "Confusion matrix"))
        let (otherKernel, _) = try #require(figure(second, "Quantum kernel matrix"))
        #expect(otherConfusion.caption.contains("for \(test.count) samples (all \(test.count) samples of"), "\(otherConfusion.caption)")
        #expect(otherKernel.caption.contains("for \(test.count) samples (all \(test.count) samples of"), "\(otherKernel.caption)")
    }

    @Test("decision regions are oriented: a linear SVM that splits on the sign of x0 is class 0 on the left, class 1 on the right")
    func regionsOrientation() throws {
        var values: [Double] = [], labels: [Int] = []
        for i in 0..<24 {
            let x0 = (Double(i % 12) - 5.5) / 2, x1 = Double((i * 7) % 11) / 3
            values += [x0, x1]
            labels.append(x0 < 0 ? 0 : 1)
        }
        let data = try Dataset(name: "halves", features: Matrix(rows: 24, columns: 2, values: values), labels: labels, classes: ["left", "right"],
                               featureNames: ["x0", "x1"], labelName: "side")
        var job = TrainingJob(model: .svmLinear, data: .dataset(data))
        job.testFraction = 0
        let outcome = try TrainedModel.train(job)
        let grid = try #require(try ModelEvaluation.regions(outcome.model, samples: [data], scheduler: .shared))
        for (row, classes) in grid.classes.enumerated() {
            for (column, c) in classes.enumerated() where abs(grid.x[column]) > 0.5 {
                #expect(c == (grid.x[column] < 0 ? 0 : 1), "cell (\(row), \(column)) at x0 = \(grid.x[column])")
            }
        }
        // And in the drawing: each row's first run (leftmost) is class 0.
        var content = ReportContent()
        try content.add(model: outcome.model, name: "halves", training: .dataset(data))
        let report = try Report.build(content)
        let (_, svg) = try #require(figure(report, "Decision regions"))
        let runs = svg.withClass("cell")
        var previousY = -1.0
        for run in runs where run.number("y") != previousY {
            #expect(run.attributes["data-class"] == "0")
            previousY = run.number("y")
        }
    }

    @Test("a quantum neural network: loss and accuracy per epoch, one marker per epoch")
    func trainingCurves() throws {
        var job = TrainingJob(model: .vqc, data: .iris)
        job.variational = VariationalSettings(ansatz: AnsatzChoice(.realAmplitudes, layers: 1), epochs: 3)
        let outcome = try TrainedModel.train(job)
        var content = ReportContent()
        try content.add(model: outcome.model, name: "vqc", training: outcome.trainingSamples, test: outcome.testSamples)
        let report = try Report.build(content)
        checkPage(report)
        let (loss, lossSVG) = try #require(figure(report, "Loss per epoch"))
        #expect(lossSVG.withClass("line").count == 1)
        #expect(lossSVG.withClass("point").count == 3)
        #expect(lossSVG.withClass("point").compactMap(\.title) == outcome.history.map {
            "training: \($0.epoch), \(NumberFormat.significant($0.loss, digits: 4))"
        })
        #expect(loss.caption.contains("3 epochs"))
        #expect(lossSVG.texts.contains("epoch") && lossSVG.texts.contains("loss (cross-entropy, nats)"))
        #expect(figure(report, "Accuracy per epoch") != nil)
        #expect(figure(report, "Confusion matrix") != nil)
        // Four features: no decision regions, and the page says why.
        #expect(figure(report, "Decision regions") == nil)
        #expect(report.html.contains("Decision regions are drawn for models of two features"))
    }

    @Test("a model trained on shards: the report says the data are sharded and shows each site's counts, not rows")
    func sharded() throws {
        var job = TrainingJob(model: .vqc, data: .iris)
        job.variational = VariationalSettings(ansatz: AnsatzChoice(.realAmplitudes, layers: 1), epochs: 1)
        let outcome = try TrainedModel.train(job)
        let classes = outcome.model.classNames
        let shards = ShardSummary(sites: [.init(trainingRows: 75, testRows: 12, trainingClassCounts: [50, 25, 0], testClassCounts: [8, 4, 0]),
                                          .init(trainingRows: 37, testRows: 26, trainingClassCounts: [0, 12, 25], testClassCounts: [0, 9, 17])],
                                  classes: classes)
        var content = ReportContent()
        try content.add(model: outcome.model, name: "fed.model", shards: shards)
        let report = try Report.build(content)
        checkPage(report)
        let html = report.html
        #expect(html.contains("The data are sharded: 2 sites (one per MPI rank)"))
        #expect(html.contains("rows per class") && html.contains("\(classes[0]) (train / test)"))
        // Site 0's row, site 1's, and the totals over the sites.
        for cells in [["0", "75", "12", "50 / 8", "25 / 4", "0 / 0"], ["1", "37", "26", "0 / 0", "12 / 9", "25 / 17"],
                      ["all", "112", "38", "50 / 8", "37 / 13", "25 / 17"]] {
            #expect(cellsInOrder(html, cells), "\(cells)")
        }
        #expect(figure(report, "Confusion matrix") == nil && !html.contains("no samples to evaluate it on"))
        // Row counts only (class counts not exchanged): no class columns.
        var rowsOnly = ReportContent()
        try rowsOnly.add(model: outcome.model, name: "fed.model",
                         shards: ShardSummary(sites: [.init(trainingRows: 75, testRows: 12), .init(trainingRows: 37, testRows: 26)], classes: classes))
        let plain = try Report.build(rowsOnly).html
        #expect(plain.contains("row counts, and the metrics summed over every site") && !plain.contains("(train / test)"))
    }

    @Test("ε over steps from the model's DP-SGD record, ending at the accountant's ε for all its steps")
    func epsilonOverSteps() throws {
        let record = PrivacyRecord(samplingRate: 0.01, noiseMultiplier: 1.1, steps: 1000, delta: 1e-5, accountant: "rdp", epsilon: nil, targetEpsilon: nil)
        let curve = try ModelEvaluation.epsilonCurve(record)
        // Steps 25, 50, …, 1000 and the first step.
        #expect(curve.count == 41)
        #expect(zip(curve, curve.dropFirst()).allSatisfy { $0.y < $1.y && $0.x < $1.x })
        let final = try PrivacyAccounting.epsilon(samplingRate: 0.01, noiseMultiplier: 1.1, steps: 1000, delta: 1e-5)
        #expect(curve.last?.x == 1000 && curve.last?.y == final.epsilon)

        // A model trained with DP-SGD (issue 17) records q, σ, the steps and δ: the figure ends at its ε.
        var job = TrainingJob(model: .vqc, data: .iris)
        job.variational = VariationalSettings(ansatz: AnsatzChoice(.realAmplitudes, layers: 1), epochs: 2)
        job.privacy = DifferentialPrivacyConfiguration(noiseMultiplier: 1.1, delta: 1e-5, randomSeed: 11)
        job.featureBounds = [0...8]  // public bounds of the Iris measurements (cm), as DP-SGD requires
        let outcome = try TrainedModel.train(job)
        var content = ReportContent()
        try content.add(model: outcome.model, name: "private vqc", training: outcome.trainingSamples, test: outcome.testSamples)
        var entry = try #require(content.models.first)
        let recorded = try #require(entry.privacy)
        #expect(recorded.noiseMultiplier == 1.1 && recorded.delta == 1e-5 && recorded.steps >= 2)
        let report = try Report.build(content)
        checkPage(report)
        let (privacy, svg) = try #require(figure(report, "Privacy spent over training"))
        #expect(svg.withClass("line").count == 1)
        #expect(privacy.caption.contains("σ = 1.1") && privacy.caption.contains("the model records ε = "))
        let own = try ModelEvaluation.epsilonCurve(recorded)
        let recordedEpsilon = try #require(recorded.epsilon)
        #expect(abs((own.last?.y ?? 0) - recordedEpsilon) <= 1e-9 * recordedEpsilon)
        // A history that records ε per epoch is drawn as it is.
        entry.history = [EpochPoint(epoch: 1, loss: 1, epsilon: 0.5), EpochPoint(epoch: 2, loss: 0.8, epsilon: 0.9)]
        content.models = [entry]
        let perEpoch = try Report.build(content)
        #expect(figure(perEpoch, "Privacy spent per epoch").map { $0.1.withClass("point").count } == 2)
        #expect(figure(perEpoch, "Privacy spent over training") == nil)
    }
}

struct BenchFigureTests {
    @Test("ratio bars: one per row of every ratio field, on a log axis from 1, with the anchor named")
    func ratios() throws {
        let scratch = try Scratch()
        let parallel = """
            {"command": "Benchmarks/parallel_side_by_side.py --cases tasks", "columns": ["case", "verdant_seconds", "anchor_seconds", "anchor", "anchor_over_verdant"],
             "rows": [["tasks-run", 1.4e-7, 0.0022, "dask.delayed threads", 15549.1], ["tasks-map", 9.5e-9, 0.0022, "dask.delayed threads", 237618.8],
                      ["tasks-graph", 2.4e-6, 0.0022, "dask.delayed threads", 932.1]]}
            """
        let qml = """
            {"command": "qml_side_by_side.py", "kernel": [{"qubits": 4, "samples": 100, "verdant_threads": 1, "ratio_process": 8.66, "ratio_in_process": 452.6},
                                                          {"qubits": 4, "samples": 100, "verdant_threads": 2, "ratio_process": 16.5, "ratio_in_process": 475.6}],
             "accuracy": [{"data": "ad hoc", "verdant": 1.0}]}
            """
        let privacy = "{\"suite\": \"privacy\", \"machine\": {}, \"results\": [{\"operation\": \"seal\", \"seconds_median\": 0.2}]}"
        var content = ReportContent()
        try ReportReader().read([try scratch.write("parallel.json", parallel), try scratch.write("qml.json", qml),
                                 try scratch.write("privacy.json", privacy)], into: &content)
        #expect(content.benchmarks.map { $0.series.map(\.field) } == [["anchor_over_verdant"], ["ratio_in_process", "ratio_process"], []])
        #expect(content.benchmarks[0].series[0].anchor == "dask.delayed threads")
        let report = try Report.build(content)
        checkPage(report)
        let (anchor, svg) = try #require(figure(report, "anchor_over_verdant against dask.delayed threads"))
        #expect(svg.withClass("bar").count == 3)
        #expect(svg.withClass("value-label").map(\.text) == ["15,500×", "238,000×", "932×"])
        #expect(svg.texts.contains("anchor_over_verdant (ratio, log scale)"))
        #expect(anchor.caption.contains("above 1, Verdant is faster"))
        #expect(figure(report, "ratio_process").map { $0.1.withClass("bar").count } == 2)
        #expect(report.html.contains("holds timings but no ratio"))
    }
}

struct ReaderTests {
    @Test("inputs that are not Verdant's are refused with what was found and what is valid")
    func refusals() throws {
        let scratch = try Scratch()
        func failure(_ paths: [String]) -> String? {
            var content = ReportContent()
            do {
                try ReportReader().read(paths, into: &content)
                return nil
            } catch let error as ReportError {
                return error.description
            } catch {
                return "\(error)"
            }
        }
        let foreign = try scratch.write("foreign.json", "{\"name\": \"x\", \"values\": [1, 2]}")
        #expect(failure([foreign])?.contains("foreign.json: JSON with the keys name, values; valid: a file Verdant writes") == true)
        #expect(failure([scratch.url.appendingPathComponent("missing.json").path])?.contains("missing.json: no such file or folder") == true)
        let broken = try scratch.write("broken.json", "{\"counts\": ")
        #expect(failure([broken])?.contains("broken.json: JSON that does not parse") == true)
        let binary = scratch.url.appendingPathComponent("blob.bin").path
        try Data([0, 1, 2, 255]).write(to: URL(fileURLWithPath: binary))
        #expect(failure([binary])?.contains("it starts with 00 01 02 ff") == true)
        let empty = scratch.url.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        #expect(failure([empty.path])?.contains("a folder with no file Verdant writes") == true)
        #expect(throws: ReportError.self) { try Report.build(ReportContent()) }
        #expect(throws: ReportError.self) { try Report.build(ReportContent(), options: ReportOptions(outcomesKept: 0)) }
    }

    @Test("a folder like demo --work-dir: sealed models opened with the key, key files skipped, predictions noted")
    func sealedFolder() throws {
        let scratch = try Scratch()
        let folder = scratch.url.appendingPathComponent("demo")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let identity = X25519Identity()
        let keyPath = folder.appendingPathComponent("demo.key").path
        try identity.fileText().write(toFile: keyPath, atomically: true, encoding: .utf8)
        var job = TrainingJob(model: .svmRBF, data: .iris)
        job.seed = 7
        let outcome = try TrainedModel.train(job)
        try outcome.model.write(toPath: folder.appendingPathComponent("svm-rbf.model.sealed").path, recipients: [.x25519(identity.recipient)])
        try SealedFile.write(Data(DatasetLoader.irisCSV.utf8), toPath: folder.appendingPathComponent("iris.csv.sealed").path,
                             for: [.x25519(identity.recipient)], contentType: "dataset/csv")
        try SealedFile.write(Data("sample,prediction\n0,setosa\n".utf8), toPath: folder.appendingPathComponent("svm-rbf.predictions.sealed").path,
                             for: [.x25519(identity.recipient)], contentType: "predictions/csv")
        // Without the key the sealed model cannot be opened: Privacy's error, nothing drawn.
        var none = ReportContent()
        #expect(throws: PrivacyError.self) { try ReportReader().read([folder.path], into: &none) }
        var content = ReportContent()
        try ReportReader(keys: InputKeys(identities: [.x25519(identity)])).read([folder.path], into: &content)
        #expect(content.models.count == 1 && content.samples?.count == 150)
        #expect(content.sealedInputs.count == 2)
        #expect(content.notes.contains { $0.contains("demo.key: a key file") })
        #expect(content.notes.contains { $0.contains("predictions, not drawn") })
        // The data file is split again as the model recorded it: the confusion matrix is of its 38 test samples.
        let report = try Report.build(content)
        checkPage(report)
        let (confusion, svg) = try #require(figure(report, "Confusion matrix"))
        #expect(svg.withClass("cell-value").compactMap { Int($0.text) }.reduce(0, +) == outcome.model.testSamples)
        #expect(confusion.caption.contains("split again as the model records it (seed 7"))
        #expect(confusion.caption.contains("as recorded in the model"))
        #expect(report.html.utf8.count < 2_000_000)
    }

    @Test("train --json and run --json with probabilities only are read")
    func summaries() throws {
        let scratch = try Scratch()
        let train = "{\"model\": \"m.json\", \"sealed\": false, \"kind\": \"vqc\", \"dataset\": \"iris\", \"samples\": 111, \"testSamples\": 39, "
            + "\"trainAccuracy\": 0.9, \"testAccuracy\": 0.95, \"history\": [{\"epoch\": 1, \"loss\": 1.1, \"accuracy\": 0.5}, {\"epoch\": 2, \"loss\": 0.7, \"accuracy\": 0.8}], "
            + "\"energy\": {\"joules\": 2.5, \"provenance\": \"modelled\"}}"
        let state = "{\"file\": \"ghz.qasm\", \"qubits\": 2, \"probabilities\": {\"00\": 0.5, \"11\": 0.5}}"
        var content = ReportContent()
        try ReportReader().read([try scratch.write("train.json", train), try scratch.write("state.json", state)], into: &content)
        #expect(content.models.first?.history.count == 2 && content.models.first?.energy?.joules == 2.5)
        #expect(content.runs.first?.probabilities.map(\.0) == ["00", "11"])
        let report = try Report.build(content)
        checkPage(report)
        #expect(figure(report, "Loss per epoch") != nil && figure(report, "Accuracy against energy") != nil)
        #expect(figure(report, "Probabilities: ghz.qasm")?.0.caption.contains("Exact probabilities") == true)
        #expect(figure(report, "Counts") == nil)
    }
}

struct PNGTests {
    @Test("the PNG reader decodes a stored (uncompressed) image with every filter")
    func storedPNG() throws {
        // 2 × 2 RGB; row 0 with filter 1 (Sub), row 1 with filter 2 (Up).
        let raw: [UInt8] = [1, 10, 20, 30, 5, 5, 5, 2, 1, 1, 1, 0, 0, 0]
        var zlib: [UInt8] = [0x78, 0x01, 1, UInt8(raw.count), 0, ~UInt8(raw.count), 0xFF] + raw + [0, 0, 0, 0]
        zlib[5] = ~UInt8(raw.count)
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let n = body.count
            return [UInt8(n >> 24), UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)] + Array(type.utf8) + body + [0, 0, 0, 0]
        }
        let png: [UInt8] = [137, 80, 78, 71, 13, 10, 26, 10] + chunk("IHDR", [0, 0, 0, 2, 0, 0, 0, 2, 8, 2, 0, 0, 0]) + chunk("IDAT", zlib) + chunk("IEND", [])
        let image = try PNGImage(data: Data(png))
        #expect(image.width == 2 && image.height == 2 && image.channels == 3)
        #expect(image.pixels == [10, 20, 30, 15, 25, 35, 11, 21, 31, 15, 25, 35])
        #expect(throws: PNGImage.Failure.self) { try PNGImage(data: Data([1, 2, 3])) }
    }
}

/// Whether the cells appear in `html` in this order, each as a whole cell's text.
private func cellsInOrder(_ html: String, _ cells: [String]) -> Bool {
    var rest = html[...]
    for cell in cells {
        guard let range = rest.range(of: ">\(cell)<") else { return false }
        rest = rest[range.upperBound...]
    }
    return true
}
