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

extension NimbusError.Code {
    /// The one table from error codes to HTTP statuses, for the APIs and the dashboard alike.
    public var httpStatusCode: Int {
        switch self {
        case .badRequest: 400
        case .unauthorized: 401
        case .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .notAcceptable: 406
        case .conflict: 409
        case .payloadTooLarge: 413
        case .unsupportedMediaType: 415
        case .rangeNotSatisfiable: 416
        case .overLimit: 403
        case .noContent: 204
        case .internalError: 500
        case .notImplemented: 501
        case .serviceUnavailable: 503
        }
    }
}
