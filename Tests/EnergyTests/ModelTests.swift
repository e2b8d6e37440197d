import Foundation
import Testing
@testable import Energy

@Suite("model arithmetic, carbon, price, provenance")
struct ModelTests {
    /// A plan with the model for CPU and memory, fixed parameters.
    func modelPlan(scope: AccountingScope, watts: Double = 4, provenance: Provenance = .modelled) -> MeterPlan {
        MeterPlan(scope: scope, cpu: .model(wattsPerThread: watts, provenance: provenance, basis: "test"),
                  memory: .model(wattsPerGiB: 0.375, basis: "test"), gpus: [], logicalCPUs: 2,
                  installedBytes: 8 * 1_073_741_824, modelWattsPerThread: watts, modelProvenance: provenance,
                  modelBasis: "test", ticksPerSecond: 100)
    }

    func snapshots() -> (Snapshot, Snapshot) {
        var a = Snapshot()
        a.wallSeconds = 1
        a.processCPU = CPUTimes(user: 0.5, system: 0.25)
        a.machineBusySeconds = 2
        a.memoryByteSeconds = 1_073_741_824
        var b = a
        b.wallSeconds = 4                                    // 3 s of wall time
        b.processCPU = CPUTimes(user: 2.5, system: 0.75)     // 2.5 CPU seconds
        b.machineBusySeconds = 8                             // 6 busy seconds, all CPUs
        b.memoryByteSeconds = 3 * 1_073_741_824              // 2 GiB·s
        return (a, b)
    }

    @Test("process scope: CPU seconds × W per thread + GiB·s × W per GiB, with the stated bands")
    func processModel() throws {
        let (a, b) = snapshots()
        let figures = modelPlan(scope: .process).figures(from: a, to: b)
        #expect(figures.map(\.name) == ["cpu", "memory"])
        let cpu = figures[0], memory = figures[1]
        #expect(cpu.joules == Estimate(value: 10, low: 7, high: 15, provenance: .modelled))     // 2.5 s × 4 W; ×0.7, ×1.5
        #expect(cpu.inputs == [Quantity("cpu_user_seconds", 2, "s"), Quantity("cpu_system_seconds", 0.5, "s")])
        #expect(cpu.parameters == [Quantity("watts_per_thread", 4, "W")])
        #expect(memory.joules == Estimate(value: 0.75, low: 0.375, high: 1.5, provenance: .modelled))  // 2 GiB·s × 0.375
        let unknown = modelPlan(scope: .process, provenance: .default).figures(from: a, to: b)[0]
        #expect(unknown.joules == Estimate(value: 10, low: 4, high: 30, provenance: .default))
    }

    @Test("machine scope: all busy CPU time, installed memory and the idle share")
    func machineModel() {
        let (a, b) = snapshots()
        let figures = modelPlan(scope: .machine).figures(from: a, to: b)
        #expect(figures.map(\.name) == ["cpu", "memory", "idle"])
        #expect(figures[0].joules.value == 24)                          // 6 busy s × 4 W
        #expect(figures[1].joules.value == 8 * 3 * 0.375)               // 8 GiB × 3 s × 0.375 W/GiB
        #expect(figures[2].joules.value == 0.25 * 4 * 2 * 3)            // idle fraction × W × CPUs × s
        #expect(figures.allSatisfy { $0.counted })
    }

    @Test("the attribution share and its band from the tick granularity")
    func share() throws {
        let plan = modelPlan(scope: .process)
        let s = try #require(plan.attributionShare(processCPU: 1, machineBusy: 4, wall: 10))
        #expect(s.value == 0.25)
        let low = (1 - 0.02) / (4 + 0.04), high = (1 + 0.02) / (4 - 0.04)
        #expect(abs(s.low - low) < 1e-12)
        #expect(abs(s.high - high) < 1e-12)
        #expect(plan.attributionShare(processCPU: 5, machineBusy: 4, wall: 10)?.value == 1)
        #expect(modelPlan(scope: .machine).attributionShare(processCPU: 1, machineBusy: 4, wall: 10) == nil)
        // /proc/stat unreadable: the whole counter (share 1), the band down to the share on a fully
        // busy machine (job CPU / (logical CPUs × wall) = 1 / (2 × 10)).
        let blind = try #require(plan.attributionShare(processCPU: 1, machineBusy: nil, wall: 10))
        #expect(blind.value == 1 && blind.high == 1 && abs(blind.low - 1.0 / 20) < 1e-12)
    }

