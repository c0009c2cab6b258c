import CProc2

/// glibc malloc settings for a long-running daemon, applied before anything starts a thread, and the one call that
/// hands malloc's free pages back to the kernel.
enum MallocTuning {
    /// Both are read by glibc when it next needs them, so they are set first thing in `main`: an arena is created
    /// for a thread the first time it allocates, and a thread that already has one keeps it.
    static func apply() {
        // Each scrape builds a multi-megabyte exposition. glibc raises its mmap threshold after the first such buffer
        // is freed, so later ones come from the heap and their pages stay resident; pinning the threshold at 1 MiB
        // (M_MMAP_THRESHOLD, a macro Swift does not import) returns every large buffer to the kernel when freed.
        _ = mallopt(-3, 1 << 20)
        // One arena for every thread (M_ARENA_MAX): each arena keeps its own free pages between live blocks, and
        // under load the daemon's seven threads held eight arenas. The per-thread caches (tcache) still serve most
        // allocations without the arena's lock. Measured under load (bench/README.md, "Fault-around off"): about
        // 2 MiB less resident, the same scrape rate and CPU.
        _ = mallopt(-8, 1)
    }

    /// Returns the free pages inside malloc's arena to the kernel (`malloc_trim(0)`). glibc on its own only gives
    /// back the top of the heap, so the pages of short-lived buffers freed between live blocks stay resident until
    /// this runs. A few hundred microseconds for the daemon's heap.
    static func releaseFreePages() {
        _ = malloc_trim(0)
    }
}
