/// A command that ran but could not do its work (no history, an empty range): printed as `Error: <message>` with
/// exit status 1, without the usage text a wrong flag gets.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String

    init(_ message: String) {
        self.description = message
    }
}
