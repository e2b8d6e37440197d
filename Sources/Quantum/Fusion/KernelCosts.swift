// The fuser's cost model: the time a block's kernel takes per amplitude of the state, run in cache
// inside a pass, relative to a complex one-qubit gate (1.0). The numbers are measured, per kernel
// form, by `verdant bench --suite quantum --cases kernels` (Double, thread CPU time; the table and
// its raw JSON are in docs/benchmarks.md and Benchmarks/results/quantum-kernels-20261206-amd.json);
// controlled kernels visit only the controlled part of the state (2^−controls of it).

/// Estimated kernel times, per amplitude, relative to a complex one-qubit gate.
struct KernelCosts: Sendable {
    /// Dense target matrices by number of targets (index 1…5; larger ones extrapolate ×2 per target).
    var dense: [Double] = [0, 1.0, 2.6, 5.7, 10.1, 19.5]
    /// A real one-target matrix (H, RY, …).
    var denseReal1 = 0.9
    /// A diagonal on one or two targets: one complex product per amplitude; each further target
    /// adds `diagonalPerTarget` (the factor is looked up per amplitude).
    var diagonal = 0.95
    var diagonalPerTarget = 0.6
    /// A permutation with phases (amplitudes move and take a phase).
    var permutation = 2.6
    /// A permutation without phases (amplitudes only move).
    var pureMove = 2.2
    /// X: every visited amplitude moves (pairs exchange), no arithmetic.
    var flip = 0.95
    /// SWAP: half of the visited amplitudes move, no arithmetic.
    var exchange = 0.5
    /// A controlled kernel that is not diagonal visits 2^−controls of the state, in runs half as
    /// long per control, and each amplitude it visits costs this much more than in the
    /// uncontrolled kernel (CX 0.61–0.66 and a controlled dense one-target gate 0.72–0.74 of a
    /// one-qubit gate, both precisions).
    var controlledVisit = 1.35
    /// The fixed cost of one kernel call, in amplitude-units of a 2^15-amplitude block.
    var perCallAmplitudes = 100.0

    /// The estimated cost of a kernel on a state (or block) of `width` qubits.
    /// - Parameters:
    ///   - form: the target matrix's form.
    ///   - targets: the number of target qubits.
    ///   - controls: the number of controls.
    ///   - real: whether a dense target matrix is real.
    ///   - exchange: whether a permutation is a lone X or SWAP.
    ///   - phases: whether a permutation's entries are not all 1.
    ///   - width: the qubits of the state the kernel runs over (cache blocks are at most 15–16).
    func cost(form: FusedProduct.Form, targets: Int, controls: Int, real: Bool = false, exchange isExchange: Bool = false,
              phases: Bool = true, width: Int) -> Double
    {
        let perAmplitude: Double
        switch form {
        case .identity: return 0
        case .diagonal: perAmplitude = diagonal + diagonalPerTarget * Double(max(targets - 2, 0))
        case .permutation: perAmplitude = isExchange ? (targets == 1 ? flip : exchange) : phases ? permutation : pureMove
        case .dense:
            if targets == 1 && real {
                perAmplitude = denseReal1
            } else if targets < dense.count {
                perAmplitude = dense[max(targets, 1)]
            } else {
                perAmplitude = dense[dense.count - 1] * Double(1 << (targets - dense.count + 1))
            }
        }
        let visit = controls > 0 && form != .diagonal ? controlledVisit : 1
        let fraction = visit / Double(1 << min(controls, 60))
        let amplitudes = Double(1 << min(max(width, 0), 15))
        return perAmplitude * fraction + perCallAmplitudes / amplitudes
    }
}
