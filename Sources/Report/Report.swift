import Energy
import Figures
import Foundation
import Parallel
import Privacy
import QuantumML
import VerdantCommon

/// A self-contained HTML report of Verdant's results: one file with inline SVG and CSS, no
/// script and no fetch, for light and dark themes and for print (docs/report.md).
///
/// ```swift
/// var content = ReportContent()
/// try ReportReader(keys: keys).read(["demo-folder"], into: &content)
/// let report = try Report.build(content, options: ReportOptions())
/// try report.write(toPath: "report.html")
/// ```
public struct Report: Sendable {
    /// The page.
    public let page: HTMLPage
    /// Notes on what could not be drawn (also shown in the page).
    public let notes: [String]

    /// The HTML text.
    public var html: String { page.html }

    /// The figures, in page order.
    public var figures: [Figure] { page.figures }

    /// Writes the report atomically (``AtomicFile``: nothing appears unless all of it was
    /// written), sealed for `recipients` when there are any (content type `text/html`).
    ///
    /// - Parameters:
    ///   - path: The file.
    ///   - recipients: Who can open it (none: plain HTML).
    ///   - overwrite: Whether an existing file may be replaced.
    /// - Throws: ``ReportError/cannotWrite(path:reason:)``; Privacy's errors when sealing.
    public func write(toPath path: String, recipients: [Recipient] = [], overwrite: Bool = true) throws {
        let data = Data(html.utf8)
        if !recipients.isEmpty {
            try SealedFile.write(data, toPath: path, for: recipients, contentType: Report.contentType, overwrite: overwrite)
            return
        }
        do throws(AtomicFileError) {
            try AtomicFile.write(data, toPath: path, replacing: overwrite)
        } catch {
            throw ReportError.cannotWrite(path: path, reason: error.reason)
        }
    }

    /// The content type of a sealed report.
    public static let contentType = "text/html"
}

/// How a report is built.
public struct ReportOptions: Sendable {
    /// The page's title.
    public var title: String
    /// Who made it, e.g. "verdant 0.1.0" (shown in the header).
    public var generator: String
    /// When it was made (shown in the header; fixed in tests).
    public var date: Date
    /// The threads used for predictions and kernel matrices.
    public var scheduler: Scheduler
    /// How many outcomes a counts histogram keeps before summing the rest (`plot_histogram`'s
    /// `number_to_keep`).
    public var outcomesKept: Int

    /// Options; the defaults are `verdant report`'s.
    ///
    /// - Parameters:
    ///   - title: The page's title ("Verdant report").
    ///   - generator: Who made it, shown in the header.
    ///   - date: When it was made (now).
    ///   - scheduler: The threads for predictions and kernel matrices (all cores).
    ///   - outcomesKept: Outcomes a counts histogram keeps before summing the rest (20).
    public init(title: String = "Verdant report", generator: String = "Verdant", date: Date = Date(), scheduler: Scheduler = .shared,
                outcomesKept: Int = 20) {
        self.title = title
        self.generator = generator
        self.date = date
        self.scheduler = scheduler
        self.outcomesKept = outcomesKept
    }
}

extension Report {
    /// Builds the report of `content`.
    ///
    /// - Parameters:
    ///   - content: What to draw.
    ///   - options: Title, date, threads.
    /// - Returns: The report.
    /// - Throws: ``ReportError/nothingToDraw(inputs:reason:)`` when the content holds nothing to
    ///   draw; ``ReportError/invalidArgument(argument:received:valid:)`` for bad options; the models'
    ///   prediction errors (a model and data that do not fit).
    public static func build(_ content: ReportContent, options: ReportOptions = ReportOptions()) throws -> Report {
        guard options.outcomesKept >= 1 else {
            throw ReportError.invalidArgument(argument: "the outcomes kept", received: "\(options.outcomesKept)", valid: "at least 1")
        }
        guard !content.isEmpty else {
            let reason = content.samples != nil
                ? "a data file alone has nothing to draw; give the models to evaluate on it"
                : "no run, model, energy report or benchmark result among the inputs"
            throw ReportError.nothingToDraw(inputs: content.sources, reason: reason)
        }
        var builder = PageBuilder(content: content, options: options)
        return try builder.build()
    }
}

/// Assembles the page: one section per kind of result, figure ids numbered in order.
struct PageBuilder {
    let content: ReportContent
    let options: ReportOptions
    var notes: [String] = []
    var figureCount = 0

    init(content: ReportContent, options: ReportOptions) {
        self.content = content
        self.options = options
        notes = content.notes
    }

    mutating func build() throws -> Report {
        var sections: [PageSection] = []
        // The question first (which model buys its accuracy with the fewest joules?), then where
        // the joules went, then each model's pictures.
        if let summary = summarySection() { sections.append(summary) }
        for (index, entry) in content.energy.enumerated() { sections.append(energySection(entry, index: index)) }
        for (index, entry) in content.models.enumerated() where entry.model != nil || !entry.history.isEmpty {
            sections.append(try modelSection(entry, index: index))
        }
        if !content.runs.isEmpty { sections.append(circuitSection()) }
        if !content.benchmarks.isEmpty { sections.append(benchSection()) }
        sections.append(aboutSection())
        let inputs = content.sources.count
        let facts: [(String, String)] = [
            ("inputs", inputs <= 4 ? content.sources.map(Self.shortPath).joined(separator: ", ") : "\(inputs) files"),
            ("figures", String(figureCount)),
            ("made", Self.dateText(options.date) + " by " + options.generator),
        ]
        let subtitle = "Accuracy, energy and the pictures behind them: "
            + [content.models.isEmpty ? nil : Self.count(content.models.count, "model"),
               content.energy.isEmpty ? nil : Self.count(content.energy.count, "energy report"),
               content.runs.isEmpty ? nil : Self.count(content.runs.count, "circuit run"),
               content.benchmarks.isEmpty ? nil : Self.count(content.benchmarks.count, "benchmark file")]
            .compactMap { $0 }.joined(separator: ", ") + "."
        let page = HTMLPage(title: options.title, subtitle: subtitle, facts: facts, sections: sections)
        return Report(page: page, notes: notes)
    }

