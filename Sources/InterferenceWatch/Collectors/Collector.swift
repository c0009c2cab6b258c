import Parsers
/// A source of samples, run once per sweep by the ``Sampler``.
///
/// The Swift counterpart of node_exporter's `Collector.Update`. A collector owns its readers (with their cached
/// descriptors) and is used from one task only, so it need not be `Sendable`.
protocol Collector: AnyObject {
    /// The name used in `--collector.NAME` and the `collector` label.
    var name: String { get }
    /// Adds this collector's part to the snapshot.
    ///
    /// - Parameter issues: malformed lines and unreadable files that did not stop the collector; the good data is kept.
    /// - Throws: when nothing useful could be collected. ``CollectorError/noData`` means "nothing here" (an absent
    ///   subsystem) and is not counted as a failure.
    func collect(into snapshot: inout CollectedSweep, issues: inout [ParseIssue]) throws
}

enum CollectorError: Error, Equatable, CustomStringConvertible {
    /// Nothing to report on this host (no PSI, no cgroup hierarchy): logged at debug, not a failure.
    case noData(String)
    case failed(String)

    var description: String {
        switch self {
        case .noData(let why): "no data: \(why)"
        case .failed(let why): why
        }
    }
}
