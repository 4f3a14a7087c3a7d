import Foundation
import Identity
import NimbusCore

/// Sharing: the owner adds projects as members; each member accepts or rejects.
extension ImageService {
    public func members(_ id: String, _ auth: AuthContext) throws -> [ImageMember] {
        let image = try self.image(id, auth)
        let all = try store.members(of: image.id)
        if Policy.isAdmin(auth) || image.owner == auth.projectId { return all }
        // A member sees only its own membership.
        return all.filter { $0.memberId == auth.projectId }
    }

    public func member(_ id: String, _ memberId: String, _ auth: AuthContext) throws -> ImageMember {
        guard let member = try members(id, auth).first(where: { $0.memberId.rawValue == memberId }) else {
            throw NimbusError.notFound("Member \(memberId) not found for image \(id).")
        }
        return member
    }

    public func addMember(_ id: String, _ memberId: String, _ auth: AuthContext) throws -> ImageMember {
        let image = try modifiable(id, auth)
        guard image.visibility == .shared else {
            throw NimbusError.forbidden("Only shared images have members.")
        }
        guard !memberId.isEmpty, memberId.utf8.count <= 255 else {
            throw NimbusError.badRequest("Invalid member id: \(memberId)")
        }
        let project = ProjectID(rawValue: memberId)
        guard try store.member(project, of: image.id) == nil else {
            throw NimbusError.conflict("The member \(memberId) is already a member of image \(image.id).")
        }
        let now = Date()
        let member = ImageMember(imageId: image.id, memberId: project, status: .pending, createdAt: now, updatedAt: now)
        try store.insert(member)
        return member
    }

    /// Only the member project itself decides whether it accepts an image.
    public func updateMember(_ id: String, _ memberId: String, status: String, _ auth: AuthContext) throws -> ImageMember {
        var member = try self.member(id, memberId, auth)
        guard member.memberId == auth.projectId, Policy.isMember(auth) else {
            throw NimbusError.forbidden("Only the member project can accept or reject an image.")
        }
        guard let newStatus = ImageMember.Status(rawValue: status) else {
            throw NimbusError.badRequest("Invalid status: \(status); expected pending, accepted or rejected.")
        }
        member.status = newStatus
        member.updatedAt = Date()
        try store.update(member)
        return member
    }

    public func removeMember(_ id: String, _ memberId: String, _ auth: AuthContext) throws {
        let image = try modifiable(id, auth)
        guard try store.deleteMember(ProjectID(rawValue: memberId), of: image.id) else {
            throw NimbusError.notFound("Member \(memberId) not found for image \(id).")
        }
    }
}