    mutating func nextID(_ stem: String) -> String {
        figureCount += 1
        return "fig-\(figureCount)-\(stem)"
    }

    // MARK: - Summary: accuracy against joules

    mutating func summarySection() -> PageSection? {
        let models = content.models
        guard !models.isEmpty else { return nil }
        var blocks: [PageSection.Block] = []
        let rows = models.map { m -> [String] in
            [m.name, m.kind, m.isQuantum ? "quantum" : "classical",
             m.testAccuracy.map { NumberFormat.percent($0) } ?? "–",
             m.testSamples.map { NumberFormat.integer($0) } ?? "–",
             m.energy.map { NumberFormat.si($0.joules, unit: "J") } ?? "–",
             m.energy.map { "\(NumberFormat.si($0.low, unit: "J"))–\(NumberFormat.si($0.high, unit: "J"))" } ?? "–",
             m.energy?.provenance ?? "–",
             m.seconds.map { NumberFormat.duration($0) } ?? "–"]
        }
        blocks.append(.table(PageTable(caption: "Models: test accuracy, and the energy of each training job with its error band and provenance",
                                       header: ["model", "kind", "family", "test accuracy", "test samples", "energy", "band", "provenance", "training time"],
                                       rows: rows)))
        let plotted = models.filter { $0.testAccuracy != nil && $0.energy != nil }
        if let figure = accuracyJoulesFigure(plotted) {
            if let verdict = Self.verdict(plotted) { blocks.append(.paragraph(verdict)) }
            blocks.append(.figures([figure]))
        }
        for m in models where m.testAccuracy == nil || m.energy == nil {
            let missing = [m.testAccuracy == nil ? (m.kind == "vqr" ? "accuracy (a regressor: see its error figures)" : "test accuracy") : nil,
                           m.energy == nil ? "energy (trained without a meter's record)" : nil].compactMap { $0 }
            blocks.append(.note("\(m.name) is not in the accuracy–energy figure: no \(missing.joined(separator: " and "))."))
        }
        return PageSection(id: "summary", title: "Accuracy and energy", blocks: blocks)
    }

    /// The sentence that answers "which model buys its accuracy with the fewest joules?".
    static func verdict(_ models: [ModelEntry]) -> String? {
        let scored = models.compactMap { m -> (ModelEntry, Double, Double)? in
            guard let accuracy = m.testAccuracy, let joules = m.energy?.joules, joules > 0 else { return nil }
            return (m, accuracy, joules)
        }
        guard let best = scored.map(\.1).max(), scored.count >= 2 else { return nil }
        let top = scored.filter { $0.1 == best }.sorted { $0.2 < $1.2 }
        guard let cheapest = top.first else { return nil }
        var text = "Best test accuracy (\(NumberFormat.percent(best))) for the fewest joules: \(cheapest.0.name), \(NumberFormat.si(cheapest.2, unit: "J"))."
        let others = scored.filter { $0.0.name != cheapest.0.name }.sorted { $0.2 < $1.2 }
        if !others.isEmpty {
            text += " " + others.map { other in
                "\(other.0.name): \(NumberFormat.percent(other.1)) for \(NumberFormat.si(other.2, unit: "J")) (\(NumberFormat.significant(other.2 / cheapest.2, digits: 2))× the joules)"
            }.joined(separator: "; ") + "."
        }
        text += " Joules are best estimates; their bands, drawn as error bars, overlap when the difference is within the method's uncertainty."
        return text
    }

    mutating func accuracyJoulesFigure(_ models: [ModelEntry]) -> Figure? {
        guard !models.isEmpty else { return nil }
        let joules = models.compactMap { $0.energy?.joules }.filter { $0 > 0 }
        let lows = models.compactMap { $0.energy?.low }.filter { $0 > 0 }
        let highs = models.compactMap { $0.energy?.high }
        let spread = (highs.max() ?? 1) / max(lows.min() ?? 1, 1e-300)
        let logarithmic = spread > 20 && !joules.isEmpty
        var chart = XYChart(xAxis: Axis("training energy (J)", kind: logarithmic ? .log : .linear, includesZero: !logarithmic),
                            yAxis: Axis("test accuracy (%)", labels: .percent))
        let shapes: [String: MarkerShape] = ["qsvm": .circle, "vqc": .diamond, "svm-rbf": .square, "svm-linear": .triangle]
        chart.points = models.compactMap { m in
            guard let accuracy = m.testAccuracy, let energy = m.energy else { return nil }
            let tooltip = "\(m.name): \(NumberFormat.percent(accuracy)) test accuracy, \(NumberFormat.si(energy.joules, unit: "J")) "
                + "(\(NumberFormat.si(energy.low, unit: "J"))–\(NumberFormat.si(energy.high, unit: "J")), \(energy.provenance))"
            return XYChart.Point(x: energy.joules, y: accuracy, xError: (energy.low, energy.high), label: m.kind,
                                 colour: m.isQuantum ? 0 : 1, shape: shapes[m.kind] ?? .circle, tooltip: tooltip)
        }
        let families = Set(models.map(\.isQuantum))
        chart.pointLegend = (families.contains(true) ? [(0, MarkerShape.circle, "quantum")] : []) + (families.contains(false) ? [(1, MarkerShape.square, "classical")] : [])
        let title = "Accuracy against energy"
        let sources = Set(models.map { Self.shortPath($0.source) }).sorted().joined(separator: ", ")
        let provenance = Set(models.compactMap { $0.energy?.provenance }).sorted().joined(separator: ", ")
        return Figure(id: nextID("accuracy-energy"), title: title, svg: chart.svg(label: title),
                      caption: "Test accuracy against the joules of each model's training job (\(provenance)); bars: the joules' error band. "
                        + "Up and to the left is better. From \(sources).")
    }

