import Communication
import Foundation

/// A handle to a task of a ``TaskGraph`` whose result has type `Result`.
public struct TaskHandle<Result: Sendable>: Sendable, Hashable {
    let id: Int
    let graph: ObjectIdentifier
}

/// The results of a task's dependencies, read by handle inside the task.
public struct TaskInputs: Sendable {
    let values: [Int: Box<any Sendable>]

    /// The result of dependency `handle`.
    /// - Parameter handle: a task listed in this task's `after:`.
    /// - Returns: its result.
    /// - Throws: ``ParallelError/invalidArgument(_:)`` when `handle` is not one of this task's dependencies.
    public subscript<Result: Sendable>(handle: TaskHandle<Result>) -> Result {
        get throws {
            guard let box = values[handle.id], let value = box.value as? Result else {
                throw ParallelError.invalidArgument(
                    "task input \(handle.id) is not a dependency of this task; list it in add(_:after:_:)")
            }
            return value
        }
    }
}

/// A graph of named tasks with dependencies, run on a ``Scheduler`` — the analogue of
/// `dask.delayed` or Ray tasks.
///
/// ```swift
/// let graph = TaskGraph()
/// let a = graph.add("load a") { [1.0, 2.0, 3.0] }
/// let b = graph.add("load b") { [4.0, 5.0, 6.0] }
/// let dot = graph.add("dot", after: a, b) { inputs in
///     zip(try inputs[a], try inputs[b]).map(*).reduce(0, +)
/// }
/// print(try graph.compute(dot))   // 32.0
/// ```
/// Independent tasks run in parallel; among ready tasks the scheduler prefers those that finish
/// an output soonest (depth-first), and releases each result once its consumers have run.
/// A task that throws cancels the rest; `compute` throws
/// ``ParallelError/taskFailed(task:rank:underlying:)`` with the task's name.
public final class TaskGraph: @unchecked Sendable {
    private let lock = ConditionLock()
    private var tasks: [GraphTask] = []
    private var names: [String] = []

    /// An empty graph.
    public init() {}

    /// The number of tasks added.
    public var count: Int { lock.withLock { tasks.count } }

    /// Adds a task with no dependencies.
    /// - Parameters:
    ///   - name: shown in errors.
    ///   - body: the work.
    /// - Returns: a handle for later tasks and for ``compute(_:using:)``.
    @discardableResult
    public func add<Result: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> Result) -> TaskHandle<Result> {
        append(name, dependencies: []) { _ in try body() }
    }

    /// Adds a task that runs after `dependencies` and reads their results through its inputs.
    /// - Parameters:
    ///   - name: shown in errors.
    ///   - dependencies: handles of tasks of this graph.
    ///   - body: the work; `inputs[handle]` is a dependency's result.
    /// - Returns: a handle for later tasks and for ``compute(_:using:)``.
    @discardableResult
    public func add<Result: Sendable>(_ name: String, after dependencies: any TaskDependency...,
                                      body: @escaping @Sendable (TaskInputs) throws -> Result) -> TaskHandle<Result>
    {
        add(name, after: dependencies, body)
    }

    /// Adds a task that runs after `dependencies` (given as an array).
    /// - Parameters:
    ///   - name: shown in errors.
    ///   - dependencies: handles of tasks of this graph.
    ///   - body: the work; `inputs[handle]` is a dependency's result.
    /// - Returns: a handle for later tasks and for ``compute(_:using:)``.
    @discardableResult
    public func add<Result: Sendable>(_ name: String, after dependencies: [any TaskDependency],
                                      _ body: @escaping @Sendable (TaskInputs) throws -> Result) -> TaskHandle<Result>
    {
        let ids = dependencies.map(\.taskID)
        let foreign = dependencies.contains { $0.graphID != ObjectIdentifier(self) }
        if foreign {
            return append(name, dependencies: []) { _ in
                throw ParallelError.invalidArgument("task '\(name)' depends on a task of another TaskGraph")
            }
        }
        return append(name, dependencies: ids) { values in
            var inputs: [Int: Box<any Sendable>] = [:]
            for (id, value) in zip(ids, values) {
                if let box = value as? Box<any Sendable> { inputs[id] = box }
            }
            return try body(TaskInputs(values: inputs))
        }
    }

    private func append<Result: Sendable>(_ name: String, dependencies: [Int],
                                          _ body: @escaping @Sendable ([AnyObject]) throws -> Result) -> TaskHandle<Result>
    {
        lock.withLock {
            let id = tasks.count
            tasks.append(GraphTask(name: name, dependencies: dependencies) { inputs in
                Box<any Sendable>(try body(inputs))
            })
            names.append(name)
            return TaskHandle(id: id, graph: ObjectIdentifier(self))
        }
    }

    /// Runs the tasks `handle` needs and returns its result.
    /// - Parameters:
    ///   - handle: a task of this graph.
    ///   - scheduler: the threads to use.
    /// - Returns: the task's result.
    /// - Throws: ``ParallelError/taskFailed(task:rank:underlying:)`` for the first task that threw;
    ///   ``ParallelError/invalidArgument(_:)`` for a handle of another graph.
    public func compute<Result: Sendable>(_ handle: TaskHandle<Result>, using scheduler: Scheduler = .shared) throws -> Result {
        try compute([handle], using: scheduler)[0]
    }

    /// Runs the tasks the handles need and returns their results in order.
    /// - Parameters:
    ///   - handles: tasks of this graph.
    ///   - scheduler: the threads to use.
    /// - Returns: the tasks' results, in the order of `handles`.
    /// - Throws: as ``compute(_:using:)``.
    public func compute<Result: Sendable>(_ handles: [TaskHandle<Result>], using scheduler: Scheduler = .shared) throws -> [Result] {
        let snapshot = lock.withLock { tasks }
        for h in handles where h.graph != ObjectIdentifier(self) || h.id >= snapshot.count {
            throw ParallelError.invalidArgument("compute: the handle is not a task of this TaskGraph")
        }
        let values = try executeGraph(snapshot, outputs: handles.map(\.id), scheduler: scheduler)
        return try zip(handles, values).map { handle, value in
            guard let box = value as? Box<any Sendable>, let result = box.value as? Result else {
                throw ParallelError.invalidArgument("compute: task \(handle.id) did not produce a \(Result.self)")
            }
            return result
        }
    }
}

/// Anything a task can depend on: a ``TaskHandle`` of any result type.
public protocol TaskDependency: Sendable {
    /// The task's number in its graph.
    var taskID: Int { get }
    /// The graph it belongs to.
    var graphID: ObjectIdentifier { get }
}

extension TaskHandle: TaskDependency {
    /// The task's number in its graph.
    public var taskID: Int { id }
    /// The graph it belongs to.
    public var graphID: ObjectIdentifier { graph }
}
