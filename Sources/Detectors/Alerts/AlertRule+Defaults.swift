extension AlertRule {
    /// The rules that run with no config at all. A config's `alerts.rules` entry with the same name changes one;
    /// `enabled: false` turns one off.
    public static let defaults: [AlertRule] = [
        AlertRule(name: "InterferenceWatchServerImbalance", condition: .imbalance, threshold: 0, severity: "warning",
                  summary: "{{server}} in {{group}} is {{ratio}}x slower than its peers",
                  description: "Likely cause: {{cause_summary}}. Before the episode: {{before}}; during it: {{during}}. Since {{since}}."),
        AlertRule(name: "InterferenceWatchSlowdown", condition: .slowdown, threshold: 0, severity: "warning",
                  summary: "{{target}} in {{group}} is {{ratio}}x slower than its calm-host baseline",
                  description: "Likely cause: {{cause_summary}}. Before the episode: {{before}}; during it: {{during}}. Since {{since}}."),
        // Google's far-memory work (Lagar-Cavilla et al., ASPLOS 2019) keeps promotions from swap under 0.2 % of the
        // working set per minute; well above that, swap-in is on the request path.
        AlertRule(name: "InterferenceWatchHostSwapStorm", condition: .hostSwapIn, threshold: 0.002, clearThreshold: 0.001,
                  forSeconds: 120, keepFiringForSeconds: 60, severity: "warning",
                  summary: "The host swaps in {{rate}} ({{value}} of its RAM per minute)",
                  description: "Swap-in above 0.2 % of RAM per minute puts disk reads on the request path; the host is short of memory."),
        // PSI some at 10 % of wall time: systemd-oomd acts at 60 %, so this is well before harm but unmistakable.
        AlertRule(name: "InterferenceWatchHostMemoryPressure", condition: .hostMemoryPressure, threshold: 0.10, clearThreshold: 0.05,
                  forSeconds: 120, keepFiringForSeconds: 60, severity: "warning",
                  summary: "Tasks on the host are stalled on memory {{percent}} of the time",
                  description: "Memory PSI some avg10 {{percent}} for two minutes."),
        AlertRule(name: "InterferenceWatchServerMemoryPressure", condition: .serverMemoryPressure, threshold: 0.10, clearThreshold: 0.05,
                  forSeconds: 60, keepFiringForSeconds: 60, severity: "warning",
                  summary: "Workload {{workload}} (group {{group}}) is stalled on memory {{percent}} of the time",
                  description: "Memory PSI some avg10 of the workload serving {{group}}: {{percent}}."),
        AlertRule(name: "InterferenceWatchBalloonShrinkGuestSwap", condition: .balloonShrinkWhileGuestSwaps, threshold: 65_536,
                  clearThreshold: 16_384, forSeconds: 60, keepFiringForSeconds: 60, severity: "warning",
                  summary: "VM {{vm}} swaps {{rate}} inside while its balloon holds back {{ballooned}}",
                  description: "The host took memory back from the guest through the balloon and the guest now swaps."),
        AlertRule(name: "InterferenceWatchHostMemoryBelowRecommended", condition: .hostMemoryBelowRecommended, threshold: 1,
                  forSeconds: 600, keepFiringForSeconds: 600, severity: "info",
                  summary: "Host RAM {{installed}} is below the recommended {{recommended}}",
                  description: "The workloads need {{demand}} (swap counted as far as it is read back, VMs at their configured size); with the margin and the latency knee that calls for {{recommended}}, short by {{shortfall}}. {{reasons}}"),
    ]
}