    // MARK: - A model

    mutating func modelSection(_ entry: ModelEntry, index: Int) throws -> PageSection {
        var blocks: [PageSection.Block] = []
        var figures: [Figure] = []
        var facts = ["\(entry.kind) (\(entry.isQuantum ? "quantum" : "classical"))"]
        if let dataset = entry.dataset { facts.append("trained on \(dataset)") }
        if let samples = entry.samples { facts.append("\(NumberFormat.integer(samples)) training samples") }
        if let test = entry.testSamples, test > 0 { facts.append("\(NumberFormat.integer(test)) test samples") }
        if let accuracy = entry.testAccuracy { facts.append("test accuracy \(NumberFormat.percent(accuracy))") }
        if let energy = entry.energy {
            facts.append("training energy \(NumberFormat.si(energy.joules, unit: "J")) (band \(NumberFormat.si(energy.low, unit: "J"))–\(NumberFormat.si(energy.high, unit: "J")), \(energy.provenance))")
        }
        blocks.append(.paragraph(facts.joined(separator: "; ") + ". From \(Self.shortPath(entry.source))."))

        figures += historyFigures(entry)
        if let privacy = entry.privacy, let figure = epsilonFigure(entry, privacy) { figures.append(figure) }
        if let model = entry.model {
            let samples = ModelEvaluation.samples(for: entry, content: content)
            if let samples {
                if let test = samples.test, !model.isRegressor {
                    if let figure = try confusionFigure(entry, model, test, origin: samples.origin, heldOut: samples.rolesKnown) {
                        figures.append(figure)
                    }
                }
                if case .kernel = model, let train = samples.train ?? samples.test {
                    figures.append(try kernelFigure(entry, model, train, origin: samples.origin, training: samples.rolesKnown && samples.train != nil))
                }
            } else if let shards = entry.shards {
                blocks += Self.shardBlocks(shards, model: model)
            } else if !model.isRegressor {
                let why = content.samples == nil
                    ? "give the data (--data FILE, or the data file as an input) to draw its confusion matrix\(model.featureNames.count == 2 ? "" : " and kernel matrix")"
                    : "the data given lacks the model's features (\(model.featureNames.joined(separator: ", ")))"
                blocks.append(.note("\(entry.name): no samples to evaluate it on; \(why)."))
            }
            if !model.isRegressor {
                if model.featureNames.count == 2 {
                    if let figure = try regionsFigure(entry, model, samples) { figures.append(figure) }
                } else {
                    blocks.append(.note("Decision regions are drawn for models of two features; \(entry.name) takes \(model.featureNames.count) "
                                        + "(\(model.featureNames.joined(separator: ", ")))."))
                }
            }
        }
        if !figures.isEmpty { blocks.insert(.figures(figures), at: 1) }
        return PageSection(id: "model-\(index + 1)-\(entry.kind)", title: "Model: \(entry.name)", blocks: blocks)
    }

    /// What a report shows of a model trained on federated shards: that the data are sharded, each
    /// site's rows (and rows per class, when the ranks exchanged them), and the metrics over every
    /// site — never a row.
    static func shardBlocks(_ shards: ShardSummary, model: TrainedModel) -> [PageSection.Block] {
        var metrics: [String] = []
        if case .variational(let variational) = model {
            let record = variational.training
            if let accuracy = record.trainAccuracy { metrics.append("train accuracy \(NumberFormat.percent(accuracy))") }
            if let accuracy = record.testAccuracy { metrics.append("test accuracy \(NumberFormat.percent(accuracy))") }
            for (name, value) in [("train MSE", record.trainMSE), ("train MAE", record.trainMAE), ("train R²", record.trainR2),
                                  ("test MSE", record.testMSE), ("test MAE", record.testMAE), ("test R²", record.testR2)] {
                if let value { metrics.append("\(name) \(NumberFormat.significant(value, digits: 4))") }
            }
        }
        let classes = shards.classes ?? []
        let perClass = !classes.isEmpty && shards.sites.allSatisfy { $0.trainingClassCounts?.count == classes.count }
        var blocks: [PageSection.Block] = [
            .note("The data are sharded: \(count(shards.sites.count, "site")) (one per MPI rank) each trained on its own rows, which never "
                  + "left the site, so this report draws no confusion matrix, kernel matrix or decision regions. It shows what the ranks "
                  + "exchanged: each site's row counts\(perClass ? " and rows per class" : ""), and the metrics summed over every site"
                  + (metrics.isEmpty ? "." : " (\(metrics.joined(separator: "; "))).")),
        ]
        var header = ["site (rank)", "training rows", "test rows"]
        if perClass { header += classes.map { "\($0) (train / test)" } }
        var rows = shards.sites.enumerated().map { rank, site -> [String] in
            var row = ["\(rank)", NumberFormat.integer(site.trainingRows), NumberFormat.integer(site.testRows)]
            if perClass, let train = site.trainingClassCounts {
                let test = site.testClassCounts ?? []
                row += train.indices.map { "\(NumberFormat.integer(train[$0])) / \(NumberFormat.integer(test.indices.contains($0) ? test[$0] : 0))" }
            }
            return row
        }
        var total = ["all", NumberFormat.integer(shards.sites.map(\.trainingRows).reduce(0, +)),
                     NumberFormat.integer(shards.sites.map(\.testRows).reduce(0, +))]
        if perClass {
            total += classes.indices.map { k in
                let train = shards.sites.map { $0.trainingClassCounts?[k] ?? 0 }.reduce(0, +)
                let test = shards.sites.map { site in site.testClassCounts.map { $0.indices.contains(k) ? $0[k] : 0 } ?? 0 }.reduce(0, +)
                return "\(NumberFormat.integer(train)) / \(NumberFormat.integer(test))"
            }
        }
        rows.append(total)
        blocks.append(.table(PageTable(caption: "Rows per site" + (perClass ? " and per class" : "") + " (training rows include a validation share)",
                                       header: header, rows: rows)))
        return blocks
    }

