import CFileShims

/// One loadable segment (`PT_LOAD`) of an object loaded in the daemon, as `dl_iterate_phdr` reports it: what
/// ``FaultAround`` registers and ``CodePageRelease`` unmaps.
struct LoadedSegment: Equatable {
    /// The object's load bias.
    var bias: UInt
    /// 0 for the main program, then the shared libraries in load order.
    var object: Int
    /// `p_flags`.
    var flags: UInt32
    /// Link-time address, size in memory, and the part of it read from the file (the rest is zero-filled).
    var address: UInt
    var sizeBytes: UInt
    var fileSizeBytes: UInt
    var fileOffset: UInt

    var isWritable: Bool { self.flags & 2 != 0 }  // PF_W

    /// Every loadable segment of every loaded object but the vDSO (no file behind it), the main program's first.
    static func all() -> [LoadedSegment] {
        var headers = [iw_object_segment](repeating: iw_object_segment(), count: 256)
        let count = Int(iw_loaded_segments(&headers, Int32(headers.count)))
        if count > headers.count {
            headers = [iw_object_segment](repeating: iw_object_segment(), count: count)
            _ = iw_loaded_segments(&headers, Int32(headers.count))
        }
        return headers.prefix(count).map {
            LoadedSegment(bias: UInt($0.bias), object: Int($0.object), flags: $0.flags, address: UInt($0.address),
                          sizeBytes: UInt($0.size_bytes), fileSizeBytes: UInt($0.file_size_bytes), fileOffset: UInt($0.file_offset))
        }
    }
}
