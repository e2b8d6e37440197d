import Foundation

/// The privacy-loss-distribution accountant for the Poisson-subsampled Gaussian mechanism: the
/// computation of dp-accounting's `PLDAccountant` (add/remove adjacency, pessimistic
/// connect-the-dots discretisation, composition by FFT), tighter than RDP.
///
/// For each adjacency (remove and add) the loss L = log(μ_upper(x)/μ_lower(x)) of one step is put on
/// the grid k·d (d = ``discretization``) so that every δ(ε) it yields is at least the true one
/// (connect the dots, Doroshenko et al. 2022), its mass beyond e^{−50} of the noise going to +∞.
/// A run of T identical steps is one FFT: the spectrum raised to the power T. Runs of different
/// mechanisms are convolved. Each composition drops at most 1e-15 of mass, added to +∞. ε is then
/// the smallest ε with E[(1 − e^{ε−L})₊] ≤ δ, the larger of the two adjacencies.
///
/// Cost: memory and time grow with the grid (≈ 2·(10σ + 1)/(σ²d) points for q = 1, fewer for small
/// q) and with the spread of the composed loss; a computation that needs more than
/// ``maximumPoints`` points is refused with ``DifferentialPrivacyError/accountingTooLarge(points:limit:detail:)``.
public struct PLDAccountant: Codable, Hashable, Sendable {
    /// dp-accounting's default discretisation interval, 1e-4.
    public static let defaultDiscretization = 1e-4
    /// The largest FFT length used: 2²⁶ points (two 512 MiB arrays).
    public static let maximumPoints = 1 << 26

    /// d, the spacing of the privacy-loss grid; smaller is tighter and slower.
    public let discretization: Double

    /// An accountant with grid spacing `discretization`.
    ///
    /// - Parameter discretization: d in [1e-6, 1] (1e-4 unless given).
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` outside that range.
    public init(discretization: Double = PLDAccountant.defaultDiscretization) throws {
        guard discretization.isFinite, discretization >= 1e-6, discretization <= 1 else {
            throw DifferentialPrivacyError.invalidParameter(.discretization, received: "\(discretization)",
                valid: "give an interval d with 1e-6 ≤ d ≤ 1 (1e-4 is dp-accounting's default)")
        }
        self.discretization = discretization
    }

    /// Decodes a saved accountant, checking the interval.
    ///
    /// - Throws: ``DifferentialPrivacyError/invalidState(_:)`` for an interval out of range; decoding errors.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(discretization: try container.decode(Double.self, forKey: .discretization))
        } catch let error as DifferentialPrivacyError {
            throw DifferentialPrivacyError.invalidState("saved PLD accountant: \(error.description)")
        }
    }

    /// The (ε, δ) guarantee of a ledger.
    ///
    /// - Parameters:
    ///   - ledger: the steps taken.
    ///   - delta: δ in (0, 1).
    /// - Returns: ε (0 for an empty ledger, +∞ when the mass at +∞ exceeds δ), δ, no order, `.pld`.
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for δ outside
    ///   (0, 1); ``DifferentialPrivacyError/accountingTooLarge(points:limit:detail:)`` when the
    ///   distribution would need more than ``maximumPoints`` points.
    public func guarantee(for ledger: PrivacyLedger, delta: Double) throws -> PrivacyGuarantee {
        try Validate.delta(delta)
        if ledger.isEmpty { return PrivacyGuarantee(epsilon: 0, delta: delta, order: nil, accountant: .pld) }
        // q = 1 makes the two adjacencies' PLDs identical; dp-accounting then keeps one.
        let fullBatch = ledger.entries.allSatisfy { $0.mechanism.samplingRate == 1 }
        var epsilon = -Double.infinity
        for adjacency in fullBatch ? [Adjacency.remove] : [.remove, .add] {
            let distribution = try composedDistribution(ledger, adjacency: adjacency)
            epsilon = max(epsilon, distribution.epsilon(forDelta: delta))
        }
        return PrivacyGuarantee(epsilon: epsilon, delta: delta, order: nil, accountant: .pld)
    }

    /// The discretised PLD of a whole ledger for one adjacency.
    func composedDistribution(_ ledger: PrivacyLedger, adjacency: Adjacency) throws -> DiscretePrivacyLoss {
        var total: DiscretePrivacyLoss?
        for entry in ledger.entries {
            let loss = GaussianPrivacyLoss(sigma: entry.mechanism.noiseMultiplier, q: entry.mechanism.samplingRate, adjacency: adjacency)
            let one = try DiscretePrivacyLoss.connectTheDots(loss, discretization: discretization, maximumPoints: Self.maximumPoints)
            let run = try one.selfComposed(entry.steps, maximumPoints: Self.maximumPoints)
            // The first run is composed with the identity PLD (one point at loss 0), which only
            // truncates its tails; later runs are convolved with what came before.
            total = try total.map { try $0.composed(with: run, maximumPoints: Self.maximumPoints) } ?? run.truncatingTails()
        }
        // The caller never passes an empty ledger.
        return total ?? DiscretePrivacyLoss(discretization: discretization, lowerLoss: 0, probabilities: [1], infinityMass: 0)
    }
}
