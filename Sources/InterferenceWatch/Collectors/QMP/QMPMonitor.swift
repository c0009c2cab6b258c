import Detectors
import Foundation
import Logging
import NIOCore
import NIOPosix
import Parsers
import Synchronization

/// Polls one QEMU over its QMP socket and publishes a ``VMSample`` after every poll.
///
/// Each VM has its own monitor and its own loop (``run()``), so a VM that is slow, dead or held by another client
/// only ever makes *its own* sample go `up = false`. Scrapes read ``latest`` without waiting for a poll.
///
/// One poll: (re)connect if needed (greeting, `qmp_capabilities`, `query-name`, balloon device lookup, and the
/// optional `qom-set guest-stats-polling-interval`), then `query-status`, `query-memory-size-summary`,
/// `query-balloon` and `qom-get guest-stats` sent together and matched by `id`. A failed connect is retried with
/// exponential backoff; a broken connection is closed and re-opened at the next poll.
///
/// A failed poll is counted by reason (``errorCounts``) and logged once per outage (again only when the kind of
/// failure changes), with `vm.name` and `qmp.socket`. A monitor of a socket found by a glob (``isDiscovered``) also
/// tells a VM that went away from one that fails: QEMU closes its monitor and then removes the socket when it exits,
/// so a dropped or refused connection whose socket is gone by then (or by the next poll) is the VM's end, not an
/// error. The loop then stops (``hasVanished``) and nothing is counted or logged above debug.
actor QMPMonitor {
    let target: QMPTarget
    let configuration: QMPConfiguration
    private let eventLoopGroup: any EventLoopGroup
    /// Paces the polls (injected so tests can drive it).
    private let clock: ServiceClock
    private let box: VMSampleBox
    private let tally = QMPEventTally()
    private var logger: Logger

    private var connection: QMPConnection?
    /// Per connection: `query-name`, the balloon's QOM path (`.some(nil)` = looked, none), QEMU's pid.
    private var queriedName: String?
    private var balloonPath: String??
    private var peerPID: Int32?
    /// Backoff state: the next delay, and no connect before `retryAt`.
    private var retryDelay: Duration
    private var retryAt: ContinuousClock.Instant?
    /// The category of the last error logged, so a persisting failure is logged once, not every poll.
    private var loggedError: String?
    /// A first dropped or refused connection of a discovered socket, held back until the next poll shows whether the
    /// VM failed (counted and logged then) or went away (forgotten).
    private var suspect: QMPError?
    /// Found by a glob: the VM ends when its socket is removed. A socket named by path is watched until shutdown.
    let isDiscovered: Bool
    private let errors = Mutex<[String: UInt64]>([:])
    private let vanished = Atomic<Bool>(false)

    /// - Parameters:
    ///   - target: the socket (and optional name) to watch.
    ///   - configuration: poll interval, timeouts, backoff, guest-stats interval.
    ///   - eventLoopGroup: where socket I/O runs; share one group across monitors.
    ///   - logger: errors are logged once per distinct failure with `vm.name` and `qmp.socket` metadata.
    ///   - clock: paces the polls.
    ///   - isDiscovered: the socket was found by a glob, so its removal ends the VM (see the type's comment).
    init(target: QMPTarget, configuration: QMPConfiguration = .init(),
         eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, clock: ServiceClock = .continuous,
         isDiscovered: Bool = false, logger: Logger) {
        self.target = target
        self.isDiscovered = isDiscovered
        self.clock = clock
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        self.retryDelay = configuration.backoff.initial
        var logger = logger
        logger[metadataKey: "qmp.socket"] = "\(target.socketPath)"
        logger[metadataKey: "vm.name"] = "\(target.name ?? Self.fallbackName(target.socketPath))"
        self.logger = logger
        self.box = VMSampleBox(
            VMSample(name: target.name ?? Self.fallbackName(target.socketPath), source: .qmp, up: false,
                     error: "QMP socket \(target.socketPath): not polled yet"))
    }

    /// The latest published sample; never waits for a poll in progress.
    nonisolated var latest: VMSample { self.box.latest }

    /// Failed polls since the monitor started, by reason (``VMCollector/errorReasons``); never waits for a poll.
    nonisolated var errorCounts: [String: UInt64] { self.errors.withLock { $0 } }

    /// `true` once a discovered socket was removed: the VM is gone and ``run()`` has returned (or is returning).
    nonisolated var hasVanished: Bool { self.vanished.load(ordering: .acquiring) }

    /// Polls every ``QMPConfiguration/pollInterval`` until the task is cancelled or the VM's socket vanished, then
    /// closes the connection.
    func run() async {
        var ticker = PeriodicTicker(clock: self.clock, interval: self.configuration.pollInterval)
        repeat {
            ticker.startTick()
            _ = await self.poll()
            if self.hasVanished { break }
        } while await ticker.sleepUntilDue()
        self.disconnect()
    }

    /// Polls once, publishes the result and returns it.
    @discardableResult
    func poll() async -> VMSample {
        let started = ContinuousClock.now
        let wallClock = Date().timeIntervalSince1970
        var sample: VMSample
        do {
            let connection = try await self.connected()
            sample = try await self.read(connection)
            self.retryDelay = self.configuration.backoff.initial
            if let suspect = self.suspect {
                // Dropped once and answering again: a real (short) failure, counted, not worth a warning.
                self.count(suspect)
                self.suspect = nil
            }
            if self.loggedError != nil {
                self.logger.info("QMP monitor reachable again")
                self.loggedError = nil
            }
        } catch {
            if error.breaksConnection { self.disconnect() }
            sample = self.downSample(error: error)
            self.failed(error)
        }
        sample.collectedAtSeconds = wallClock
        let elapsed = (ContinuousClock.now - started).components
        sample.readDurationSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        self.box.publish(sample)
        return sample
    }

    /// Counts, logs (once per outage and kind) or, for a discovered socket that is gone, retires the VM.
    private func failed(_ error: QMPError) {
        let metadata: Logger.Metadata = ["error.message": "\(error.description)", "error.reason": "\(error.reason)"]
        if self.isDiscovered && !QMPSocketDiscovery.isSocket(self.target.socketPath) {
            // The VM was shut down and QEMU removed its socket: it is gone, not failing.
            self.suspect = nil
            self.vanished.store(true, ordering: .releasing)
            self.logger.debug("QMP socket removed, VM gone", metadata: metadata)
            return
        }
        if self.isDiscovered && self.loggedError == nil && self.suspect == nil && error.mayMeanVMGone {
            // QEMU may be exiting and about to remove its socket: the next poll tells.
            self.suspect = error
            self.logger.debug("QMP poll failed, checking again at the next poll", metadata: metadata)
            return
        }
        if let suspect = self.suspect {
            self.count(suspect)
            self.suspect = nil
        }
        self.count(error)
        if self.loggedError != error.category {
            self.logger.warning("QMP poll failed", metadata: metadata)
            self.loggedError = error.category
        } else {
            self.logger.debug("QMP poll failed", metadata: metadata)
        }
    }

    private func count(_ error: QMPError) {
        self.errors.withLock { $0[error.reason, default: 0] += 1 }
    }

    /// Closes the connection (the next poll reconnects).
    func disconnect() {
        self.connection?.close()
        self.connection = nil
        self.queriedName = nil
        self.balloonPath = nil
        self.peerPID = nil
    }

    // MARK: - Connection

    private func connected() async throws(QMPError) -> QMPConnection {
        if let connection = self.connection, connection.isOpen { return connection }
        self.disconnect()
        if let retryAt = self.retryAt, ContinuousClock.now < retryAt {
            // Still backing off: report the previous failure without touching the socket.
            throw self.lastError ?? QMPError(socketPath: self.target.socketPath, kind: .closed)
        }
        do {
            let tally = self.tally
            let connection = try await QMPConnection.connect(
                socketPath: self.target.socketPath, eventLoopGroup: self.eventLoopGroup,
                timeouts: self.configuration.timeouts, onEvent: { tally.record($0) })
            self.connection = connection
            self.retryAt = nil
            self.lastError = nil
            try await self.setUp(connection)
            return connection
        } catch {
            self.retryAt = ContinuousClock.now.advanced(by: self.retryDelay)
            self.retryDelay = self.configuration.backoff.next(after: self.retryDelay)
            self.lastError = error
            throw error
        }
    }

    private var lastError: QMPError?

    /// Once per connection: the VM's name, its QEMU pid, the balloon device, and the optional polling interval.
    private func setUp(_ connection: QMPConnection) async throws(QMPError) {
        self.queriedName = try await connection.execute("query-name")["name"]?.string
        self.peerPID = await connection.peerPID()
        if let name = self.target.name ?? self.queriedName {
            self.logger[metadataKey: "vm.name"] = "\(name)"
        }
        let path = try await self.findBalloon(connection)
        self.balloonPath = .some(path)
        if let interval = self.configuration.guestStatsIntervalSeconds, let path {
            try await connection.execute(
                "qom-set",
                arguments: ["path": .string(path), "property": "guest-stats-polling-interval",
                            "value": .unsigned(UInt64(max(0, interval)))])
            self.logger.debug("QMP guest stats polling set",
                              metadata: ["qmp.balloon_path": "\(path)", "qmp.interval_seconds": "\(interval)"])
        }
    }

    /// The balloon's QOM path: configured, else the first `virtio-balloon*` child of `/machine/peripheral` (devices
    /// with `id=`), else of `/machine/peripheral-anon` (`device[N]`); `nil` when the VM has none.
    private func findBalloon(_ connection: QMPConnection) async throws(QMPError) -> String? {
        if let path = self.target.balloonQOMPath { return path }
        for container in ["/machine/peripheral", "/machine/peripheral-anon"] {
            let children: QMPValue
            do {
                children = try await connection.execute("qom-list", arguments: ["path": .string(container)])
            } catch where !error.breaksConnection {
                continue  // No such container (no devices of that kind).
            }
            for child in children.array ?? [] {
                guard let name = child["name"]?.string, let type = child["type"]?.string,
                      type.contains("virtio-balloon") else { continue }
                return "\(container)/\(name)"
            }
        }
        return nil
    }

    // MARK: - Reading

    private func read(_ connection: QMPConnection) async throws(QMPError) -> VMSample {
        // Sent back to back and matched by id: one round trip per poll instead of four.
        async let status = Self.attempt { () async throws(QMPError) in try await connection.execute("query-status") }
        async let memory = Self.attempt { () async throws(QMPError) in
            try await connection.execute("query-memory-size-summary")
        }
        async let balloon = Self.attempt { () async throws(QMPError) in try await connection.execute("query-balloon") }
        let path = self.balloonPath ?? nil
        async let stats = Self.attempt { () async throws(QMPError) -> QMPValue? in
            guard let path else { return nil }
            return try await connection.execute("qom-get", arguments: ["path": .string(path),
                                                                      "property": "guest-stats"])
        }
        let results = await (status, memory, balloon, stats)

        let statusValue = try results.0.get()
        let memoryValue = try results.1.get()
        var actual: UInt64?
        switch results.2 {
        case .success(let value): actual = value["actual"]?.uint64
        // `DeviceNotActive`: no balloon device or no driver in the guest yet. Not a failure, just no data.
        case .failure(let error) where !error.breaksConnection: actual = nil
        case .failure(let error): throw error
        }
        var guestStats: VMSample.GuestStats?
        switch results.3 {
        case .success(let value): guestStats = value.flatMap { VMSample.GuestStats(qmpGuestStats: $0) }
        case .failure(let error) where !error.breaksConnection: guestStats = nil
        case .failure(let error): throw error
        }

        let base = memoryValue["base-memory"]?.uint64
        let plugged = memoryValue["plugged-memory"]?.uint64
        let events = self.tally.snapshot
        return VMSample(
            name: self.vmName, source: .qmp, up: true,
            status: statusValue["status"]?.string,
            configuredBytes: base,
            balloonActualBytes: actual,
            maximumBytes: base.map { $0 + (plugged ?? 0) },
            guestStats: guestStats,
            eventCounts: events.counts,
            balloonChanges: events.balloonChanges,
            lastBalloonChangeSeconds: events.lastBalloonChangeSeconds,
            lastBalloonChangeActualBytes: events.lastBalloonChangeActualBytes,
            pid: self.peerPID
        )
    }

    private func downSample(error: QMPError) -> VMSample {
        let events = self.tally.snapshot
        return VMSample(
            name: self.vmName, source: .qmp, up: false,
            eventCounts: events.counts,
            balloonChanges: events.balloonChanges,
            lastBalloonChangeSeconds: events.lastBalloonChangeSeconds,
            lastBalloonChangeActualBytes: events.lastBalloonChangeActualBytes,
            error: error.description
        )
    }

    private var vmName: String {
        self.target.name ?? self.queriedName ?? Self.fallbackName(self.target.socketPath)
    }

    /// The socket's file name without extension: `/run/qemu/web1.qmp` -> `web1`.
    private static func fallbackName(_ socketPath: String) -> String {
        let file = socketPath.split(separator: "/").last.map(String.init) ?? socketPath
        if let dot = file.lastIndex(of: "."), dot != file.startIndex { return String(file[..<dot]) }
        return file
    }

    /// Turns a throwing call into a `Result`, so `async let` siblings all finish before the first error is thrown.
    private static func attempt<T: Sendable>(_ body: () async throws(QMPError) -> T) async -> Result<T, QMPError> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }
}
