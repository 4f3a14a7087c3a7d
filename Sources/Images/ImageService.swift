import Foundation
import Identity
import Logging
import NimbusCore
import NimbusStore

/// Image lifecycle as Glance has it, over content-addressed blob storage.
public struct ImageService: Sendable {
    let store: Store
    public let blobs: BlobStore
    let logger = Logger(label: "nimbus.images")

    public init(store: Store, blobs: BlobStore) {
        self.store = store
        self.blobs = blobs
    }

    // MARK: Create, show, update, delete

    public func create(_ attributes: [String: JSONValue], _ auth: AuthContext) throws -> Image {
        let owner = try Policy.requireProjectMember(auth)
        var image = Image(id: .generate(), owner: owner, now: Date())
        if let requested = attributes["id"] {
            // Glance lets a client choose the id of a new image.
            guard let text = requested.stringValue, let id = ImageID.parse(text) else {
                throw ImageAttributes.invalid("id", requested, "a UUID")
            }
            guard try store.image(id: id) == nil else {
                throw NimbusError.conflict("An image with identifier \(id) already exists")
            }
            image.id = id
        }
        let authority = Self.authority(auth)
        for (key, value) in attributes.sorted(by: { $0.key < $1.key }) where key != "id" {
            try ImageAttributes.set(key, to: value, on: &image, auth: authority)
        }
        try ImageAttributes.checkLimits(image)
        try store.insert(image)
        logger.info("image created", metadata: ["image.id": "\(image.id)"])
        return image
    }

    /// An image the caller can see; anything else is 404, so other projects'
    /// private images cannot even be confirmed to exist.
    public func image(_ id: String, _ auth: AuthContext) throws -> Image {
        guard let imageID = ImageID.parse(id), let image = try store.image(id: imageID),
              try isVisible(image, auth, member: try memberStatus(image, auth))
        else { throw NimbusError.notFound("No image found with ID \(id)") }
        return image
    }

    /// One JSON-patch operation of Glance's image update.
    public struct PatchOperation: Sendable {
        public enum Kind: String, Sendable, CaseIterable { case add, replace, remove }
        public var kind: Kind
        public var path: String
        public var value: JSONValue?
        public init(kind: Kind, path: String, value: JSONValue?) {
            self.kind = kind
            self.path = path
            self.value = value
        }
    }

    public func update(_ id: String, _ operations: [PatchOperation], _ auth: AuthContext) throws -> Image {
        let current = try modifiable(id, auth)
        let authority = Self.authority(auth)
        let updated = try store.updateImage(id: current.id) { image in
            for operation in operations {
                try Self.apply(operation, to: &image, authority)
            }
            try ImageAttributes.checkLimits(image)
            image.updatedAt = Date()
        }
        guard let updated else { throw NimbusError.notFound("No image found with ID \(id)") }
        return updated
    }

    static func apply(_ operation: PatchOperation, to image: inout Image, _ authority: AuthorityCheck) throws {
        let segments = operation.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        guard operation.path.hasPrefix("/"), let first = segments.first, !first.isEmpty else {
            throw NimbusError.badRequest("Invalid JSON pointer for this resource: '\(operation.path)'")
        }
        // JSON pointer escapes (RFC 6901).
        let key = first.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        // Read-only and reserved attributes are 403 whatever the operation, as in
        // Glance; checked first so `replace /status` is not a 409 "does not exist".
        try ImageAttributes.checkWritable(key)
        if key == "tags", segments.count == 2, operation.kind == .add, let tag = operation.value?.stringValue {
            let checked = try ImageAttributes.validTag(tag)
            if !image.tags.contains(checked) { image.tags.append(checked) }
            return
        }
        guard segments.count == 1 else {
            throw NimbusError.badRequest("Nested paths are not allowed: '\(operation.path)'")
        }
        switch operation.kind {
        case .add, .replace:
            guard let value = operation.value else {
                throw NimbusError.badRequest("Operation \(operation.kind.rawValue) on '\(operation.path)' needs a value.")
            }
            if operation.kind == .replace, !ImageAttributes.core.contains(key), image.properties[key] == nil {
                throw NimbusError.conflict("Property \(key) does not exist.")
            }
            try ImageAttributes.set(key, to: value, on: &image, auth: authority)
        case .remove:
            if ImageAttributes.core.contains(key) && key != "name" {
                throw NimbusError.forbidden("Attribute '\(key)' cannot be removed.")
            }
            if !ImageAttributes.core.contains(key), image.properties[key] == nil {
                throw NimbusError.conflict("Property \(key) does not exist.")
            }
            try ImageAttributes.set(key, to: nil, on: &image, auth: authority)
        }
    }

