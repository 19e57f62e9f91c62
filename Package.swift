// swift-tools-version:6.0
import PackageDescription

/// Avrop: public procurement under framework agreements. See ../shared/DESIGN.md §5 for the target map.
/// Dependencies point down: avrop → AvropApp → Postgres → CLibPQ. Only `Postgres` imports `CLibPQ`.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "avrop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "avrop", targets: ["avrop"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(
            name: "Postgres",
            dependencies: [
                "CLibPQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The hash-chained audit log (R23) and its verifier.
        .target(
            name: "Audit",
            dependencies: ["Postgres", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings
        ),
        // Telling people and systems: the outbox and its worker, in-app notifications, e-mail (SMTP), signed webhooks.
        .target(
            name: "Notifications",
            dependencies: [
                "Postgres", "Audit",
                .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            exclude: ["Embedded"],
            swiftSettings: swiftSettings,
            plugins: ["EmbedFiles"]
        ),
        // Organisations, users, memberships, passwords.
        .target(
            name: "Identity",
            dependencies: [
                "AvropCore",
                "Postgres",
                "Audit",
                "Notifications",
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The shared kernel (DESIGN §5): value types every context uses, such as calendar days, Swedish
        // working days, and uploaded files' types and names.
        .target(
            name: "AvropCore",
            swiftSettings: swiftSettings
        ),
        // Framework agreements, lots, suppliers, requirements, the catalogue of solutions and its evidence.
        .target(
            name: "FrameworkAgreements",
            dependencies: ["AvropCore", "Postgres", "Audit", "Notifications", "Identity"],
            swiftSettings: swiftSettings
        ),
        // The in-memory Swedish search index over the public catalogue of verified solutions, and the
        // catalogue's service that answers from it (DESIGN §5: CatalogueSearch → FrameworkAgreements).
        .target(
            name: "CatalogueSearch",
            dependencies: ["AvropCore", "FrameworkAgreements", "Identity", "Postgres"],
            swiftSettings: swiftSettings
        ),
        // Call-offs under a lot: method, invitations, deadlines, award criteria, standstill (DESIGN §2, R2–R8, R18).
        .target(
            name: "CallOffs",
            dependencies: ["AvropCore", "FrameworkAgreements", "Identity", "Audit", "Notifications", "Postgres"],
            swiftSettings: swiftSettings
        ),
        // What the JSON API and the pages share: every service they call, built once (`Services`), and the
        // reading of HTTP's form-encoded queries.
        .target(
            name: "AvropHTTP",
            dependencies: ["AvropCore", "Identity", "Audit", "FrameworkAgreements", "CatalogueSearch", "CallOffs", "Postgres"],
            swiftSettings: swiftSettings
        ),
        // The JSON API: openapi.yaml is the source; swift-openapi-generator writes the types and the server
        // protocol that the handlers implement.
        .target(
            name: "AvropAPI",
            dependencies: [
                "AvropHTTP",
                "Identity",
                "AvropCore",
                "FrameworkAgreements",
                "CatalogueSearch",
                "CallOffs",
                "Audit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // Embedded, so the served document is the one the binary was built from, wherever it runs.
            resources: [.embedInCode("openapi.yaml")],
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        // The pages: server-rendered with swift-mustache, texts from the Swedish and English catalogues.
        .target(
            name: "Web",
            dependencies: [
                "AvropHTTP",
                "Identity",
                "AvropCore",
                "FrameworkAgreements",
                "CatalogueSearch",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            exclude: ["Embedded"],
            swiftSettings: swiftSettings,
            plugins: ["EmbedFiles"]
        ),
        .plugin(
            name: "EmbedFiles",
            capability: .buildTool()
        ),
        .plugin(
            name: "EmbedMigrations",
            capability: .buildTool()
        ),
        .target(
            name: "AvropApp",
            dependencies: [
                "Postgres",
                "AvropCore",
                "AvropHTTP",
                "FrameworkAgreements",
                "CallOffs",
                "Audit",
                "Notifications",
                "Identity",
                "AvropAPI",
                "Web",
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["EmbedMigrations"]
        ),
        .executableTarget(
            name: "avrop",
            dependencies: [
                "AvropApp",
                "Audit",
                "Identity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test support: one private PostgreSQL per test process, a fresh database per test.
        .target(
            name: "PostgresTesting",
            dependencies: ["Postgres"],
            swiftSettings: swiftSettings
        ),
        // What the HTTP benchmarks share: wrk with our Lua scripts, and how figures are printed.
        .target(
            name: "BenchSupport",
            path: "bench/BenchSupport",
            swiftSettings: swiftSettings
        ),
        // `bench/run postgres`: our Postgres module against pgbench on the same statements.
        .executableTarget(
            name: "PostgresBenchmark",
            dependencies: ["Postgres"],
            path: "bench/PostgresBenchmark",
            swiftSettings: swiftSettings
        ),
        // `bench/run audit`: audit append throughput and the login password check.
        .executableTarget(
            name: "AuditBenchmark",
            dependencies: ["Postgres", "Audit", "Identity", "AvropApp"],
            path: "bench/AuditBenchmark",
            swiftSettings: swiftSettings
        ),
        // `bench/run catalogue`: catalogue search over HTTP at 8 concurrent clients on 100,000 solutions.
        .executableTarget(
            name: "CatalogueBenchmark",
            dependencies: ["Postgres", "AvropApp", "FrameworkAgreements", "CatalogueSearch", "BenchSupport", .product(name: "Logging", package: "swift-log")],
            path: "bench/CatalogueBenchmark",
            swiftSettings: swiftSettings
        ),
        // `bench/run api`: one call-off read by its buyer over HTTP at 1 and 8 concurrent clients.
        .executableTarget(
            name: "ApiBenchmark",
            dependencies: ["Postgres", "AvropApp", "Identity", "BenchSupport", .product(name: "Logging", package: "swift-log")],
            path: "bench/ApiBenchmark",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AvropCoreTests",
            dependencies: ["AvropCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CallOffTests",
            dependencies: ["CallOffs", "AvropCore", "FrameworkAgreements", "Identity", "Audit", "AvropApp", "Postgres", "PostgresTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PostgresTests",
            dependencies: ["Postgres", "PostgresTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IdentityTests",
            dependencies: ["Identity", "Audit", "AvropApp", "Postgres", "PostgresTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FrameworkAgreementTests",
            dependencies: ["AvropCore", "FrameworkAgreements", "CatalogueSearch", "Identity", "Audit", "AvropApp", "Postgres", "PostgresTesting"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AvropAppTests",
            dependencies: [
                "AvropApp",
                "AvropAPI",
                "AvropHTTP",
                "AvropCore",
                "Notifications",
                "FrameworkAgreements",
                "CatalogueSearch",
                "Audit",
                "Identity",
                "Web",
                "Postgres",
                "PostgresTesting",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
