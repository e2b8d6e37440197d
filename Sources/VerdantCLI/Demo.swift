import ArgumentParser
import Foundation
import Verdant

/// `verdant demo`: the main job, runnable with no set-up.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the seed's quantum example (a Bell state) and a 20-qubit circuit.",
        discussion: "Prints counts, time and the state's memory. Needs nothing beyond the Swift toolchain."
    )

    @Option(help: "Shots per circuit.")
    var shots: Int = 1024

    @Option(help: "Seed for sampling.")
    var seed: UInt64 = 7

    @Option(help: "Qubits of the large circuit.")
    var qubits: Int = 20

    @OptionGroup(title: "Energy options")
    var energy: EnergyOptions

    func validate() throws {
        guard shots >= 1 else { throw ValidationError("--shots must be at least 1, received \(shots)") }
        guard (2...30).contains(qubits) else { throw ValidationError("--qubits must be in 2...30, received \(qubits)") }
    }

    func run() throws {
        let meter = try energy.start()
        print("Verdant \(VerdantCommand.version) — the seed's quantum example (§4.1), in Swift\n")
        // The seed's example, as written there.
        let q = QuantumRegister(2, name: "q"); let c = ClassicalRegister(2, name: "c")
        var bell = QuantumCircuit(q, c)
        bell.h(q[0]); bell.cx(q[0], q[1]); bell.measure(q, c)
        let small = try bell.run(shots: shots, seed: seed)
        print("1. Bell state: h q[0]; cx q[0], q[1]; measure q -> c")
        report(small)

        // A 20-qubit circuit whose answer is known: GHZ, then QFT and its inverse (which cancel).
        var large = QuantumCircuit.ghz(numQubits: qubits)
        large = try large.compose(.qft(numQubits: qubits)).compose(try QuantumCircuit.qft(numQubits: qubits).inverse())
        large.measureAll()
        let bar = ProgressBar("simulating")
        var simulator = Simulator()
        simulator.progress = { done, total in bar.update(done, total) }
        let result = try simulator.run(large, shots: shots, seed: seed)
        bar.finish()
        print("\n2. \(qubits) qubits: GHZ, then QFT and inverse QFT (\(large.size) instructions, depth \(large.depth())):")
        report(result, limit: 4)
        let ok = Set(result.counts.keys) == [String(repeating: "0", count: qubits), String(repeating: "1", count: qubits)]
        print(ok ? "   ✓ only all-zeros and all-ones, as a GHZ state must give" : "   ✗ unexpected outcomes")
        if !ok { throw CLIError.runtime("the 20-qubit demo circuit gave outcomes a GHZ state cannot give") }
        try energy.finish(meter, label: "verdant demo")
    }

    private func report(_ result: RunResult, limit: Int = 8) {
        let rows = result.counts.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.prefix(limit).map {
            ["   " + $0.key, String($0.value)]
        }
        print(Format.table(["   outcome", "count"], Array(rows)))
        print("   \(result.shots) shots, seed \(result.seed) · time \(Format.seconds(result.seconds)) · "
              + "state \(Format.bytes(result.stateBytes)) (\(result.numQubits) qubits, \(result.precision) precision)")
    }
}
