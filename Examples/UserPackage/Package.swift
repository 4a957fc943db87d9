// swift-tools-version:6.1
// A user's package: a service's routes in a library, tested in process with
// RingsideTesting. It depends on Ringside by path, as a checkout beside yours
// would; `make example-package` builds and tests it.
import PackageDescription

let package = Package(
    name: "Greeter",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "Ringside", path: "../.."),
    ],
    targets: [
        .target(name: "Greeter", dependencies: [.product(name: "Ringside", package: "Ringside")]),
        .testTarget(
            name: "GreeterTests",
            dependencies: ["Greeter", .product(name: "RingsideTesting", package: "Ringside")]),
    ]
)
