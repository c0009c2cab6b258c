// swift-tools-version:6.2
import PackageDescription

// libFuzzer harnesses for the parsers of outside input. A package of its own so the main build is untouched; build
// and run it with scripts/fuzz.sh (`swift build -Xswiftc -sanitize=fuzzer,address`).
//
// Sources/Parsers and Sources/Detectors are symlinks to the main package's targets, and ConfigFuzzer/Config holds
// symlinks to the config-decoding files of the executable (an executable target cannot be linked by a fuzzer): the
// harnesses compile exactly the code the daemon runs, with no second copy to drift.
let harnesses = [
    "Meminfo", "VMStat", "MemoryStat", "MemoryEvents", "PSI", "CgroupValue", "WorkloadClassifier", "QMPMessage",
    "Virsh", "QEMUCommandLine", "ScrapedHistogram", "ServerTiming", "PushBatch",
]

let package = Package(
    name: "InterferenceWatchFuzz",
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .target(name: "Detectors"),
        .target(name: "Parsers", dependencies: ["Detectors"]),
        .target(name: "FuzzSupport"),
        .executableTarget(
            name: "ConfigFuzzer",
            dependencies: ["Detectors", "Parsers", "FuzzSupport", .product(name: "Yams", package: "Yams")]
        ),
    ] + harnesses.map { .executableTarget(name: "\($0)Fuzzer", dependencies: ["Detectors", "Parsers", "FuzzSupport"]) }
)

// The main package's language settings, so the symlinked sources compile the same way.
for target in package.targets {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
