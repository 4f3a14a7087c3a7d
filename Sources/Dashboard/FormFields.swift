import Foundation
import Hummingbird
import NimbusCore

/// An `application/x-www-form-urlencoded` body, as browsers post forms.
/// Repeated names keep every value; `subscript` gives the first.
struct FormFields: Sendable {
    var values: [(String, String)]

    subscript(name: String) -> String? {
        values.first { $0.0 == name }?.1
    }

    /// A field that must be there and not blank.
    func required(_ name: String, label: String) throws -> String {
        guard let value = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            throw NimbusError.badRequest("\(label) is required.")
        }
        return value
    }

    /// A field that may be left blank (nil then).
    func optional(_ name: String) -> String? {
        guard let value = self[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    init(_ text: String) {
        values = text.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// Forms are small: a body over 1 MiB is refused (user data has its own limit below that).
    static func read<Context: RequestContext>(_ request: Request, context: Context) async throws -> FormFields {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        return FormFields(String(buffer: buffer))
    }
}
