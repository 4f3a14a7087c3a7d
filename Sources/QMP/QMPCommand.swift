import Foundation

/// A QMP command: its wire name, its arguments and the type of its `return` value.
///
/// Commands are small values; `QMPClient.execute(_:timeout:)` sends them with a
/// fresh id and decodes the reply as `Response`. Commands without arguments
/// only declare `name` (and `Response` when they return something).
public protocol QMPCommand: Sendable {
    /// The arguments object; `QMPNoArguments` for commands that take none.
    associatedtype Arguments: Encodable & Sendable = QMPNoArguments
    /// The decoded `return` value; `QMPEmptyResponse` for commands returning `{}`.
    associatedtype Response: Decodable & Sendable = QMPEmptyResponse

    /// The command's wire name, e.g. `"query-status"`.
    static var name: String { get }
    /// The arguments to send, or `nil` to send none.
    var arguments: Arguments? { get }
}

extension QMPCommand where Arguments == QMPNoArguments {
    /// Commands without arguments send none.
    public var arguments: QMPNoArguments? { nil }
}

/// The arguments of a command that takes none.
public struct QMPNoArguments: Encodable, Sendable, Equatable {
    /// Creates the empty arguments value.
    public init() {}
}

/// The `return` value of commands that return an empty object.
public struct QMPEmptyResponse: Decodable, Sendable, Equatable {
    /// Creates the empty response value.
    public init() {}
    /// Accepts any value: these commands' results carry nothing.
    public init(from decoder: any Decoder) throws {}
}

/// Builds request lines: `{"execute":NAME,"arguments":{...},"id":N}`. Pure.
package enum QMPRequest {
    /// The JSON text of one request, without the line terminator.
    ///
    /// Keys of the arguments are sorted so the qmp.log is stable to read and diff.
    package static func line(name: String, arguments: (some Encodable)?, id: UInt64) throws(QMPError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            let quotedName = String(decoding: try encoder.encode(name), as: UTF8.self)
            var text = #"{"execute":"# + quotedName
            if let arguments {
                text += #","arguments":"# + String(decoding: try encoder.encode(arguments), as: UTF8.self)
            }
            return text + #","id":\#(id)}"#
        } catch {
            throw .protocolViolation("cannot encode arguments of \(name): \(error)")
        }
    }
}
