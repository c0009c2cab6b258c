extension ShutdownMarker {
    /// `interferencewatch_storage_unclean_shutdown_detected`.
    func families() -> [MetricFamily] {
        var set = FamilySet()
        set.add("storage_unclean_shutdown_detected", .gauge,
                "1 when this run started after one that did not stop cleanly (killed, crashed, power lost): what it had not committed yet is gone.",
                [], self.uncleanStop == nil ? 0 : 1)
        return set.all
    }
}
