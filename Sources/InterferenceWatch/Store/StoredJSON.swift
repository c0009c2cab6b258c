import Foundation

/// The JSON of the records history keeps (verdicts, findings, runs, alert transitions, state): one configuration
/// for the writer and the reader, so what is written always reads back. Infinite ratios (a server whose requests all
/// failed) are the strings `+Inf`/`-Inf`, since JSON has no infinity.
enum StoredJSON {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return decoder
    }
}
