import Communication
import Energy
import Foundation

extension EnergyReport {
    /// This report with its total summed over every rank of `communicator`: each rank's
    /// ``EnergyReport/total`` travels to every rank in one allgather and is combined in rank order
    /// (``EnergyReport/combiningRanks(_:)``). Collective: every rank calls it, after stopping its own meter.
    /// - Parameter communicator: the ranks of the job (one rank: the report is returned unchanged).
    /// - Returns: the combined report, the same total on every rank.
    /// - Throws: the communicator's errors; ``EnergyError/invalidParameter(name:received:valid:)`` when a
    ///   rank's usage does not decode (ranks running different Verdant versions).
    public func summed(over communicator: any Communicator) throws -> EnergyReport {
        guard communicator.size > 1 else { return self }
        let encoded = try JSONEncoder().encode(total)
        let all = try communicator.allgather([UInt8](encoded))
        let usages = try all.enumerated().map { rank, bytes in
            do {
                return try JSONDecoder().decode(EnergyUsage.self, from: Data(bytes))
            } catch {
                throw EnergyError.invalidParameter(name: "energy usage of rank \(rank)", received: "\(bytes.count) bytes that do not decode",
                                                   valid: "the usage sent by the same Verdant version on every rank")
            }
        }
        return combiningRanks(usages)
    }
}
