import Communication
import Foundation

/// Every user-facing error of the `SecureCommunication` module, in one catalogue: a handshake that
/// did not authenticate, a message that failed authentication, a value that fixed-point secure
/// aggregation cannot carry.
///
/// Each message says what was received, where (which rank, which peer, which operation) and what
/// is valid. Tests match on these messages.
public enum SecureCommunicationError: Error, CustomStringConvertible, LocalizedError {
    /// An argument outside its valid range (fraction bits, a cluster key's length).
    case invalidArgument(String)
    /// A peer's handshake did not authenticate: it holds another cluster key, or someone changed
    /// the handshake on the way. `layer` names the layer whose handshake it was ("encrypted
    /// traffic", "secure aggregation").
    case handshakeFailed(rank: Int, peer: Int, reason: String, layer: String)
    /// A message failed authentication (changed, replayed, reordered or forged on the way).
    case tampered(rank: Int, source: Int, operation: String)
    /// Ranks called a collective with different element types, or sent a malformed envelope.
    case malformed(rank: Int, source: Int, operation: String, reason: String)
    /// A value outside the fixed-point range of secure aggregation.
    case outOfRange(rank: Int, index: Int, value: Double, bound: Double, fractionBits: Int, ranks: Int)
    /// A value that has no fixed-point form (NaN or ±∞).
    case nonFinite(rank: Int, index: Int, value: Double)

    /// The message, with what was received and what is valid.
    public var description: String {
        switch self {
        case .invalidArgument(let message):
            return message
        case .handshakeFailed(let rank, let peer, let reason, let layer):
            return "\(layer): rank \(rank) could not authenticate rank \(peer) in the handshake (\(reason)): "
                + "the ranks do not hold the same cluster key, or the handshake was changed on the way; "
                + "give every rank the same --cluster-key file"
        case .tampered(let rank, let source, let operation):
            return "encrypted traffic: a message from rank \(source) to rank \(rank) (\(operation)) failed authentication: "
                + "it was changed, replayed, reordered or forged on the way; the job stops on every rank"
        case .malformed(let rank, let source, let operation, let reason):
            return "encrypted traffic: rank \(rank) received a malformed message from rank \(source) (\(operation)): \(reason)"
        case .outOfRange(let rank, let index, let value, let bound, let bits, let ranks):
            return "secure aggregation: rank \(rank)'s value \(value) at index \(index) is outside the fixed-point range "
                + "±\(bound) (\(bits) fraction bits, \(ranks) ranks: each rank's value must satisfy |x|·2^\(bits) < 2^32·(2^63 − 1)/\(ranks) "
                + "so that the sum of \(ranks) values cannot wrap); scale the values down (from Swift, fewer fraction bits also widen the range)"
        case .nonFinite(let rank, let index, let value):
            return "secure aggregation: rank \(rank)'s value \(value) at index \(index) is not a finite number and has no "
                + "fixed-point form; only finite values can be aggregated"
        }
    }

    /// The same as ``description``.
    public var errorDescription: String? { description }
}
