import Detectors
import FuzzSupport
import Parsers

// `virsh dominfo` and `virsh dommemstat` output, and the VM sample built from both.
// KiB values become bytes: always a multiple of 1024 (or saturated at UInt64.max for dommemstat).
Fuzz.run { bytes in
    let text = Fuzz.text(bytes)
    let info = DomInfo(parsing: text)
    let stats = DomMemStat(parsing: text)
    for value in [info.maxMemoryBytes, info.usedMemoryBytes].compactMap({ $0 }) {
        Fuzz.require(value % 1024 == 0, "dominfo bytes \(value) are not whole KiB")
    }
    for key in stats.values.keys {
        if let bytes = stats.bytes(key) {
            Fuzz.require(bytes % 1024 == 0 || bytes == .max, "dommemstat \(key) bytes \(bytes)")
        }
    }
    _ = VMSample(libvirtDomain: "fuzz", info: info, memoryStats: stats)
}
