import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Image tag and property limits")
struct ImageLimitTests {
    @Test("more than 128 tags or properties is 413 on every path, and the image is unchanged")
    func limits() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let tags = (0...128).map { "\"t\($0)\"" }.joined(separator: ",")
            let tooManyTags = try await admin.send(.post, "/image/v2/images", json: "{\"name\": \"x\", \"tags\": [\(tags)]}")
            #expect(tooManyTags.status == .contentTooLarge)

            let id = try await admin.createImageID(#"{"name": "limited"}"#)
            let replace = try await admin.patch(id, "[{\"op\": \"replace\", \"path\": \"/tags\", \"value\": [\(tags)]}]")
            #expect(replace.status == .contentTooLarge)
            let properties = (0...128).map { "{\"op\": \"add\", \"path\": \"/p\($0)\", \"value\": \"v\"}" }.joined(separator: ",")
            let tooManyProperties = try await admin.patch(id, "[\(properties)]")
            #expect(tooManyProperties.status == .contentTooLarge)
            let shown = try await admin.show(id)
            #expect((shown["tags"] as? [String])?.isEmpty == true)
            #expect(shown["p0"] == nil, "a refused patch must change nothing")

            for index in 0..<128 {
                #expect(try await admin.send(.put, "/image/v2/images/\(id)/tags/t\(index)").status == .noContent)
            }
            #expect(try await admin.send(.put, "/image/v2/images/\(id)/tags/one-more").status == .contentTooLarge)
        }
    }
}