    @Test("the attributed energy share's band: the closed form equals a brute-force search over the power ratio")
    func attributedBand() {
        let e = PowerModel.Band.attribution
        #expect(e == 0.3)
        for (low, high) in [(0.0, 0.0), (0.01, 0.02), (0.2, 0.3), (0.5, 0.5), (0.9, 0.95), (1.0, 1.0)] {
            // The job's share of the energy is s·r / (s·r + 1 − s) for an energy per CPU-second r
            // times the rest's; search r ∈ [1 − ε, 1 + ε] and s ∈ {low, high} on a fine grid.
            var lowest = Double.infinity, highest = -Double.infinity
            for s in [low, high] {
                for k in 0...10_000 {
                    let r = (1 - e) + 2 * e * Double(k) / 10_000
                    let share = s == 0 ? 0 : s * r / (s * r + 1 - s)
                    lowest = min(lowest, share)
                    highest = max(highest, share)
                }
            }
            let band = PowerModel.Band.attributedShare(low: low, high: high)
            #expect(abs(band.low - lowest) < 1e-12 && abs(band.high - highest) < 1e-12, "\(low)…\(high): \(band) vs \(lowest)…\(highest)")
            #expect(band.low <= low && band.high >= high)
        }
        // A job that is all the machine's work gets no widening; a small one gets about ±ε.
        #expect(PowerModel.Band.attributedShare(low: 1, high: 1) == (1, 1))
        let small = PowerModel.Band.attributedShare(low: 0.01, high: 0.01)
        #expect(abs(small.low / 0.01 - 0.7) < 0.01 && abs(small.high / 0.01 - 1.3) < 0.01)
    }

    @Test("carbon and cost: kWh × gCO2e/kWh agrees with CodeCarbon's own conversion")
    func carbonMatchesCodeCarbon() throws {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("codecarbon_conversion.json"))
        let fixture = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let kWh = try #require(fixture["energy_consumed_kWh"] as? Double)
        let kilograms = try #require(fixture["emissions_kg"] as? Double)
        let grid = try CarbonIntensity.lookup(try #require(fixture["country_iso_code"] as? String))
        #expect(grid.gramsPerKWh == fixture["carbon_intensity_g_per_kWh"] as? Double)
        let grams = Estimate(value: kWh * 3.6e6, lowFactor: 1, highFactor: 1, provenance: .measured)
            .scaled(by: grid.gramsPerKWh / 3.6e6, provenance: grid.provenance)
        #expect(abs(grams.value / 1000 - kilograms) <= 1e-12 * kilograms)
        #expect(grams.provenance == .modelled)
    }

