// swift-tools-version: 6.1
import PackageDescription

// Layers (see README "Architecture"): dependencies point downward only.
// Pure: SMSCodec, ATProtocol, Compliance. Linux I/O: SerialPort, ModemKit, Discovery, Records.
// Orchestration: Agent. Front end: smsagent.
let package = Package(
    name: "smsagent",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "smsagent", targets: ["smsagent"]),
        .library(name: "SMSCodec", targets: ["SMSCodec"]),
        .library(name: "ModemKit", targets: ["ModemKit"]),
        .library(name: "Simulator", targets: ["Simulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        // TLS for the HTTP API and for PostgreSQL.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        // The shared records backend (issue 15): PostgreSQL, TLS through swift-nio-ssl.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // C shims (system libraries found with pkg-config).
        .systemLibrary(name: "CUdev", pkgConfig: "libudev", providers: [.apt(["libudev-dev"])]),
        .systemLibrary(name: "CUmockdev", pkgConfig: "umockdev-1.0", providers: [.apt(["libumockdev-dev"])]),
        // libphonenumber (C++, Debian libphonenumber-dev) behind a C interface: number types, formats, geocoder.
        .target(name: "CPhoneNumber", linkerSettings: [
            .linkedLibrary("phonenumber"), .linkedLibrary("geocoding"), .linkedLibrary("icuuc"),
        ]),

        // Pure layers: no I/O, no clock of their own.
        .target(name: "SMSCodec"),
        .target(name: "ATProtocol"),
        .target(name: "Compliance", dependencies: ["SMSCodec"]),

        // Adapter: Compliance's PhoneNumberLibrary implemented with libphonenumber.
        .target(name: "PhoneNumbers", dependencies: ["CPhoneNumber", "Compliance"]),

        // Linux I/O.
        .target(name: "SerialPort"),
        .target(name: "ModemKit", dependencies: [
            "ATProtocol", "SMSCodec", "SerialPort",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Discovery", dependencies: [
            "CUdev", "ModemKit", "SerialPort", "ATProtocol",
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Records", dependencies: [
            "Compliance", "SMSCodec",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Records on PostgreSQL (issue 15): the same protocols, shared by several agents.
        .target(name: "RecordsPostgres", dependencies: [
            "Records", "Compliance",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .target(name: "Simulator", dependencies: [
            "SMSCodec", "ATProtocol", "ModemKit",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Orchestration and front end.
        .target(name: "Agent", dependencies: [
            "SMSCodec", "ATProtocol", "SerialPort", "ModemKit", "Discovery", "Compliance", "Records", "Simulator",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Yams", package: "Yams"),
        ]),
        // Wiring of the PostgreSQL records into the agent (`records:` section, migrations, export/import).
        .target(name: "AgentPostgres", dependencies: [
            "Agent", "Records", "RecordsPostgres", "Compliance",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // HTTP API and web dashboard: a thin front end over the same Agent/Records operations as the CLI.
        .target(name: "HTTPAPI", dependencies: [
            "Agent", "Compliance", "Records", "SMSCodec",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], resources: [.copy("Resources")]),
        .executableTarget(name: "smsagent", dependencies: [
            "Agent", "HTTPAPI", "SMSCodec", "ATProtocol", "SerialPort", "ModemKit", "Discovery", "Compliance", "Records", "Simulator",
            "PhoneNumbers", "AgentPostgres", "RecordsPostgres",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Benchmarks (not tests): `swift run -c release smsagent-bench`.
        .executableTarget(name: "smsagent-bench", dependencies: [
            "SMSCodec", "ATProtocol", "ModemKit", "SerialPort", "Simulator", "Records", "Compliance", "Agent", "TestSupport",
            "RecordsPostgres", .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // Fuzz targets (not tests): `Fuzz/run.sh TARGET SECONDS` builds it with -sanitize=fuzzer.
        .executableTarget(name: "smsagent-fuzz", dependencies: ["Agent", "ATProtocol", "Records", "SMSCodec"]),

        // Test support: owns a umockdev testbed; the Discovery tests run it under umockdev-wrapper.
        .executableTarget(name: "smsagent-testbed", dependencies: [
            "CUmockdev", "Discovery", "Simulator", "ModemKit", "TestSupport", .product(name: "Logging", package: "swift-log"),
        ]),

        // Shared by the test targets (child processes, seeded randomness) and the benchmarks.
        .target(name: "TestSupport", dependencies: ["Discovery"], path: "Tests/TestSupport"),

        .testTarget(name: "SMSCodecTests", dependencies: ["SMSCodec", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ATProtocolTests", dependencies: ["ATProtocol", "TestSupport"]),
        .testTarget(name: "ModemKitTests", dependencies: ["ModemKit", "SerialPort", "Simulator", "SMSCodec", "ATProtocol", "TestSupport"]),
        .testTarget(name: "SimulatorTests", dependencies: ["Simulator", "SMSCodec", "ModemKit", "TestSupport"]),
        .testTarget(name: "DiscoveryTests", dependencies: ["Discovery", "TestSupport"]),
        .testTarget(name: "ComplianceTests", dependencies: ["Compliance", "PhoneNumbers", "TestSupport"]),
        .testTarget(name: "RecordsTests", dependencies: ["Records", "RecordsPostgres", "TestSupport"]),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "AgentPostgres", "RecordsPostgres", "TestSupport"]),
        .testTarget(name: "HTTPAPITests", dependencies: [
            "HTTPAPI", "Agent", "Records", "Compliance", "TestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Yams", package: "Yams"),
        ]),
        .testTarget(name: "EndToEndTests", dependencies: ["SMSCodec", "Compliance", "Records", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
