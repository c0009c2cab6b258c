// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "InterferenceWatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "interference-watch", targets: ["InterferenceWatch"]),
        .library(name: "Detectors", targets: ["Detectors"]),
        .library(name: "Parsers", targets: ["Parsers"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // bcrypt for the web config's basic_auth_users (only its CBcrypt-backed target is built).
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
    ],
    targets: [
        // Pure: samples, derived models, detectors. No file or network I/O, no dependencies.
        .target(name: "Detectors"),
        // Parsers of outside input (procfs and cgroup files, QMP, virsh, QEMU command lines, the Prometheus text
        // format, Server-Timing, pushed JSON): pure functions from bytes to samples, no I/O, so fuzzers link them.
        .target(name: "Parsers", dependencies: ["Detectors"]),
        // libproc2 (procps 4, Debian's libproc2-dev): process enumeration only.
        .systemLibrary(name: "CProc2", pkgConfig: "libproc2", providers: [.apt(["libproc2-dev"])]),
        // stat(2) and clock_gettime(2) behind plain functions (see its header for why).
        .target(name: "CFileShims"),
        // zstd (Debian's libzstd-dev): the history store's frame compression.
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // zlib (Debian's zlib1g-dev): gzip for /metrics, as Prometheus asks for it.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .executableTarget(
            name: "InterferenceWatch",
            dependencies: [
                "Detectors",
                "Parsers",
                "CProc2",
                "CZstd",
                "CZlib",
                "CFileShims",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Helpers shared by the test targets (a seeded generator); not shipped.
        .target(name: "TestKit", dependencies: ["Detectors"], path: "Tests/TestKit"),
        .testTarget(name: "DetectorsTests", dependencies: ["Detectors", "TestKit"], exclude: ["Fixtures"]),
        .testTarget(
            name: "InterferenceWatchTests",
            dependencies: [
                "InterferenceWatch",
                "Detectors",
                "Parsers",
                "TestKit",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["Fixtures", "Golden", "Support/browser-check.py", "Support/timerfd-passthrough.c", "Support/deny-userfaultfd.c"]
        ),
    ]
)

for target in package.targets where target.type != .system && target.name != "CFileShims" {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
