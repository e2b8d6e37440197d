// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Verdant",
    // MARK: - Public API
    products: [
        .library(name: "Verdant", targets: ["Verdant"]),
        .library(name: "Quantum", targets: ["Quantum"]),
        .library(name: "Energy", targets: ["Energy"]),
        .library(name: "Parallel", targets: ["Parallel"]),
        .library(name: "Communication", targets: ["Communication"]),
        .library(name: "SecureCommunication", targets: ["SecureCommunication"]),
        .library(name: "Privacy", targets: ["Privacy"]),
        .library(name: "QuantumML", targets: ["QuantumML"]),
        .library(name: "Report", targets: ["Report", "Figures"]),
        .executable(name: "verdant", targets: ["VerdantCLI"]),
    ],
    traits: [
        .trait(name: "MPI", description: "Multi-node runs through MPI (Open MPI or MPICH; needs libopenmpi-dev or libmpich-dev)."),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
    ],
    targets: [
        // MARK: - Public API
        .target(name: "Verdant", dependencies: ["Quantum", "Energy", "Communication", "SecureCommunication", "Parallel", "Privacy", "QuantumML", "Report", "Figures", "VerdantCommon"]),
        .target(name: "Energy", dependencies: ["VerdantCommon"]),
        .target(
            name: "Quantum",
            dependencies: [
                "CQuantumKernels", "Communication", "VerdantCommon",
                .product(name: "ComplexModule", package: "swift-numerics"),
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        .target(
            name: "Privacy",
            dependencies: [
                "VerdantCommon", "CAEAD",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),

        .target(
            name: "Communication",
            dependencies: [.target(name: "CMPI", condition: .when(traits: ["MPI"]))]
        ),
        .target(
            name: "SecureCommunication",
            dependencies: ["Communication", "Privacy", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "Parallel",
            dependencies: [
                "Communication", "CParallelKernels", "VerdantCommon",
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        .target(
            name: "QuantumML",
            dependencies: [
                "Quantum", "Parallel", "Privacy", "Energy", "VerdantCommon",
                .product(name: "ComplexModule", package: "swift-numerics"),
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        // Figures: SVG, scales, ticks, number formats, charts, HTML (Foundation only); Report: Verdant's results → figures.
        .target(name: "Figures"),
        .target(name: "Report", dependencies: ["Figures", "QuantumML", "Quantum", "Energy", "Privacy", "VerdantCommon"]),

        // MARK: - Implementation details
        .target(name: "VerdantCommon"),
        .systemLibrary(name: "CMPI", pkgConfig: "mpi", providers: [.apt(["libopenmpi-dev"])]),
        .target(name: "CParallelKernels"),
        .target(name: "CQuantumKernels"),
        // AES-GCM into caller buffers through the BoringSSL that swift-crypto links (Sources/CAEAD/include/AEAD.h).
        .target(name: "CAEAD", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "_TestSupport",
            dependencies: [
                "Quantum", "Communication",
                .product(name: "ComplexModule", package: "swift-numerics"),
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),

        // MARK: - Executables
        .executableTarget(
            name: "VerdantCLI",
            dependencies: [
                "Verdant",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: - Tests
        .testTarget(
            name: "QuantumTests",
            dependencies: ["Quantum", "Communication", "_TestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "EnergyTests", dependencies: ["Energy", "_TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ParallelTests", dependencies: ["Parallel", "_TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "CommunicationTests", dependencies: ["Communication", "_TestSupport"]),
        .testTarget(name: "SecureCommunicationTests", dependencies: ["SecureCommunication", "_TestSupport"]),
        .testTarget(
            name: "PrivacyTests",
            dependencies: [
                "Privacy", "_TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "QuantumMLTests",
            dependencies: ["QuantumML", "Quantum", "Privacy", "SecureCommunication", "_TestSupport"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "CLITests", dependencies: ["VerdantCLI", "Verdant", "_TestSupport"]),
        .testTarget(name: "VerdantCommonTests", dependencies: ["VerdantCommon", "_TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "FiguresTests", dependencies: ["Figures", "_TestSupport"]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "Figures", "QuantumML", "Energy", "Privacy", "_TestSupport"]),
    ]
)
