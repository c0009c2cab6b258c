extension HistoryWriter {
    /// `interferencewatch_storage_*`.
    func families() -> [MetricFamily] {
        let counters = self.counters
        var set = FamilySet()
        set.add("storage_write_errors_total", .counter,
                "History writes (and retention passes) that failed; the data stays queued and is retried.", [],
                counters.writeErrorsTotal)
        set.add("storage_writes_total", .counter, "History write transactions committed.", [], counters.writesTotal)
        set.add("storage_dropped_items_total", .counter,
                "Items dropped unwritten because the history queue was full (the disk did not keep up).", [],
                counters.droppedItemsTotal)
        set.add("storage_retention_deleted_rows_total", .counter,
                "History rows removed by retention (age or size cap).", [], counters.retentionDeletesTotal)
        set.add("storage_size_bytes", .gauge, "Size of the history file and its write-ahead log.", [],
                Double(self.database.sizeBytes()))
        if counters.lastWriteSeconds > 0 {
            set.add("storage_last_write_timestamp_seconds", .gauge, "When history was last written (Unix time).", [],
                    counters.lastWriteSeconds)
        }
        return set.all
    }
}
