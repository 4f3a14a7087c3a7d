/// The one error type the domain throws.
///
/// `message` is written for the API user and is sent to them; `cause` is kept
/// for the logs only. Each HTTP service renders it in its own OpenStack shape.
public struct NimbusError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in the categories OpenStack services answer with.
    public enum Code: String, Sendable {
        case badRequest
        case unauthorized
        case forbidden
        case notFound
        case methodNotAllowed
        case notAcceptable
        case conflict
        case payloadTooLarge
        case unsupportedMediaType
        case rangeNotSatisfiable
        case overLimit
        case internalError
        case noContent
        case notImplemented
        case serviceUnavailable
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        if let cause { return "\(code.rawValue): \(message) (cause: \(cause))" }
        return "\(code.rawValue): \(message)"
    }

    public static func badRequest(_ message: String) -> NimbusError { NimbusError(.badRequest, message) }
    public static func notFound(_ message: String) -> NimbusError { NimbusError(.notFound, message) }
    public static func conflict(_ message: String) -> NimbusError { NimbusError(.conflict, message) }
    public static func forbidden(_ message: String) -> NimbusError { NimbusError(.forbidden, message) }
    public static func unauthorized(_ message: String) -> NimbusError { NimbusError(.unauthorized, message) }
}
