import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Visibility across projects and the members API, with users made through
/// the Identity API as `openstack project create` / `user create` / `role add` do.
@Suite("Image visibility and sharing in process")
struct ImageSharingTests {
    /// Project B with a member user, made by the admin.
    static func projectB(_ admin: Caller) async throws -> (id: String, member: Caller) {
        let project = try await admin.createProject("project-b")
        let member = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")
        return (project, member)
    }

    @Test("another project's private and shared images are 404 to it; public ones are listed but not deletable")
    func visibilityAcrossProjects() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let (_, bob) = try await Self.projectB(admin)
            let bytes = Payload.raw(2000)
            let privateImage = try await admin.activeImage(#"{"name": "secret", "visibility": "private", "disk_format": "raw", "container_format": "bare"}"#, bytes)
            let sharedImage = try await admin.createImageID(#"{"name": "not-shared-yet"}"#)
            let publicImage = try await admin.activeImage(#"{"name": "everyone", "visibility": "public", "disk_format": "raw", "container_format": "bare"}"#, bytes)

            for id in [privateImage, sharedImage] {
                for (method, suffix) in [(HTTPRequest.Method.get, ""), (.get, "/file"), (.delete, "")] {
                    let response = try await bob.send(method, "/image/v2/images/\(id)\(suffix)")
                    #expect(response.status == .notFound, "\(method) \(suffix) of another project's image gave \(response.status)")
                    try response.glanceError()
                }
                let patch = try await bob.patch(id, #"[{"op": "replace", "path": "/name", "value": "mine"}]"#)
                #expect(patch.status == .notFound)
            }
            #expect(try await bob.listedIDs() == [publicImage])
            #expect(try await bob.listedIDs("visibility=all") == [publicImage])
            #expect(try await bob.show(publicImage)["name"] as? String == "everyone")
            #expect(try await bob.download(publicImage).bytes == bytes)

            let delete = try await bob.send(.delete, "/image/v2/images/\(publicImage)")
            #expect(delete.status == .forbidden)
            try delete.glanceError()
            let patch = try await bob.patch(publicImage, #"[{"op": "replace", "path": "/name", "value": "mine"}]"#)
            #expect(patch.status == .forbidden)
            #expect(try await bob.send(.put, "/image/v2/images/\(publicImage)/tags/mine").status == .forbidden)
            #expect(try await bob.send(.post, "/image/v2/images/\(publicImage)/actions/deactivate").status == .forbidden)
            let image = try await admin.show(publicImage)
            #expect(image["name"] as? String == "everyone")
            #expect(image["status"] as? String == "active")
            #expect(image["tags"] as? [String] == [])

            // The admin sees everything, including B's images.
            let bobsImage = try await bob.createImageID(#"{"name": "bobs", "visibility": "private"}"#)
            #expect(try await admin.show(bobsImage)["name"] as? String == "bobs")
            #expect(Set(try await admin.listedIDs()).isSuperset(of: [privateImage, publicImage, bobsImage]))
        }
    }

    @Test("a community image is visible to every project but listed only when asked for")
    func communityImage() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let (_, bob) = try await Self.projectB(admin)
            let bytes = Payload.raw(1200)
            let id = try await admin.activeImage(#"{"name": "community", "visibility": "community", "disk_format": "raw", "container_format": "bare"}"#, bytes)
            #expect(try await bob.show(id)["visibility"] as? String == "community")
            #expect(try await bob.download(id).bytes == bytes)
            #expect(try await bob.listedIDs() == [])
            #expect(try await bob.listedIDs("visibility=community") == [id])
            #expect(try await admin.listedIDs() == [id], "the owner lists its community images")
            #expect(try await bob.send(.delete, "/image/v2/images/\(id)").status == .forbidden)
        }
    }

    @Test("a member cannot make its image public, at creation or later; its own images are its own")
    func publicizing() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let (projectB, bob) = try await Self.projectB(admin)
            let refused = try await bob.send(.post, "/image/v2/images", json: #"{"name": "mine", "visibility": "public"}"#)
            #expect(refused.status == .forbidden)
            try refused.glanceError()
            #expect(try await bob.listedIDs() == [])

            let created = try await bob.createImage(#"{"name": "mine"}"#)
            let id = try #require(created["id"] as? String)
            #expect(created["owner"] as? String == projectB)
            let patch = try await bob.patch(id, #"[{"op": "replace", "path": "/visibility", "value": "public"}]"#)
            #expect(patch.status == .forbidden)
            #expect(try await bob.show(id)["visibility"] as? String == "shared")
            // Other visibilities are fine, and so is changing one's own image.
            #expect(try await bob.patch(id, #"[{"op": "replace", "path": "/visibility", "value": "community"}]"#).status == .ok)
            #expect(try await bob.patch(id, #"[{"op": "replace", "path": "/visibility", "value": "private"}]"#).status == .ok)
            // Only an admin hands an image to another project.
            let owner = try await bob.patch(id, #"[{"op": "replace", "path": "/owner", "value": "someone-else"}]"#)
            #expect(owner.status == .forbidden)
            #expect(try await bob.send(.delete, "/image/v2/images/\(id)").status == .noContent)
        }
    }

    @Test("a shared image reaches project B through the members API once B accepts it")
    func members() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let (projectB, bob) = try await Self.projectB(admin)
            let bytes = Payload.iso()
            let id = try await admin.activeImage(#"{"name": "shared-iso", "disk_format": "iso", "container_format": "bare"}"#, bytes)
            #expect(try await bob.send(.get, "/image/v2/images/\(id)").status == .notFound)

            let add = try await admin.send(.post, "/image/v2/images/\(id)/members", json: #"{"member": "\#(projectB)"}"#)
            #expect(add.status == .ok, "\(add.text)")
            let member = try add.object()
            #expect(member["image_id"] as? String == id)
            #expect(member["member_id"] as? String == projectB)
            #expect(member["status"] as? String == "pending")
            #expect(member["schema"] as? String == "/v2/schemas/member")
            let duplicate = try await admin.send(.post, "/image/v2/images/\(id)/members", json: #"{"member": "\#(projectB)"}"#)
            #expect(duplicate.status == .conflict)

            // Pending: B can look at it, but it is not in B's default list.
            #expect(try await bob.show(id)["name"] as? String == "shared-iso")
            #expect(try await bob.listedIDs() == [])
            #expect(try await bob.listedIDs("member_status=pending") == [id])
            // B cannot share the image further, nor accept on someone else's behalf.
            let reshare = try await bob.send(.post, "/image/v2/images/\(id)/members", json: #"{"member": "other"}"#)
            #expect(reshare.status == .forbidden)
            let ownerAccepts = try await admin.send(.put, "/image/v2/images/\(id)/members/\(projectB)", json: #"{"status": "accepted"}"#)
            #expect(ownerAccepts.status == .forbidden)

            let accept = try await bob.send(.put, "/image/v2/images/\(id)/members/\(projectB)", json: #"{"status": "accepted"}"#)
            #expect(accept.status == .ok, "\(accept.text)")
            #expect(try accept.object()["status"] as? String == "accepted")
            #expect(try await bob.listedIDs() == [id])
            #expect(try await bob.download(id).bytes == bytes)
            let invalid = try await bob.send(.put, "/image/v2/images/\(id)/members/\(projectB)", json: #"{"status": "maybe"}"#)
            #expect(invalid.status == .badRequest)

            // The owner sees every member; B sees only itself.
            let listed = try await admin.send(.get, "/image/v2/images/\(id)/members").object()
            let members = try #require(listed["members"] as? [[String: Any]])
            #expect(members.compactMap { $0["member_id"] as? String } == [projectB])
            #expect(members.first?["status"] as? String == "accepted")
            #expect(try await bob.send(.get, "/image/v2/images/\(id)/members/\(projectB)").object()["status"] as? String == "accepted")

            // Rejecting takes it out of B's list again; removing the member makes it 404.
            #expect(try await bob.send(.put, "/image/v2/images/\(id)/members/\(projectB)", json: #"{"status": "rejected"}"#).status == .ok)
            #expect(try await bob.listedIDs() == [])
            #expect(try await admin.send(.delete, "/image/v2/images/\(id)/members/\(projectB)").status == .noContent)
            #expect(try await bob.send(.get, "/image/v2/images/\(id)").status == .notFound)
            #expect(try await admin.send(.delete, "/image/v2/images/\(id)/members/\(projectB)").status == .notFound)
        }
    }

    @Test("only shared images take members")
    func membersOfPrivateImage() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let (projectB, _) = try await Self.projectB(admin)
            let id = try await admin.createImageID(#"{"visibility": "private"}"#)
            let response = try await admin.send(.post, "/image/v2/images/\(id)/members", json: #"{"member": "\#(projectB)"}"#)
            #expect(response.status == .forbidden)
            try response.glanceError()
            let malformed = try await admin.send(.post, "/image/v2/images/\(id)/members", json: #"{"project": "\#(projectB)"}"#)
            #expect(malformed.status == .badRequest)
        }
    }

    @Test("a reader can list and download but cannot create, change or delete")
    func readerRole() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let (projectB, bob) = try await Self.projectB(admin)
            let reader = try await admin.newUser("rita", role: "reader", projectID: projectB, projectName: "project-b")
            let bytes = Payload.raw(1500)
            let bobs = try await bob.activeImage(#"{"name": "bobs", "disk_format": "raw", "container_format": "bare"}"#, bytes)

            #expect(try await reader.listedIDs() == [bobs])
            #expect(try await reader.show(bobs)["name"] as? String == "bobs")
            #expect(try await reader.download(bobs).bytes == bytes)

            let create = try await reader.send(.post, "/image/v2/images", json: #"{"name": "readers"}"#)
            #expect(create.status == .forbidden)
            try create.glanceError()
            #expect(try await reader.patch(bobs, #"[{"op": "replace", "path": "/name", "value": "x"}]"#).status == .forbidden)
            #expect(try await reader.send(.delete, "/image/v2/images/\(bobs)").status == .forbidden)
            #expect(try await reader.send(.put, "/image/v2/images/\(bobs)/tags/x").status == .forbidden)
            #expect(try await bob.listedIDs() == [bobs], "nothing was created or deleted")
            #expect(try await bob.show(bobs)["name"] as? String == "bobs")
        }
    }

    @Test("a reader cannot upload into its project's queued image")
    func readerUpload() async throws {
        let cloud = try TestCloud()
        let blobs = cloud.blobDirectory
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let (projectB, bob) = try await Self.projectB(admin)
            let reader = try await admin.newUser("rita", role: "reader", projectID: projectB, projectName: "project-b")
            let id = try await bob.createImageID(#"{"disk_format": "raw", "container_format": "bare"}"#)
            let response = try await reader.upload(id, Payload.raw(1000))
            #expect(response.status == .forbidden)
            #expect(try await bob.show(id)["status"] as? String == "queued")
            try blobs.expectEmpty()
        }
    }
}
