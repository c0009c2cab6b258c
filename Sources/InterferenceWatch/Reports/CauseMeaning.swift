/// What each cause signal means for the slow server, in plain words for a report reader.
enum CauseMeaning {
    static func words(for signal: String) -> String {
        switch signal {
        case "workload_swap":
            return "The server's own memory was being written to and read back from swap: its pages no longer fit in the RAM it may use, so requests wait for the disk."
        case "workload_psi_memory":
            return "The server's tasks spent time stalled waiting for memory (reclaim or swap-in) instead of running."
        case "workload_major_faults":
            return "The server kept touching pages that were not in RAM and had to be read from disk or swap."
        case "workload_refaults":
            return "Pages the kernel had just evicted from the server were needed again at once: its working set is larger than the memory it gets."
        case "balloon_shrink":
            return "The host took memory back from the VM through its balloon, leaving the guest less RAM than it had."
        case "guest_swap":
            return "Inside the VM, the guest itself swapped: the VM has too little RAM for what it runs."
        case "guest_major_faults":
            return "Inside the VM, pages had to be read back from disk: the guest is short of memory."
        case "workload_oom":
            return "The kernel killed processes of the server's workload for lack of memory."
        case "workload_memory_high":
            return "The workload hit its memory.high limit and was throttled into reclaim."
        case "host_swap":
            return "The whole host was swapping: it has less RAM than its workloads together need."
        case "host_psi_memory":
            return "Tasks all over the host stalled on memory: the host as a whole is short of RAM."
        case "host_major_faults":
            return "The host as a whole kept reading pages back from disk."
        case "neighbour_memory_growth":
            return "Another workload on the host grew its memory use at the same time, taking RAM the server needed."
        default:
            return "A memory signal that moved together with the slowdown."
        }
    }
}
