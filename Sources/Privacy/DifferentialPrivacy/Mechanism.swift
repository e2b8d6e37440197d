import Foundation

/// One step of DP-SGD as the accountants see it: the Poisson-subsampled Gaussian mechanism.
///
/// Each record joins the step's batch independently with probability `samplingRate` (q); the sum of
/// the batch's gradients, each clipped to L2 norm C, gets Gaussian noise N(0, σ²C²) on every
/// coordinate, with σ = `noiseMultiplier`. Neighbouring datasets differ by adding or removing one
/// record (dp-accounting's default `ADD_OR_REMOVE_ONE`).
public struct SubsampledGaussian: Codable, Hashable, Sendable {
    /// q, the probability that a record joins a batch, in (0, 1].
    public let samplingRate: Double
    /// σ, the noise's standard deviation in units of the clipping norm C; positive.
    public let noiseMultiplier: Double

    /// Checks and stores one step's parameters.
    ///
    /// - Parameters:
    ///   - samplingRate: q in (0, 1]; 1 means full-batch steps (the plain Gaussian mechanism).
    ///   - noiseMultiplier: σ > 0, finite.
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for a q outside
    ///   (0, 1] or a σ that is not positive and finite.
    public init(samplingRate: Double, noiseMultiplier: Double) throws {
        try Validate.samplingRate(samplingRate)
        try Validate.noiseMultiplier(noiseMultiplier)
        self.samplingRate = samplingRate
        self.noiseMultiplier = noiseMultiplier
    }

    /// Decodes a saved mechanism, checking q and σ.
    ///
    /// - Throws: ``DifferentialPrivacyError/invalidState(_:)`` for a value out of range; decoding errors.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        do {
            try self.init(samplingRate: try container.decode(Double.self, forKey: .samplingRate),
                          noiseMultiplier: try container.decode(Double.self, forKey: .noiseMultiplier))
        } catch let error as DifferentialPrivacyError {
            throw DifferentialPrivacyError.invalidState("a saved mechanism: \(error.description)")
        }
    }
}

/// The steps taken so far, grouped into runs of one mechanism, in order: the whole state an
/// accountant needs, and what a checkpoint saves.
///
/// Consecutive steps of the same mechanism are stored as one entry with a count, so a ledger of a
/// long training run stays a few entries long and composes as dp-accounting's
/// `SelfComposedDpEvent(event, count)` does.
public struct PrivacyLedger: Codable, Hashable, Sendable {
    /// A run of `steps` consecutive steps of one mechanism.
    public struct Entry: Codable, Hashable, Sendable {
        /// The mechanism of every step in the run.
        public let mechanism: SubsampledGaussian
        /// How many steps the run holds; at least 1.
        public internal(set) var steps: Int
    }

    /// The runs, oldest first.
    public private(set) var entries: [Entry] = []

    /// An empty ledger: no step taken, ε = 0.
    public init() {}

    /// A ledger of `steps` steps of one mechanism.
    ///
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` when `steps` < 1.
    public init(_ mechanism: SubsampledGaussian, steps: Int) throws {
        try record(mechanism, steps: steps)
    }

    /// The total number of steps, Σ entries' steps.
    public var steps: Int { entries.reduce(0) { $0 + $1.steps } }

    /// Whether no step has been recorded.
    public var isEmpty: Bool { entries.isEmpty }

    /// Appends `steps` steps of `mechanism`, merged into the last run when it has the same mechanism.
    ///
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` when `steps` < 1.
    public mutating func record(_ mechanism: SubsampledGaussian, steps: Int = 1) throws {
        try Validate.steps(steps)
        if let last = entries.indices.last, entries[last].mechanism == mechanism {
            let (sum, overflow) = entries[last].steps.addingReportingOverflow(steps)
            if overflow { throw DifferentialPrivacyError.invalidParameter(.steps, received: "\(steps)", valid: "the ledger's step count overflows") }
            entries[last].steps = sum
        } else {
            entries.append(Entry(mechanism: mechanism, steps: steps))
        }
    }

    /// This ledger with `steps` more steps of `mechanism`.
    func appending(_ mechanism: SubsampledGaussian, steps: Int) throws -> PrivacyLedger {
        var copy = self
        try copy.record(mechanism, steps: steps)
        return copy
    }

    /// Decodes a saved ledger, checking that every run has at least one step.
    ///
    /// - Throws: ``DifferentialPrivacyError/invalidState(_:)`` for an empty run or a bad mechanism; decoding errors.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let entries = try container.decode([Entry].self, forKey: .entries)
        for entry in entries where entry.steps < 1 {
            throw DifferentialPrivacyError.invalidState("a ledger entry with \(entry.steps) steps (each run has at least 1)")
        }
        self.entries = entries
    }
}

/// An (ε, δ) guarantee as an accountant states it.
public struct PrivacyGuarantee: Codable, Hashable, Sendable {
    /// ε: the bound on the privacy loss; 0 for no step, +∞ when no finite ε holds at this δ.
    public let epsilon: Double
    /// δ: the probability with which the ε bound may fail.
    public let delta: Double
    /// The Rényi order α at which the RDP conversion gave the smallest ε; `nil` for the PLD
    /// accountant (and for an empty ledger).
    public let order: Double?
    /// The accountant that computed it.
    public let accountant: PrivacyAccountantKind

    /// Stores a guarantee (no checks: accountants build these).
    public init(epsilon: Double, delta: Double, order: Double?, accountant: PrivacyAccountantKind) {
        self.epsilon = epsilon
        self.delta = delta
        self.order = order
        self.accountant = accountant
    }
}

/// The range checks of every public entry point, with the catalogue's messages.
enum Validate {
    static func samplingRate(_ q: Double) throws {
        guard q.isFinite, q > 0, q <= 1 else {
            throw DifferentialPrivacyError.invalidParameter(.samplingRate, received: "\(q)",
                valid: "give the probability q that a record joins a batch, with 0 < q ≤ 1 (batch size / dataset size)")
        }
    }

    static func noiseMultiplier(_ sigma: Double) throws {
        guard sigma.isFinite, sigma > 0 else {
            throw DifferentialPrivacyError.invalidParameter(.noiseMultiplier, received: "\(sigma)",
                valid: "give σ > 0, the noise's standard deviation in units of the clipping norm (typically 0.5 to 10)")
        }
    }

    static func steps(_ steps: Int) throws {
        guard steps >= 1 else {
            throw DifferentialPrivacyError.invalidParameter(.steps, received: "\(steps)", valid: "give T ≥ 1 steps")
        }
    }

    static func delta(_ delta: Double) throws {
        guard delta.isFinite, delta > 0, delta < 1 else {
            throw DifferentialPrivacyError.invalidParameter(.delta, received: "\(delta)",
                valid: "give 0 < δ < 1, usually below 1/(dataset size), e.g. 1e-5")
        }
    }

    static func epsilon(_ epsilon: Double) throws {
        guard epsilon.isFinite, epsilon > 0 else {
            throw DifferentialPrivacyError.invalidParameter(.epsilon, received: "\(epsilon)", valid: "give a finite ε > 0")
        }
    }
}
