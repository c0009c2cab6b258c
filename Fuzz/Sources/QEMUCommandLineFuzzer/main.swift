import FuzzSupport
import Parsers

// /proc/<pid>/cmdline of a QEMU process, split at NULs as the process table does. Socket paths are never empty.
Fuzz.run { bytes in
    let arguments = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    guard let command = QEMUCommandLine(arguments, command: "qemu-system-x86") else { return }
    for path in command.socketPaths {
        Fuzz.require(!path.isEmpty, "empty socket path from \(arguments)")
    }
    if let name = command.name {
        Fuzz.require(!name.isEmpty, "empty guest name from \(arguments)")
        _ = command.pidfileNames(name)
    }
}
