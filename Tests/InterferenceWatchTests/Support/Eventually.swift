import Foundation

/// The one bounded wait of the tests: polls `condition` until it holds or `seconds` pass, and returns whether it
/// held. Tests wait on something they can observe, never for a fixed time.
func eventually(within seconds: Double, every poll: Duration = .milliseconds(20),
                _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: poll)
    }
    return try await condition()
}