    mutating func historyFigures(_ entry: ModelEntry) -> [Figure] {
        let history = entry.history
        guard !history.isEmpty else { return [] }
        var figures: [Figure] = []
        let origin = "from the model's history (\(Self.shortPath(entry.source)))"
        func points(_ value: (EpochPoint) -> Double?) -> [(x: Double, y: Double)] {
            history.compactMap { p in value(p).map { (Double(p.epoch), $0) } }
        }
        let loss = points(\.loss), validationLoss = points(\.validationLoss)
        if !loss.isEmpty {
            let unit = entry.kind == "vqr" ? "loss (squared error of the scaled targets)" : "loss (cross-entropy, nats)"
            var chart = XYChart(xAxis: Axis("epoch", labels: .integer), yAxis: Axis(unit, includesZero: true))
            chart.lines = [XYChart.Line("training", points: loss, colour: 0, markers: loss.count <= 60)]
            if !validationLoss.isEmpty {
                chart.lines.append(XYChart.Line("validation", points: validationLoss, colour: 3, dashed: true, markers: validationLoss.count <= 60))
            }
            let title = "Loss per epoch"
            let best = history.min { ($0.validationLoss ?? $0.loss ?? .infinity) < ($1.validationLoss ?? $1.loss ?? .infinity) }
            figures.append(Figure(id: nextID("loss"), title: title, svg: chart.svg(label: title),
                                  caption: "Mean training loss over each epoch's mini-batches\(validationLoss.isEmpty ? "" : ", and the validation loss after it (dashed)")"
                                    + (best.map { "; lowest at epoch \($0.epoch)" } ?? "") + "; \(history.count) epochs, \(origin)."))
        }
        let accuracy = points(\.accuracy), validationAccuracy = points(\.validationAccuracy)
        if !accuracy.isEmpty {
            let low = (accuracy + validationAccuracy).map(\.y).min() ?? 0
            var chart = XYChart(xAxis: Axis("epoch", labels: .integer),
                                yAxis: Axis("accuracy (%)", domain: (max(0, (low * 10).rounded(.down) / 10), 1), labels: .percent))
            chart.lines = [XYChart.Line("training", points: accuracy, colour: 0, markers: accuracy.count <= 60)]
            if !validationAccuracy.isEmpty {
                chart.lines.append(XYChart.Line("validation", points: validationAccuracy, colour: 3, dashed: true, markers: validationAccuracy.count <= 60))
            }
            let title = "Accuracy per epoch"
            figures.append(Figure(id: nextID("accuracy"), title: title, svg: chart.svg(label: title),
                                  caption: "Share of training samples classified right during each epoch\(validationAccuracy.isEmpty ? "" : ", and of the validation samples after it (dashed)"); \(origin)."))
        }
        let epsilon = points(\.epsilon)
        if !epsilon.isEmpty {
            var chart = XYChart(xAxis: Axis("epoch", labels: .integer), yAxis: Axis("privacy loss ε (at δ)", includesZero: true))
            chart.lines = [XYChart.Line("ε", points: epsilon, colour: 4, markers: epsilon.count <= 60)]
            let title = "Privacy spent per epoch"
            figures.append(Figure(id: nextID("epsilon-epochs"), title: title, svg: chart.svg(label: title),
                                  caption: "ε spent up to the end of each epoch, as the history records it; \(origin)."))
        }
        return figures
    }

    mutating func epsilonFigure(_ entry: ModelEntry, _ privacy: PrivacyRecord) -> Figure? {
        // A history that records ε per epoch is drawn by historyFigures.
        guard !entry.history.contains(where: { $0.epsilon != nil }) else { return nil }
        let curve: [(x: Double, y: Double)]
        do {
            curve = try ModelEvaluation.epsilonCurve(privacy)
        } catch {
            notes.append("\(entry.name): ε over steps could not be computed (\(error))")
            return nil
        }
        guard curve.count >= 2 else { return nil }
        var chart = XYChart(xAxis: Axis("optimiser steps"), yAxis: Axis("privacy loss ε (at δ = \(NumberFormat.significant(privacy.delta, digits: 2)))", includesZero: true))
        chart.lines = [XYChart.Line("ε (\(privacy.accountant.uppercased()))", points: curve, colour: 4)]
        if let target = privacy.targetEpsilon { chart.references = [(target, "target ε \(NumberFormat.significant(target, digits: 3))")] }
        let title = "Privacy spent over training"
        let recorded = privacy.epsilon.map { "; the model records ε = \(NumberFormat.significant($0, digits: 4)) after \(NumberFormat.integer(privacy.steps)) steps" } ?? ""
        return Figure(id: nextID("epsilon"), title: title, svg: chart.svg(label: title),
                      caption: "ε at δ after each number of DP-SGD steps, computed with the \(privacy.accountant.uppercased()) accountant from the sampling rate q = "
                        + "\(NumberFormat.significant(privacy.samplingRate, digits: 3)) and noise multiplier σ = \(NumberFormat.significant(privacy.noiseMultiplier, digits: 3)) "
                        + "in training.privacy of \(Self.shortPath(entry.source))\(recorded).")
    }

