import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NimbusCore
import NimbusStore
import Testing

/// GET /image/v2/images: filters, sorting and limit/marker paging as Glance has them.
@Suite("Image list in process")
struct ImageListTests {
    /// Five images with distinct attributes; returns ids by name. Their creation
    /// times are set a minute apart in the order written here (charlie oldest),
    /// so the default newest-first order does not depend on the clock's resolution.
    static func catalogue(_ admin: Caller, _ store: Store) async throws -> [String: String] {
        var ids: [String: String] = [:]
        ids["charlie"] = try await admin.activeImage(
            #"{"name": "charlie", "disk_format": "iso", "container_format": "bare", "tags": ["installer", "linux"], "hw_firmware_type": "uefi"}"#,
            Payload.iso())
        ids["alpha"] = try await admin.activeImage(
            #"{"name": "alpha", "disk_format": "raw", "container_format": "bare", "visibility": "public", "tags": ["linux"], "min_ram": 512}"#,
            Payload.raw(3000))
        ids["echo"] = try await admin.createImageID(
            #"{"name": "echo", "disk_format": "qcow2", "container_format": "bare", "visibility": "private", "hw_firmware_type": "bios"}"#)
        ids["bravo"] = try await admin.createImageID(
            #"{"name": "bravo", "disk_format": "iso", "container_format": "bare", "hw_firmware_type": "uefi", "min_ram": 2048}"#)
        ids["delta"] = try await admin.activeImage(
            #"{"name": "delta", "disk_format": "raw", "container_format": "ovf", "visibility": "public"}"#,
            Payload.raw(1000, seed: 5))
        let start = Date(timeIntervalSince1970: 1_700_000_000)
        for (index, name) in ["charlie", "alpha", "echo", "bravo", "delta"].enumerated() {
            let id = try #require(ids[name])
            let changed = try store.updateImage(id: ImageID(rawValue: id)) { $0.createdAt = start + Double(index) * 60 }
            try #require(changed != nil)
        }
        return ids
    }

    @Test("filters select by name, status, disk_format, visibility, tag and property", arguments: [
        ("name=bravo", ["bravo"]),
        ("status=active", ["alpha", "charlie", "delta"]),
        ("status=queued", ["bravo", "echo"]),
        ("disk_format=iso", ["bravo", "charlie"]),
        ("container_format=ovf", ["delta"]),
        ("visibility=public", ["alpha", "delta"]),
        ("visibility=private", ["echo"]),
        ("visibility=shared", ["bravo", "charlie"]),
        ("visibility=all", ["alpha", "bravo", "charlie", "delta", "echo"]),
        ("tag=linux", ["alpha", "charlie"]),
        ("tag=linux&tag=installer", ["charlie"]),
        ("tag=nothing", []),
        ("hw_firmware_type=uefi", ["bravo", "charlie"]),
        ("hw_firmware_type=uefi&status=queued", ["bravo"]),
        ("disk_format=raw&visibility=public&name=delta", ["delta"]),
        ("size_min=2000", ["alpha", "charlie"]),
        ("size_max=2000", ["delta"]),
        ("protected=false", ["alpha", "bravo", "charlie", "delta", "echo"]),
        ("name=nobody", []),
    ])
    func filters(query: String, expected: [String]) async throws {
        let cloud = try TestCloud()
        let store = cloud.services.store
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let ids = try await Self.catalogue(admin, store)
            let names = Dictionary(uniqueKeysWithValues: ids.map { ($0.value, $0.key) })
            let listed = try await admin.listedIDs(query).compactMap { names[$0] }
            #expect(listed.sorted() == expected, "?\(query)")
        }
    }

    @Test("the default order is newest first; sort_key/sort_dir and sort=key:dir order as asked")
    func sorting() async throws {
        let cloud = try TestCloud()
        let store = cloud.services.store
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let ids = try await Self.catalogue(admin, store)
            let names = Dictionary(uniqueKeysWithValues: ids.map { ($0.value, $0.key) })
            func listed(_ query: String) async throws -> [String] {
                try await admin.listedIDs(query).compactMap { names[$0] }
            }
            #expect(try await listed("") == ["delta", "bravo", "echo", "alpha", "charlie"])
            #expect(try await listed("sort_key=created_at&sort_dir=asc") == ["charlie", "alpha", "echo", "bravo", "delta"])
            #expect(try await listed("sort_key=name&sort_dir=asc") == ["alpha", "bravo", "charlie", "delta", "echo"])
            #expect(try await listed("sort_key=name&sort_dir=desc") == ["echo", "delta", "charlie", "bravo", "alpha"])
            #expect(try await listed("sort=name:asc") == ["alpha", "bravo", "charlie", "delta", "echo"])
            #expect(try await listed("sort=name") == ["echo", "delta", "charlie", "bravo", "alpha"], "sort without a direction is descending")
            #expect(try await listed("sort=disk_format:asc,name:desc") == ["charlie", "bravo", "echo", "delta", "alpha"])
            #expect(try await listed("sort_key=min_ram&sort_key=name&sort_dir=desc&sort_dir=asc") == ["bravo", "alpha", "charlie", "delta", "echo"])
            #expect(try await listed("sort_key=size&sort_dir=asc&status=active") == ["delta", "alpha", "charlie"])
        }
    }

