@_exported import Quantum
