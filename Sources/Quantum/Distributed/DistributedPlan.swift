import ComplexModule
import Foundation

// The distributed layer's planner: which qubit sits at which position of the split state, and when
// qubits move. On P = 2^k ranks a state of n qubits is split by its k highest *positions*: rank r
// holds the 2^L amplitudes (L = n − k) whose top k position bits spell r. A permutation maps each
// circuit qubit to a position; a gate runs on a rank's slice with the single-node kernels when every
// qubit it mixes sits at a local position (< L). A gate that is diagonal on a global qubit needs no
// exchange: the rank's own bit fixes that qubit, and the gate becomes a smaller gate (or a phase)
// on the local ones. When a gate mixes a global qubit, the planner looks ahead and swaps a *set* of
// global qubits with local ones in one all-to-all exchange (Häner and Steiger, SC'17; mpiQulacs), so
// that the longest possible stretch of the circuit runs without communication.
//
// Positions: local 0..<L, global L..<n (global bit j of a rank number is position L + j).
// Unconditioned SWAP gates never move data: they exchange the names of two qubits (the planner's
// `wire` of a circuit qubit), so the QFT's closing swaps cost nothing.

/// One operation of a stretch, on positions (local < L; global ≥ L only where the gate is diagonal
/// on that qubit).
struct PlacedOperation: Sendable {
    /// A gate, or a barrier (which stops fusion in the stretch, as in the circuit).
    let operation: Operation
    /// Positions in the operation's argument order.
    let positions: [Int]
}

/// One step of a distributed program. All ranks run the same steps in the same order.
enum DistributedStep: Sendable {
    /// Gates run on each rank's slice without communication.
    case stretch([PlacedOperation])
    /// Swaps the top `globalBits.count` local positions (L − m + t) with global positions
    /// L + globalBits[t]: pairwise exchanges of contiguous pieces, 2^m − 1 partners per rank.
    case remap(globalBits: [Int])
    /// Moves the wire at global bit j to global bit `destination[j]`: whole slices move between ranks.
    case permuteRanks(destination: [Int])
    /// A measurement of the qubit at a local position into a classical bit, maybe conditioned.
    case measure(position: Int, clbit: Int, condition: Condition?)
    /// A reset of the qubit at a local position, maybe conditioned.
    case reset(position: Int, condition: Condition?)
    /// One gate run only when its classical condition holds.
    case conditioned(PlacedOperation, Condition)
    /// A noise channel (the caller's channel number `id`) on local positions, maybe conditioned:
    /// the shots of a trajectory split among its branches here (DistributedTrajectories.swift).
    case channel(id: Int, positions: [Int], condition: Condition?)

    var isUnitary: Bool {
        switch self {
        case .stretch, .remap, .permuteRanks: true
        case .measure, .reset, .conditioned, .channel: false
        }
    }
}

/// What the planner places: an instruction of the circuit, or a noise channel (numbered by the
/// caller) on circuit qubits, maybe conditioned. A channel needs every one of its qubits local, as
/// a measurement or a reset does: its branch probabilities come from the reduced density matrix
/// of those qubits, which a rank can only form from amplitudes it holds.
enum PlanInput {
    case instruction(Instruction)
    case channel(id: Int, qubits: [Int], condition: Condition?)
}

/// The placement of qubits on positions, and its inverse.
struct QubitLayout: Sendable, Equatable {
    /// position[w]: the position of wire w.
    private(set) var position: [Int]
    /// wire[p]: the wire at position p.
    private(set) var wire: [Int]

    init(identity n: Int) {
        position = Array(0..<n)
        wire = Array(0..<n)
    }

    mutating func swapPositions(_ a: Int, _ b: Int) {
        let wa = wire[a], wb = wire[b]
        wire[a] = wb
        wire[b] = wa
        position[wa] = b
        position[wb] = a
    }
}

/// A circuit planned for P = 2^k ranks: its steps, and what they move.
struct DistributedPlan: Sendable {
    let numQubits: Int
    /// k: the number of global positions (P = 2^k).
    let globalQubits: Int
    var localQubits: Int { numQubits - globalQubits }
    let steps: [DistributedStep]
    /// The index of the first non-unitary step (steps.count when none): shots branch from there.
    let prefixEnd: Int
    /// Which circuit qubit each position holds after the last step (the identity when restored).
    let finalLayout: [Int]

    /// The number of remaps (exchanges of global with local qubits).
    var remapCount: Int { steps.count { if case .remap = $0 { true } else { false } } }
    /// The number of rank permutations.
    var rankPermutationCount: Int { steps.count { if case .permuteRanks = $0 { true } else { false } } }

    /// Bytes each rank sends in one run of the steps, for a state of `bytesPerAmplitude`.
    func bytesSentPerRank(bytesPerAmplitude: Int) -> Int {
        let slice = bytesPerAmplitude << localQubits
        return steps.reduce(0) { total, step in
            switch step {
            case .remap(let bits): total + slice - (slice >> bits.count)
            case .permuteRanks: total + slice
            default: total
            }
        }
    }