    @Test("limit and marker page through every image once; following next yields the rest", arguments: [1, 2, 3, 4, 5, 6])
    func paging(limit: Int) async throws {
        let cloud = try TestCloud()
        let store = cloud.services.store
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let ids = try await Self.catalogue(admin, store)
            let everything = try await admin.listedIDs("sort_key=name&sort_dir=asc")
            #expect(everything.count == ids.count)

            var collected: [String] = []
            var path = "/image/v2/images?sort_key=name&sort_dir=asc&limit=\(limit)"
            var pages = 0
            while true {
                pages += 1
                try #require(pages <= 10, "paging does not end")
                let response = try await admin.send(.get, path)
                try #require(response.status == .ok, "\(path) gave \(response.status): \(response.text)")
                let page = try response.object()
                let images = try #require(page["images"] as? [[String: Any]])
                #expect(images.count <= limit)
                collected += images.compactMap { $0["id"] as? String }
                guard let next = page["next"] as? String else { break }
                #expect(images.count == limit, "a page followed by more must be full")
                // Glance's links are relative to the image endpoint, as clients join them.
                #expect(next.hasPrefix("/v2/images?"))
                #expect(next.contains("limit=\(limit)") && next.contains("sort_key=name"), "next \(next) keeps the query")
                path = "/image" + next
            }
            #expect(collected == everything, "limit \(limit): \(collected) vs \(everything)")
            #expect(Set(collected).count == collected.count, "no image twice")
        }
    }

    @Test("without a limit a page holds 25 images, and next leads to the rest")
    func defaultPageSize() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            var created: Set<String> = []
            for index in 0..<27 { created.insert(try await admin.createImageID(#"{"name": "image-\#(index)"}"#)) }
            let first = try await admin.list()
            let firstIDs = (first["images"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(firstIDs.count == 25)
            let next = try #require(first["next"] as? String)
            let second = try await admin.send(.get, "/image" + next).object()
            let secondIDs = (second["images"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(secondIDs.count == 2)
            #expect(Set(firstIDs + secondIDs) == created)
            #expect(second["next"] == nil)
        }
    }

    @Test("paging with a filter keeps the filter in the next link")
    func pagingWithFilter() async throws {
        let cloud = try TestCloud()
        let store = cloud.services.store
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let ids = try await Self.catalogue(admin, store)
            let first = try await admin.list("status=active&limit=2&sort=name:asc")
            let firstIDs = (first["images"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(firstIDs == [ids["alpha"], ids["charlie"]].compactMap { $0 })
            let next = try #require(first["next"] as? String)
            #expect(next.contains("status=active"))
            let second = try await admin.send(.get, "/image" + next).object()
            let secondIDs = (second["images"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(secondIDs == [ids["delta"]].compactMap { $0 })
            #expect(second["next"] == nil)
        }
    }

    @Test("names with spaces, plus signs and percent signs are matched as clients encode them")
    func filterEncoding() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let spaced = try await admin.createImageID(#"{"name": "Fedora 40 Server"}"#)
            let plus = try await admin.createImageID(#"{"name": "c++"}"#)
            let percent = try await admin.createImageID(#"{"name": "100%25 done"}"#)
            // python-glanceclient and openstacksdk encode query strings with urlencode: a space is '+'.
            #expect(try await admin.listedIDs("name=Fedora+40+Server") == [spaced])
            #expect(try await admin.listedIDs("name=Fedora%2040%20Server") == [spaced])
            #expect(try await admin.listedIDs("name=c%2B%2B") == [plus])
            #expect(try await admin.listedIDs("name=100%2525+done") == [percent])
        }
    }

    @Test("invalid list parameters are 400", arguments: [
        "sort_key=color", "sort=color:asc", "sort_dir=sideways&sort_key=name", "sort=name:up", "sort=:", "sort=:asc",
        "limit=-1", "limit=ten", "marker=\(UUID().uuidString.lowercased())", "marker=not-an-id", "visibility=everyone",
        "size_min=big", "size_max=1e3", "protected=yes", "os_hidden=maybe", "member_status=bogus",
    ])
    func invalidParameters(query: String) async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            _ = try await admin.createImageID(#"{"name": "one"}"#)
            let response = try await admin.send(.get, "/image/v2/images?\(query)")
            #expect(response.status == .badRequest, "?\(query) gave \(response.status)")
            try response.glanceError()
        }
    }

    @Test("an invalid filter value is 400 even when no image would reach the filter", arguments: [
        "visibility=everyone", "size_min=big", "protected=yes", "os_hidden=maybe", "member_status=bogus",
        "name=nobody&size_max=small",
    ])
    func invalidFilterWithoutImages(query: String) async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let response = try await admin.send(.get, "/image/v2/images?\(query)")
            #expect(response.status == .badRequest, "?\(query) gave \(response.status)")
            try response.glanceError()
        }
    }

    @Test("hidden images are listed only when asked for")
    func hiddenImages() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let shown = try await admin.createImageID(#"{"name": "shown"}"#)
            let hidden = try await admin.createImageID(#"{"name": "hidden", "os_hidden": true}"#)
            #expect(try await admin.listedIDs() == [shown])
            #expect(try await admin.listedIDs("os_hidden=true") == [hidden])
            #expect(try await admin.listedIDs("os_hidden=false") == [shown])
            #expect(try await admin.show(hidden)["os_hidden"] as? Bool == true)
        }
    }
}
