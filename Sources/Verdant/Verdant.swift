@_exported import Quantum
@_exported import Parallel
