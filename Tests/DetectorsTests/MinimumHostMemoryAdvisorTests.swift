import Detectors
import TestKit
import Testing

struct MinimumHostMemoryAdvisorTests {
    static let gib: UInt64 = 1 << 30
    static let mib: UInt64 = 1 << 20

    /// The study's small host: 8 GiB, four 1 GiB VMs ballooned down, swap in use.
    static func smallHost() -> (HostSample, [VMSample]) {
        let host = HostSample(meminfoBytes: [
            "MemTotal": 8 * gib, "MemAvailable": 512 * mib,
            "SwapTotal": 2 * gib, "SwapFree": 1 * gib, "SwapCached": 200 * mib,
        ])
        var vms = (1...4).map {
            VMSample(name: "vm\($0)", source: .qmp, up: true, configuredBytes: gib, balloonActualBytes: 768 * mib)
        }
        // libvirt reporting vm1 again counts once; a VM that is down shows no balloon.
        vms.append(VMSample(name: "vm1", source: .libvirt, up: true, configuredBytes: gib, balloonActualBytes: 768 * mib))
        vms.append(VMSample(name: "vm5", source: .qmp, up: false, configuredBytes: gib, balloonActualBytes: 0))
        return (host, vms)
    }

    @Test func demandAddsUsedSwappedAndBallooned() throws {
        let (host, vms) = Self.smallHost()
        let demand = try #require(HostMemoryDemand(host: host, vms: vms))
        #expect(demand.totalBytes == 8 * Self.gib)
        #expect(demand.usedBytes == 8 * Self.gib - 512 * Self.mib)
        #expect(demand.swappedBytes == Self.gib - 200 * Self.mib)
        #expect(demand.balloonedBytes == 4 * 256 * Self.mib)
        #expect(demand.demandBytes == demand.usedBytes + demand.swappedBytes + demand.balloonedBytes)
    }

    @Test func noMemAvailableNoDemand() {
        #expect(HostMemoryDemand(host: HostSample(meminfoBytes: ["MemTotal": Self.gib]), vms: []) == nil)
    }

    @Test func smallHostIsShortOfMemory() throws {
        let (host, vms) = Self.smallHost()
        var advisor = MinimumHostMemoryAdvisor()
        advisor.record(try #require(HostMemoryDemand(host: host, vms: vms)), atSeconds: 1000)
        let advice = try #require(advisor.recommendation())
        // 7.5 + 0.8046875 + 1 GiB = 9.3046875 GiB; with 10 % headroom 10.23 GiB; rounded up to 11 GiB.
        #expect(advice.minimumBytes == 11 * Self.gib)
        #expect(advice.shortfallBytes == 3 * Self.gib)
        #expect(advice.peakAtSeconds == 1000)
    }

    @Test func calmHostHasNoShortfall() throws {
        var advisor = MinimumHostMemoryAdvisor()
        let calm = HostMemoryDemand(totalBytes: 32 * Self.gib, usedBytes: 6 * Self.gib, swappedBytes: 0, balloonedBytes: 0)
        advisor.record(calm, atSeconds: 0)
        let advice = try #require(advisor.recommendation())
        #expect(advice.minimumBytes == 7 * Self.gib)  // 6.6 GiB rounded up
        #expect(advice.shortfallBytes == 0)
    }

    @Test func peakLeavesTheWindowAndBucketsStayBounded() throws {
        let settings = MinimumHostMemoryAdvisor.Settings(windowSeconds: 3600, headroomFraction: 0, bucketSeconds: 60)
        var advisor = MinimumHostMemoryAdvisor(settings: settings)
        func demand(_ gib: UInt64) -> HostMemoryDemand {
            HostMemoryDemand(totalBytes: 16 * Self.gib, usedBytes: gib * Self.gib, swappedBytes: 0, balloonedBytes: 0)
        }
        advisor.record(demand(12), atSeconds: 100)
        for t in stride(from: 110.0, through: 100 + 3 * 3600, by: 10) {
            advisor.record(demand(4), atSeconds: t)
            if t < 100 + 3600 - 60 { #expect(advisor.recommendation()?.peak.usedBytes == 12 * Self.gib) }
        }
        let advice = try #require(advisor.recommendation())
        #expect(advice.minimumBytes == 4 * Self.gib)
        #expect(advisor.bucketCount <= 61)
        #expect(advice.observedSeconds <= 3600 + 60)
    }

    @Test func clockSteppingBackIsIgnored() throws {
        var advisor = MinimumHostMemoryAdvisor()
        let small = HostMemoryDemand(totalBytes: 8 * Self.gib, usedBytes: Self.gib, swappedBytes: 0, balloonedBytes: 0)
        let large = HostMemoryDemand(totalBytes: 8 * Self.gib, usedBytes: 7 * Self.gib, swappedBytes: 0, balloonedBytes: 0)
        advisor.record(small, atSeconds: 10_000)
        advisor.record(large, atSeconds: 5_000)
        #expect(advisor.recommendation()?.peak == small)
    }

    /// Over random traces: the recommendation is a whole number of GiB, covers the peak with its headroom, never
    /// drops while the peak stays in the window, and a larger sample never lowers it.
    @Test(arguments: [1, 2, 3, 4, 5] as [UInt64])
    func recommendationProperties(seed: UInt64) throws {
        var random = TestRandom(seed: seed)
        var advisor = MinimumHostMemoryAdvisor(settings: .init(windowSeconds: 86_400, headroomFraction: 0.1))
        var peak: UInt64 = 0
        var previous: UInt64 = 0
        for step in 0..<2000 {
            let used = UInt64(random.uniform(0...30) * Double(Self.gib))
            let swapped = UInt64(random.uniform(0...4) * Double(Self.gib))
            let demand = HostMemoryDemand(totalBytes: 32 * Self.gib, usedBytes: used, swappedBytes: swapped,
                                          balloonedBytes: 0)
            advisor.record(demand, atSeconds: Double(step) * 15)  // 8.3 hours: the peak never leaves the day
            peak = max(peak, demand.demandBytes)
            let advice = try #require(advisor.recommendation())
            #expect(advice.minimumBytes % Self.gib == 0, "seed \(seed)")
            #expect(Double(advice.minimumBytes) >= Double(peak) * 1.1, "seed \(seed)")
            #expect(Double(advice.minimumBytes) < Double(peak) * 1.1 + Double(Self.gib), "seed \(seed)")
            #expect(advice.minimumBytes >= previous, "seed \(seed) step \(step)")
            #expect(advice.peak.demandBytes == peak, "seed \(seed)")
            previous = advice.minimumBytes
        }
    }
}
