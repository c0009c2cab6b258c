import Detectors
import FuzzSupport
import Parsers

// Cgroup paths (containers and guests choose their cgroup names). A workload always has a non-empty name; a
// container's is at most 12 characters (the short id).
Fuzz.run { bytes in
    let path = Fuzz.text(bytes)
    let components = path.split(separator: "/")
    switch WorkloadClassifier.classify(components) {
    case .workload(let classification):
        Fuzz.require(!classification.name.isEmpty, "workload without a name for \(components)")
        if classification.kind == .container {
            Fuzz.require(classification.name.count <= 12, "container name \(classification.name) longer than an id prefix")
        }
    case .ignore, .descend:
        break
    }
    _ = WorkloadClassifier.unescapeSystemd(path)
    if let name = WorkloadClassifier.libvirtDomainName(fromMachine: path) {
        Fuzz.require(!name.isEmpty, "empty domain name from \(path)")
    }
}
