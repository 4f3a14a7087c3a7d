import Foundation
import Hummingbird
import Images
import NimbusCore
import OpenStackAPI

/// Reading JSON requests and writing JSON responses, with errors a user can act on.
enum JSONMessages {
    static let maximumBodySize = 1 << 20

    static func decode<T: Decodable>(_ type: T.Type, from request: Request, mediaTypes: [String] = ["application/json"]) async throws -> T {
        guard let value = try await decodeIfPresent(type, from: request, mediaTypes: mediaTypes) else {
            throw NimbusError.badRequest("The request body is empty; a JSON document is required.")
        }
        return value
    }

    /// As `decode`, for a body that may be left out: nil when it is empty; a malformed one is still a 400.
    static func decodeIfPresent<T: Decodable>(_ type: T.Type, from request: Request, mediaTypes: [String] = ["application/json"]) async throws -> T? {
        if let contentType = request.headers[.contentType] {
            let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
            guard mediaTypes.contains(mediaType) else {
                throw NimbusError(.unsupportedMediaType, "Unsupported Content-Type '\(contentType)'; expected \(mediaTypes.joined(separator: " or ")).")
            }
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maximumBodySize)
        } catch {
            throw NimbusError(.payloadTooLarge, "Request body is larger than \(maximumBodySize) bytes.", cause: error)
        }
        guard buffer.readableBytes > 0 else { return nil }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw NimbusError(.badRequest, describe(error), cause: error)
        }
    }

    /// A decoding failure in words: which field, and what was wrong with it.
    static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.isEmpty ? "the body" : "'" + keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".") + "'"
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return "Malformed JSON in request body."
        case .dataCorrupted(let context):
            return "Invalid value for \(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "Missing required field \(path(context.codingPath + [key]))."
        case .typeMismatch(let type, let context):
            return "Invalid type for \(path(context.codingPath)): expected \(readable(type))."
        case .valueNotFound(let type, let context):
            return "Invalid value for \(path(context.codingPath)): expected \(readable(type)), found null."
        @unknown default:
            return "The request body is not valid for this request."
        }
    }

    static func readable(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        default: "an object of the documented shape"
        }
    }

    /// A JSON document built of `JSONValue`s, as most responses are: written by `JSONWriter`, not `JSONEncoder`.
    static func response(_ value: [String: JSONValue], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        try response(JSONValue.object(value), status: status, headers: headers)
    }

    static func response(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: JSONWriter.bytes(value))))
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Unknown fields in a strict body are an error, as with Nova's schemas.
    static func refuseUnknown(_ object: [String: JSONValue], allowed: Set<String>, in what: String) throws {
        try Nova.refuseUnknown(object, allowed: allowed, in: what)
    }
}

extension ByteBuffer: ByteChunk {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeReadableBytes(body)
    }
}
