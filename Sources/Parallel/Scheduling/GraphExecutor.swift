import Communication
// The dependency-driven executor behind `TaskGraph` and `ChunkedArray`.
//
// Tasks are numbered so that every dependency precedes its consumers. A task becomes ready when
// its last dependency finishes; among ready tasks the one with the lowest priority number runs
// first. Priorities come from a depth-first walk from the outputs (`depthFirstPriorities`), so a
// reduction's partial results are combined as soon as they exist and chunks are released early:
// peak memory stays near one chunk per thread plus the tree's frontier, not the whole array.
// A task's result is released as soon as its last consumer has run, unless it is an output.

/// One task of a graph: a name for errors, its dependencies, and the work, which receives the
/// dependencies' results in the order of `dependencies`.
struct GraphTask: Sendable {
    let name: String
    let dependencies: [Int]
    let run: @Sendable ([AnyObject]) throws -> AnyObject
}

/// Numbers tasks in the order a depth-first walk from the outputs finishes them (dependencies in
/// their listed order), so work on one output's inputs completes before the next is started.
/// Tasks not needed by any output get the largest numbers (they do not run when pruned).
func depthFirstPriorities(_ tasks: [GraphTask], outputs: [Int]) -> [Int] {
    var priority = [Int](repeating: -1, count: tasks.count)
    var next = 0
    var stack: [(task: Int, dependency: Int)] = []
    for output in outputs where priority[output] < 0 {
        stack.append((output, 0))
        priority[output] = -2  // on the stack
        while let top = stack.last {
            let dependencies = tasks[top.task].dependencies
            if top.dependency < dependencies.count {
                stack[stack.count - 1].dependency += 1
                let d = dependencies[top.dependency]
                if priority[d] == -1 {
                    priority[d] = -2
                    stack.append((d, 0))
                }
            } else {
                priority[top.task] = next
                next += 1
                stack.removeLast()
            }
        }
    }
    for i in priority.indices where priority[i] < 0 {
        priority[i] = next
        next += 1
    }
    return priority
}

/// The tasks that `outputs` need (the outputs and all their ancestors).
func neededTasks(_ tasks: [GraphTask], outputs: [Int]) -> [Bool] {
    var needed = [Bool](repeating: false, count: tasks.count)
    var stack = outputs
    while let t = stack.popLast() {
        if needed[t] { continue }
        needed[t] = true
        stack.append(contentsOf: tasks[t].dependencies)
    }
    return needed
}

/// Statistics of one execution (for `describe()` and tests of the ordering).
struct ExecutionStatistics: Sendable {
    /// Tasks that ran.
    var tasksRun = 0
    /// The most results held at one time (finished tasks whose consumers had not all run).
    var peakLiveResults = 0
}

/// One run of a graph on a pool.
final class GraphExecution: PoolJob, @unchecked Sendable {
    private let tasks: [GraphTask]
    private let state = ConditionLock()
    private var remainingDependencies: [Int]
    private var remainingConsumers: [Int]
    private var consumers: [[Int]]
    private var results: [AnyObject?]
    private let keep: [Bool]
    private let priority: [Int]
    private var ready = MinHeap()
    private var running = 0
    private var completed = 0
    private let total: Int
    private var live = 0
    private(set) var statistics = ExecutionStatistics()
    private(set) var failure: (task: String, error: any Error)?

    /// Prepares the tasks needed by `outputs`; results of `outputs` are kept.
    init(tasks: [GraphTask], outputs: [Int]) {
        self.tasks = tasks
        let needed = neededTasks(tasks, outputs: outputs)
        priority = depthFirstPriorities(tasks, outputs: outputs)
        var keep = [Bool](repeating: false, count: tasks.count)
        for o in outputs { keep[o] = true }
        self.keep = keep
        remainingDependencies = [Int](repeating: 0, count: tasks.count)
        remainingConsumers = [Int](repeating: 0, count: tasks.count)
        consumers = [[Int]](repeating: [], count: tasks.count)
        results = [AnyObject?](repeating: nil, count: tasks.count)
        var total = 0
        for (i, task) in tasks.enumerated() where needed[i] {
            total += 1
            remainingDependencies[i] = task.dependencies.count
            for d in task.dependencies {
                consumers[d].append(i)
                remainingConsumers[d] += 1
            }
        }
        self.total = total
        for (i, task) in tasks.enumerated() where needed[i] && task.dependencies.isEmpty {
            ready.push(priority[i], i)
        }
    }

