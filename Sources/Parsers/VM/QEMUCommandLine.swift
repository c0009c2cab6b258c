/// What a QEMU process's command line says about which VM it runs.
///
/// Only the options that identify a VM are read:
/// ```
/// qemu-system-x86_64 -name guest=web1,debug-threads=on -pidfile /run/libvirt/qemu/web1.pid \
///     -qmp unix:/run/iw/qmp/web1.sock,server=on,wait=off \
///     -chardev socket,id=charmonitor,path=/var/lib/libvirt/qemu/domain-3-web1/monitor.sock,server=on,wait=off
/// ```
/// `-name` is `<name>`, `guest=<name>,...` or `<name>,process=...` (a literal comma is doubled, `,,`); options may
/// also be spelled with two dashes (`--name`). See qemu-options.hx.
public struct QEMUCommandLine: Sendable, Equatable {
    /// `-name`'s guest name.
    public var name: String?
    /// Unix socket paths of `-qmp`/`-qmp-pretty unix:<path>` and of `-chardev socket,path=<path>`.
    public var socketPaths: [String] = []
    /// `-pidfile`.
    public var pidfile: String?

    /// Parses `arguments` (`/proc/<pid>/cmdline` split at NULs); `nil` when the program is not QEMU.
    public init?(_ arguments: [String], command: String = "") {
        guard let program = arguments.first, Self.isQEMU(program: program, command: command) else { return nil }
        var index = 1
        while index < arguments.count {
            var option = Substring(arguments[index])
            index += 1
            guard option.hasPrefix("-"), index < arguments.count else { continue }
            if option.hasPrefix("--") { option = option.dropFirst() }
            let value = arguments[index]
            switch option {
            case "-name":
                self.name = Self.guestName(value)
            case "-qmp", "-qmp-pretty":
                if value.hasPrefix("unix:") {
                    var path = Self.options(String(value.dropFirst("unix:".count))).first ?? ""
                    if path.hasPrefix("path=") { path.removeFirst("path=".count) }
                    if !path.isEmpty { self.socketPaths.append(path) }
                }
            case "-chardev":
                let fields = Self.options(value)
                if fields.first == "socket", let path = fields.first(where: { $0.hasPrefix("path=") }),
                   path.count > "path=".count {
                    self.socketPaths.append(String(path.dropFirst("path=".count)))
                }
            case "-pidfile":
                self.pidfile = value
            default:
                continue  // Not a value we need; a flag without value is re-read as an option next round.
            }
            index += 1
        }
    }

    public init(name: String? = nil, socketPaths: [String] = [], pidfile: String? = nil) {
        self.name = name
        self.socketPaths = socketPaths
        self.pidfile = pidfile
    }

    /// `qemu-system-*`, `qemu-kvm` (RHEL's `/usr/libexec/qemu-kvm`) or Debian's old `kvm` wrapper.
    public static func isQEMU(program: String, command: String) -> Bool {
        let base = program.split(separator: "/").last.map(String.init) ?? program
        return base.hasPrefix("qemu") || base == "kvm" || command.hasPrefix("qemu")
    }

    /// Whether the pidfile names this VM: `<dir>/<name>.pid` (libvirt: `/run/libvirt/qemu/<name>.pid`) or
    /// `<dir>/<name>/<file>` (the lab scripts: `<run dir>/<name>/qemu.pid`).
    public func pidfileNames(_ vm: String) -> Bool {
        guard let pidfile else { return false }
        let components = pidfile.split(separator: "/")
        guard let file = components.last else { return false }
        let stem = file.lastIndex(of: ".").map { file[..<$0] } ?? file
        return stem == vm || (components.count >= 2 && components[components.count - 2] == vm)
    }

    /// The guest name from `-name`'s value.
    private static func guestName(_ value: String) -> String? {
        let fields = Self.options(value)
        if let guest = fields.first(where: { $0.hasPrefix("guest=") }) {
            // `guest=` with nothing after it names no VM; an empty name would match every pidfile stem "".
            return guest.count > "guest=".count ? String(guest.dropFirst("guest=".count)) : nil
        }
        guard let first = fields.first, !first.contains("="), !first.isEmpty else { return nil }
        return first
    }

    /// Splits a QEMU option string at single commas; `,,` is a literal comma.
    private static func options(_ value: String) -> [String] {
        var fields: [String] = []
        var current = ""
        var characters = value.makeIterator()
        var pending = characters.next()
        while let character = pending {
            pending = characters.next()
            if character == "," {
                if pending == "," {
                    current.append(",")
                    pending = characters.next()
                } else {
                    fields.append(current)
                    current = ""
                }
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
