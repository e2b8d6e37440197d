import Foundation

/// The two accountants Verdant offers.
public enum PrivacyAccountantKind: String, Codable, CaseIterable, Sendable {
    /// Rényi DP with the Balle et al. 2020 conversion (``RDPAccountant``): fast, slightly loose.
    case rdp
    /// Privacy loss distributions (``PLDAccountant``): tighter, costs FFTs.
    case pld
}

/// An accountant with its settings: the one place that chooses between RDP and PLD.
public enum PrivacyAccountant: Codable, Hashable, Sendable {
    /// Rényi DP over the accountant's orders.
    case rdp(RDPAccountant)
    /// Privacy loss distributions on the accountant's grid.
    case pld(PLDAccountant)

    /// The accountant of that kind with dp-accounting's defaults (RDP: its default orders; PLD: a
    /// 1e-4 grid).
    public init(_ kind: PrivacyAccountantKind) {
        switch kind {
        case .rdp: self = .rdp(RDPAccountant.standard)
        case .pld: self = .pld(PLDAccountant.standard)
        }
    }

    /// Which kind this is.
    public var kind: PrivacyAccountantKind {
        switch self {
        case .rdp: .rdp
        case .pld: .pld
        }
    }

    /// The (ε, δ) guarantee of the steps in `ledger`.
    ///
    /// - Parameters:
    ///   - ledger: the steps taken.
    ///   - delta: δ in (0, 1).
    /// - Returns: ε at δ (0 for an empty ledger), with the optimal order for RDP.
    /// - Throws: ``DifferentialPrivacyError/invalidParameter(_:received:valid:)`` for δ outside (0, 1);
    ///   ``DifferentialPrivacyError/accountingTooLarge(points:limit:detail:)`` from the PLD accountant.
    public func guarantee(for ledger: PrivacyLedger, delta: Double) throws -> PrivacyGuarantee {
        switch self {
        case .rdp(let accountant): try accountant.guarantee(for: ledger, delta: delta)
        case .pld(let accountant): try accountant.guarantee(for: ledger, delta: delta)
        }
    }
}

extension RDPAccountant {
    /// The accountant over ``defaultOrders`` (valid by construction).
    static let standard: RDPAccountant = {
        guard let accountant = try? RDPAccountant() else { preconditionFailure("the default RDP orders are valid") }
        return accountant
    }()
}

extension PLDAccountant {
    /// The accountant with a 1e-4 grid (valid by construction).
    static let standard: PLDAccountant = {
        guard let accountant = try? PLDAccountant() else { preconditionFailure("the default PLD interval is valid") }
        return accountant
    }()
}