    public func delete(_ id: String, _ auth: AuthContext) throws {
        let current = try modifiable(id, auth)
        let deleted = try store.deleteImage(id: current.id) { image in
            if image.protected {
                throw NimbusError.forbidden("Image \(image.id) is protected and cannot be deleted.")
            }
            if image.status == .saving {
                // The upload in progress notices the row is gone and drops its file.
                logger.info("image deleted during upload", metadata: ["image.id": "\(image.id)"])
            }
        } removeUnusedBlob: { blob in
            try blobs.remove(blob)
        }
        guard deleted != nil else { throw NimbusError.notFound("No image found with ID \(id)") }
        logger.info("image deleted", metadata: ["image.id": "\(id)"])
    }

    // MARK: Deactivate, reactivate, tags

    public func deactivate(_ id: String, _ auth: AuthContext) throws {
        try setActive(false, id, auth)
    }

    public func reactivate(_ id: String, _ auth: AuthContext) throws {
        try setActive(true, id, auth)
    }

    /// Deactivation blocks downloads of an image; as in Glance (since
    /// Wallaby), an admin or a member of the owning project may do it and undo it.
    private func setActive(_ active: Bool, _ id: String, _ auth: AuthContext) throws {
        let current = try image(id, auth)
        guard Policy.mayModify(owner: current.owner, auth) else {
            throw NimbusError.forbidden("You are not authorized to \(active ? "reactivate" : "deactivate") this image: it belongs to another project.")
        }
        _ = try store.updateImage(id: current.id) { image in
            switch (image.status, active) {
            case (.active, false), (.deactivated, false): image.status = .deactivated
            case (.deactivated, true), (.active, true): image.status = .active
            default:
                let verb = active ? "reactivate" : "deactivate"
                throw NimbusError.badRequest("Not allowed to \(verb) image in status '\(image.status.rawValue)'")
            }
            image.updatedAt = Date()
        }
    }

    public func addTag(_ id: String, _ tag: String, _ auth: AuthContext) throws {
        let current = try modifiable(id, auth)
        let checked = try ImageAttributes.validTag(tag)
        _ = try store.updateImage(id: current.id) { image in
            guard !image.tags.contains(checked) else { return }
            image.tags.append(checked)
            try ImageAttributes.checkLimits(image)
            image.updatedAt = Date()
        }
    }

    public func removeTag(_ id: String, _ tag: String, _ auth: AuthContext) throws {
        let current = try modifiable(id, auth)
        guard current.tags.contains(tag) else { throw NimbusError.notFound("Tag \(tag) not found.") }
        _ = try store.updateImage(id: current.id) { image in
            image.tags.removeAll { $0 == tag }
            image.updatedAt = Date()
        }
    }

    // MARK: Access

    /// The image, when the caller may change it (owner's member, or admin).
    func modifiable(_ id: String, _ auth: AuthContext) throws -> Image {
        let image = try self.image(id, auth)
        guard Policy.mayModify(owner: image.owner, auth) else {
            throw NimbusError.forbidden("You are not authorized to modify image \(image.id).")
        }
        return image
    }

    func memberStatus(_ image: Image, _ auth: AuthContext) throws -> ImageMember.Status? {
        guard image.visibility == .shared, let project = auth.projectId, image.owner != project else { return nil }
        return try store.member(project, of: image.id)?.status
    }

    func isVisible(_ image: Image, _ auth: AuthContext, member: ImageMember.Status?) throws -> Bool {
        if Policy.isAdmin(auth) { return true }
        guard Policy.isReader(auth), let project = auth.projectId else { return false }
        if image.owner == project { return true }
        switch image.visibility {
        case .public, .community: return true
        case .shared: return member != nil
        case .private: return false
        }
    }

    static func authority(_ auth: AuthContext) -> AuthorityCheck {
        AuthorityCheck(isAdmin: Policy.isAdmin(auth), mayPublicize: Policy.mayPublicize(auth))
    }
}
