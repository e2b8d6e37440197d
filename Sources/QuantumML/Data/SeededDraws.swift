import Quantum

/// The random draws of the dataset code, written out so that a seed gives the same data on every
/// machine and Swift version (the standard library's `random(in:)` and `shuffle` algorithms are
/// not promised to stay the same). The bits come from Quantum's `SeededGenerator`
/// (xoshiro256** seeded through SplitMix64).
enum SeededDraws {
    /// A uniform integer in `0..<bound`: Lemire's multiply-and-reject, no modulo bias.
    static func index(below bound: Int, using generator: inout some RandomNumberGenerator) -> Int {
        precondition(bound > 0, "index(below:) needs a positive bound")
        let range = UInt64(bound)
        var product = generator.next().multipliedFullWidth(by: range)
        if product.low < range {
            // Reject the low products that would make some results more likely than others.
            let threshold = (0 &- range) % range
            while product.low < threshold { product = generator.next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }

    /// Shuffles in place: Fisher–Yates from the last element down, swapping element i with a
    /// uniform j in 0...i.
    static func shuffle<T>(_ elements: inout [T], using generator: inout some RandomNumberGenerator) {
        guard elements.count > 1 else { return }
        for i in stride(from: elements.count - 1, to: 0, by: -1) {
            elements.swapAt(i, index(below: i + 1, using: &generator))
        }
    }
}
