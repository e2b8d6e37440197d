import Foundation
import Testing
@testable import Privacy

@Suite("Privacy budget")
struct PrivacyBudgetTests {
    /// The largest T with ε(T) ≤ target, by scanning T = 1, 2, … with the one-step RDP scaled by T
    /// (a slow reference for the budget's doubling and bisection).
    static func rdpScan(_ mechanism: SubsampledGaussian, target: Double, delta: Double) throws -> Int {
        let accountant = try RDPAccountant()
        let one = accountant.rdp(of: mechanism)
        var steps = 0
        while try accountant.epsilon(fromRDP: one.map { Double(steps + 1) * $0 }, delta: delta).epsilon <= target { steps += 1 }
        return steps
    }

    @Test("RDP: steps are taken until the next would pass the target, then refused with the budget unchanged")
    func stopsAtTheBudget() throws {
        let step = try SubsampledGaussian(samplingRate: 0.05, noiseMultiplier: 1.0)
        var budget = try PrivacyBudget(targetEpsilon: 3, delta: 1e-5)
        let expected = try Self.rdpScan(step, target: 3, delta: 1e-5)
        #expect(expected > 20)
        #expect(try budget.remainingSteps(for: step) == expected)
        var taken = 0
        while try budget.allows(step) {
            try budget.spend(step)
            taken += 1
            #expect(try budget.spent().epsilon <= 3)
        }
        #expect(taken == expected && budget.steps == expected)
        let before = budget
        #expect {
            try budget.spend(step)
        } throws: { error in
            guard case .budgetExhausted(let target, _, let spent, let after, let steps) = error as? DifferentialPrivacyError else { return false }
            return target == 3 && spent <= 3 && after > 3 && steps == expected && "\(error)".contains("The step was not taken")
        }
        #expect(budget == before && budget.steps == expected)
        #expect(try budget.remainingSteps(for: step) == 0)
        // A quieter mechanism may still fit.
        let quiet = try SubsampledGaussian(samplingRate: 0.001, noiseMultiplier: 5)
        #expect(try budget.remainingSteps(for: quiet) > 0)
    }

    @Test("a budget saved mid-run (JSON) is restored exactly: equal state, bit-equal ε, the same decisions afterwards")
    func checkpoint() throws {
        let step = try SubsampledGaussian(samplingRate: 0.05, noiseMultiplier: 1.5)
        var budget = try PrivacyBudget(targetEpsilon: 2.5, delta: 1e-6)
        for _ in 0..<17 { try budget.spend(step) }
        try budget.spend(try SubsampledGaussian(samplingRate: 0.02, noiseMultiplier: 1.2))
        let data = try JSONEncoder().encode(budget)
        var restored = try JSONDecoder().decode(PrivacyBudget.self, from: data)
        #expect(restored == budget)
        #expect(try restored.spent() == budget.spent())
        #expect(try restored.spent().epsilon.bitPattern == budget.spent().epsilon.bitPattern)
        while try budget.allows(step) {
            try budget.spend(step)
            try restored.spend(step)
        }
        #expect(try !restored.allows(step) && restored == budget && restored.steps > 18)
        // The text holds the target, δ, the accountant with its orders, and the ledger's runs.
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"targetEpsilon\":2.5") && text.contains("\"steps\":17") && text.contains("1024"))
    }

    @Test("PLD: the budget stops where a linear scan of the PLD accountant says")
    func pldBudget() throws {
        let accountant = try PLDAccountant(discretization: 1e-3)
        let step = try SubsampledGaussian(samplingRate: 0.1, noiseMultiplier: 2)
        var budget = try PrivacyBudget(targetEpsilon: 1, delta: 1e-5, accountant: .pld(accountant))
        let allowed = try budget.remainingSteps(for: step)
        // The scan: ε(allowed) ≤ 1 < ε(allowed + 1).
        let at = try accountant.guarantee(for: try PrivacyLedger(step, steps: allowed), delta: 1e-5).epsilon
        let after = try accountant.guarantee(for: try PrivacyLedger(step, steps: allowed + 1), delta: 1e-5).epsilon
        #expect(at <= 1 && after > 1, "allowed \(allowed): ε \(at), then \(after)")
        // PLD is tighter than RDP, so it allows at least as many steps.
        var rdp = try PrivacyBudget(targetEpsilon: 1, delta: 1e-5)
        #expect(try rdp.remainingSteps(for: step) <= allowed)
        for _ in 0..<allowed { try budget.spend(step) }
        #expect(throws: DifferentialPrivacyError.self) { try budget.spend(step) }
        let restored = try JSONDecoder().decode(PrivacyBudget.self, from: try JSONEncoder().encode(budget))
        #expect(restored == budget && restored.accountant.kind == .pld)
    }

    @Test("a step that alone exceeds the target is refused at once; bad targets are refused")
    func refusals() throws {
        var budget = try PrivacyBudget(targetEpsilon: 0.01, delta: 1e-5)
        let loud = try SubsampledGaussian(samplingRate: 1, noiseMultiplier: 0.5)
        #expect(try budget.remainingSteps(for: loud) == 0)
        #expect(throws: DifferentialPrivacyError.self) { try budget.spend(loud) }
        let spent = try budget.spent().epsilon
        #expect(budget.steps == 0 && spent == 0)
        #expect { try PrivacyBudget(targetEpsilon: -1, delta: 1e-5) } throws: { "\($0)".contains("epsilon: received '-1.0'") }
        #expect { try PrivacyBudget(targetEpsilon: 1, delta: 2) } throws: { "\($0)".contains("delta: received '2.0'") }
    }

    @Test("corrupted saved state is refused with what is wrong")
    func corruptedState() throws {
        let cases: [(String, String)] = [
            (#"{"targetEpsilon":1,"delta":1e-5,"accountant":{"rdp":{"_0":{"orders":[2]}}},"ledger":{"entries":[{"mechanism":{"samplingRate":2,"noiseMultiplier":1},"steps":3}]}}"#,
             "a saved mechanism: sampling rate: received '2.0'"),
            (#"{"targetEpsilon":1,"delta":1e-5,"accountant":{"rdp":{"_0":{"orders":[2]}}},"ledger":{"entries":[{"mechanism":{"samplingRate":0.5,"noiseMultiplier":1},"steps":0}]}}"#,
             "a ledger entry with 0 steps"),
            (#"{"targetEpsilon":0,"delta":1e-5,"accountant":{"rdp":{"_0":{"orders":[2]}}},"ledger":{"entries":[]}}"#,
             "saved privacy budget: epsilon: received '0.0'"),
            (#"{"targetEpsilon":1,"delta":1e-5,"accountant":{"rdp":{"_0":{"orders":[0.5]}}},"ledger":{"entries":[]}}"#,
             "saved RDP orders: RDP orders: received '0.5'"),
            (#"{"targetEpsilon":1,"delta":1e-5,"accountant":{"pld":{"_0":{"discretization":-1}}},"ledger":{"entries":[]}}"#,
             "saved PLD accountant"),
        ]
        for (json, message) in cases {
            #expect {
                try JSONDecoder().decode(PrivacyBudget.self, from: Data(json.utf8))
            } throws: { error in
                "\(error)".contains(message)
            }
        }
    }
}
