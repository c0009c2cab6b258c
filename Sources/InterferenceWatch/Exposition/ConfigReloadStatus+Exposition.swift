extension ConfigReloadStatus {
    /// `interferencewatch_config_last_reload_successful{config}`, `..._last_reload_success_timestamp_seconds{config}`,
    /// `..._reloads_total{config,result}`.
    func families() -> [MetricFamily] {
        var set = FamilySet()
        for (config, entry) in self.entriesByConfig {
            let labels = [(name: "config", value: config.rawValue)]
            set.add("config_last_reload_successful", .gauge,
                    "Whether the last reload of the config file worked (1) or kept the running config (0); config=daemon is --config, web is --web.config.file.",
                    labels, entry.lastSuccessful ? 1 : 0)
            set.add("config_last_reload_success_timestamp_seconds", .gauge,
                    "When the config file last loaded (Unix time; the start counts).", labels, entry.lastSuccessSeconds)
            set.add("config_reloads_total", .counter, "Reloads of the config file on SIGHUP, by result.",
                    labels + [("result", "success")], entry.successesTotal)
            set.add("config_reloads_total", .counter, "Reloads of the config file on SIGHUP, by result.",
                    labels + [("result", "failure")], entry.failuresTotal)
        }
        return set.all
    }
}