    mutating func confusionFigure(_ entry: ModelEntry, _ model: TrainedModel, _ test: Dataset, origin: String, heldOut: Bool) throws -> Figure? {
        let (counts, unlabelled) = try ModelEvaluation.confusion(model, test, scheduler: options.scheduler)
        let total = counts.flatMap { $0 }.reduce(0, +)
        guard total > 0 else {
            notes.append("\(entry.name): the samples have no \(model.labelName) column the model knows, so no confusion matrix")
            return nil
        }
        let correct = counts.indices.map { counts[$0][$0] }.reduce(0, +)
        let classes = model.classNames
        var heatmap = Heatmap(values: counts.map { $0.map(Double.init) }, rowTitle: "true class", columnTitle: "predicted class",
                              colourTitle: "samples", rowLabels: classes, columnLabels: classes, showValues: true,
                              valueText: { NumberFormat.integer(Int($0)) })
        let rowTotals = counts.map { $0.reduce(0, +) }
        heatmap.tooltip = { i, j, value in
            let share = rowTotals[i] > 0 ? " (\(NumberFormat.percent(value / Double(rowTotals[i]))) of \(classes[i]))" : ""
            return "true \(classes[i]), predicted \(classes[j]): \(Int(value))\(share)"
        }
        heatmap.colourDomain = (0, Double(counts.flatMap { $0 }.max() ?? 1))
        let accuracy = Double(correct) / Double(total)
        let title = "Confusion matrix"
        let recorded = entry.testAccuracy.map { abs($0 - accuracy) < 1e-12 ? " (as recorded in the model)" : " (the model records \(NumberFormat.percent($0)) on its own test split)" } ?? ""
        return Figure(id: nextID("confusion"), title: title, svg: heatmap.svg(label: title),
                      caption: "Predictions of \(entry.name) for \(NumberFormat.integer(total)) \(heldOut ? "held-out " : "")samples (\(origin)): "
                        + "\(correct) right, accuracy \(NumberFormat.percent(accuracy))\(recorded)"
                        + (unlabelled > 0 ? "; \(unlabelled) samples without a known class left out" : "") + ".")
    }

    mutating func kernelFigure(_ entry: ModelEntry, _ model: TrainedModel, _ data: Dataset, origin: String, training: Bool) throws -> Figure {
        let kernel = try ModelEvaluation.kernel(model, data, scheduler: options.scheduler)
        let name: String, formula: String, domain: (Double, Double)?
        switch entry.kind {
        case "qsvm": (name, formula, domain) = ("Quantum kernel", "the fidelity |⟨ψ(x)|ψ(x′)⟩|² of the model's feature map", (0, 1))
        case "svm-rbf": (name, formula, domain) = ("RBF kernel", "exp(−γ‖x − x′‖²) with the model's γ", (0, 1))
        default: (name, formula, domain) = ("Linear kernel", "x · x′ of the scaled samples", nil)
        }
        let heatmap = Heatmap(values: kernel.values, rowTitle: "sample (sorted by class)", columnTitle: "sample (sorted by class)",
                              colourTitle: "kernel value k(x, x′) (unitless)", groups: kernel.groups.map { Heatmap.Group($0.0, count: $0.1) },
                              colourDomain: domain)
        let title = "\(name) matrix"
        let sampled = kernel.used < kernel.total ? "; every \(Int((Double(kernel.total) / Double(ModelEvaluation.kernelLimit)).rounded(.up)))th sample of each class, \(kernel.used) of \(kernel.total)" : ""
        return Figure(id: nextID("kernel"), title: title, svg: heatmap.svg(label: title),
                      caption: "k(x, x′) = \(formula), computed from \(entry.name) for \(kernel.used) \(training ? "training " : "")samples (\(origin)\(sampled)); "
                        + "samples sorted by class, class blocks outlined.")
    }

