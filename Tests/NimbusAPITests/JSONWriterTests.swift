import Foundation
import NimbusCore
import Testing

/// Responses are written by JSONWriter; they must be the bytes JSONEncoder
/// (sorted keys, slashes unescaped) wrote before it, so no client sees a change.
@Suite("JSON writer")
struct JSONWriterTests {
    static func encoded(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test("writes what JSONEncoder writes", arguments: [
        JSONValue.object([:]), .array([]), .null, .bool(true), .bool(false),
        .string(""), .string("plain"), .string("quote \" backslash \\ slash / tab \t newline \n return \r"),
        .string("controls \u{0} \u{1} \u{8} \u{c} \u{1f} \u{7f}"), .string("unicode é 名前 🚀 \u{2028}"),
        .number(0), .number(-1), .number(512), .number(1.5), .number(-0.25), .number(0.1), .number(123_456_789_012_345),
        .number(1e15), .number(1e20), .number(4_294_967_296.5),
        .object(["b": 1, "a": .array(["x", .null, .object(["z": true, "Z": false, "_": 0, "é": 1, "aa": 2])])]),
        .object(["images": .array([.object(["id": "7c2d", "name": .null, "tags": ["linux", "installer"], "size": 1_073_741_824, "self": "/v2/images/7c2d"])])]),
    ])
    func sameAsJSONEncoder(value: JSONValue) throws {
        #expect(String(decoding: JSONWriter.bytes(value), as: UTF8.self) == (try Self.encoded(value)))
    }
}
