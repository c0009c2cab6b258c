/// A workload named in the config file: a cgroup path, or a set of plain processes.
struct WorkloadRule: Sendable, Equatable {
    enum Selector: Sendable, Equatable {
        /// A cgroup path relative to the hierarchy root (`/lab/s1`).
        case cgroup(String)
        /// Processes picked by pid, command name and/or command-line substring (all given conditions must hold).
        case process(ProcessMatcher)
    }

    var name: String
    var selector: Selector
}

/// Which processes make up a process-group workload.
struct ProcessMatcher: Sendable, Equatable {
    var pids: [Int32] = []
    /// Exact `comm` (the kernel's 15-character command name).
    var command: String?
    /// Substring of the space-joined command line.
    var commandLineContains: String?

    func matches(_ process: ProcessSample) -> Bool {
        if !self.pids.isEmpty && !self.pids.contains(process.pid) { return false }
        if let command, process.command != command { return false }
        if let needle = self.commandLineContains, !process.commandLine.joined(separator: " ").contains(needle) { return false }
        return true
    }
}
