/// A failure reading libvirt through `virsh`; the description names the command.
struct LibvirtError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        /// No `virsh` executable (libvirt-clients not installed): the libvirt reader is off, the daemon runs on.
        case unavailable(String)
        /// `virsh` could not be started.
        case launchFailed(String)
        /// `virsh` ran longer than the timeout and was killed.
        case timeout(seconds: Double)
        /// `virsh` exited non-zero; carries its stderr (e.g. "failed to get domain 'x'").
        case failed(status: Int32, stderr: String)
        /// The output did not look like the command's output.
        case unparsable(String)
    }

    /// The command, as an operator would type it (`virsh -r -c qemu:///system dommemstat web1`).
    var command: String
    var kind: Kind

    /// The `reason` label of `vm_monitor_errors_total`: one of ``VMSample/errorReasons``.
    var reason: String {
        switch self.kind {
        case .unavailable, .launchFailed: return "connect"
        case .timeout: return "timeout"
        case .failed: return "command"
        case .unparsable: return "malformed"
        }
    }

    var description: String {
        switch self.kind {
        case .unavailable(let detail):
            return "libvirt unavailable: \(detail)"
        case .launchFailed(let detail):
            return "\(self.command): cannot start: \(detail)"
        case .timeout(let seconds):
            return "\(self.command): no answer within \(seconds) s (killed)"
        case .failed(let status, let stderr):
            return "\(self.command): exit status \(status): \(stderr)"
        case .unparsable(let detail):
            return "\(self.command): unexpected output: \(detail)"
        }
    }
}
