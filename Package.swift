// swift-tools-version:6.0
import PackageDescription

// The C++ shim compiles dlib's network templates; at -O0 they run ~30× slower, which makes
// even debug builds and tests unusable, so the shim is always optimised.
let optimisedNative: [CXXSetting] = [.unsafeFlags(["-O3", "-std=c++17", "-fno-math-errno"])]

let package = Package(
    name: "Likeness",
    products: [
        .executable(name: "likeness", targets: ["LikenessCLI"]),
        // For the fuzz targets, a package of their own in Fuzz/ (see Fuzz/Package.swift).
        .library(name: "LikenessEngine", targets: ["LikenessEngine"]),
        .library(name: "LikenessIngest", targets: ["LikenessIngest"]),
        .library(name: "LikenessServer", targets: ["LikenessServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // The Milvus client: gRPC code generated from Milvus's own protocol definitions.
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        // The scale-out store.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Start and graceful shutdown of the server's parts, in order.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
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
        // YuNet and SFace (ONNX) through OpenCV's dnn module. Only the dnn and imgproc modules are
        // needed: Debian's libopencv-dev would pull in 141 packages (Qt, GDAL, GStreamer) for
        // them, libopencv-dnn-dev and libopencv-imgproc-dev in 5. Their headers ship no
        // pkg-config file, hence the explicit include path.
        .target(name: "COpenCVFace", path: "Sources/Shims/COpenCVFace",
                cxxSettings: optimisedNative + [.unsafeFlags(["-I/usr/include/opencv4"])],
                linkerSettings: [.linkedLibrary("opencv_dnn"), .linkedLibrary("opencv_imgproc"),
                                 .linkedLibrary("opencv_core"), .linkedLibrary("m")]),
        .systemLibrary(name: "CArchive", path: "Sources/Shims/CArchive", pkgConfig: "libarchive",
                       providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/Shims/CBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        // glibc's malloc tuning (mallopt), which Swift's Glibc module leaves out.
        .systemLibrary(name: "CMalloc", path: "Sources/Shims/CMalloc"),

        // The data path: photo → faces → templates → index → matches. Each replaceable part is a
        // protocol module (LikenessStore, LikenessIndex) with its backends in modules of their
        // own; only the composition roots (LikenessCLI and TestSupport) link the backends.
        .target(name: "LikenessCore"),
        .target(name: "LikenessEngine",
                dependencies: ["LikenessCore", "CVips", "CDlib", "COpenCVFace",
                               .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "LikenessStore",
                dependencies: ["LikenessCore", .product(name: "Crypto", package: "swift-crypto")]),
        // The embedded store.
        .target(name: "LikenessStoreSQLite",
                dependencies: ["LikenessCore", "LikenessStore", .product(name: "GRDB", package: "GRDB.swift")]),
        // The scale-out store, and the move of an embedded store into it.
        .target(name: "LikenessStorePostgres",
                dependencies: ["LikenessCore", "LikenessStore", .product(name: "PostgresNIO", package: "postgres-nio"),
                               .product(name: "GRDB", package: "GRDB.swift"), .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .target(name: "CVectorKernels", path: "Sources/Shims/CVectorKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // The vector index protocol and the embedded, in-process index.
        .target(name: "LikenessIndex", dependencies: ["LikenessCore", "CBLAS", "CVectorKernels"]),
        // The scale-out index: a Milvus client, gRPC code generated from Milvus's own protocol definitions.
        .target(name: "LikenessMilvus",
                dependencies: ["LikenessCore", "LikenessIndex",
                               .product(name: "GRPCCore", package: "grpc-swift-2"),
                               .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                               .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                               .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
        .target(name: "LikenessGallery",
                dependencies: ["LikenessCore", "LikenessStore", "LikenessIndex", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "LikenessIngest",
                dependencies: ["LikenessCore", "LikenessEngine", "LikenessStore", "LikenessGallery",
                               "CArchive",
                               .product(name: "AsyncHTTPClient", package: "async-http-client")]),
        .target(name: "LikenessSearch",
                dependencies: ["LikenessCore", "LikenessEngine", "LikenessStore", "LikenessIndex", "LikenessGallery"]),
        // Accountability: who may search, for which case and purpose, and the audit of what they did.
        .target(name: "LikenessGovernance",
                dependencies: ["LikenessCore", "LikenessStore", "LikenessSearch", "LikenessEngine", "LikenessGallery",
                               .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                               .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "LikenessServer",
                dependencies: ["LikenessCore", "LikenessEngine", "LikenessStore", "LikenessGallery", "LikenessIngest",
                               "LikenessSearch", "LikenessGovernance",
                               .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "HummingbirdTLS", package: "hummingbird"),
                               .product(name: "HTTPTypes", package: "swift-http-types"),
                               .product(name: "Mustache", package: "swift-mustache"),
                               .product(name: "Prometheus", package: "swift-prometheus"),
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                resources: [.copy("Resources")]),
        // The composition root: the one place that chooses the backends.
        .executableTarget(name: "LikenessCLI",
                          dependencies: ["LikenessCore", "LikenessEngine", "LikenessStore", "LikenessStoreSQLite",
                                         "LikenessStorePostgres", "LikenessIndex", "LikenessMilvus",
                                         "LikenessGallery", "LikenessIngest", "LikenessSearch", "LikenessEvaluation", "LikenessBench",
                                         "LikenessGovernance", "LikenessServer", "CBLAS", "CMalloc",
                                         .product(name: "AsyncHTTPClient", package: "async-http-client"),
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                                         .product(name: "HummingbirdTLS", package: "hummingbird")]),

        .target(name: "LikenessEvaluation", dependencies: ["LikenessCore"]),
        .target(name: "LikenessBench", dependencies: ["LikenessCore", "LikenessIndex", "CMalloc"]),

        .target(name: "TestSupport",
                dependencies: ["LikenessCore", "LikenessEngine", "LikenessStore", "LikenessStoreSQLite", "LikenessStorePostgres",
                               "LikenessIndex", "LikenessGallery", "LikenessIngest",
                               .product(name: "GRDB", package: "GRDB.swift"),
                               .product(name: "PostgresNIO", package: "postgres-nio")],
                path: "Tests/Support"),
        .testTarget(name: "EngineTests", dependencies: ["LikenessEngine", "TestSupport"], path: "Tests/Engine"),
        .testTarget(name: "IndexTests", dependencies: ["LikenessIndex", "LikenessMilvus", "LikenessCore", "TestSupport"],
                    path: "Tests/Index"),
        .testTarget(name: "EvaluationTests", dependencies: ["LikenessEvaluation", "LikenessCore"],
                    path: "Tests/Evaluation"),
        .testTarget(name: "StoreTests", dependencies: ["LikenessStore", "LikenessStoreSQLite", "LikenessStorePostgres", "TestSupport"], path: "Tests/Store"),
        .testTarget(name: "GalleryTests", dependencies: ["LikenessGallery", "LikenessStore", "LikenessStoreSQLite", "LikenessIndex", "TestSupport"],
                    path: "Tests/Gallery"),
        .testTarget(name: "IngestTests",
                    dependencies: ["LikenessIngest", "LikenessGallery", "LikenessStore", "LikenessSearch", "LikenessEngine", "TestSupport"],
                    path: "Tests/Ingest"),
        .testTarget(name: "SearchTests",
                    dependencies: ["LikenessSearch", "LikenessEngine", "TestSupport"], path: "Tests/Search"),
        .testTarget(name: "GovernanceTests",
                    dependencies: ["LikenessGovernance", "LikenessStore", "LikenessStoreSQLite", "LikenessSearch", "LikenessEngine",
                                   "LikenessGallery", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")], path: "Tests/Governance"),
        .testTarget(name: "ServerTests",
                    dependencies: ["LikenessServer", "LikenessGovernance", "LikenessSearch", "LikenessStore", "TestSupport",
                                   .product(name: "HummingbirdTesting", package: "hummingbird"),
                                   .product(name: "HTTPTypes", package: "swift-http-types"),
                                   .product(name: "Crypto", package: "swift-crypto"),
                                   .product(name: "GRDB", package: "GRDB.swift"),
                                   .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                    path: "Tests/Server"),
        .testTarget(name: "CLITests",
                    dependencies: ["LikenessCore", "LikenessGallery", "LikenessStore", "LikenessStoreSQLite", "LikenessEngine", "TestSupport"],
                    path: "Tests/CLI"),
    ]
)
