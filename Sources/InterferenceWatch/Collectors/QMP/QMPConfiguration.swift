/// One QEMU to watch over QMP.
struct QMPTarget: Sendable, Hashable, Codable {
    /// The `-qmp unix:<path>,server=on,wait=off` socket reserved for InterferenceWatch (QMP serves one client per
    /// socket, so this must not be the socket a management tool already uses).
    var socketPath: String
    /// The `vm` label; `nil` uses QEMU's `-name` (`query-name`), else the socket's file name.
    var name: String?
    /// QOM path of the virtio-balloon device; `nil` finds it (`/machine/peripheral/<id>`, else under
    /// `/machine/peripheral-anon`).
    var balloonQOMPath: String?

    init(socketPath: String, name: String? = nil, balloonQOMPath: String? = nil) {
        self.socketPath = socketPath
        self.name = name
        self.balloonQOMPath = balloonQOMPath
    }
}

/// How the QMP collector polls; shared by all targets.
struct QMPConfiguration: Sendable, Equatable {
    /// Reconnection delays after a failed connect: `initial`, doubling up to `maximum`.
    struct Backoff: Sendable, Equatable {
        var initial: Duration
        var maximum: Duration

        init(initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30)) {
            self.initial = initial
            self.maximum = maximum
        }

        /// The delay after `delay`: doubled, capped at ``maximum``.
        func next(after delay: Duration) -> Duration { min(delay * 2, self.maximum) }
    }

    /// Time between two polls of one VM.
    var pollInterval: Duration
    /// Connect, greeting and per-command limits.
    var timeouts: QMPConnection.Timeouts
    var backoff: Backoff
    /// When set, `qom-set guest-stats-polling-interval` to this many seconds on every new connection, so the guest
    /// balloon driver reports its statistics. `nil` never touches the VM (the interval is VM state other tools may
    /// own; 0 would disable their polling). Only then are guest stats fresh unless someone else enabled polling.
    var guestStatsIntervalSeconds: Int?

    init(pollInterval: Duration = .seconds(5), timeouts: QMPConnection.Timeouts = .init(),
         backoff: Backoff = .init(), guestStatsIntervalSeconds: Int? = nil) {
        self.pollInterval = pollInterval
        self.timeouts = timeouts
        self.backoff = backoff
        self.guestStatsIntervalSeconds = guestStatsIntervalSeconds
    }
}
