/// A failure reading libvirt through `virsh`; the description names the command.
struct LibvirtError: Error, Sendable, Equatable, CustomStringConvertible {
    enum Kind: Sendable, Equatable {
        /// No `virsh` executable (libvirt-clients not installed): the libvirt reader is off, the daemon runs on.
        case unavailable(String)
        /// `virsh` could not be started.
        case launchFailed(String)
        /// `virsh` ran but reached no libvirtd ("failed to connect to the hypervisor": libvirtd stopped, its socket
        /// refused or missing); carries virsh's stderr.
        case connectFailed(stderr: String)
        /// The connection to libvirtd dropped in the middle of a command ("End of file while reading data",
        /// "Cannot recv data": libvirtd exited or restarted); carries virsh's stderr.
        case connectionClosed(stderr: String)
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

    /// The error of a `virsh` that exited with `status`: a failed or dropped connection to libvirtd is told apart
    /// from a command libvirt refused by libvirt's own messages (the runner sets `LC_ALL=C`, so they are never
    /// translated). A connection that drops while it is being opened still reads "failed to connect".
    static func exited(command: String, status: Int32, stderr: String) -> LibvirtError {
        if stderr.contains("failed to connect to the hypervisor") {
            return LibvirtError(command: command, kind: .connectFailed(stderr: stderr))
        }
        if stderr.contains("End of file while reading data") || stderr.contains("Cannot recv data") {
            return LibvirtError(command: command, kind: .connectionClosed(stderr: stderr))
        }
        return LibvirtError(command: command, kind: .failed(status: status, stderr: stderr))
    }

    /// The `reason` label of `vm_monitor_errors_total`: one of ``VMCollector/errorReasons``.
    var reason: String {
        switch self.kind {
        case .unavailable, .launchFailed, .connectFailed: return "connect"
        case .timeout: return "timeout"
        case .connectionClosed: return "closed"
        case .failed: return "command"
        case .unparsable: return "malformed"
        }
    }

    /// The kind of failure without the command that met it, so one outage is logged once: libvirtd stopped fails
    /// `dominfo` and `dommemstat` alike, and its socket first refuses and then, while it starts again, may not exist.
    /// An error libvirt answered with keeps its text, so a domain that starts failing differently is logged again.
    var category: String {
        switch self.kind {
        case .unavailable, .launchFailed, .connectFailed: return "connect"
        case .timeout: return "timeout"
        case .connectionClosed: return "closed"
        case .failed(_, let stderr): return "command: \(stderr)"
        case .unparsable(let detail): return "malformed: \(detail)"
        }
    }

    var description: String {
        switch self.kind {
        case .unavailable(let detail):
            return "libvirt unavailable: \(detail)"
        case .launchFailed(let detail):
            return "\(self.command): cannot start: \(detail)"
        case .connectFailed(let stderr):
            return "\(self.command): cannot connect to libvirt: \(stderr)"
        case .connectionClosed(let stderr):
            return "\(self.command): connection to libvirt closed: \(stderr)"
        case .timeout(let seconds):
            return "\(self.command): no answer within \(seconds) s (killed)"
        case .failed(let status, let stderr):
            return "\(self.command): exit status \(status): \(stderr)"
        case .unparsable(let detail):
            return "\(self.command): unexpected output: \(detail)"
        }
    }
}
