/// Alertmanager refused a batch: its status and what it said.
struct AlertmanagerError: Error, CustomStringConvertible {
    var status: Int
    var body: String
    var description: String { "status \(self.status): \(self.body.prefix(200))" }
}