    mutating func regionsFigure(_ entry: ModelEntry, _ model: TrainedModel, _ samples: ModelSamples?) throws -> Figure? {
        let sets = [samples?.train, samples?.test].compactMap { $0 }
        guard let grid = try ModelEvaluation.regions(model, samples: sets, scheduler: options.scheduler) else {
            notes.append("\(entry.name): no range to draw decision regions over (no samples and no min-max or standard scaler)")
            return nil
        }
        let names = model.featureNames
        var chart = XYChart(xAxis: Axis("\(names[0]) (as in the data)"), yAxis: Axis("\(names[1]) (as in the data)"))
        chart.xAxis.domain = (grid.x[0] - (grid.x[1] - grid.x[0]) / 2, grid.x[grid.x.count - 1] + (grid.x[1] - grid.x[0]) / 2)
        chart.yAxis.domain = (grid.y[0] - (grid.y[1] - grid.y[0]) / 2, grid.y[grid.y.count - 1] + (grid.y[1] - grid.y[0]) / 2)
        chart.cells = XYChart.Cells(x: grid.x, y: grid.y, classes: grid.classes)
        let classes = model.classNames
        var plotted = 0
        if let samples {
            // One set of marks when training and test samples are the same samples.
            let sets: [(Dataset?, MarkerShape, String)] = samples.train == samples.test
                ? [(samples.train, .circle, "")] : [(samples.train, .circle, "training"), (samples.test, .triangle, "test")]
            for (set, shape, role) in sets {
                guard let set, set.count > 0 else { continue }
                let (features, labels) = try ModelEvaluation.aligned(set, to: model)
                for i in 0..<features.rows {
                    let label = labels[i]
                    chart.points.append(XYChart.Point(x: features[i, 0], y: features[i, 1], colour: label ?? 6, shape: shape,
                                                      tooltip: "\(role.isEmpty ? "" : role + " ")sample \(i + 1): \(label.map { classes[$0] } ?? "unlabelled")"))
                    plotted += 1
                }
                if !role.isEmpty { chart.pointLegend.append((6, shape, "\(role) samples")) }
            }
        }
        for (c, name) in classes.enumerated() { chart.pointLegend.append((c, .ring, name)) }
        let title = "Decision regions"
        return Figure(id: nextID("regions"), title: title, svg: chart.svg(label: title),
                      caption: "The class \(entry.name) predicts at each of \(grid.x.count)×\(grid.y.count) grid points over \(grid.rangeFrom) (tinted by class)"
                        + (plotted > 0 ? "; marks: \(plotted) samples coloured by their true class (\(samples?.origin ?? ""))" : "") + ".")
    }

    // MARK: - Energy

    mutating func energySection(_ entry: EnergyEntry, index: Int) -> PageSection {
        var blocks: [PageSection.Block] = []
        let total = entry.total
        blocks.append(.paragraph("\(entry.label): \(NumberFormat.si(total.joules, unit: "J")) (band \(NumberFormat.si(total.low, unit: "J"))–"
                                 + "\(NumberFormat.si(total.high, unit: "J")), \(total.provenance)) in \(NumberFormat.duration(entry.seconds)). From \(Self.shortPath(entry.source))."))
        var figures = [timelineFigure(entry)]
        let spans = entry.spans.filter { $0.depth == 0 }
        if spans.count >= 2 {
            let bars = spans.map { span in
                BarChart.Bar(span.name, span.figure.joules, colour: 0,
                             tooltip: "\(span.name): \(NumberFormat.si(span.figure.joules, unit: "J")) (\(NumberFormat.si(span.figure.low, unit: "J"))–\(NumberFormat.si(span.figure.high, unit: "J")), \(span.figure.provenance)), \(NumberFormat.duration(span.seconds))")
            }
            let chart = BarChart(bars: bars, valueAxis: Axis("energy (J)", includesZero: true), categoryTitle: "span", orientation: .horizontal,
                                 valueText: { NumberFormat.si($0, unit: "J") })
            let title = "Energy by span"
            figures.append(Figure(id: nextID("span-energy"), title: title, svg: chart.svg(label: title),
                                  caption: "Joules of each top-level span of \(entry.label) (best estimates; bands in the tooltips and the table), from \(Self.shortPath(entry.source))."))
        }
        blocks.append(.figures(figures))
        let rows = entry.sources.map { s in
            [s.name, NumberFormat.si(s.figure.joules, unit: "J"), "\(NumberFormat.si(s.figure.low, unit: "J"))–\(NumberFormat.si(s.figure.high, unit: "J"))",
             s.figure.provenance, s.method, s.counted ? "yes" : "no"]
        } + entry.unavailable.map { [$0.0, "–", "–", "unavailable", $0.1, "no"] }
        blocks.append(.table(PageTable(caption: "Sources of \(entry.label)", header: ["source", "energy", "band", "provenance", "method", "counted"], rows: rows)))
        return PageSection(id: "energy-\(index + 1)", title: "Energy: \(entry.label)", blocks: blocks)
    }

    /// The group a source belongs to in the timeline.
    static func sourceGroup(_ name: String) -> String {
        let lower = name.lowercased()
        if lower.hasPrefix("gpu") || lower.hasPrefix("nvml") { return "GPU" }
        if lower.hasPrefix("memory") || lower.contains("dram") { return "memory" }
        if lower.hasPrefix("cpu") || lower.hasPrefix("package") || lower.hasPrefix("core") || lower.hasPrefix("idle") || lower.hasPrefix("psys") { return "CPU" }
        return "other"
    }

    /// Power over time, as drawn: two x values per interval (its start and end: the power is an
    /// average over it, a step), the stacked totals per source group in ``timelineGroups`` order
    /// (CPU, then CPU + memory, …), and the band's low and high edges — each source's joules in the
    /// interval times that source's low/high over best-estimate ratio, summed, over the seconds.
    static func powerSeries(_ entry: EnergyEntry) -> (x: [Double], stacked: [String: [Double]], low: [Double], high: [Double],
                                                         intervals: [EnergyEntry.Interval], averaged: Bool) {
        var intervals = entry.timeline
        var averaged = false
        if intervals.isEmpty {
            // The job ended before the first sample: one interval, the whole job's average.
            intervals = [EnergyEntry.Interval(end: entry.seconds, seconds: entry.seconds,
                                              joules: entry.sources.filter(\.counted).map { ($0.name, $0.figure.joules) })]
            averaged = true
        }
        var factors: [String: (Double, Double)] = [:]
        for s in entry.sources where s.figure.joules > 0 { factors[s.name] = (s.figure.low / s.figure.joules, s.figure.high / s.figure.joules) }
        var x: [Double] = []
        var stacked: [String: [Double]] = [:]
        var low: [Double] = [], high: [Double] = []
        for interval in intervals where interval.seconds > 0 {
            var watts: [String: Double] = [:]
            var lowWatts = 0.0, highWatts = 0.0
            for (name, joules) in interval.joules {
                watts[sourceGroup(name), default: 0] += joules / interval.seconds
                let (a, b) = factors[name] ?? (1, 1)
                lowWatts += joules * a / interval.seconds
                highWatts += joules * b / interval.seconds
            }
            x += [interval.end - interval.seconds, interval.end]
            var running = 0.0
            for group in timelineGroups {
                running += watts[group] ?? 0
                stacked[group, default: []] += [running, running]
            }
            low += [lowWatts, lowWatts]
            high += [highWatts, highWatts]
        }
        return (x, stacked, low, high, intervals, averaged)
    }

