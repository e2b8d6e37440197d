import Foundation
import Verdant

/// One `--model vqr` training run: numeric targets, a seeded random split, MSE, MAE and R².
enum RegressionRun {
    /// Loads the data (and `--test`), splits unless a test set is given, and trains.
    static func train(options: Train, keys: JobKeys, world: any Communicator, meter: EnergyMeter,
                      showProgress: Bool) throws -> VariationalModel
    {
        let (data, test) = try meter.span("load data") { () -> (RegressionData, RegressionData?) in
            let data = try DataSource.loadRegression(options.data, label: options.label, keys: keys)
            return (data, try options.test.map { try DataSource.loadRegression($0, label: options.label, keys: keys) })
        }
        let scheduler = try options.threads.map { try Scheduler(threads: $0) } ?? .shared
        let featureMap = try options.featureMapOptions.make(features: data.features.columns, default: nil)
        var configuration = try options.variational.configuration(
            features: data.features.columns, featureMap: featureMap, scale: Scaler.Kind(rawValue: options.scale) ?? .minmax,
            seed: options.seed, scheduler: scheduler, communicator: world)
        let bar = VariationalRun.epochBar(&configuration, show: showProgress)
        defer { bar.finish() }
        let config = configuration
        if let test {
            return try meter.span("train") { try VariationalModel.trainRegressor(data, test: test, configuration: config) }
        } else if options.testSize > 0 {
            let (train, held) = try randomSplit(data, testFraction: options.testSize, seed: options.seed)
            return try meter.span("train") {
                try VariationalModel.trainRegressor(train, test: held, configuration: config, split: (options.seed, options.testSize))
            }
        }
        return try meter.span("train") { try VariationalModel.trainRegressor(data, configuration: config) }
    }

    /// The human summary of a trained regressor.
    static func summary(_ model: VariationalModel, output: String, sealed: Bool) -> String {
        let t = model.training
        var lines = ["vqr on \(t.dataset): \(t.samples) training samples, target \(model.labelName), "
            + "\(model.weights.count) circuit parameters\(model.isHybrid ? " + linear layer" : "")"]
        lines.append("feature map: \(model.featureMap.description)")
        lines.append("ansatz: \(model.ansatz.description); readout \(model.readout.rawValue); \(t.optimizer.description)")
        lines.append("train " + metrics(t.trainMSE, t.trainMAE, t.trainR2))
        if t.testSamples > 0, t.testMSE != nil {
            lines.append("test " + metrics(t.testMSE, t.testMAE, t.testR2) + " on \(t.testSamples) samples")
        }
        lines.append(String(format: "%d epochs%@, training %.3f s (%d rank%@ × %d threads)", t.epochs,
                            t.stoppedEarly ? " (stopped early; best epoch \(t.bestEpoch ?? 0))" : "", t.seconds, t.ranks,
                            t.ranks == 1 ? "" : "s", t.threads))
        lines.append("model → \(output)\(sealed ? " (sealed)" : "")")
        return lines.joined(separator: "\n")
    }

    /// `MSE 0.0123, MAE 0.0871, R² 0.9412` (a dash for a missing figure).
    static func metrics(_ mse: Double?, _ mae: Double?, _ r2: Double?) -> String {
        func figure(_ value: Double?) -> String { value.map { String(format: "%.4g", $0) } ?? "–" }
        return "MSE \(figure(mse)), MAE \(figure(mae)), R² \(r2.map { String(format: "%.4f", $0) } ?? "–")"
    }

    /// The machine-readable result of a trained regressor.
    static func json(_ model: VariationalModel, output: String, sealed: Bool, energy: JSON) -> JSON {
        let t = model.training
        func number(_ value: Double?) -> JSON { value.map { .number($0) } ?? .null }
        return .object([
            ("model", .string(output)), ("sealed", .bool(sealed)), ("kind", .string(model.kind.rawValue)),
            ("dataset", .string(t.dataset)), ("target", .string(model.labelName)),
            ("samples", .integer(t.samples)), ("testSamples", .integer(t.testSamples)),
            ("parameters", .integer(model.weights.count)),
            ("trainMSE", number(t.trainMSE)), ("trainMAE", number(t.trainMAE)), ("trainR2", number(t.trainR2)),
            ("testMSE", number(t.testMSE)), ("testMAE", number(t.testMAE)), ("testR2", number(t.testR2)),
            ("epochs", .integer(t.epochs)), ("bestEpoch", t.bestEpoch.map { .integer($0) } ?? .null),
            ("history", .array(model.history.map { r in
                .object([("epoch", .integer(r.epoch)), ("loss", .number(r.loss)),
                         ("validationLoss", r.validationLoss.map { .number($0) } ?? .null)])
            })),
            ("seconds", .number(t.seconds)), ("ranks", .integer(t.ranks)), ("threads", .integer(t.threads)),
            ("energy", energy),
        ])
    }
}

extension DataSource {
    /// Regression data at `path`: a CSV file (plain or sealed) whose `label` column (default: the
    /// last) holds a number in every row. `Train.validate()` has already refused the built-in
    /// (classification) sets.
    /// - Throws: the loader's errors, which name the file, line, column and the cell's text.
    static func loadRegression(_ path: String, label: String?, keys: JobKeys) throws -> RegressionData {
        assert(!path.hasPrefix("builtin:"))
        return try DatasetLoader.regressionCSV(text: text(of: path, keys: keys), name: path, targetColumn: label)
    }
}
