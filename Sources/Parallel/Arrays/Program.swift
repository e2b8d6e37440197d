// Fused elementwise programs: a chain of elementwise operations over one or more arrays with the
// same chunks becomes one small program per chunk, evaluated block by block (1024 elements, so the
// intermediate values stay in L1 cache): one pass over the inputs, no intermediate arrays.

/// One step of a program; registers 0..<inputCount are the inputs, step k writes register
/// inputCount + k.
enum Instruction<Element: ChunkElement>: Sendable {
    case binary(BinaryOperator, Int, Int)
    case scalar(BinaryOperator, Int, Element, scalarOnLeft: Bool)
    case unary(UnaryOperator, Int)
    case power(Int, exponent: Int)
    case realPower(Int, exponent: Element)
    case closure(Int, @Sendable (Element) -> Element)

    func shifted(inputs inputMap: [Int], registers offset: Int, inputCount: Int) -> Instruction {
        func r(_ register: Int) -> Int { register < inputCount ? inputMap[register] : register + offset }
        switch self {
        case .binary(let op, let a, let b): return .binary(op, r(a), r(b))
        case .scalar(let op, let a, let s, let left): return .scalar(op, r(a), s, scalarOnLeft: left)
        case .unary(let op, let a): return .unary(op, r(a))
        case .power(let a, let e): return .power(r(a), exponent: e)
        case .realPower(let a, let e): return .realPower(r(a), exponent: e)
        case .closure(let a, let f): return .closure(r(a), f)
        }
    }
}

/// A fused elementwise program over `inputCount` inputs.
struct Program<Element: ChunkElement>: Sendable {
    let inputCount: Int
    let instructions: [Instruction<Element>]
    /// Text of each register, for `describe()`.
    let texts: [String]

    static func identity(_ name: String) -> Program { Program(inputCount: 1, instructions: [], texts: [name]) }

    var resultRegister: Int { instructions.isEmpty ? 0 : inputCount + instructions.count - 1 }
    var isTrivial: Bool { instructions.isEmpty && inputCount == 1 }
    var text: String { texts[resultRegister] }

    /// This program followed by one more step on its result.
    func appending(_ make: (Int) -> Instruction<Element>, text: (String) -> String) -> Program {
        let r = resultRegister
        return Program(inputCount: inputCount, instructions: instructions + [make(r)], texts: texts + [text(texts[r])])
    }

    /// Two programs joined by a binary step; the inputs of both are merged (`mergedInputs` maps the
    /// right program's inputs to positions in the merged list).
    static func joining(_ left: Program, _ right: Program, rightInputMap: [Int], mergedInputCount: Int,
                        _ op: BinaryOperator) -> Program
    {
        // Registers: merged inputs first, then the left's steps, then the right's, then the join.
        let leftMap = Array(0..<left.inputCount)
        let leftOffset = mergedInputCount - left.inputCount
        var instructions = left.instructions.map { $0.shifted(inputs: leftMap, registers: leftOffset, inputCount: left.inputCount) }
        let rightOffset = mergedInputCount + left.instructions.count - right.inputCount
        instructions += right.instructions.map { $0.shifted(inputs: rightInputMap, registers: rightOffset, inputCount: right.inputCount) }
        func place(_ register: Int, _ program: Program, _ map: [Int], _ offset: Int) -> Int {
            register < program.inputCount ? map[register] : register + offset
        }
        let a = place(left.resultRegister, left, leftMap, leftOffset)
        let b = place(right.resultRegister, right, rightInputMap, rightOffset)
        instructions.append(.binary(op, a, b))
        // Texts: inputs are named by their merged position.
        var texts = (0..<mergedInputCount).map { i -> String in
            if i < left.inputCount { return left.texts[i] }
            if let k = rightInputMap.firstIndex(of: i) { return right.texts[k] }
            return "x\(i)"
        }
        texts += left.texts.dropFirst(left.inputCount)
        texts += right.texts.dropFirst(right.inputCount)
        texts.append("(\(left.text) \(op.symbol) \(right.text))")
        return Program(inputCount: mergedInputCount, instructions: instructions, texts: texts)
    }
}

/// Where an input's values for one chunk come from.
enum Leaf<Element: ChunkElement>: Sendable {
    /// Memory that already exists (a stored or persisted array).
    case view(ChunkView<Element>)
    /// Values generated from their position; (row, column) is the global position of the chunk's
    /// first element.
    case generated(Generator<Element>, row: Int, column: Int)
    /// The `ChunkBuffer` result of a task, from (row, column) of that buffer.
    case task(Int, row: Int, column: Int)

    func restricted(to region: Region) -> Leaf {
        switch self {
        case .view(let view): .view(view.restricted(to: region))
        case .generated(let g, let row, let column): .generated(g, row: row + region.row, column: column + region.column)
        case .task(let id, let row, let column): .task(id, row: row + region.row, column: column + region.column)
        }
    }

    var taskID: Int? {
        if case .task(let id, _, _) = self { return id }
        return nil
    }
}

/// One chunk of a fused computation: a program and where each input's values come from.
struct FusedChunk<Element: ChunkElement>: Sendable {
    let program: Program<Element>
    let leaves: [Leaf<Element>]
    let rows: Int
    let columns: Int

