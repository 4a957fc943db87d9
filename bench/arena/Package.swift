// swift-tools-version:6.1
// Ringside's HttpArena entry: an app on the public Ringside library, as a user writes one.
// Outside the server's build: `bench/arena/run-local` builds and serves it.
import PackageDescription

let package = Package(
    name: "RingsideArena",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Ringside", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "RingsideArena",
            dependencies: [.product(name: "Ringside", package: "Ringside")]),
    ]
)