    /// Plans `instructions` (barriers, gates, measurements, resets, conditions) of an n-qubit circuit
    /// for 2^k ranks.
    /// - Parameters:
    ///   - restoresLayout: end with every circuit qubit at its own position (for sampling and
    ///     gathering, which read basis indices in the circuit's order).
    ///   - mixing: the circuit qubits an instruction's gate mixes (must be local), in any order.
    /// - Throws: ``QuantumError/distribution(_:)`` when a gate mixes more qubits than a rank holds.
    init(numQubits n: Int, globalQubits k: Int, instructions: [Instruction], restoresLayout: Bool,
         mixing: (Instruction) -> [Int]) throws
    {
        try self.init(numQubits: n, globalQubits: k, inputs: instructions.map { .instruction($0) }, restoresLayout: restoresLayout,
                      mixing: mixing)
    }

    /// Plans instructions and noise channels (``PlanInput``); a channel becomes a
    /// ``DistributedStep/channel(id:positions:condition:)`` step with all its qubits local.
    /// - Throws: as ``init(numQubits:globalQubits:instructions:restoresLayout:mixing:)``, also when a
    ///   channel acts on more qubits than a rank holds.
    init(numQubits n: Int, globalQubits k: Int, inputs: [PlanInput], restoresLayout: Bool,
         mixing: (Instruction) -> [Int]) throws
    {
        numQubits = n
        globalQubits = k
        let l = n - k
        // Swaps without a condition rename qubits: wireOf[q] is the wire that circuit qubit q is on now.
        var wireOf = Array(0..<n)
        struct WireOperation { let instruction: Instruction; let wires: [Int]; let needed: [Int]; var channel: Int? = nil }
        var operations: [WireOperation] = []
        for input in inputs {
            let instruction: Instruction
            switch input {
            case .instruction(let given): instruction = given
            case .channel(let id, let qubits, let condition):
                let wires = qubits.map { wireOf[$0] }
                if wires.count > l {
                    throw QuantumError.distribution(
                        "a noise channel on qubits \(qubits) needs all \(wires.count) of them on one rank, but on \(1 << k) ranks each "
                            + "rank holds \(l) qubit\(l == 1 ? "" : "s") of the \(n): use at most \(1 << (n - wires.count)) ranks")
                }
                // The instruction only carries the qubits and condition; `channel` marks it.
                operations.append(WireOperation(instruction: Instruction(operation: .barrier, qubits: qubits, clbits: [], condition: condition),
                                                wires: wires, needed: wires, channel: id))
                continue
            }
            if case .gate(let gate) = instruction.operation, gate.kind == .swap, instruction.condition == nil {
                wireOf.swapAt(instruction.qubits[0], instruction.qubits[1])
                continue
            }
            let wires = instruction.qubits.map { wireOf[$0] }
            let needed: [Int]
            switch instruction.operation {
            case .barrier: needed = []
            case .measure, .reset: needed = wires
            case .gate: needed = mixing(instruction).map { wireOf[$0] }
            }
            if needed.count > l {
                let ranks = 1 << k
                throw QuantumError.distribution(
                    "\(instruction.operation.name) on qubits \(instruction.qubits) mixes \(needed.count) qubits, but on \(ranks) ranks "
                        + "each rank holds \(l) qubit\(l == 1 ? "" : "s") of the \(n): use at most \(1 << (n - needed.count)) ranks")
            }
            operations.append(WireOperation(instruction: instruction, wires: wires, needed: needed))
        }

        var layout = QubitLayout(identity: n)
        var steps: [DistributedStep] = []
        var stretch: [PlacedOperation] = []
        var prefixEnd: Int?
        func flushStretch() {
            if !stretch.isEmpty { steps.append(.stretch(stretch)) }
            stretch = []
        }
        func place(_ wires: [Int]) -> [Int] { wires.map { layout.position[$0] } }

        /// Makes the wires `incoming` (global now) local and the wires `outgoing` (local now, as
        /// many) global: local swaps bring `outgoing` to the top positions, then one remap. With
        /// `target` (a wire's final position), an outgoing wire goes to the top position paired
        /// with its own final global position when it can, so no rank permutation follows.
        func remap(incoming: [Int], outgoing: [Int], target: [Int]? = nil) {
            let m = incoming.count
            guard m > 0 else { return }
            let bits = incoming.map { layout.position[$0] - l }.sorted()
            // desired[t]: the wire for top position L − m + t (paired with global bit bits[t]).
            var desired = [Int?](repeating: nil, count: m)
            var unplaced = outgoing
            if let target {
                for t in 0..<m {
                    if let i = unplaced.firstIndex(where: { target[$0] == l + bits[t] }) { desired[t] = unplaced.remove(at: i) }
                }
            }
            for t in 0..<m where desired[t] == nil {
                if let i = unplaced.firstIndex(of: layout.wire[l - m + t]) { desired[t] = unplaced.remove(at: i) }
            }
            for t in 0..<m where desired[t] == nil { desired[t] = unplaced.removeFirst() }
            for t in 0..<m {
                guard let w = desired[t], layout.position[w] != l - m + t else { continue }
                stretch.append(PlacedOperation(operation: .gate(Gate(kind: .swap)), positions: [layout.position[w], l - m + t]))
                layout.swapPositions(layout.position[w], l - m + t)
            }
            flushStretch()
            steps.append(.remap(globalBits: bits))
            for (t, b) in bits.enumerated() { layout.swapPositions(l - m + t, l + b) }
        }

        for (index, operation) in operations.enumerated() {
            let isUnitary: Bool
            if operation.instruction.condition != nil || operation.channel != nil { isUnitary = false } else {
                switch operation.instruction.operation {
                case .measure, .reset: isUnitary = false
                default: isUnitary = true
                }
            }
            if operation.needed.contains(where: { layout.position[$0] >= l }) {
                // Look ahead: the wires the next operations mix, in order of first use, while they fit.
                var window: [Int] = []
                var inWindow = Set<Int>()
                var nextUse = [Int](repeating: Int.max, count: n)
                var j = index
                scan: while j < operations.count {
                    let fresh = operations[j].needed.filter { !inWindow.contains($0) }
                    if window.count + Set(fresh).count > l { break scan }
                    for w in fresh where !inWindow.contains(w) {
                        inWindow.insert(w)
                        window.append(w)
                    }
                    j += 1
                }
                // Beyond the window: when each local wire is next used (later use → better to evict).
                var k2 = j
                while k2 < operations.count {
                    for w in operations[k2].wires where nextUse[w] == Int.max { nextUse[w] = k2 }
                    k2 += 1
                }
                let incoming = window.filter { layout.position[$0] >= l }
                let candidates = (0..<l).map { layout.wire[$0] }.filter { !inWindow.contains($0) }
                    .sorted { a, b in
                        nextUse[a] != nextUse[b] ? nextUse[a] > nextUse[b] : layout.position[a] > layout.position[b]
                    }
                remap(incoming: incoming, outgoing: Array(candidates.prefix(incoming.count)))
            }
            if !isUnitary, prefixEnd == nil {
                flushStretch()
                prefixEnd = steps.count
            }
            let placed = PlacedOperation(operation: operation.instruction.operation, positions: place(operation.wires))
            if let id = operation.channel {
                flushStretch()
                steps.append(.channel(id: id, positions: placed.positions, condition: operation.instruction.condition))
                continue
            }
            if let condition = operation.instruction.condition {
                flushStretch()
                switch operation.instruction.operation {
                case .measure: steps.append(.measure(position: placed.positions[0], clbit: operation.instruction.clbits[0], condition: condition))
                case .reset: steps.append(.reset(position: placed.positions[0], condition: condition))
                default: steps.append(.conditioned(placed, condition))
                }
                continue
            }
            switch operation.instruction.operation {
            case .measure:
                flushStretch()
                steps.append(.measure(position: placed.positions[0], clbit: operation.instruction.clbits[0], condition: nil))
            case .reset:
                flushStretch()
                steps.append(.reset(position: placed.positions[0], condition: nil))
            case .barrier:
                // A barrier orders nothing across ranks; in a stretch it stops fusion, as on one node.
                stretch.append(PlacedOperation(operation: .barrier, positions: Array(0..<l)))
            case .gate:
                stretch.append(placed)
            }
        }

        if restoresLayout {
            // Circuit qubit q must end at position q: its wire is wireOf[q].
            var target = [Int](repeating: 0, count: n)
            for q in 0..<n { target[wireOf[q]] = q }
            let incoming = (l..<n).map { layout.wire[$0] }.filter { target[$0] < l }
            let outgoing = (0..<l).map { layout.wire[$0] }.filter { target[$0] >= l }
                .sorted { layout.position[$0] > layout.position[$1] }
            remap(incoming: incoming, outgoing: outgoing, target: target)
            // Every global position now holds a wire that belongs to some global position.
            let destination = (0..<k).map { target[layout.wire[l + $0]] - l }
            if destination != Array(0..<k) {
                flushStretch()
                steps.append(.permuteRanks(destination: destination))
                let before = (0..<k).map { layout.wire[l + $0] }
                for (j, w) in before.enumerated() where layout.position[w] != l + destination[j] {
                    layout.swapPositions(layout.position[w], l + destination[j])
                }
            }
            for p in 0..<l where target[layout.wire[p]] != p {
                // Selection: bring the wire that belongs at p here.
                let w = wireOf[p]
                stretch.append(PlacedOperation(operation: .gate(Gate(kind: .swap)), positions: [layout.position[w], p]))
                layout.swapPositions(layout.position[w], p)
            }
            flushStretch()
            wireOf = Array(0..<n)
            layout = QubitLayout(identity: n)
        }
        flushStretch()
        self.steps = steps
        self.prefixEnd = prefixEnd ?? steps.count
        // finalLayout[p]: the circuit qubit at position p.
        var qubitOfWire = [Int](repeating: 0, count: n)
        for q in 0..<n { qubitOfWire[wireOf[q]] = q }
        finalLayout = (0..<n).map { qubitOfWire[layout.wire[$0]] }
    }
}
