import ArgumentParser
import Foundation
import Verdant

extension SimulationMethod: ExpressibleByArgument {}

/// The noise options `run`, `train`, `predict` and `kernel` share: a model from Qiskit Aer's JSON
/// (`--noise`), device numbers for the common case, and where to write the model back. The
/// library builds and checks the model (`NoiseModel.combined(file:device:)`).
struct NoiseOptions: ParsableArguments {
    @Option(help: ArgumentHelp("A noise model as Qiskit Aer's NoiseModel.to_dict(serializable=True) writes it (JSON).", valueName: "model.json"))
    var noise: String?

    @Option(help: ArgumentHelp("Depolarizing error of one- and two-qubit gates, e.g. 1e-3,1e-2 (one number: both).", valueName: "λ1,λ2"))
    var depolarizing: String?

    @Option(help: ArgumentHelp("T1 with its unit (50us, 0.05ms); thermal relaxation over every gate (needs --gate-time).", valueName: "time"))
    var t1: String?

    @Option(help: ArgumentHelp("T2 with its unit (default: T1; at most 2·T1).", valueName: "time"))
    var t2: String?

    @Option(name: .customLong("gate-time"), help: ArgumentHelp("Durations of one- and two-qubit gates, e.g. 50ns,300ns.", valueName: "t1q,t2q"))
    var gateTime: String?

    @Option(name: .customLong("readout-error"), help: ArgumentHelp("Readout error of every measured qubit: p, or P(1|0),P(0|1).", valueName: "p"))
    var readoutError: String?

    @Option(name: .customLong("noise-basis"), help: ArgumentHelp(
        "Translate circuits to basis gates before noise: auto (to the model's device basis, rz,sx,x,cx, when gates would otherwise run "
            + "without error; the default of train, predict and kernel), none (the default of run), or a list such as rz,sx,x,cx.",
        valueName: "basis"))
    var noiseBasis: String?

    @Option(name: .customLong("write-noise"), help: ArgumentHelp("Write the noise model used, as Aer's JSON, to this file.", valueName: "file"))
    var writeNoise: String?

    /// The basis choice of `--noise-basis` (`fallback` when it is not given).
    func basis(fallback: NoiseSettings.BasisChoice) throws -> NoiseSettings.BasisChoice {
        guard let noiseBasis else { return fallback }
        switch noiseBasis {
        case "auto": return .automatic
        case "none": return .none
        default:
            let gates = Set(noiseBasis.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            guard (gates.contains("rz") && gates.contains("sx")) || gates.contains("u3") else {
                throw CLIError.usage("--noise-basis '\(noiseBasis)': expected auto, none or gate names with rz and sx, or u3 "
                                     + "(e.g. rz,sx,x,cx, rz,sx,x,ecr or u1,u2,u3,cx)")
            }
            return .gates(gates)
        }
    }

    /// The model the options describe (nil: ideal). With `--write-noise`, checks before any work
    /// that there is a model to write and that the file may be written (``write(_:force:)`` writes
    /// it once the command has succeeded).
    /// - Parameter force: the command's `--force` (replace an existing `--write-noise` file).
    func model(force: Bool) throws -> NoiseModel? {
        let device = try DeviceNoise.parse(depolarizing: depolarizing, t1: t1, t2: t2, gateTime: gateTime, readoutError: readoutError)
        let model = try NoiseModel.combined(file: noise, device: device)
        if let noiseBasis {
            _ = try basis(fallback: .none)
            guard model != nil else {
                throw CLIError.usage("--noise-basis '\(noiseBasis)' translates circuits for a noise model, and there is none: "
                                     + "give --noise or the device options (--depolarizing, --t1, --readout-error), or drop --noise-basis")
            }
        }
        if let writeNoise {
            guard model != nil else { throw CLIError.usage("--write-noise needs a noise model: give --noise or the device options") }
            try checkOutput(writeNoise, force: force, option: "--write-noise")
        }
        return model
    }

    /// Writes `model` to `--write-noise` (when given): called by rank 0 once the command has
    /// succeeded, so that a failed run leaves no file.
    /// - Parameters:
    ///   - model: the model the run used.
    ///   - force: the command's `--force`.
    func write(_ model: NoiseModel?, force: Bool) throws {
        guard let writeNoise, let model else { return }
        try model.writeAerJSON(toPath: writeNoise, overwrite: force)
    }
}

/// The noise options of `train`, `predict` and `kernel`: the model (``NoiseOptions``), the shots
/// each estimate is made from, readout mitigation and the estimates' seed.
struct MLNoiseOptions: ParsableArguments {
    @OptionGroup(title: "Noise options")
    var model: NoiseOptions

    @Option(help: ArgumentHelp("Under noise: shots per estimate (each kernel entry, each readout); without it, exact values.", valueName: "n"))
    var shots: Int?

    @Flag(name: .customLong("mitigate-readout"), help: "Under noise with --shots: undo readout errors (inverse of the tensored assignment matrices).")
    var mitigateReadout = false

    @Option(name: .customLong("noise-seed"), help: "Seed of the shot estimates under noise (default 0).")
    var noiseSeed: UInt64?

    /// Says on standard error that a fidelity kernel's readout is ideal when the model has readout
    /// errors (they would otherwise seem to be applied).
    static func noteKernelReadout(_ settings: NoiseSettings?) {
        guard let settings, !settings.model.readoutErrorList.isEmpty else { return }
        printNote("note: the fidelity kernel is Tr(ρ(x)ρ(x′)), with --shots estimated by a SWAP test whose measurement is taken as "
                  + "ideal: the model's readout errors do not change it (docs/noise.md, \"Quantum ML under noise\")")
    }

    /// The library's settings (nil: no noise).
    /// - Parameter force: the command's `--force` (for `--write-noise`).
    func settings(force: Bool) throws -> NoiseSettings? {
        guard let noise = try model.model(force: force) else {
            if shots != nil { throw CLIError.usage("--shots estimates under noise: give --noise or the device options (--depolarizing, --t1, …)") }
            if mitigateReadout { throw CLIError.usage("--mitigate-readout needs a noise model with readout errors (--noise or --readout-error)") }
            if let noiseSeed {
                throw CLIError.usage("--noise-seed \(noiseSeed) seeds shot estimates under noise, and there is no noise: give --noise or the "
                                     + "device options (--depolarizing, --t1, …), or drop --noise-seed")
            }
            return nil
        }
        if let shots, shots < 1 { throw CLIError.usage("--shots must be at least 1, received \(shots)") }
        if mitigateReadout && shots == nil {
            throw CLIError.usage("--mitigate-readout undoes readout errors in shot estimates: add --shots (exact values have no readout error)")
        }
        var settings = NoiseSettings(model: noise, shots: shots, mitigatesReadout: mitigateReadout, seed: noiseSeed ?? 0)
        settings.basis = try model.basis(fallback: .automatic)
        return settings
    }
}