    @Test("country look-up by alpha-2, alpha-3 and name; unknown countries fail with suggestions")
    func countries() throws {
        for key in ["FR", "fra", "France", " fr "] {
            let grid = try CarbonIntensity.lookup(key)
            #expect(grid.gramsPerKWh == 56.039 && grid.year == 2023 && grid.region == "France" && grid.isoCode == "FRA")
        }
        #expect(try CarbonIntensity.lookup("DE").gramsPerKWh == 380.95)
        // Found by an audit: UK, World (the default's own name) and an accented name were refused.
        #expect(try CarbonIntensity.lookup("UK").isoCode == "GBR" && CarbonIntensity.lookup("uk") == CarbonIntensity.lookup("GB"))
        #expect(try CarbonIntensity.lookup("World") == CarbonIntensity.worldDefault)
        #expect(try CarbonIntensity.lookup("Côte d'Ivoire").region == "Cote d'Ivoire")
        #expect(try CarbonIntensity.lookup("réunion").isoCode == "REU")
        #expect(CarbonIntensity.countries.count > 200)
        #expect(throws: EnergyError.self) { try CarbonIntensity.lookup("Atlantis") }
        do {
            _ = try CarbonIntensity.lookup("Fran")
            Issue.record("'Fran' was accepted as a country")
        } catch {
            #expect(error.description.hasPrefix("--country: 'Fran' is not in the carbon-intensity table"))
            #expect(error.description.contains("FR (France)"))
        }
        #expect(CarbonIntensity.worldDefault.provenance == .default)
        #expect(throws: EnergyError.invalidParameter(name: "--grid-intensity", received: "-1.0",
                                                     valid: "give gCO2e per kWh between 0 and 5000 (the world average is about 480)")) {
            try CarbonIntensity.userGiven(-1)
        }
    }

    @Test("prices: default, given, and bad input")
    func prices() throws {
        let given = try ElectricityPrice.userGiven(perKWh: 0.25, perHour: 3, currency: "eur")
        #expect(given == ElectricityPrice(perKWh: 0.25, perHour: 3, currency: "EUR", source: "given by the user (--price-per-kwh)", provenance: .modelled))
        let fallback = try ElectricityPrice.userGiven(perKWh: nil, perHour: nil, currency: nil)
        #expect(fallback.perKWh == 0.1268 && fallback.provenance == .default && fallback.currency == "USD")
        #expect(throws: EnergyError.self) { try ElectricityPrice.userGiven(perKWh: -1, perHour: nil, currency: nil) }
        #expect(throws: EnergyError.self) { try ElectricityPrice.userGiven(perKWh: nil, perHour: nil, currency: "EUR") }
        #expect(throws: EnergyError.self) { try ElectricityPrice.userGiven(perKWh: 1, perHour: nil, currency: "€") }
    }

    @Test("the CPU table matches whole model names; unknown CPUs get the stated default")
    func cpuTable() throws {
        let platinum = try #require(PowerModel.entry(forModel: "Intel(R) Xeon(R) Platinum 8380 CPU @ 2.30GHz"))
        #expect(platinum.wattsPerThread == 270.0 / 80)
        #expect(PowerModel.entry(forModel: "Intel(R) Xeon(R) Platinum 8380H CPU @ 2.90GHz") == nil)
        #expect(PowerModel.entry(forModel: "AMD EPYC 7763 64-Core Processor")?.tdpWatts == 280)
        #expect(PowerModel.entry(forModel: "Intel(R) Xeon(R) Platinum 8480+")?.threads == 112)
        #expect(PowerModel.entry(forModel: "Intel(R) Xeon(R) Processor") == nil)
        #expect(PowerModel.defaultWattsPerThread == 270.0 / 80)  // the median of the 13 entries
        #expect(PowerModel.cpuTable.allSatisfy { !$0.source.isEmpty && $0.tdpWatts > 0 && $0.threads > 0 })
    }

    @Test("provenance: weakest label; sums and scaling keep bands")
    func provenance() {
        #expect(Provenance.weakest([.measured, .modelled]) == .modelled)
        #expect(Provenance.weakest([.measured, .default, .modelled]) == .default)
        #expect(Provenance.weakest([]) == .measured)
        #expect(Provenance.weakest([.measured, .attributed]) == .attributed)
        #expect(Provenance.weakest([.attributed, .modelled]) == .modelled)
        #expect(Provenance.weakest([.modelled, .upperBound]) == .upperBound)
        #expect(Provenance.weakest([.upperBound, .default]) == .default)
        #expect(Provenance.allCases.filter(\.isFromCounter) == [.measured, .attributed, .upperBound])
        #expect(Provenance.upperBound.rawValue == "upper-bound")
        let sum = Estimate.sum([Estimate(value: 10, low: 9, high: 11, provenance: .measured),
                                Estimate(value: 2, low: 1, high: 4, provenance: .modelled)])
        #expect(sum == Estimate(value: 12, low: 10, high: 15, provenance: .modelled))
        #expect(sum.scaled(by: 2, provenance: .default) == Estimate(value: 24, low: 20, high: 30, provenance: .default))
        #expect(abs(sum.relativeBand - 0.25) < 1e-12)
        #expect(EnergyReport.bandPercent(Estimate(value: 10, low: 7, high: 15, provenance: .modelled)) == "−30%/+50%")
        #expect(EnergyReport.bandPercent(Estimate(value: 10, low: 9.5, high: 10.5, provenance: .measured)) == "±5%")
    }

    @Test("configuration: each bad setting names itself, what was received and what is valid")
    func configuration() {
        var c = EnergyConfiguration()
        c.sampleInterval = 0
        #expect(throws: EnergyError.invalidParameter(name: "--sample-interval", received: "0.0", valid: "give seconds between 0.01 and 60")) {
            try c.validate()
        }
        c = EnergyConfiguration()
        c.cpuWattsPerThread = -3
        #expect(throws: EnergyError.self) { try c.validate() }
        c = EnergyConfiguration()
        c.memoryWattsPerGiB = .nan
        #expect(throws: EnergyError.self) { try c.validate() }
    }
}