    /// The source groups of the power figure, in stacking order.
    static let timelineGroups = ["CPU", "memory", "GPU", "other"]

    mutating func timelineFigure(_ entry: EnergyEntry) -> Figure {
        let (x, stacked, low, high, intervals, averaged) = Self.powerSeries(entry)
        let groups = Self.timelineGroups
        var chart = XYChart(xAxis: Axis("time since the job started (s)", domain: (0, max(entry.seconds, x.max() ?? 1))),
                            yAxis: Axis("power (W)", includesZero: true))
        let present = groups.filter { g in intervals.contains { $0.joules.contains { Self.sourceGroup($0.0) == g && $0.1 > 0 } } }
        let colours = ["CPU": 0, "memory": 2, "GPU": 3, "other": 4]
        chart.areas = present.compactMap { group in
            stacked[group].map { XYChart.Band(group, x: x, low: [], high: $0, colour: colours[group] ?? 4, outlined: false) }
        }
        // Stacking: each area's top is the running total of the groups before it (absent groups add 0).
        chart.bands = [XYChart.Band("error band (\(entry.total.provenance))", x: x, low: low, high: high, colour: 5)]
        chart.intervals = entry.spans.filter { $0.depth == 0 }.map {
            XYChart.Interval(start: $0.start, end: $0.start + $0.seconds, label: $0.name,
                             tooltip: "\($0.name): \(NumberFormat.duration($0.seconds)), \(NumberFormat.si($0.figure.joules, unit: "J"))")
        }
        let title = "Power over time"
        let sampling: String
        if averaged || intervals.count == 1 {
            sampling = "the average over the whole job (it ended before a second \(NumberFormat.duration(entry.sampleInterval ?? intervals[0].seconds)) sample)"
        } else {
            sampling = "averages over each \(NumberFormat.duration(entry.sampleInterval ?? intervals[0].seconds)) sampling interval (the last one ends with the job)"
        }
        return Figure(id: nextID("power"), title: title, svg: chart.svg(label: title),
                      caption: "Power of \(entry.label): \(sampling), stacked by source (\(present.joined(separator: ", "))); dashed band: low…high from each source's error band; "
                        + "shaded: the job's spans. \(entry.total.provenance) figures, from \(Self.shortPath(entry.source)).")
    }

    // MARK: - Circuits

    mutating func circuitSection() -> PageSection {
        var blocks: [PageSection.Block] = []
        for run in content.runs {
            var figures: [Figure] = []
            let shots = run.shots ?? run.counts.map(\.1).reduce(0, +)
            let seed = run.seed.map { ", seed \($0)" } ?? ""
            if !run.counts.isEmpty {
                let kept = Self.keepTop(run.counts.map { ($0.0, Double($0.1)) }, options.outcomesKept)
                let bars = kept.bars.map { BarChart.Bar($0.0, $0.1, colour: $0.0.hasPrefix("rest") ? 1 : 0) }
                let chart = BarChart(bars: bars, valueAxis: Axis("count (shots)", includesZero: true), categoryTitle: "outcome (highest classical bit first)",
                                     valueText: { NumberFormat.integer(Int($0)) })
                let title = "Counts: \(run.circuit)"
                let rest = kept.rest > 0 ? ", the other \(kept.rest) outcomes summed as “rest” (as plot_histogram's number_to_keep does)" : ""
                figures.append(Figure(id: nextID("counts"), title: title, svg: chart.svg(label: title),
                                      caption: "Counts of the \(kept.bars.count - (kept.rest > 0 ? 1 : 0)) most frequent of \(run.counts.count) outcomes in \(NumberFormat.integer(shots)) shots\(seed)\(rest); from \(Self.shortPath(run.source))."))
            }
            let exact = !run.probabilities.isEmpty
            let values = exact ? run.probabilities : run.counts.map { ($0.0, Double($0.1) / Double(max(shots, 1))) }
            if !values.isEmpty {
                let kept = Self.keepTop(values, options.outcomesKept)
                let bars = kept.bars.map { BarChart.Bar($0.0, $0.1, colour: $0.0.hasPrefix("rest") ? 1 : 2) }
                let chart = BarChart(bars: bars, valueAxis: Axis("probability", includesZero: true), categoryTitle: exact ? "basis state" : "outcome",
                                     valueText: { NumberFormat.significant($0, digits: 3) })
                let title = "Probabilities: \(run.circuit)"
                figures.append(Figure(id: nextID("probabilities"), title: title, svg: chart.svg(label: title),
                                      caption: (exact ? "Exact probabilities of the final state (run --probabilities)" : "Estimated probabilities, counts ÷ \(NumberFormat.integer(shots)) shots (as plot_distribution shows them); run with --probabilities for the exact ones")
                                        + (kept.rest > 0 ? "; the \(kept.rest) smallest summed as “rest”" : "") + "; from \(Self.shortPath(run.source))."))
            }
            blocks.append(.figures(figures))
        }
        return PageSection(id: "circuits", title: "Circuit runs", blocks: blocks)
    }

