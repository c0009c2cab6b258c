import Detectors

/// Writes a ``Sweep`` as the JSON its `Decodable` reads, straight into bytes: the history writer's hot step.
///
/// Foundation's `JSONEncoder` costs more than the sweep it stores (a boxed container per value); this writes the
/// same fields under the same keys, dictionaries in sorted key order so that consecutive sweeps share a template.
/// `HistoryStoreTests` decodes its output with `JSONDecoder` against the Codable types for generated sweeps, so the
/// two cannot drift apart unnoticed.
struct SweepJSONWriter {
    private(set) var bytes: [UInt8] = []
    /// Split mode (``split(_:)``): numbers go here as values and `bytes` gets ``SweepFrameCodec/numberMark``, which is
    /// what ``SweepFrameCodec/split(_:)`` would make of the JSON, without printing and re-parsing every number.
    private var numbers: [SweepFrameCodec.Number]?

    static func encode(_ sweep: Sweep) -> [UInt8] {
        var writer = SweepJSONWriter()
        writer.bytes.reserveCapacity(48 << 10)
        writer.sweep(sweep)
        return writer.bytes
    }

    /// The sweep's template and numbers, as `SweepFrameCodec.split(encode(sweep))` gives them.
    static func split(_ sweep: Sweep) -> (template: [UInt8], numbers: [SweepFrameCodec.Number]) {
        var writer = SweepJSONWriter()
        writer.bytes.reserveCapacity(40 << 10)
        writer.numbers = []
        writer.numbers!.reserveCapacity(2048)
        writer.sweep(sweep)
        return (writer.bytes, writer.numbers!)
    }

    private mutating func sweep(_ sweep: Sweep) {
        self.open()
        self.key("schema", first: true)
        self.unsigned(UInt64(Sweep.schemaVersion))
        self.key("atSeconds")
        self.double(sweep.atSeconds)
        if let uptime = sweep.uptimeSeconds {
            self.key("uptimeSeconds")
            self.double(uptime)
        }
        self.key("host")
        self.host(sweep.host)
        self.key("workloads")
        self.array(sweep.workloads) { $0.workload($1) }
        self.key("vms")
        self.array(sweep.vms) { $0.vm($1) }
        self.key("vmWorkloads")
        self.stringMap(sweep.vmWorkloads)
        if let capacity = sweep.capacity {
            self.key("capacity")
            self.workload(capacity)
        }
        self.close()
    }

