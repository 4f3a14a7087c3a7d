import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NimbusCore

/// Renders every error in the OpenStack shape of the service the path
/// belongs to, with the right status, and gives each response a request id.
/// Unknown errors become a 500 that names the request id; the real error
/// goes to the log only. Compute answers also carry Nova's own header for it.
struct ErrorMiddleware<Context: IdentifiedRequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let requestID = "req-" + UUID().uuidString.lowercased()
        var context = context
        context.requestID = requestID
        context.logger[metadataKey: "request.id"] = "\(requestID)"
        let service = ServiceStyle(path: request.uri.path)
        func identify(_ response: inout Response) {
            response.headers[.xOpenStackRequestID] = requestID
            if service == .compute { response.headers[.xComputeRequestID] = requestID }
        }
        do {
            var response = try await next(request, context)
            identify(&response)
            return response
        } catch {
            let failure = Self.nimbusError(from: error, requestID: requestID)
            if failure.code == .internalError {
                context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            } else {
                context.logger.debug("request refused", metadata: ["error": "\(failure)"])
            }
            let acceptsJSON = request.headers[.accept]?.contains("json") ?? false
            var response = ErrorRendering.response(for: failure, service: service, acceptsJSON: acceptsJSON)
            // Headers an HTTPError carries belong to the answer (Content-Range on a
            // 416); those the rendering set, such as Content-Type, win.
            if let httpError = error as? HTTPError {
                for field in httpError.headers where field.name != .contentLength && response.headers[field.name] == nil {
                    response.headers.append(field)
                }
            }
            identify(&response)
            return response
        }
    }

    static func nimbusError(from error: any Error, requestID: String) -> NimbusError {
        switch error {
        case let error as NimbusError:
            return error
        case let error as HTTPError:
            let code = NimbusError.Code(status: error.status) ?? .internalError
            if code == .internalError { break }
            return NimbusError(code, error.body ?? error.status.reasonPhrase, cause: error)
        case is DecodingError:
            return NimbusError(.badRequest, "The request body is not valid JSON for this request.", cause: error)
        default:
            break
        }
        return NimbusError(.internalError, "An unexpected error prevented the server from fulfilling your request. (request id \(requestID))", cause: error)
    }
}

/// Which OpenStack service's error shape to use.
enum ServiceStyle {
    case identity, image, compute, network, other

    init(path: String) {
        if path.hasPrefix("/identity") { self = .identity }
        else if path.hasPrefix("/image") { self = .image }
        else if path.hasPrefix("/compute") { self = .compute }
        else if path.hasPrefix("/network") { self = .network }
        else { self = .other }
    }
}

extension NimbusError.Code {
    /// The status of `httpStatusCode`, NimbusCore's one table from error codes to HTTP statuses.
    var status: HTTPResponse.Status { HTTPResponse.Status(code: httpStatusCode) }

    init?(status: HTTPResponse.Status) {
        switch status.code {
        case 400: self = .badRequest
        case 401: self = .unauthorized
        case 403: self = .forbidden
        case 404: self = .notFound
        case 405: self = .methodNotAllowed
        case 406: self = .notAcceptable
        case 409: self = .conflict
        case 413: self = .payloadTooLarge
        case 415: self = .unsupportedMediaType
        case 416: self = .rangeNotSatisfiable
        case 431: self = .badRequest
        case 501: self = .notImplemented
        case 503: self = .serviceUnavailable
        default: return nil
        }
    }
}

enum ErrorRendering {
    /// `acceptsJSON`: the request's Accept names JSON. Glance (webob) answers
    /// others with an HTML page, which python-glanceclient reads; JSON is
    /// what keystoneauth's clients ask for.
    static func response(for error: NimbusError, service: ServiceStyle, acceptsJSON: Bool = true) -> Response {
        let status = HTTPResponse.Status(code: error.code.status.code, reasonPhrase: reasonPhrase(error.code.status.code))
        if status == .noContent { return Response(status: .noContent) }
        // keystonemiddleware answers a 401 in JSON whatever was asked for.
        if service == .image, !acceptsJSON, status != .unauthorized { return webobPage(status, error.message) }
        let body: [String: Any]
        switch service {
        case .identity:
            body = ["error": ["code": status.code, "title": status.reasonPhrase, "message": error.message]]
        case .compute:
            body = [novaFault(status): ["code": status.code, "message": error.message]]
        case .network:
            body = ["NeutronError": ["type": neutronType(status), "message": error.message, "detail": ""]]
        case .image, .other:
            body = ["code": "\(status.code) \(status.reasonPhrase)", "title": status.reasonPhrase, "message": error.message]
        }
        var headers: HTTPFields = [.contentType: "application/json"]
        if status == .unauthorized, service == .identity {
            headers[.wwwAuthenticate] = "Keystone uri=\"/identity\""
        }
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The page webob renders for an HTTP error, as Glance sends it to clients that do not ask for JSON.
    static func webobPage(_ status: HTTPResponse.Status, _ message: String) -> Response {
        let escaped = message.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        let title = "\(status.code) \(status.reasonPhrase)"
        let page = "<html>\n <head>\n  <title>\(title)</title>\n </head>\n <body>\n  <h1>\(title)</h1>\n  \(escaped)<br /><br />\n </body>\n</html>"
        return Response(status: status, headers: [.contentType: "text/html; charset=UTF-8"], body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    /// The standard reason phrase (a status made from a bare code has none).
    static func reasonPhrase(_ code: Int) -> String {
        switch code {
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 406: "Not Acceptable"
        case 409: "Conflict"
        case 410: "Gone"
        case 413: "Request Entity Too Large"
        case 415: "Unsupported Media Type"
        case 416: "Requested Range Not Satisfiable"
        case 500: "Internal Server Error"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        default: HTTPResponse.Status(code: code).reasonPhrase
        }
    }

    /// Nova names its faults after the webob exception class.
    static func novaFault(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "badRequest"
        case 401: "unauthorized"
        case 403: "forbidden"
        case 404: "itemNotFound"
        case 405: "badMethod"
        case 406: "notAcceptable"
        case 409: "conflictingRequest"
        case 413: "overLimit"
        case 415: "badMediaType"
        case 501: "notImplemented"
        case 503: "serviceUnavailable"
        default: "computeFault"
        }
    }

    static func neutronType(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "HTTPBadRequest"
        case 401: "HTTPUnauthorized"
        case 403: "HTTPForbidden"
        case 404: "HTTPNotFound"
        case 409: "HTTPConflict"
        default: "HTTPInternalServerError"
        }
    }
}