    /// The `keep` largest values (ties by label) in label order, and the rest summed into one
    /// last bar "rest (k)" — what Qiskit's `plot_histogram(number_to_keep=keep)` draws.
    static func keepTop(_ values: [(String, Double)], _ keep: Int) -> (bars: [(String, Double)], rest: Int) {
        guard values.count > keep else { return (values.sorted { $0.0 < $1.0 }, 0) }
        let ranked = values.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        let kept = ranked.prefix(keep).sorted { $0.0 < $1.0 }
        let others = ranked.dropFirst(keep)
        return (Array(kept) + [("rest (\(others.count))", others.map(\.1).reduce(0, +))], others.count)
    }

    // MARK: - Benchmarks

    mutating func benchSection() -> PageSection {
        var blocks: [PageSection.Block] = []
        for entry in content.benchmarks {
            blocks.append(.paragraph("\(entry.title) — \(Self.shortPath(entry.source))."))
            if entry.series.isEmpty {
                blocks.append(.note("\(Self.shortPath(entry.source)) holds timings but no ratio against an anchor or a reference; nothing to draw."))
                continue
            }
            var figures: [Figure] = []
            for series in entry.series.prefix(8) {
                let bars = series.bars.map { BarChart.Bar($0.0, $0.1, colour: $0.1 >= 1 ? 0 : 3, tooltip: "\($0.0): \(NumberFormat.significant($0.1, digits: 3))×") }
                let reference = series.field == "time_vs_sweep" ? "1 = memory limit" : "1 = equal"
                let chart = BarChart(bars: bars, valueAxis: Axis("\(series.field) (ratio, log scale)", kind: .log), categoryTitle: series.part,
                                     orientation: .horizontal, reference: (1, reference),
                                     valueText: { NumberFormat.significant($0, digits: 3) + "×" })
                let title = "\(series.field)" + (series.anchor.map { " against \($0)" } ?? "")
                figures.append(Figure(id: nextID("bench"), title: title, svg: chart.svg(label: title),
                                      caption: "\(series.meaning ?? "the ratio named \(series.field) in the file")"
                                        + "; \(series.bars.count) rows of “\(series.part)” from \(Self.shortPath(entry.source)).")
                )
            }
            if entry.series.count > 8 { blocks.append(.note("\(entry.series.count - 8) more ratio fields in \(Self.shortPath(entry.source)) are not drawn.")) }
            blocks.append(.figures(figures))
        }
        return PageSection(id: "benchmarks", title: "Benchmarks", blocks: blocks)
    }

    // MARK: - About

    func aboutSection() -> PageSection {
        var blocks: [PageSection.Block] = [
            .paragraph("Energy figures carry their provenance: measured (a hardware counter), attributed (a counter times the job's share), modelled "
                       + "(CPU time and resident memory times per-unit powers known for this machine), upper-bound, or default (the model with a "
                       + "parameter not known for this machine, hence the wide band). docs/energy-method.md gives every parameter and its source; "
                       + "docs/report.md says how each figure is computed."),
        ]
        for note in notes { blocks.append(.note(note)) }
        if !content.sources.isEmpty {
            blocks.append(.table(PageTable(caption: "Inputs, in the order read", header: ["input"], rows: content.sources.map { [$0] })))
        }
        return PageSection(id: "about", title: "About this report", blocks: blocks)
    }

    // MARK: - Text

    static func shortPath(_ path: String) -> String {
        path.hasPrefix("/") ? (path as NSString).lastPathComponent : path
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    static func dateText(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate, .withTime, .withColonSeparatorInTime, .withSpaceBetweenDateAndTime]
        return formatter.string(from: date) + " UTC"
    }
}

/// A report described in full — what `verdant report` runs: the inputs, the data to evaluate
/// models on, the keys that open sealed inputs, and the page's options.
public struct ReportJob: Sendable {
    /// Files and folders to read.
    public var inputs: [String]
    /// Samples to evaluate the models on (nil: a data file among the inputs, if any).
    public var data: DataSource?
    /// The seed of `builtin:adhoc` data (the ad hoc set is drawn from it, as `verdant train` draws it).
    public var seed: UInt64
    /// What opens sealed inputs.
    public var keys: InputKeys
    /// Title, date, threads.
    public var options: ReportOptions

    /// A job over `inputs` with default options.
    ///
    /// - Parameter inputs: Files and folders.
    public init(inputs: [String]) {
        self.inputs = inputs
        data = nil
        seed = 7
        keys = InputKeys()
        options = ReportOptions()
    }
}

extension Report {
    /// Reads a job's inputs and builds their report.
    ///
    /// - Parameter job: The inputs, data, keys and options.
    /// - Returns: The report and what was read (for a caller's notes: sealed inputs, skipped files).
    /// - Throws: As ``ReportReader/read(_:into:)`` and ``build(_:options:)``; the data loaders' errors.
    public static func make(_ job: ReportJob) throws -> (report: Report, content: ReportContent) {
        var content = ReportContent()
        try ReportReader(keys: job.keys).read(job.inputs, into: &content)
        if let source = job.data {
            let loaded = try DatasetLoader.load(source, keys: job.keys, seed: job.seed)
            if content.samples != nil { content.notes.append("the data given with --data replaces the data file among the inputs") }
            content.samples = loaded.data
            content.heldOutSamples = loaded.test
            content.sources.append(source.name)
        }
        return (try build(content, options: job.options), content)
    }
}