    /// The result of a kept task after a successful run.
    func result(_ task: Int) -> AnyObject? { state.withLock { results[task] } }

    func participate() {
        state.lock()
        while failure == nil {
            guard let id = ready.pop() else {
                if running == 0 || completed == total { break }
                state.wait()
                continue
            }
            let inputs = tasks[id].dependencies.map { d -> AnyObject in
                guard let value = results[d] else { preconditionFailure("input \(d) of task \(id) was released early") }
                return value
            }
            running += 1
            state.unlock()
            let outcome: Result<AnyObject, any Error>
            do {
                outcome = .success(try tasks[id].run(inputs))
            } catch {
                outcome = .failure(error)
            }
            state.lock()
            running -= 1
            statistics.tasksRun += 1
            switch outcome {
            case .failure(let error):
                if failure == nil { failure = (tasks[id].name, error) }
                state.broadcast()
            case .success(let value):
                results[id] = value
                live += 1
                completed += 1
                for d in tasks[id].dependencies {
                    remainingConsumers[d] -= 1
                    if remainingConsumers[d] == 0, !keep[d], results[d] != nil {
                        results[d] = nil
                        live -= 1
                    }
                }
                statistics.peakLiveResults = max(statistics.peakLiveResults, live)
                var woken = 0
                for c in consumers[id] {
                    remainingDependencies[c] -= 1
                    if remainingDependencies[c] == 0 {
                        ready.push(priority[c], c)
                        woken += 1
                    }
                }
                if woken > 0 || completed == total { state.broadcast() }
            }
            // After a failure, the waiter sleeps until no task is running; the last task to
            // finish (successfully or not) must wake it, or it waits forever.
            if failure != nil, running == 0 { state.broadcast() }
        }
        state.unlock()
    }

    func waitUntilComplete() {
        state.lock()
        while !(completed == total || (failure != nil && running == 0)) { state.wait() }
        state.unlock()
    }
}

/// A binary min-heap of (priority, task) pairs.
struct MinHeap {
    private var items: [(Int, Int)] = []

    var isEmpty: Bool { items.isEmpty }

    mutating func push(_ priority: Int, _ value: Int) {
        items.append((priority, value))
        var i = items.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            if items[parent].0 <= items[i].0 { break }
            items.swapAt(parent, i)
            i = parent
        }
    }

    mutating func pop() -> Int? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < items.count, items[l].0 < items[smallest].0 { smallest = l }
                if r < items.count, items[r].0 < items[smallest].0 { smallest = r }
                if smallest == i { break }
                items.swapAt(i, smallest)
                i = smallest
            }
        }
        return first.1
    }
}

/// Runs `tasks` on `scheduler` and returns the results of `outputs`, in order.
/// - Throws: ``ParallelError/taskFailed(task:rank:underlying:)`` for the first task that threw.
func executeGraph(_ tasks: [GraphTask], outputs: [Int], scheduler: Scheduler,
                  statistics: ((ExecutionStatistics) -> Void)? = nil) throws -> [AnyObject]
{
    let execution = GraphExecution(tasks: tasks, outputs: outputs)
    if scheduler.threads == 1 {
        execution.participate()
        execution.waitUntilComplete()
    } else {
        scheduler.pool.perform(execution)
    }
    statistics?(execution.statistics)
    if let failure = execution.failure {
        switch failure.error {
        case ParallelError.taskFailed, ParallelError.integerDivisionByZero, ParallelError.blockShapeMismatch:
            throw failure.error  // these already name the task
        default:
            break
        }
        throw ParallelError.taskFailed(task: failure.task, rank: nil, underlying: failure.error)
    }
    return outputs.map { o in
        guard let value = execution.result(o) else { preconditionFailure("output \(o) was not computed") }
        return value
    }
}

/// A reference box for values that travel through the executor as `AnyObject`.
final class Box<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
