/// A program a test starts (the daemon, Prometheus, Alertmanager, a helper script) did not start or did not answer;
/// the message says which and carries what it printed.
struct ChildProcessError: Error, CustomStringConvertible {
    var message: String
    var description: String { self.message }
}
