import ArgumentParser
import Detectors

/// Flags of the peer comparison's evidence, shared by `run` and `replay` (which must use the daemon's values to
/// reproduce what it found).
struct DetectionOptions: ParsableArguments {
    @Option(name: .customLong("detection.evidence-alpha"),
            help: "Significance level of the added-up rank evidence that raises an imbalance (e.g. 1e-5).")
    var evidenceAlpha = GroupDetector.Configuration().evidenceAlpha

    @Option(name: .customLong("detection.evidence-floor"),
            help: "The evidence counts only slowness beyond this ratio to the peers (e.g. 1.05).")
    var evidenceFloor = GroupDetector.Configuration().evidenceFloorRatio

    @Option(name: .customLong("detection.slow-window-alpha"),
            help: "A window slower than the peers by the effect size counts towards an imbalance below this p (e.g. 0.05).")
    var slowWindowAlpha = GroupDetector.Configuration().slowWindowAlpha

    /// The detector's configuration with these flags.
    func configuration() throws -> GroupDetector.Configuration {
        guard self.evidenceAlpha > 0 && self.evidenceAlpha < 1 else {
            throw ValidationError("invalid --detection.evidence-alpha \(self.evidenceAlpha): expected a probability between 0 and 1, like 1e-5")
        }
        guard self.evidenceFloor >= 1 && self.evidenceFloor.isFinite else {
            throw ValidationError("invalid --detection.evidence-floor \(self.evidenceFloor): expected a ratio of at least 1, like 1.05")
        }
        guard self.slowWindowAlpha > 0 && self.slowWindowAlpha <= 1 else {
            throw ValidationError("invalid --detection.slow-window-alpha \(self.slowWindowAlpha): expected a probability above 0 and at most 1, like 0.05")
        }
        var configuration = GroupDetector.Configuration()
        configuration.evidenceAlpha = self.evidenceAlpha
        configuration.evidenceFloorRatio = self.evidenceFloor
        configuration.slowWindowAlpha = self.slowWindowAlpha
        return configuration
    }
}
