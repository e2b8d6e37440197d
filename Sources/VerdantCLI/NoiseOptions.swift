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
            guard gates.contains("rz"), gates.contains("sx") else {
                throw CLIError.usage("--noise-basis '\(noiseBasis)': expected auto, none or gate names with rz and sx (e.g. rz,sx,x,cx)")
            }
            return .gates(gates)
        }
    }

    /// The model the options describe (nil: ideal), written to `--write-noise` when given.
    func model() throws -> NoiseModel? {
        let device = try DeviceNoise.parse(depolarizing: depolarizing, t1: t1, t2: t2, gateTime: gateTime, readoutError: readoutError)
        let model = try NoiseModel.combined(file: noise, device: device)
        if let writeNoise {
            guard let model else { throw CLIError.usage("--write-noise needs a noise model: give --noise or the device options") }
            try model.writeAerJSON(toPath: writeNoise)
        }
        return model
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

    @Option(name: .customLong("noise-seed"), help: "Seed of the shot estimates under noise.")
    var noiseSeed: UInt64 = 0

    /// The library's settings (nil: no noise).
    func settings() throws -> NoiseSettings? {
        guard let noise = try model.model() else {
            if shots != nil { throw CLIError.usage("--shots estimates under noise: give --noise or the device options (--depolarizing, --t1, …)") }
            if mitigateReadout { throw CLIError.usage("--mitigate-readout needs a noise model with readout errors (--noise or --readout-error)") }
            return nil
        }
        if let shots, shots < 1 { throw CLIError.usage("--shots must be at least 1, received \(shots)") }
        if mitigateReadout && shots == nil {
            throw CLIError.usage("--mitigate-readout undoes readout errors in shot estimates: add --shots (exact values have no readout error)")
        }
        var settings = NoiseSettings(model: noise, shots: shots, mitigatesReadout: mitigateReadout, seed: noiseSeed)
        settings.basis = try model.basis(fallback: .automatic)
        return settings
    }
}
