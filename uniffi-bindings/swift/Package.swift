// swift-tools-version:6.0
// The Swift package of pelabel, in Swift 6 language mode:
//   - Pelabel: the UniFFI-generated Swift (Sources/Pelabel/pelabel_ffi.swift, refreshed by
//     ../generate.sh) over the C module `pelabel_ffiFFI`;
//   - PelabelKit: the app logic that needs no AVFoundation or UIKit (label-pack store and update
//     flow, camera-plane wrapping, orientation mapping, status and label texts), tested on Linux;
//   - on Apple platforms `pelabel_ffiFFI` comes from PelabelFFI.xcframework (the static library
//     with its header and module map, built by build-xcframework.sh on a Mac; not committed);
//   - on Linux it is Sources/pelabel_ffiFFI, a system-library module over the generated header
//     that links libpelabel_ffi.so built by cargo. test-linux.sh builds the library, generates the
//     bindings, and runs `swift test` with the library's directory on the linker's paths.
import PackageDescription

// Swift 6 language mode for every target (swiftLanguageModes below); no extra settings.
let swift6: [SwiftSetting] = []

#if os(Linux)
let ffi: [Target] = [
    .systemLibrary(name: "pelabel_ffiFFI", path: "Sources/pelabel_ffiFFI"),
]
let ffiDependency: Target.Dependency = "pelabel_ffiFFI"
#else
let ffi: [Target] = [
    .binaryTarget(name: "PelabelFFI", path: "PelabelFFI.xcframework"),
]
let ffiDependency: Target.Dependency = "PelabelFFI"
#endif

let package = Package(
    name: "Pelabel",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "Pelabel", targets: ["Pelabel"]),
        .library(name: "PelabelKit", targets: ["PelabelKit"]),
    ],
    targets: ffi + [
        .target(
            name: "Pelabel",
            dependencies: [ffiDependency],
            path: "Sources/Pelabel",
            swiftSettings: swift6
        ),
        .target(
            name: "PelabelKit",
            dependencies: ["Pelabel"],
            path: "Sources/PelabelKit",
            swiftSettings: swift6
        ),
        .testTarget(
            name: "PelabelTests",
            dependencies: ["Pelabel"],
            path: "Tests/PelabelTests",
            swiftSettings: swift6
        ),
        .testTarget(
            name: "PelabelKitTests",
            dependencies: ["PelabelKit", "Pelabel"],
            path: "Tests/PelabelKitTests",
            swiftSettings: swift6
        ),
    ],
    swiftLanguageModes: [.v6]
)
