// swift-tools-version:5.9
// The Swift package of pelabel: the UniFFI-generated Swift (Sources/Pelabel/pelabel_ffi.swift,
// refreshed by ../generate.sh) over PelabelFFI.xcframework, the static library with its C
// header and module map for iOS devices, the iOS simulator and macOS (built by
// build-xcframework.sh on a Mac; not committed).
import PackageDescription

let package = Package(
    name: "Pelabel",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "Pelabel", targets: ["Pelabel"]),
    ],
    targets: [
        .binaryTarget(name: "PelabelFFI", path: "PelabelFFI.xcframework"),
        .target(
            name: "Pelabel",
            dependencies: ["PelabelFFI"],
            path: "Sources/Pelabel"
        ),
        .testTarget(
            name: "PelabelTests",
            dependencies: ["Pelabel"],
            path: "Tests/PelabelTests"
        ),
    ]
)
