@_exported import Quantum
@_exported import Energy
@_exported import Communication
@_exported import Parallel
@_exported import Privacy
@_exported import QuantumML
@_exported import Figures
@_exported import Report
