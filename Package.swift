// swift-tools-version: 6.2
// CyberMesh: a Byzantine-fault-tolerant backend for security events.
// Layout and the reason for each target: docs/layout.md.
import PackageDescription

/// Every CyberMesh target compiles in Swift 6 mode with strict concurrency
/// and treats warnings as errors, so "no warnings" is enforced, not hoped for.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "cybermesh",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "consensusd", targets: ["consensusd"]),
        .executable(name: "ingestor", targets: ["ingestor"]),
        .executable(name: "persister", targets: ["persister"]),
        .executable(name: "gateway", targets: ["gateway"]),
        .library(name: "Wire", targets: ["Wire"]),
        .library(name: "ConsensusCore", targets: ["ConsensusCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        // One system-library target per C library; each is wrapped once, in Wire
        // (or, later, the process that alone needs it).
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CProtobufC", pkgConfig: "libprotobuf-c", providers: [.apt(["libprotobuf-c-dev"])]),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),

        // protobuf-c code generated from proto/ (committed; `make proto`).
        .target(
            name: "CyberMeshProto",
            dependencies: ["CProtobufC"],
            path: "Sources/CyberMeshProto",
            sources: ["generated"],
            publicHeadersPath: "include",
            cSettings: [.headerSearchPath("include")]
        ),

        // The library every process shares: crypto, event format, framing,
        // envelope, TLS links, configuration, logging and metrics conventions.
        .target(
            name: "Wire",
            dependencies: [
                "CSodium", "COpenSSL", "CyberMeshProto", "ConsensusCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // The event contract: sign bytes, signing, trust store, validation.
        .target(name: "Events", dependencies: ["Wire", "ConsensusCore"], swiftSettings: strict),

        // librdkafka: consumer, producer and the mock cluster, one Swift type per handle.
        .target(name: "Kafka", dependencies: ["CRdKafka"], swiftSettings: strict),

        // The pure consensus core: no I/O dependency, so the compiler keeps it pure.
        .target(name: "ConsensusCore", swiftSettings: strict),
        // The deterministic simulator and its fakes: drives ConsensusCore
        // replicas on a simulated clock and network (`consensusd simulate`).
        .target(name: "ConsensusSimulation", dependencies: ["ConsensusCore"], swiftSettings: strict),

        // The validator process as a library: settings, the driver around the
        // core, storage, links and the operator port (`ValidatorDaemon`).
        .target(
            name: "ConsensusDaemon",
            dependencies: ["Wire", "Events", "ConsensusCore", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: strict),
        .executableTarget(
            name: "consensusd",
            dependencies: ["ConsensusDaemon", "Wire", "ConsensusCore", "ConsensusSimulation"],
            swiftSettings: strict),
        // Test-only: the same validator with a Byzantine `Misbehavior`, for the
        // multi-process tests. Never part of `make run` or an image.
        .executableTarget(
            name: "byzantine-validator",
            dependencies: ["ConsensusDaemon", "Wire", "Events", "ConsensusCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tests/ByzantineValidator",
            swiftSettings: strict),
        .executableTarget(
            name: "ingestor",
            dependencies: ["Wire", "Events", "Kafka", "ConsensusCore", .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: strict),
        .executableTarget(name: "persister", dependencies: ["Wire"], swiftSettings: strict),
        .executableTarget(name: "gateway", dependencies: ["Wire"], swiftSettings: strict),

        .testTarget(name: "WireTests", dependencies: ["Wire"], swiftSettings: strict),
        // The ingestor's ledger, verdicts and Kafka intake, in process.
        .testTarget(name: "IngestorTests", dependencies: ["ingestor", "Kafka", "Events", "Wire", "ConsensusCore"], swiftSettings: strict),
        // The Kafka wrapper against librdkafka's mock cluster.
        .testTarget(name: "KafkaTests", dependencies: ["Kafka"], swiftSettings: strict),
        .testTarget(name: "EventsTests", dependencies: ["Events", "Wire", "ConsensusCore"], swiftSettings: strict),
        // The validator's storage and inbox, in process.
        .testTarget(
            name: "ConsensusdTests",
            dependencies: ["ConsensusDaemon", "Wire", "ConsensusCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        // Multi-process tests: real consensusd, byzantine-validator and ingestor
        // processes on 127.0.0.1.
        .testTarget(name: "ClusterTests", dependencies: ["Wire", "ConsensusCore", "Kafka"], swiftSettings: strict),
        .testTarget(name: "ConsensusCoreTests", dependencies: ["ConsensusCore", "ConsensusSimulation"], swiftSettings: strict),
        .testTarget(
            name: "SystemLibraryTests",
            dependencies: ["CRdKafka", "CLibPQ", "CSodium", "COpenSSL", "CProtobufC"],
            swiftSettings: strict
        ),
    ]
)

// libFuzzer targets (scripts/fuzz.sh): declared only when CYBERMESH_FUZZ=1,
// because they are built with -sanitize=fuzzer,address and their own entry
// point, in their own scratch directory.
if Context.environment["CYBERMESH_FUZZ"] == "1" {
    package.targets.append(.target(name: "FuzzSupport", path: "Fuzz/FuzzSupport"))
    for name in ["FuzzFrameDecoder", "FuzzEnvelope", "FuzzWireBody", "FuzzSignedEvent", "FuzzStorageRecord"] {
        package.targets.append(.executableTarget(
            name: name, dependencies: ["Wire", "Events", "ConsensusCore", "FuzzSupport"], path: "Fuzz/\(name)",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
    }
}

// Micro-benchmarks (`make bench-micro`): declared only when CYBERMESH_BENCH=1,
// so that `make test` neither resolves nor builds ordo-one/benchmark.
if Context.environment["CYBERMESH_BENCH"] == "1" {
    package.dependencies.append(.package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]))
    package.targets.append(.executableTarget(
        name: "WireBenchmarks",
        dependencies: ["Wire", "Events", "ConsensusCore", .product(name: "Benchmark", package: "benchmark")],
        path: "Benchmarks/WireBenchmarks",
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]))
}
