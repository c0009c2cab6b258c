/// A failure talking to one QMP socket; the description always names the socket.
struct QMPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    enum Kind: Sendable, Equatable {
        /// `connect(2)` failed: no such socket, permission denied, refused (QEMU gone).
        case connectFailed(String)
        /// Connected, but no greeting arrived in time.
        case noGreeting(timeoutSeconds: Double)
        /// A line was not a QMP message.
        case malformedMessage(reason: String, excerpt: String)
        /// A line grew beyond the limit without a newline.
        case lineTooLong(limit: Int)
        /// A command got no reply in time.
        case timeout(command: String, timeoutSeconds: Double)
        /// The peer closed the connection (QEMU exited, or the socket died). `during` says what was pending.
        case connectionClosed(during: String)
        /// QEMU answered a command with `{"error": ...}`.
        case commandFailed(command: String, errorClass: String, description: String)
        /// A reply had an unexpected shape.
        case unexpectedReply(command: String, detail: String)
        /// The connection was closed by us (shutdown).
        case closed
    }

    /// The monitor socket this error is about.
    var socketPath: String
    var kind: Kind

    var description: String {
        let socket = self.socketPath
        switch self.kind {
        case .connectFailed(let reason):
            return "QMP socket \(socket): connect failed: \(reason)"
        case .noGreeting(let timeout):
            // QEMU serves one client per -qmp socket; a second client is accepted by the kernel's backlog but hears
            // nothing until the first one leaves. This is by far the most likely cause, so say it and say the fix.
            return "QMP socket \(socket): connected but no greeting within \(Self.seconds(timeout)); the socket is "
                + "probably in use by another client (QMP serves one client per socket). Add a second "
                + "`-qmp unix:/path,server=on,wait=off` socket to QEMU for InterferenceWatch"
        case .malformedMessage(let reason, let excerpt):
            return "QMP socket \(socket): malformed message (\(reason)): \(excerpt)"
        case .lineTooLong(let limit):
            return "QMP socket \(socket): message longer than \(limit) bytes without a newline"
        case .timeout(let command, let timeout):
            return "QMP socket \(socket): no reply to \(command) within \(Self.seconds(timeout))"
        case .connectionClosed(let during) where during == "setup":
            // Under load QEMU has also been seen closing a second client's connection at once instead of leaving it
            // ungreeted: the same cause, the same fix.
            return "QMP socket \(socket): connection closed by QEMU during setup; the socket is probably in use by "
                + "another client (QMP serves one client per socket), or QEMU is exiting. Add a second "
                + "`-qmp unix:/path,server=on,wait=off` socket to QEMU for InterferenceWatch"
        case .connectionClosed(let during):
            return "QMP socket \(socket): connection closed by QEMU during \(during)"
        case .commandFailed(let command, let errorClass, let description):
            return "QMP socket \(socket): \(command) failed: \(errorClass): \(description)"
        case .unexpectedReply(let command, let detail):
            return "QMP socket \(socket): unexpected reply to \(command): \(detail)"
        case .closed:
            return "QMP socket \(socket): connection closed"
        }
    }

    /// The kind of failure without its details, so a failure that persists is logged once even when its details
    /// (which command was pending, say) change from poll to poll.
    var category: String {
        switch self.kind {
        case .connectFailed(let reason): return "connectFailed: \(reason)"
        case .noGreeting: return "noGreeting"
        case .malformedMessage: return "malformedMessage"
        case .lineTooLong: return "lineTooLong"
        case .timeout: return "timeout"
        case .connectionClosed: return "connectionClosed"
        case .commandFailed(let command, let errorClass, _): return "commandFailed: \(command) \(errorClass)"
        case .unexpectedReply(let command, _): return "unexpectedReply: \(command)"
        case .closed: return "closed"
        }
    }

    /// The `reason` label of `vm_monitor_errors_total`: one of ``VMSample/errorReasons``.
    var reason: String {
        switch self.kind {
        case .connectFailed: return "connect"
        case .noGreeting, .timeout: return "timeout"
        case .connectionClosed, .closed: return "closed"
        case .malformedMessage, .lineTooLong, .unexpectedReply: return "malformed"
        case .commandFailed: return "command"
        }
    }

    /// `true` for the failures a VM that is shutting down produces: QEMU closes its monitor, then removes the socket.
    var mayMeanVMGone: Bool {
        switch self.kind {
        case .connectFailed, .connectionClosed, .closed: return true
        default: return false
        }
    }

    /// `true` when the connection can no longer be used (as opposed to one command failing).
    var breaksConnection: Bool {
        switch self.kind {
        case .commandFailed, .unexpectedReply: return false
        default: return true
        }
    }

    private static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
