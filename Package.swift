// swift-tools-version:6.1
import PackageDescription

// Strict settings for every Swift target: Swift 6 mode is the package default.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Ringside",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Ringside", targets: ["Ringside"]),
        // Tests a router in process (or against a live server) through a client: `router.test { client in ... }`.
        .library(name: "RingsideTesting", targets: ["RingsideTesting"]),
        .executable(name: "ringside", targets: ["RingsideCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        // No FoundationURL trait: the server does not need Foundation's URL.
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0", traits: []),
        // Users' own metrics (swift-metrics), exposed with the built-in ones by swift-prometheus's registry.
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        // Heap and Deque for the workers' exact timers.
        .package(url: "https://github.com/apple/swift-collections", exact: "1.6.0"),
    ],
    targets: [
        // C shim over the system liburing (Debian liburing-dev 2.3): io_uring alone.
        .target(
            name: "CLiburing",
            linkerSettings: [.linkedLibrary("uring")]
        ),
        // The other Linux calls and headers Swift's Glibc module leaves out: epoll, eventfd, accept4, affinity.
        .target(name: "CLinuxShim"),
        // C shim over the system libsodium (Debian libsodium-dev): argon2id and SHA-256.
        .target(
            name: "CSodium",
            linkerSettings: [.linkedLibrary("sodium")]
        ),
        // C shim over the system OpenSSL 3 (Debian libssl-dev): what TLS needs that Swift cannot import.
        .target(
            name: "COpenSSL",
            linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]
        ),
        // The system libnghttp2 (Debian libnghttp2-dev): HTTP/2 framing, HPACK, streams.
        .systemLibrary(name: "CNGHTTP2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        // Swift face of one ring: setup, SQE prep, CQE batches, buffer rings.
        .target(name: "IOUring", dependencies: ["CLiburing"], swiftSettings: swiftSettings),
        // HTTP/1.1 request parser and response encoding. Pure: no I/O.
        .target(name: "HTTP1", swiftSettings: swiftSettings),
        // The server library: engines, workers, connections, router, timers.
        .target(
            name: "Ringside",
            dependencies: [
                "IOUring", "HTTP1", "CLinuxShim", "COpenSSL", "CNGHTTP2",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        // The test client: `router.test(.inProcess) { client in ... }` (Sources/RingsideTesting).
        .target(
            name: "RingsideTesting",
            dependencies: [
                "Ringside", "HTTP1",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The routes `ringside serve` answers, one file per workload, written
        // against Ringside's public API only (worked examples).
        .target(
            name: "Workloads",
            dependencies: ["Ringside", "CSodium"],
            resources: [.embedInCode("Resources/avatar.json")],
            swiftSettings: swiftSettings
        ),
        // The `ringside` command (module RingsideCLI, so it cannot clash with Ringside).
        .executableTarget(
            name: "RingsideCLI",
            dependencies: [
                "Ringside", "HTTP1", "Workloads",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Sources/ringside",
            swiftSettings: swiftSettings
        ),
        // The service the README shows: static, sync, async and offloaded routes.
        .executableTarget(
            name: "HelloRingside",
            dependencies: ["Ringside"],
            path: "Examples/HelloRingside",
            swiftSettings: swiftSettings
        ),

        // The example's routes in process, as a user tests theirs (the README's testing example).
        .testTarget(
            name: "HelloRingsideTests",
            dependencies: ["HelloRingside", "RingsideTesting"],
            swiftSettings: swiftSettings),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1"], swiftSettings: swiftSettings),
        // Internals of the library that no socket test can pin down (timer wheel).
        .testTarget(
            name: "RingsideUnitTests",
            dependencies: [
                "Ringside",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings),
        // The workloads' logic without sockets: lockout table, users file, /data's work.
        .testTarget(name: "WorkloadsTests", dependencies: ["Workloads"], swiftSettings: swiftSettings),
        // Counts malloc calls made on threads that opt in; linked only into the probe.
        .target(name: "CAllocationCounter", path: "Tests/CAllocationCounter"),
        // Runs a worker in-process and counts its allocations over 10,000 requests.
        .executableTarget(
            name: "AllocationProbe",
            dependencies: ["Ringside", "CAllocationCounter", "COpenSSL"],
            path: "Tests/AllocationProbe",
            swiftSettings: swiftSettings
        ),
        // The routes the handler API tests serve (every kind of route), in process or through APIServer.
        .target(
            name: "APIRoutes",
            dependencies: ["Ringside", .product(name: "CoreMetrics", package: "swift-metrics")],
            path: "Tests/APIRoutes", swiftSettings: swiftSettings),
        // The server the live handler API tests run.
        .executableTarget(
            name: "APIServer",
            dependencies: ["APIRoutes", "Ringside", .product(name: "CoreMetrics", package: "swift-metrics")],
            path: "Tests/APIServer", swiftSettings: swiftSettings),
        // A library server run by a ServiceGroup, as a service runs it (signals from its first moment).
        .executableTarget(
            name: "LifecycleServer",
            dependencies: [
                "Ringside",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/LifecycleServer", swiftSettings: swiftSettings),
        // Runs a command with io_uring_setup blocked by seccomp, as in a container.
        .executableTarget(name: "NoIOUring", path: "Tests/NoIOUring"),
        .testTarget(
            name: "RingsideTests",
            dependencies: ["RingsideCLI", "NoIOUring", "HelloRingside", "APIServer", "LifecycleServer", "Ringside", "RingsideTesting", "APIRoutes"],
            swiftSettings: swiftSettings
        ),
    ]
)
