import ArgumentParser
import Logging

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension StderrLogHandler.Format: ExpressibleByArgument {}

struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log.level"), help: "trace, debug, info, notice, warning, error or critical.")
    var level: Logger.Level = .info

    @Option(name: .customLong("log.format"), help: "logfmt or json, written to stderr.")
    var format: StderrLogHandler.Format = .logfmt

    func bootstrap() -> Logger {
        let level = self.level, format = self.format
        LoggingSystem.bootstrap { label in StderrLogHandler(label: label, level: level, format: format) }
        return Logger(label: "interference-watch")
    }
}
