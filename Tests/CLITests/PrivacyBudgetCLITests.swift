import Foundation
import Testing

/// Rows of Tests/PrivacyTests/Fixtures/dp (made by dp-accounting; see make_dp_fixtures.py there).
private struct DPFixtureFile: Decodable {
    struct Row: Decodable {
        let q: Double?
        let sigma: Double?
        let steps: Int?
        let delta: Double?
        let epsilon: Double?
        let order: Double?
        let discretization: Double?
        let accountant: String?
    }
    let cases: [Row]

    static func load(_ name: String) throws -> [Row] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("PrivacyTests/Fixtures/dp").appendingPathComponent(name)
        return try JSONDecoder().decode(DPFixtureFile.self, from: Data(contentsOf: url)).cases
    }
}

/// Whether a JSON number read by JSONSerialization (which may be an ulp or two off on Linux) is `value`.
private func close(_ json: Any?, _ value: Double?) -> Bool {
    guard let number = json as? Double, let value else { return false }
    return abs(number - value) <= 1e-14 * abs(value)
}

@Suite("verdant privacy-budget", .serialized)
struct PrivacyBudgetCLITests {
    @Test("σ → ε with the RDP accountant: dp-accounting's ε and order, as JSON with the issue's keys first")
    func forwardRDP() throws {
        let row = try #require(try DPFixtureFile.load("rdp_epsilon.json").first {
            $0.q == 0.01 && $0.sigma == 1 && $0.steps == 1000 && $0.delta == 1e-5
        })
        let result = try verdant(["privacy-budget", "--sampling-rate", "0.01", "--noise-multiplier", "1", "--steps", "1000",
                                  "--delta", "1e-5", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix(#"{"epsilon": "#) && result.stdout.contains(#""accountant": "rdp""#))
        let object = try jsonObject(result.stdout)
        let epsilon = try #require(object["epsilon"] as? Double), expected = try #require(row.epsilon)
        #expect(abs(epsilon - expected) <= 1e-6 * expected)
        #expect(close(object["order"], row.order) && close(object["delta"], 1e-5))
        #expect(object["steps"] as? Int == 1000 && close(object["sampling_rate"], 0.01) && close(object["noise_multiplier"], 1))
        let text = try verdant(["privacy-budget", "--sampling-rate", "0.01", "--noise-multiplier", "1", "--steps", "1000", "--delta", "1e-5"])
        #expect(text.status == 0 && text.stdout.hasPrefix("ε = 2.101367 at δ = 1e-05 (RDP accountant, optimal order α = 7.8)\n"))
    }

    @Test("σ → ε with the PLD accountant: within 1 % of dp-accounting's, not below; order is null")
    func forwardPLD() throws {
        let row = try #require(try DPFixtureFile.load("pld_epsilon.json").first {
            $0.q == 0.01 && $0.sigma == 1 && $0.steps == 1000 && $0.delta == 1e-5 && $0.discretization == 1e-4
        })
        let result = try verdant(["privacy-budget", "--sampling-rate", "0.01", "--noise-multiplier", "1", "--steps", "1000",
                                  "--delta", "1e-5", "--accountant", "pld", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try jsonObject(result.stdout)
        let epsilon = try #require(object["epsilon"] as? Double), expected = try #require(row.epsilon)
        #expect(epsilon >= expected * (1 - 1e-6) && epsilon <= expected * 1.01)
        #expect(object["order"] is NSNull && object["accountant"] as? String == "pld")
    }

    @Test("ε → σ: the smallest noise multiplier, equal to dp-accounting's calibration, printed first")
    func backward() throws {
        let row = try #require(try DPFixtureFile.load("inverse.json").first {
            $0.accountant == "rdp" && $0.epsilon == 1 && $0.q == 0.01 && $0.steps == 1000
        })
        let expected = try #require(row.sigma)
        let result = try verdant(["privacy-budget", "--sampling-rate", "0.01", "--epsilon", "1", "--steps", "1000", "--delta", "1e-5", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try jsonObject(result.stdout)
        let sigma = try #require(object["noise_multiplier"] as? Double)
        #expect(sigma >= expected - 1e-8 && sigma <= expected * (1 + 1e-6) + 1e-8)
        #expect(try #require(object["epsilon"] as? Double) <= 1 && close(object["target_epsilon"], 1))
        #expect(close(object["relative_tolerance"], 1e-6) && (object["noise_multiplier_lower_bound"] as? Double ?? 0) < sigma)
        let text = try verdant(["privacy-budget", "--sampling-rate", "0.01", "--epsilon", "1", "--steps", "1000", "--delta", "1e-5"])
        #expect(text.status == 0 && text.stdout.hasPrefix("noise multiplier σ = 1.51312"))
        #expect(text.stdout.contains("≤ 1.0 at δ = 1e-05"))
    }

    @Test("--epochs, --dataset-size, --batch-size derive q = B/N and T = ⌈E·N/B⌉ and say so")
    func derivedSchedule() throws {
        let result = try verdant(["privacy-budget", "--epochs", "10", "--dataset-size", "150", "--batch-size", "32",
                                  "--noise-multiplier", "1.1", "--delta", "1e-5", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try jsonObject(result.stdout)
        #expect(close(object["sampling_rate"], 32.0 / 150.0) && object["steps"] as? Int == 47)
        let derived = try #require(object["derived_from"] as? [String: Any])
        #expect(close(derived["epochs"], 10) && derived["dataset_size"] as? Int == 150 && derived["batch_size"] as? Int == 32)
        let text = try verdant(["privacy-budget", "--epochs", "10", "--dataset-size", "150", "--batch-size", "32",
                                "--noise-multiplier", "1.1", "--delta", "1e-5"])
        #expect(text.stdout.contains("sampling rate q = 0.2133333, steps T = 47"))
        #expect(text.stdout.contains("derived from 10 epochs of N = 150 records in expected batches of B = 32: q = B/N, T = ⌈E·N/B⌉"))
        // A decimal E: ⌈1.1 · 100 / 10⌉ = 11 as exact arithmetic gives (an audit found 12).
        let decimal = try verdant(["privacy-budget", "--epochs", "1.1", "--dataset-size", "100", "--batch-size", "10",
                                   "--noise-multiplier", "1", "--delta", "1e-5", "--json"])
        #expect(try jsonObject(decimal.stdout)["steps"] as? Int == 11)
        // ε = ∞: no order bounds it, so none is printed (an audit found "order": 1.1 beside a null ε).
        let unbounded = try verdant(["privacy-budget", "--sampling-rate", "0.1", "--steps", "10", "--noise-multiplier", "1e-300",
                                     "--delta", "1e-5", "--json"])
        let infinite = try jsonObject(unbounded.stdout)
        #expect(infinite["epsilon"] is NSNull && infinite["order"] is NSNull)
    }

    @Test("every out-of-range or missing input exits 2 with what was received and what is valid, and prints nothing")
    func errors() throws {
        let base = ["privacy-budget", "--steps", "100", "--delta", "1e-5", "--noise-multiplier", "1"]
        let cases: [([String], String)] = [
            (base + ["--sampling-rate", "1.5"], "--sampling-rate: received '1.5'; give the probability q that a record joins a batch, with 0 < q ≤ 1"),
            (base + ["--sampling-rate", "0"], "--sampling-rate: received '0.0'"),
            (base + ["--sampling-rate=-0.1"], "--sampling-rate: received '-0.1'"),
            (base + ["--sampling-rate", "nan"], "--sampling-rate: received 'nan'"),
            (["privacy-budget", "--sampling-rate", "0.1", "--steps", "100", "--delta", "1e-5", "--noise-multiplier", "0"],
             "--noise-multiplier: received '0.0'; give σ > 0"),
            (["privacy-budget", "--sampling-rate", "0.1", "--steps", "0", "--delta", "1e-5", "--noise-multiplier", "1"],
             "--steps: received '0'; give T ≥ 1 steps"),
            (["privacy-budget", "--sampling-rate", "0.1", "--steps", "10", "--delta", "1", "--noise-multiplier", "1"],
             "--delta: received '1.0'; give 0 < δ < 1"),
            (["privacy-budget", "--sampling-rate", "0.1", "--steps", "10", "--delta", "0", "--noise-multiplier", "1"], "--delta: received '0.0'"),
            (["privacy-budget", "--sampling-rate", "0.1", "--steps", "10", "--delta", "1e-5", "--epsilon=-2"], "--epsilon: received '-2.0'; give a finite ε > 0"),
            (["privacy-budget", "--sampling-rate", "0.1", "--steps", "10", "--delta", "1e-5"], "give --noise-multiplier σ (to get ε) or --epsilon ε (to get σ)"),
            (base + ["--sampling-rate", "0.1", "--epsilon", "1"], "give --noise-multiplier or --epsilon, not both"),
            (["privacy-budget", "--steps", "10", "--delta", "1e-5", "--noise-multiplier", "1"], "missing --sampling-rate"),
            (["privacy-budget", "--sampling-rate", "0.1", "--delta", "1e-5", "--noise-multiplier", "1"], "missing --steps"),
            (base + ["--sampling-rate", "0.1", "--epochs", "3"], "not both"),
            (["privacy-budget", "--epochs", "3", "--dataset-size", "100", "--delta", "1e-5", "--noise-multiplier", "1"], "missing --batch-size"),
            (["privacy-budget", "--epochs", "3", "--dataset-size", "100", "--batch-size", "200", "--delta", "1e-5", "--noise-multiplier", "1"],
             "--batch-size: received '200'; give an expected batch size B with 1 ≤ B ≤ N = 100"),
            (["privacy-budget", "--epochs", "0", "--dataset-size", "100", "--batch-size", "10", "--delta", "1e-5", "--noise-multiplier", "1"],
             "--epochs: received '0.0'"),
            (["privacy-budget", "--epochs", "1", "--dataset-size", "0", "--batch-size", "10", "--delta", "1e-5", "--noise-multiplier", "1"],
             "--dataset-size: received '0'"),
            (base + ["--sampling-rate", "0.1", "--accountant", "moments"], "moments"),
            (["privacy-budget", "--sampling-rate", "0.1", "--steps", "10", "--noise-multiplier", "1"], "--delta"),
            (["privacy-budget", "--sampling-rate", "1", "--steps", "1000000", "--delta", "1e-5", "--epsilon", "0.01"],
             "no noise multiplier up to 1000.0 reaches ε = 0.01 at δ = 1e-05"),
        ]
        for (arguments, message) in cases {
            let result = try verdant(arguments)
            #expect(result.status == 2, "\(arguments): exit \(result.status), \(result.stderr)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty)
            expectNoTrace(result)
        }
    }

    @Test("a PLD too large for memory is a runtime error (exit 1) that points to RDP")
    func tooLarge() throws {
        let result = try verdant(["privacy-budget", "--sampling-rate", "1", "--steps", "10", "--delta", "1e-5",
                                  "--noise-multiplier", "0.001", "--accountant", "pld"])
        #expect(result.status == 1 && result.stderr.contains("use the RDP accountant"), "\(result.stderr)")
        expectNoTrace(result)
    }
}
