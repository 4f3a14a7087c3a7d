import Foundation
import Identity
import Images
import NimbusCore
import NimbusStore
import Synchronization
import Testing

/// The image list is asked of the database a page at a time: its cost
/// follows the page, not the number of images in the cloud.
@Suite("Image list cost and keyset paging")
struct ImageListingScaleTests {
    struct Cloud {
        let images: ImageService
        let store: Store
        let admin: AuthContext
        let selects: @Sendable () -> Int

        init() throws {
            let counter = Mutex(0)
            store = try Store(inMemory: ()) { sql in
                if sql.uppercased().hasPrefix("SELECT") { counter.withLock { $0 += 1 } }
            }
            let identity = IdentityService(store: store, passwordHashRounds: 1_000, tokenLifetime: 3600)
            _ = try identity.bootstrap(adminPassword: "admin-pass")
            let token = try identity.authenticate(
                user: .name("admin", domain: .id(.default)), password: "admin-pass", scope: .project(.name("admin", domain: .id(.default))))
            admin = try identity.validate(token.secret)
            let blobs = FileManager.default.temporaryDirectory.appendingPathComponent("nimbus-listing-\(UUID().uuidString)")
            images = ImageService(store: store, blobs: try BlobStore(directory: blobs))
            selects = { counter.withLock { $0 } }
        }

        /// SELECT statements `body` ran.
        func selects(_ body: () throws -> Void) rethrows -> Int {
            let before = selects()
            try body()
            return selects() - before
        }
    }

    @Test("at 10,000 images a page is one query (two with a marker), the same as at 10")
    func pageCostsOneQuery() throws {
        let cloud = try Cloud()
        for index in 0..<10_000 {
            _ = try cloud.images.create(["name": .string("image-\(index)"), "disk_format": "raw", "container_format": "bare"], cloud.admin)
        }
        var query = ImageService.ListQuery()
        var page: ImageService.Page?
        #expect(cloud.selects { page = try? cloud.images.list(query, cloud.admin) } == 1)
        #expect(page?.images.count == ImageService.defaultPageSize)
        #expect(page?.images.first?.createdAt == (try cloud.store.images()).map(\.createdAt).max(), "newest first")
        var seen = page?.images.count ?? 0
        for _ in 0..<5 {
            query.marker = page?.nextMarker?.rawValue
            #expect(cloud.selects { page = try? cloud.images.list(query, cloud.admin) } == 2)
            seen += page?.images.count ?? 0
        }
        #expect(seen == 6 * ImageService.defaultPageSize)
        query.filters["name"] = "image-1234"
        query.marker = nil
        #expect(cloud.selects { page = try? cloud.images.list(query, cloud.admin) } == 1)
        #expect(page?.images.map(\.name) == ["image-1234"])
    }

    @Test("walking pages of 3 gives the same images in the same order as one page, for every order", arguments: [
        [("name", true)], [("name", false)], [("size", false), ("name", true)], [("size", true)],
        [("min_ram", true), ("created_at", false)], [("owner", false), ("status", true)], [("disk_format", true), ("size", false)],
    ])
    func keysetMatchesOnePage(sort: [(String, Bool)]) throws {
        let cloud = try Cloud()
        // Unnamed images, images without size and ties in every column: where keyset paging goes wrong.
        for index in 0..<23 {
            var attributes: [String: JSONValue] = ["disk_format": index % 3 == 0 ? "iso" : "raw", "container_format": "bare"]
            if index % 4 != 0 { attributes["name"] = .string("name-\(index % 5)") }
            if index % 2 == 0 { attributes["min_ram"] = .number(Double(index % 3 * 512)) }
            let image = try cloud.images.create(attributes, cloud.admin)
            if index % 3 != 1 {
                _ = try cloud.store.updateImage(id: image.id) { $0.size = Int64(index % 4) * 1000 }
            }
        }
        var query = ImageService.ListQuery()
        query.sort = sort.map { (key: $0.0, ascending: $0.1) }
        query.limit = 1000
        let whole = try cloud.images.list(query, cloud.admin).images.map(\.id)
        #expect(whole.count == 23)
        query.limit = 3
        var walked: [ImageID] = []
        while true {
            let page = try cloud.images.list(query, cloud.admin)
            walked += page.images.map(\.id)
            guard let next = page.nextMarker else { break }
            query.marker = next.rawValue
        }
        #expect(walked == whole)
    }
}
