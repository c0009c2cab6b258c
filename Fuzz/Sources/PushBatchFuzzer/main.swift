import Detectors
import Foundation
import FuzzSupport
import Parsers

// `POST /api/v1/samples` bodies. Accepted samples satisfy every documented bound; a rejection is 400 or 413, names
// the element (and its field) or the `body` as a whole, and encodes to the JSON error body the API sends.
let servers: [String: Set<String>] = ["api": ["s1", "s2"], "db": ["d1"]]
let now = 1_764_000_000.0

Fuzz.run { bytes in
    switch PushBatchParser.decode(Data(bytes), servers: servers, now: now) {
    case .success(let samples):
        Fuzz.require(samples.count <= PushBatchParser.maxSamples, "\(samples.count) samples accepted")
        for sample in samples {
            Fuzz.require(servers[sample.group]?.contains(sample.server) == true, "unknown \(sample.group)/\(sample.server)")
            Fuzz.require(sample.seconds.isFinite && sample.seconds >= 0 && sample.seconds < PushBatchParser.maxSeconds,
                         "seconds \(sample.seconds)")
            if let server = sample.serverSeconds {
                Fuzz.require(server.isFinite && server >= 0 && server < PushBatchParser.maxSeconds, "server_seconds \(server)")
            }
            Fuzz.require(abs(sample.atSeconds - now) <= PushBatchParser.maxSeconds, "at \(sample.atSeconds)")
        }
    case .failure(let rejection):
        Fuzz.require([400, 413].contains(rejection.status), "status \(rejection.status)")
        Fuzz.require(rejection.field != nil || rejection.index != nil, "a rejection naming neither field nor element: \(rejection)")
        Fuzz.require(rejection.field == "body" || rejection.index != nil, "an element's field without its element: \(rejection)")
        Fuzz.require(!rejection.error.isEmpty, "empty error")
        Fuzz.require((try? JSONEncoder().encode(rejection)) != nil, "rejection does not encode: \(rejection)")
    }
}
