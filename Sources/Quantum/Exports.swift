// Complex numbers in Verdant's public API are swift-numerics' `Complex<Double>`.
@_exported import ComplexModule
@_exported import RealModule
