/// The signals attribution ranks, with their stable identifiers (``Cause/signal``).
///
/// Identifiers are part of the daemon's output (alerts, reports, metrics labels): never rename one.
public enum CauseSignal: String, Sendable, Equatable, Codable, CaseIterable {
    /// PSI memory `some` of the workload (0...1).
    case workloadPSIMemory = "workload_psi_memory"
    /// Swap-in plus swap-out of the workload, bytes per second.
    case workloadSwap = "workload_swap"
    /// Major faults of the workload per second.
    case workloadMajorFaults = "workload_major_faults"
    /// Refaults of the workload per second.
    case workloadRefaults = "workload_refaults"
    /// Decrease of the VM balloon's `actual` in the window, bytes.
    case balloonShrink = "balloon_shrink"
    /// Swap-in plus swap-out inside the guest, bytes per second.
    case guestSwap = "guest_swap"
    /// Major faults inside the guest per second.
    case guestMajorFaults = "guest_major_faults"
    /// OOM kills in the workload per window.
    case workloadOOM = "workload_oom"
    /// `memory.high` events of the workload per window.
    case workloadMemoryHigh = "workload_memory_high"
    /// Host swap-in plus swap-out, bytes per second.
    case hostSwap = "host_swap"
    /// Host PSI memory `some` (0...1).
    case hostPSIMemory = "host_psi_memory"
    /// Host major faults per second.
    case hostMajorFaults = "host_major_faults"
    /// Growth of another workload's memory use, bytes (episode mean minus the mean before it).
    case neighbourMemoryGrowth = "neighbour_memory_growth"

    /// Where the signal is measured.
    public var scope: Cause.Scope {
        switch self {
        case .hostSwap, .hostPSIMemory, .hostMajorFaults: return .host
        case .neighbourMemoryGrowth: return .neighbour
        default: return .workload
        }
    }

    /// The level at which a signal counts as clearly present, in the signal's unit. Attribution divides by it so
    /// that bytes, ratios and counts can be compared. Chosen from the notes: 5 % of the time stalled is well below
    /// systemd-oomd's 60 % but unmistakable; 1 MiB/s of swap is 256 pages a second, far above the far-memory
    /// "0.2 % of the working set per minute" for any server-sized working set.
    public static let defaultScales: [String: Double] = [
        CauseSignal.workloadPSIMemory.rawValue: 0.05,
        CauseSignal.workloadSwap.rawValue: 1_048_576,
        CauseSignal.workloadMajorFaults.rawValue: 100,
        CauseSignal.workloadRefaults.rawValue: 1_000,
        CauseSignal.balloonShrink.rawValue: 67_108_864,
        CauseSignal.guestSwap.rawValue: 1_048_576,
        CauseSignal.guestMajorFaults.rawValue: 100,
        CauseSignal.workloadOOM.rawValue: 1,
        CauseSignal.workloadMemoryHigh.rawValue: 10,
        CauseSignal.hostSwap.rawValue: 1_048_576,
        CauseSignal.hostPSIMemory.rawValue: 0.05,
        CauseSignal.hostMajorFaults.rawValue: 100,
        CauseSignal.neighbourMemoryGrowth.rawValue: 268_435_456,
    ]

    /// The signal's value for a workload, for workload-scoped signals (and the memory use for neighbours).
    func value(of signals: WorkloadSignals) -> Double? {
        switch self {
        case .workloadPSIMemory: return signals.psiMemorySomeRatio
        case .workloadSwap: return signals.swapBytesPerSecond
        case .workloadMajorFaults: return signals.majorFaultsPerSecond
        case .workloadRefaults: return signals.refaultsPerSecond
        case .balloonShrink: return signals.balloonShrinkBytes
        case .guestSwap: return signals.guestSwapBytesPerSecond
        case .guestMajorFaults: return signals.guestMajorFaultsPerSecond
        case .workloadOOM: return signals.oomKills
        case .workloadMemoryHigh: return signals.highEvents
        case .neighbourMemoryGrowth: return signals.memoryUsageBytes
        case .hostSwap, .hostPSIMemory, .hostMajorFaults: return nil
        }
    }

    /// The signal's value for the host, for host-scoped signals.
    func value(of host: HostSignals) -> Double? {
        switch self {
        case .hostSwap: return host.swapBytesPerSecond
        case .hostPSIMemory: return host.psiMemorySomeRatio
        case .hostMajorFaults: return host.majorFaultsPerSecond
        default: return nil
        }
    }

    /// Workload-scoped signals, in a fixed order (ties in score keep this order).
    static let workloadSignals: [CauseSignal] = CauseSignal.allCases.filter { $0.scope == .workload }
    /// Host-scoped signals.
    static let hostSignals: [CauseSignal] = CauseSignal.allCases.filter { $0.scope == .host }

    /// Words for the human summary.
    public var label: String {
        switch self {
        case .workloadPSIMemory: return "memory stall (PSI some)"
        case .workloadSwap: return "swap traffic"
        case .workloadMajorFaults: return "major faults"
        case .workloadRefaults: return "refaults"
        case .balloonShrink: return "balloon shrink"
        case .guestSwap: return "guest swap traffic"
        case .guestMajorFaults: return "guest major faults"
        case .workloadOOM: return "OOM kills"
        case .workloadMemoryHigh: return "memory.high events"
        case .hostSwap: return "host swap traffic"
        case .hostPSIMemory: return "host memory stall (PSI some)"
        case .hostMajorFaults: return "host major faults"
        case .neighbourMemoryGrowth: return "memory use"
        }
    }

    /// Renders a value of this signal with its unit, for summaries.
    public func format(_ value: Double) -> String {
        switch self {
        case .workloadPSIMemory, .hostPSIMemory:
            return "\(CauseSignal.oneDecimal(value * 100)) %"
        case .workloadSwap, .guestSwap, .hostSwap:
            return CauseSignal.bytes(value) + "/s"
        case .balloonShrink, .neighbourMemoryGrowth:
            return CauseSignal.bytes(value)
        case .workloadMajorFaults, .workloadRefaults, .guestMajorFaults, .hostMajorFaults:
            return "\(CauseSignal.oneDecimal(value))/s"
        case .workloadOOM, .workloadMemoryHigh:
            return "\(CauseSignal.oneDecimal(value)) per window"
        }
    }

    /// One decimal place without Foundation's formatters (the library has no Foundation dependency).
    static func oneDecimal(_ value: Double) -> String {
        DecimalText.fixed(value, places: 1) ?? "\(value)"
    }

    public static func bytes(_ value: Double) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var scaled = value, index = 0
        while abs(scaled) >= 1024 && index < units.count - 1 {
            scaled /= 1024
            index += 1
        }
        return "\(CauseSignal.oneDecimal(scaled)) \(units[index])"
    }
}
