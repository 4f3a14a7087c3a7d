import Foundation
import GRDB
import NimbusCore

extension Store {
    public func insert(_ image: Image) throws {
        try write { try image.insert($0) }
    }

    public func image(id: ImageID) throws -> Image? {
        try read { try Image.fetchOne($0.cachedStatement(sql: "SELECT * FROM image WHERE id = ?"), arguments: [id.rawValue]) }
    }

    /// Every image, newest first; callers filter by visibility.
    public func images() throws -> [Image] {
        try read { try Image.order(Column("created_at").desc, Column("id")).fetchAll($0) }
    }

    /// Read-modify-write of one image in one transaction, so checks made in
    /// `change` see the state they change. `alsoInTransaction` runs with the
    /// changed image before the commit: an upload moves its blob into place
    /// there, while no delete can run, so a blob and the rows naming it never
    /// disagree. Returns nil when the image is gone.
    public func updateImage(
        id: ImageID, _ change: (inout Image) throws -> Void, alsoInTransaction: (Image) throws -> Void = { _ in }
    ) throws -> Image? {
        try write { db in
            guard var image = try Image.fetchOne(db, key: id.rawValue) else { return nil }
            try change(&image)
            try image.update(db)
            try alsoInTransaction(image)
            return image
        }
    }

    /// Deletes an image row. When no other image names the same blob,
    /// `removeUnusedBlob` runs inside the transaction, so a concurrent upload of
    /// the same content cannot link the blob between the count and the unlink.
    public func deleteImage(id: ImageID, check: (Image) throws -> Void, removeUnusedBlob: (String) throws -> Void) throws -> Image? {
        try write { db in
            guard let image = try Image.fetchOne(db, key: id.rawValue) else { return nil }
            try check(image)
            try image.delete(db)
            if let blob = image.blob, try Image.filter(Column("blob") == blob).fetchCount(db) == 0 {
                try removeUnusedBlob(blob)
            }
            return image
        }
    }

    /// Blobs named by at least one image; everything else in the blob directory is garbage.
    public func referencedBlobs() throws -> Set<String> {
        try read { db in
            Set(try String.fetchAll(db, sql: "SELECT DISTINCT blob FROM image WHERE blob IS NOT NULL"))
        }
    }

    // MARK: Members

    public func members(of image: ImageID) throws -> [ImageMember] {
        try read { try ImageMember.filter(Column("image_id") == image).order(Column("created_at")).fetchAll($0) }
    }

    public func member(_ member: ProjectID, of image: ImageID) throws -> ImageMember? {
        try read { try ImageMember.fetchOne($0, key: ["image_id": image.rawValue, "member_id": member.rawValue]) }
    }

    /// Image memberships of one project, keyed by image.
    public func memberships(of project: ProjectID) throws -> [ImageID: ImageMember] {
        try read { db in
            let rows = try ImageMember.filter(Column("member_id") == project).fetchAll(db)
            return Dictionary(rows.map { ($0.imageId, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    public func insert(_ member: ImageMember) throws {
        try write { try member.insert($0) }
    }

    public func update(_ member: ImageMember) throws {
        try write { try member.update($0) }
    }

    public func deleteMember(_ member: ProjectID, of image: ImageID) throws -> Bool {
        try write { try ImageMember.deleteOne($0, key: ["image_id": image.rawValue, "member_id": member.rawValue]) }
    }
}

extension Store {
    /// Images left `saving` by an upload that a crash cut short go back to
    /// `queued`, so they can be uploaded again. Returns their ids for the log.
    public func resetInterruptedUploads() throws -> [ImageID] {
        try write { db in
            let stuck = try Image.filter(Column("status") == ImageStatus.saving.rawValue).fetchAll(db)
            for var image in stuck {
                image.status = .queued
                image.updatedAt = Date()
                try image.update(db)
            }
            return stuck.map(\.id)
        }
    }
}