    init(program: Program<Element>, leaves: [Leaf<Element>], rows: Int, columns: Int) {
        self.program = program
        self.leaves = leaves
        self.rows = rows
        self.columns = columns
    }

    init(leaf: Leaf<Element>, rows: Int, columns: Int, name: String) {
        self.init(program: .identity(name), leaves: [leaf], rows: rows, columns: columns)
    }

    var isTrivial: Bool { program.isTrivial }

    /// The tasks whose results the chunk reads, each once, in first-use order.
    var taskDependencies: [Int] {
        var seen = Set<Int>()
        return leaves.compactMap(\.taskID).filter { seen.insert($0).inserted }
    }

    func restricted(to region: Region) -> FusedChunk {
        FusedChunk(program: program, leaves: leaves.map { $0.restricted(to: region) }, rows: region.rows, columns: region.columns)
    }
}

/// Evaluates fused chunks block by block.
enum BlockEvaluator {
    static let blockSize = 1024

    /// Evaluates `chunk` and hands each block to `emit(row, column, values, count)`, in row-major
    /// order. `inputs` are the results of `chunk.taskDependencies`, in that order.
    /// - Throws: ``ParallelError/integerDivisionByZero(task:)``, ``ParallelError/negativeIntegerPower(exponent:)``.
    static func run<Element: ChunkElement>(
        _ chunk: FusedChunk<Element>, inputs: [AnyObject], task: String,
        _ emit: (Int, Int, UnsafePointer<Element>, Int) throws -> Void
    ) throws {
        let program = chunk.program
        let registerCount = program.inputCount + program.instructions.count
        let b = blockSize
        // Scratch: one block per step and per generated input.
        let scratch = UnsafeMutablePointer<Element>.allocate(capacity: b * max(1, registerCount))
        defer { scratch.deallocate() }
        scratch.initialize(repeating: .zero, count: b * max(1, registerCount))
        var registers = [UnsafePointer<Element>](repeating: UnsafePointer(scratch), count: registerCount)

        // Resolve each leaf to a view or a generator.
        let dependencies = chunk.taskDependencies
        var views: [ChunkView<Element>?] = []
        var generators: [(Generator<Element>, Int, Int)?] = []
        for leaf in chunk.leaves {
            switch leaf {
            case .view(let view):
                views.append(view)
                generators.append(nil)
            case .generated(let g, let row, let column):
                views.append(nil)
                generators.append((g, row, column))
            case .task(let id, let row, let column):
                guard let position = dependencies.firstIndex(of: id), let buffer = inputs[position] as? ChunkBuffer<Element> else {
                    preconditionFailure("task input \(id) is missing or of the wrong type")
                }
                views.append(buffer.view.restricted(to: Region(row: row, column: column, rows: chunk.rows, columns: chunk.columns)))
                generators.append(nil)
            }
        }

        for r in 0..<chunk.rows {
            var c = 0
            while c < chunk.columns {
                let n = min(b, chunk.columns - c)
                for k in 0..<program.inputCount {
                    if let view = views[k] {
                        registers[k] = view.pointer(row: r, column: c)
                    } else if let (g, row, column) = generators[k] {
                        let out = scratch + k * b
                        g.fill(out, row: row + r, column: column + c, count: n)
                        registers[k] = UnsafePointer(out)
                    }
                }
                for (s, instruction) in program.instructions.enumerated() {
                    let register = program.inputCount + s
                    let out = scratch + register * b
                    var failure: IntegerFailure?
                    switch instruction {
                    case .binary(let op, let x, let y):
                        failure = Elementwise.binary(op, registers[x], registers[y], out, n)
                    case .scalar(let op, let x, let value, let left):
                        failure = Elementwise.scalar(op, registers[x], value, scalarOnLeft: left, out, n)
                    case .unary(let op, let x):
                        Elementwise.unary(op, registers[x], out, n)
                    case .power(let x, let e):
                        Elementwise.power(registers[x], e, out, n)
                    case .realPower(let x, let e):
                        Elementwise.realPower(registers[x], e, out, n)
                    case .closure(let x, let f):
                        let input = registers[x]
                        for i in 0..<n { out[i] = f(input[i]) }
                    }
                    switch failure {
                    case nil: break
                    case .divisionByZero: throw ParallelError.integerDivisionByZero(task: task)
                    case .negativePower(let exponent): throw ParallelError.negativeIntegerPower(exponent: exponent)
                    }
                    registers[register] = UnsafePointer(out)
                }
                try emit(r, c, registers[program.resultRegister], n)
                c += n
            }
        }
    }

    /// Evaluates `chunk` into `out` (row-major with `rowStride`), starting at `out`.
    static func write<Element: ChunkElement>(_ chunk: FusedChunk<Element>, inputs: [AnyObject], task: String,
                                             into out: UnsafeMutablePointer<Element>, rowStride: Int) throws
    {
        try run(chunk, inputs: inputs, task: task) { r, c, values, n in
            (out + r * rowStride + c).update(from: values, count: n)
        }
    }
}
