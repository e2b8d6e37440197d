@_exported import Quantum
@_exported import Privacy
