// swift-tools-version:6.0
import PackageDescription

// The libFuzzer targets, a package of their own that uses Likeness by path. Build and run them
// with scripts/fuzz/run.sh (the sanitizer flags and `-enable-testing`, for `@testable import` of
// the parsers, which are internal, are given there).
//
// Why a package of their own rather than executable targets in ../Package.swift: there, every
// `swift build --build-tests` would build and link them too, without the fuzzer, and a fuzz
// target has no `main` of its own (libFuzzer's is linked in): the normal build would fail or
// grow. Here the root package never sees them; its only change is three library products, with
// which it plans the very same 2,339 build commands as without. The price is a second build of
// the dependencies, sanitized: ~17 CPU-minutes from nothing into .build/fuzz, seconds after that.
let package = Package(
    name: "LikenessFuzz",
    dependencies: [.package(name: "Likeness", path: "..")],
    targets: [
        // Image bytes through libvips's decode (the CVips shim) and the YuNet and HOG detectors.
        .executableTarget(name: "FuzzImage", dependencies: [.product(name: "LikenessEngine", package: "Likeness")]),
        // multipart/form-data and URL-encoded request bodies.
        .executableTarget(name: "FuzzForm", dependencies: [.product(name: "LikenessServer", package: "Likeness"),
                                                       .product(name: "LikenessIngest", package: "Likeness")]),
        // The JSON request bodies of the API.
        .executableTarget(name: "FuzzJSONBodies", dependencies: [.product(name: "LikenessServer", package: "Likeness")]),
        // CSV and JSONL manifests.
        .executableTarget(name: "FuzzManifest", dependencies: [.product(name: "LikenessIngest", package: "Likeness")]),
        // Uploaded .zip and .tar archives, unpacked through libarchive.
        .executableTarget(name: "FuzzArchive", dependencies: [.product(name: "LikenessIngest", package: "Likeness")]),
    ]
)
