import Foundation
import Testing

@testable import Figures

/// Ticks against d3-array's published test outputs (test/ticks-test.js: values, not code), scales
/// against values computed by hand, number formats against the texts their rules give.
struct TickTests {
    @Test("ticks(start, stop, count) equal d3-array's published outputs")
    func d3Outputs() {
        let cases: [(Double, Double, Int, [Double])] = [
            (0, 1, 10, [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]),
            (0, 1, 9, [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]),
            (0, 1, 7, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
            (0, 1, 4, [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]),
            (0, 1, 3, [0.0, 0.5, 1.0]),
            (0, 1, 2, [0.0, 0.5, 1.0]),
            (0, 1, 1, [0.0, 1.0]),
            (0, 10, 10, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
            (0, 10, 7, [0, 2, 4, 6, 8, 10]),
            (0, 10, 3, [0, 5, 10]),
            (0, 10, 1, [0, 10]),
            (-10, 10, 10, [-10, -8, -6, -4, -2, 0, 2, 4, 6, 8, 10]),
            (-10, 10, 7, [-10, -8, -6, -4, -2, 0, 2, 4, 6, 8, 10]),
            (-10, 10, 6, [-10, -5, 0, 5, 10]),
            (-10, 10, 3, [-10, -5, 0, 5, 10]),
            (-10, 10, 2, [-10, 0, 10]),
            (-10, 10, 1, [0]),
            (0, 2.2, 3, [0, 1, 2]),
            (0.98, 1.14, 10, [0.98, 1, 1.02, 1.04, 1.06, 1.08, 1.1, 1.12, 1.14]),
            (1, 1, 10, [1]),
        ]
        for (start, stop, count, expected) in cases {
            #expect(Ticks.values(from: start, to: stop, count: count) == expected, "ticks(\(start), \(stop), \(count))")
            // d3: ticks(stop, start, count) is the reverse.
            #expect(Ticks.values(from: stop, to: start, count: count) == expected.reversed(), "ticks(\(stop), \(start), \(count))")
        }
        // d3's degenerate cases: NaN anywhere, or a count that is not positive, give nothing.
        #expect(Ticks.values(from: .nan, to: 1, count: 1).isEmpty)
        #expect(Ticks.values(from: 0, to: .nan, count: 1).isEmpty)
        #expect(Ticks.values(from: 0, to: 1, count: 0).isEmpty)
        #expect(Ticks.values(from: 0, to: 1, count: -1).isEmpty)
        // No negative zero: 1 / last tick of ticks(-1, 0, 5) is +∞.
        #expect(1 / (Ticks.values(from: -1, to: 0, count: 5).last ?? -1) == .infinity)
    }

    @Test("the step: 1, 2 or 5 times a power of ten, by d3's √2, √10, √50 thresholds")
    func steps() {
        // (0, 10, 5): raw step 2 ≥ √2 → 2. (0, 10, 3): raw 3.33 ≥ √10 → 5. (0, 1, 10): 0.1.
        #expect(Ticks.step(from: 0, to: 10, count: 5) == 2)
        #expect(Ticks.step(from: 0, to: 10, count: 3) == 5)
        #expect(Ticks.step(from: 0, to: 1, count: 10) == 0.1)
        #expect(Ticks.increment(from: 0, to: 1, count: 10) == -10)
        // raw 7.5 ≥ √50 = 7.07 → 10.
        #expect(Ticks.step(from: 0, to: 75, count: 10) == 10)
    }

    @Test("nice widens a domain to whole steps (values by hand)")
    func nice() {
        // step for [0.13, 0.97] at 5: raw 0.168 → 0.2; floor/ceil to 0.2 → [0, 1].
        #expect(Ticks.nice(from: 0.13, to: 0.97, count: 5) == (0, 1))
        // [1.1, 10.9] at 10: raw 0.98 → 1 → [1, 11].
        #expect(Ticks.nice(from: 1.1, to: 10.9, count: 10) == (1, 11))
        // [-3.2, 47.5] at 5: raw 10.1 → 10 → [-10, 50].
        #expect(Ticks.nice(from: -3.2, to: 47.5, count: 5) == (-10, 50))
        #expect(Ticks.nice(from: 2, to: 2, count: 5) == (2, 2))
    }

    @Test("log ticks: powers of ten, with 2 and 5 over fewer than three decades")
    func logTicks() {
        #expect(Ticks.logValues(from: 1, to: 1000) == [1, 10, 100, 1000])
        #expect(Ticks.logValues(from: 0.05, to: 5) == [0.05, 0.1, 0.2, 0.5, 1, 2, 5])
        #expect(Ticks.logValues(from: 2, to: 9) == [2, 3, 4, 5, 6, 7, 8, 9])
        #expect(Ticks.logValues(from: 0, to: 10).isEmpty)
        // Twelve decades: every second or third power only.
        let wide = Ticks.logValues(from: 1e-6, to: 1e6)
        #expect(wide.count <= 8 && wide.first == 1e-6)
    }
}

struct ScaleTests {
    @Test("linear, log and band scales map by their formulas")
    func scales() {
        let x = LinearScale(domain: (0, 10), range: (0, 100))
        #expect(x(2.5) == 25)
        #expect(x.invert(75) == 7.5)
        let y = LinearScale(domain: (0, 10), range: (300, 100))
        #expect(y(0) == 300 && y(10) == 100 && y(5) == 200)
        #expect(LinearScale(domain: (3, 3), range: (0, 100))(3) == 50)
        #expect(LinearScale(domain: (0.13, 0.97), range: (0, 1)).nice(count: 5).domain == (0, 1))
        let log = LogScale(domain: (1, 100), range: (0, 200))
        #expect(abs(log(10) - 100) < 1e-12)
        #expect(log.nice() == LogScale(domain: (1, 100), range: (0, 200)))
        #expect(LogScale(domain: (2, 30), range: (0, 1)).nice().domain == (1, 100))
        // d3's scaleBand: step = 100 / (4 − 0.2 + 2·0.1) = 25; band 0 starts at 0.1·25 = 2.5, width 0.8·25 = 20.
        let band = BandScale(count: 4, range: (0, 100), paddingInner: 0.2, paddingOuter: 0.1)
        #expect(band.step == 25)
        #expect(band.bandwidth == 20)
        #expect(band.start(0) == 2.5 && band.start(3) == 77.5)
        #expect(band.center(1) == 37.5)
    }
}

struct NumberFormatTests {
    @Test("tick labels carry the decimals their step needs")
    func tickLabels() {
        #expect(NumberFormat.tick(0.25, step: 0.05) == "0.25")
        #expect(NumberFormat.tick(3, step: 0.5) == "3.0")
        #expect(NumberFormat.tick(0, step: 0.5) == "0")
        #expect(NumberFormat.tick(-2, step: 1) == "−2")
        #expect(NumberFormat.tick(20000, step: 5000) == "20,000")
        #expect(NumberFormat.ticks([0, 0.2, 0.4]) == ["0", "0.2", "0.4"])
        #expect(NumberFormat.ticks([0.98, 1, 1.02]) == ["0.98", "1.00", "1.02"])
        #expect(NumberFormat.tick(3e-6, step: 1e-6) == "3×10⁻⁶")
    }

    @Test("fixed, significant, scientific, SI, percent and integer texts")
    func texts() {
        #expect(NumberFormat.fixed(12345.678, decimals: 1) == "12,345.7")
        #expect(NumberFormat.fixed(1234.5, decimals: 0) == "1234" || NumberFormat.fixed(1234.5, decimals: 0) == "1235")
        #expect(NumberFormat.fixed(-0.5, decimals: 2) == "−0.50")
        #expect(NumberFormat.fixed(-0.001, decimals: 2) == "0.00")
        #expect(NumberFormat.significant(41.26, digits: 3) == "41.3")
        #expect(NumberFormat.significant(0.5, digits: 3) == "0.5")
        #expect(NumberFormat.significant(999.96, digits: 3) == "1000")
        #expect(NumberFormat.significant(15549.1, digits: 3) == "15,500")
        #expect(NumberFormat.significant(237_618.8, digits: 3) == "238,000")
        #expect(NumberFormat.significant(0.000123456, digits: 3) == "1.23×10⁻⁴")
        #expect(NumberFormat.significant(-2.5e7, digits: 2) == "−2.5×10⁷")
        #expect(NumberFormat.scientific(1, digits: 3) == "1")
        #expect(NumberFormat.si(41260, unit: "J") == "41.3 kJ")
        #expect(NumberFormat.si(0.00042, unit: "s") == "420 µs")
        #expect(NumberFormat.si(0.124, unit: "J") == "124 mJ")
        #expect(NumberFormat.si(999.96, unit: "W") == "1 kW")
        #expect(NumberFormat.si(2.62, unit: "J") == "2.62 J")
        #expect(NumberFormat.si(0, unit: "J") == "0 J")
        #expect(NumberFormat.percent(0.9736) == "97.4\u{2009}%")
        #expect(NumberFormat.integer(1024) == "1024")
        #expect(NumberFormat.integer(100_000) == "100,000")
        #expect(NumberFormat.integer(-12345) == "−12,345")
        #expect(NumberFormat.duration(0.0451) == "45.1 ms")
        #expect(NumberFormat.duration(125) == "2 min 5 s")
        #expect(NumberFormat.significant(.nan, digits: 3) == "–")
        #expect(NumberFormat.si(.infinity, unit: "J") == "∞ J")
    }
}

struct TerminalChartTests {
    @Test("sparklines map the range onto eight levels")
    func sparkline() {
        #expect(TerminalChart.sparkline([0, 1, 2, 3, 4, 5, 6, 7]) == "▁▂▃▄▅▆▇█")
        #expect(TerminalChart.sparkline([3, 3, 3]) == "▁▁▁")
        #expect(TerminalChart.sparkline([1, .nan, 0]) == "█ ▁")
        #expect(TerminalChart.sparkline([]) == "")
        // 120 values into 60 characters: buckets of two, averaged.
        let long = (0..<120).map(Double.init)
        let line = TerminalChart.sparkline(long, width: 60)
        #expect(line.count == 60 && line.first == "▁" && line.last == "█")
        #expect(TerminalChart.buckets([1, 3, 5, 7], count: 2) == [2, 6])
    }

    @Test("bars are scaled to the largest in eighths of a cell")
    func bars() {
        #expect(TerminalChart.barText(2, of: 2, cells: 4) == "████")
        #expect(TerminalChart.barText(1, of: 2, cells: 4) == "██")
        // 3/8 of 8 cells = 3 cells; 1/16 of 2 cells = one eighth of a cell... rounded to ▏.
        #expect(TerminalChart.barText(3, of: 8, cells: 8) == "███")
        #expect(TerminalChart.barText(1, of: 16, cells: 2) == "▏")
        #expect(TerminalChart.barText(5, of: 8, cells: 1) == "▋")
        #expect(TerminalChart.barText(0, of: 8, cells: 4) == "")
        let chart = TerminalChart.bars([("00", 500, "500"), ("11", 250, "250")], width: 8)
        #expect(chart == "00 │████████ 500\n11 │████     250")
    }
}
