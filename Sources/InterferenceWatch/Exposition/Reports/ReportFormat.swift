import Foundation

/// The formats a report is written in.
enum ReportFormat: String, CaseIterable, Sendable {
    case html, md, json

    var contentType: String {
        switch self {
        case .html: "text/html; charset=utf-8"
        case .md: "text/markdown; charset=utf-8"
        case .json: "application/json"
        }
    }

    func render(_ report: PostMortem) throws -> Data {
        switch self {
        case .html: Data(report.html.utf8)
        case .md: Data(report.markdown.utf8)
        case .json: try APIJSON.encode(report)
        }
    }
}
