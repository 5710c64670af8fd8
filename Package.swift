// swift-tools-version:6.0
import PackageDescription

// The C++ shim compiles dlib's network templates; at -O0 they run ~30× slower, which makes
// even debug builds and tests unusable, so the shim is always optimised.
let optimisedNative: [CXXSetting] = [.unsafeFlags(["-O3", "-std=c++17", "-fno-math-errno"])]

let package = Package(
    name: "Likeness",
    products: [
        .executable(name: "likeness", targets: ["LikenessCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        // Native engines behind thin C shims.
        .systemLibrary(name: "CVipsSystem", path: "Sources/Shims/CVipsSystem", pkgConfig: "vips",
                       providers: [.apt(["libvips-dev"])]),
        .target(name: "CVips", dependencies: ["CVipsSystem"], path: "Sources/Shims/CVips",
                cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "CDlib", path: "Sources/Shims/CDlib",
                cxxSettings: optimisedNative,
                linkerSettings: [.linkedLibrary("dlib"), .linkedLibrary("blas"), .linkedLibrary("lapack"), .linkedLibrary("m")]),
        .systemLibrary(name: "CArchive", path: "Sources/Shims/CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/Shims/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),

        // The data path: photo → faces → templates → index → matches.
        .target(name: "LikenessCore", path: "Sources/Core"),
        .target(name: "LikenessEngine",
                dependencies: ["LikenessCore", "CVips", "CDlib",
                               .product(name: "Crypto", package: "swift-crypto")],
                path: "Sources/Engine"),
        .target(name: "LikenessStore",
                dependencies: ["LikenessCore", .product(name: "GRDB", package: "GRDB.swift")],
                path: "Sources/Store"),
        .target(name: "CVectorKernels", path: "Sources/Shims/CVectorKernels", cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "LikenessIndex", dependencies: ["LikenessCore", "CBLAS", "CVectorKernels"], path: "Sources/Index"),
        .target(name: "LikenessGallery",
                dependencies: ["LikenessCore", "LikenessStore", "LikenessIndex"],
                path: "Sources/Gallery"),
        .target(name: "LikenessIngest",
                dependencies: ["LikenessCore", "LikenessEngine", "LikenessStore", "LikenessGallery",
                               "CArchive",
                               .product(name: "AsyncHTTPClient", package: "async-http-client")],
                path: "Sources/Ingest"),
        .target(name: "LikenessSearch",
                dependencies: ["LikenessCore", "LikenessEngine", "LikenessStore", "LikenessIndex", "LikenessGallery"],
                path: "Sources/Search"),
        .executableTarget(name: "LikenessCLI",
                          dependencies: ["LikenessCore", "LikenessEngine", "LikenessStore", "LikenessIndex",
                                         "LikenessGallery", "LikenessIngest", "LikenessSearch", "LikenessEvaluation", "LikenessBench",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          path: "Sources/CLI"),

        .target(name: "LikenessEvaluation", dependencies: ["LikenessCore"], path: "Sources/Evaluation"),
        .target(name: "LikenessBench", dependencies: ["LikenessCore", "LikenessIndex"], path: "Sources/Bench"),

        .target(name: "TestSupport",
                dependencies: ["LikenessCore", "LikenessEngine", "LikenessStore", "LikenessGallery", "LikenessIngest"],
                path: "Tests/Support"),
        .testTarget(name: "EngineTests", dependencies: ["LikenessEngine", "TestSupport"], path: "Tests/Engine"),
        .testTarget(name: "IndexTests", dependencies: ["LikenessIndex", "LikenessCore", "TestSupport"],
                    path: "Tests/Index"),
        .testTarget(name: "EvaluationTests", dependencies: ["LikenessEvaluation", "LikenessCore"],
                    path: "Tests/Evaluation"),
        .testTarget(name: "StoreTests", dependencies: ["LikenessStore", "TestSupport"], path: "Tests/Store"),
        .testTarget(name: "GalleryTests", dependencies: ["LikenessGallery", "LikenessStore", "LikenessIndex", "TestSupport"],
                    path: "Tests/Gallery"),
        .testTarget(name: "IngestTests",
                    dependencies: ["LikenessIngest", "LikenessGallery", "LikenessStore", "TestSupport"],
                    path: "Tests/Ingest"),
        .testTarget(name: "SearchTests",
                    dependencies: ["LikenessSearch", "LikenessEngine", "TestSupport"], path: "Tests/Search"),
        .testTarget(name: "CLITests",
                    dependencies: ["LikenessCore", "LikenessGallery", "LikenessStore", "LikenessEngine", "TestSupport"],
                    path: "Tests/CLI"),
    ]
)
