import Detectors

/// `GET /api/v1/episodes`: every recorded episode, newest first, with the id a report takes.
struct EpisodesDocument: Encodable, Sendable {
    var generatedAt: Double
    var episodes: [Episode]
}