    private mutating func host(_ host: HostSample) {
        self.open()
        self.key("meminfoBytes", first: true)
        self.unsignedMap(host.meminfoBytes)
        self.key("vmstat")
        self.unsignedMap(host.vmstat)
        self.key("pressure")
        self.open()
        var first = true
        for resource in host.pressure.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            self.key(resource.rawValue, first: first)
            first = false
            self.psi(host.pressure[resource]!)
        }
        self.close()
        self.close()
    }

    private mutating func psi(_ stats: PSIStats) {
        self.open()
        self.key("some", first: true)
        self.line(stats.some)
        if let full = stats.full {
            self.key("full")
            self.line(full)
        }
        self.close()
    }

    private mutating func line(_ line: PSILine) {
        self.open()
        self.key("avg10Percent", first: true)
        self.double(line.avg10Percent)
        self.key("avg60Percent")
        self.double(line.avg60Percent)
        self.key("avg300Percent")
        self.double(line.avg300Percent)
        self.key("totalMicroseconds")
        self.unsigned(line.totalMicroseconds)
        self.close()
    }

    private mutating func workload(_ w: WorkloadSample) {
        self.open()
        self.key("name", first: true)
        self.string(w.name)
        self.key("kind")
        self.string(w.kind.rawValue)
        self.key("cgroup")
        self.string(w.cgroup)
        self.key("cgroupVersion")
        self.signed(Int64(w.cgroupVersion))
        self.optional("usageBytes", w.usageBytes)
        self.optional("limitBytes", w.limitBytes)
        self.optional("highBytes", w.highBytes)
        self.optional("swapBytes", w.swapBytes)
        self.key("stat")
        self.memoryStat(w.stat)
        if let pressure = w.pressure {
            self.key("pressure")
            self.psi(pressure)
        }
        self.key("events")
        self.unsignedMap(w.events)
        self.close()
    }

    private mutating func vm(_ vm: VMSample) {
        self.open()
        self.key("name", first: true)
        self.string(vm.name)
        self.key("source")
        self.string(vm.source.rawValue)
        self.key("up")
        self.bytes += vm.up ? Array("true".utf8) : Array("false".utf8)
        if let status = vm.status {
            self.key("status")
            self.string(status)
        }
        self.optional("configuredBytes", vm.configuredBytes)
        self.optional("balloonActualBytes", vm.balloonActualBytes)
        self.optional("balloonTargetBytes", vm.balloonTargetBytes)
        self.optional("maximumBytes", vm.maximumBytes)
        if let stats = vm.guestStats {
            self.key("guestStats")
            self.open()
            var first = true
            func field(_ writer: inout SweepJSONWriter, _ name: String, _ value: UInt64?) {
                guard let value else { return }
                writer.key(name, first: first)
                first = false
                writer.unsigned(value)
            }
            field(&self, "freeBytes", stats.freeBytes)
            field(&self, "availableBytes", stats.availableBytes)
            field(&self, "totalBytes", stats.totalBytes)
            field(&self, "diskCachesBytes", stats.diskCachesBytes)
            field(&self, "swapInBytes", stats.swapInBytes)
            field(&self, "swapOutBytes", stats.swapOutBytes)
            field(&self, "majorFaults", stats.majorFaults)
            field(&self, "minorFaults", stats.minorFaults)
            field(&self, "lastUpdateSeconds", stats.lastUpdateSeconds)
            self.close()
        }
        self.optional("rssBytes", vm.rssBytes)
        self.key("eventCounts")
        self.unsignedMap(vm.eventCounts)
        self.key("balloonChanges")
        self.unsigned(vm.balloonChanges)
        if let value = vm.lastBalloonChangeSeconds {
            self.key("lastBalloonChangeSeconds")
            self.double(value)
        }
        self.optional("lastBalloonChangeActualBytes", vm.lastBalloonChangeActualBytes)
        if let pid = vm.pid {
            self.key("pid")
            self.signed(Int64(pid))
        }
        if let value = vm.collectedAtSeconds {
            self.key("collectedAtSeconds")
            self.double(value)
        }
        if let value = vm.readDurationSeconds {
            self.key("readDurationSeconds")
            self.double(value)
        }
        if let error = vm.error {
            self.key("error")
            self.string(error)
        }
        self.close()
    }

    // MARK: JSON pieces

    private mutating func open() { self.bytes.append(UInt8(ascii: "{")) }
    private mutating func close() { self.bytes.append(UInt8(ascii: "}")) }

    private mutating func key(_ name: String, first: Bool = false) {
        if !first { self.bytes.append(UInt8(ascii: ",")) }
        self.string(name)
        self.bytes.append(UInt8(ascii: ":"))
    }

    private mutating func optional(_ name: String, _ value: UInt64?) {
        guard let value else { return }
        self.key(name)
        self.unsigned(value)
    }

    private mutating func array<T>(_ items: [T], _ body: (inout SweepJSONWriter, T) -> Void) {
        self.bytes.append(UInt8(ascii: "["))
        for (index, item) in items.enumerated() {
            if index > 0 { self.bytes.append(UInt8(ascii: ",")) }
            body(&self, item)
        }
        self.bytes.append(UInt8(ascii: "]"))
    }

    private mutating func unsignedMap(_ map: [String: UInt64]) {
        self.open()
        for (index, key) in map.keys.sorted().enumerated() {
            self.key(key, first: index == 0)
            self.unsigned(map[key]!)
        }
        self.close()
    }

    /// The table iterates in name order, which is the sorted order ``unsignedMap(_:)`` writes.
    private mutating func memoryStat(_ stat: MemoryStat) {
        self.open()
        var first = true
        stat.forEach { key, value in
            self.key(key.name, first: first)
            first = false
            self.unsigned(value)
        }
        self.close()
    }

    private mutating func stringMap(_ map: [String: String]) {
        self.open()
        for (index, key) in map.keys.sorted().enumerated() {
            self.key(key, first: index == 0)
            self.string(map[key]!)
        }
        self.close()
    }

    private mutating func unsigned(_ value: UInt64) {
        if self.numbers != nil {
            self.numbers!.append(.unsigned(value))
            self.bytes.append(SweepFrameCodec.numberMark)
            return
        }
        if value < 10 {
            self.bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            while rest > 0 {
                buffer[count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            for index in stride(from: count - 1, through: 0, by: -1) { self.bytes.append(buffer[index]) }
        }
    }

    private mutating func signed(_ value: Int64) {
        if value < 0, self.numbers != nil {
            self.numbers!.append(.negative(value.magnitude))
            self.bytes.append(SweepFrameCodec.numberMark)
            return
        }
        if value < 0 {
            self.bytes.append(UInt8(ascii: "-"))
            self.unsigned(value.magnitude)
        } else {
            self.unsigned(UInt64(value))
        }
    }

    /// Shortest text that reads back to the same `Double` (Swift's `description`); infinities and NaN as the
    /// strings the history reader's decoder maps back.
    private mutating func double(_ value: Double) {
        guard value.isFinite else {
            self.string(value.isNaN ? "NaN" : value > 0 ? "+Inf" : "-Inf")
            return
        }
        if value == value.rounded(), abs(value) < 1e15 {
            self.signed(Int64(value))
            return
        }
        if self.numbers != nil {
            self.numbers!.append(.text(Array(value.description.utf8)))
            self.bytes.append(SweepFrameCodec.numberMark)
            return
        }
        self.bytes += Array(value.description.utf8)
    }

    private mutating func string(_ text: String) {
        self.bytes.append(UInt8(ascii: "\""))
        // Names and keys almost never need escaping: copy them whole.
        let plain = text.utf8.withContiguousStorageIfAvailable { buffer -> Bool in
            for byte in buffer where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return false }
            self.bytes.append(contentsOf: buffer)
            return true
        }
        if plain == true {
            self.bytes.append(UInt8(ascii: "\""))
            return
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): self.bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): self.bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0x0A: self.bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case 0x0D: self.bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case 0x09: self.bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                self.bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            default: self.bytes.append(byte)
            }
        }
        self.bytes.append(UInt8(ascii: "\""))
    }
}
