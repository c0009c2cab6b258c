import ArgumentParser
import Detectors
import Testing

@testable import InterferenceWatch

struct DetectionOptionsTests {
    @Test func flagsReachTheDetectorConfiguration() throws {
        let options = try DetectionOptions.parse(["--detection.evidence-alpha", "1e-6", "--detection.evidence-floor", "1.1",
                                                  "--detection.slow-window-alpha", "0.01"])
        let configuration = try options.configuration()
        #expect(configuration.evidenceAlpha == 1e-6 && configuration.evidenceFloorRatio == 1.1
                && configuration.slowWindowAlpha == 0.01)
        #expect(try DetectionOptions.parse([]).configuration() == GroupDetector.Configuration())
    }

    @Test(arguments: [["--detection.evidence-alpha", "0"], ["--detection.evidence-alpha", "1.5"],
                      ["--detection.evidence-floor", "0.9"], ["--detection.slow-window-alpha", "0"]])
    func outOfRangeValuesAreRejectedByName(arguments: [String]) throws {
        let options = try DetectionOptions.parse(arguments)
        #expect {
            _ = try options.configuration()
        } throws: { error in
            "\(error)".contains(arguments[0])
        }
    }
}
