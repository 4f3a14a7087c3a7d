import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Nimbus's media extension over HTTP: the drives of a server, and the
/// nimbus-eject and nimbus-insert actions, with Nova's error shapes.
@Suite("CD drives in process")
struct MediaAPITests {
    @Test("media lists the installer's drive; eject and insert answer with the drives; bad requests are Nova's 400, 404 and 409")
    func ejectAndInsert() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let isoID = try await admin.activeImage(#"{"name": "installer", "disk_format": "iso", "container_format": "bare"}"#, Caller.smallestISO)
            let rawID = try await admin.activeImage(#"{"name": "disk", "disk_format": "raw", "container_format": "bare"}"#, Array(repeating: 7, count: 4096))
            let created = try await admin.send(.post, "/compute/v2.1/servers", json: #"{"server": {"name": "vm", "imageRef": "\#(isoID)", "flavorRef": "1", "networks": "none"}}"#)
            #expect(created.status == .accepted, "\(created.text)")
            let server = try #require((try created.object()["server"] as? [String: Any])?["id"] as? String)
            #expect((try created.object()["server"] as? [String: Any])?["adminPass"] is String, "Nova's create answer carries adminPass")
            for _ in 0..<100 {
                let shown = try await admin.send(.get, "/compute/v2.1/servers/\(server)")
                if (try shown.object()["server"] as? [String: Any])?["status"] as? String == "ACTIVE" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            func action(_ body: String, as caller: Caller? = nil) async throws -> TestResponse {
                try await (caller ?? admin).send(.post, "/compute/v2.1/servers/\(server)/action", json: body)
            }
            func drives(_ response: TestResponse) throws -> [[String: Any]] {
                try #require(try response.object()["media"] as? [[String: Any]], "\(response.text)")
            }

            let media = try await admin.send(.get, "/compute/v2.1/servers/\(server)/nimbus-media")
            #expect(media.status == .ok)
            let before = try drives(media)
            #expect(before.count == 1 && before[0]["drive"] as? String == "cd0" && before[0]["bus"] as? String == "sata")
            #expect((before[0]["image"] as? [String: Any])?["id"] as? String == isoID)

            let ejected = try await action(#"{"nimbus-eject": {}}"#)
            #expect(ejected.status == .ok, "\(ejected.text)")
            #expect(try drives(ejected)[0]["image"] is NSNull, "an empty drive says image: null: \(ejected.text)")
            #expect(try drives(ejected)[0]["tray_open"] as? Bool == true)

            let again = try await action(#"{"nimbus-eject": null}"#)
            #expect(again.status == .conflict && again.text.contains("conflictingRequest") && again.text.contains("is empty"), "\(again.text)")
            let raw = try await action(#"{"nimbus-insert": {"image": "\#(rawID)"}}"#)
            #expect(raw.status == .badRequest && raw.text.contains("not an ISO"), "\(raw.text)")
            let noImage = try await action(#"{"nimbus-insert": {"drive": "cd0"}}"#)
            #expect(noImage.status == .badRequest, "\(noImage.text)")
            let unknownField = try await action(#"{"nimbus-eject": {"drive": "cd0", "tray": "open"}}"#)
            #expect(unknownField.status == .badRequest && unknownField.text.contains("'tray'"), "\(unknownField.text)")
            let noDrive = try await action(#"{"nimbus-insert": {"image": "installer", "drive": "cd9"}}"#)
            #expect(noDrive.status == .notFound && noDrive.text.contains("itemNotFound"), "\(noDrive.text)")

            let project = try await admin.createProject("project-b")
            let bob = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")
            #expect(try await bob.send(.get, "/compute/v2.1/servers/\(server)/nimbus-media").status == .notFound)
            #expect(try await action(#"{"nimbus-insert": {"image": "\#(isoID)"}}"#, as: bob).status == .notFound)

            let inserted = try await action(#"{"nimbus-insert": {"image": "installer", "drive": "cd0"}}"#)
            #expect(inserted.status == .ok, "\(inserted.text)")
            #expect((try drives(inserted)[0]["image"] as? [String: Any])?["name"] as? String == "installer")
            #expect(try await admin.send(.delete, "/compute/v2.1/servers/\(server)").status == .noContent)

            // block_device_mapping_v2 as the openstack client sends it for --block-device: the boot image, then a CD.
            let mapped = try await admin.send(.post, "/compute/v2.1/servers", json: #"""
                {"server": {"name": "two-discs", "imageRef": "\#(isoID)", "flavorRef": "1", "networks": "none",
                 "block_device_mapping_v2": [
                   {"uuid": "\#(isoID)", "boot_index": 0, "source_type": "image", "destination_type": "local", "delete_on_termination": true},
                   {"uuid": "\#(isoID)", "boot_index": "1", "source_type": "image", "destination_type": "local", "device_type": "cdrom"}]}}
                """#)
            #expect(mapped.status == .accepted, "\(mapped.text)")
            let second = try #require((try mapped.object()["server"] as? [String: Any])?["id"] as? String)
            let listed = try drives(try await admin.send(.get, "/compute/v2.1/servers/\(second)/nimbus-media"))
            #expect(listed.compactMap { $0["drive"] as? String } == ["cd0", "cd1"], "\(listed)")
            for (mapping, reason) in [
                (#"{"source_type": "volume", "uuid": "\#(isoID)", "destination_type": "volume", "boot_index": 1}"#, "no volumes"),
                (#"{"source_type": "image", "uuid": "\#(isoID)", "destination_type": "local", "boot_index": 1}"#, "Mapping image to local is not supported"),
                (#"{"source_type": "image", "uuid": "\#(rawID)", "destination_type": "local", "device_type": "cdrom"}"#, "not an ISO"),
                (#"{"source_type": "blank", "destination_type": "local", "volume_size": 0}"#, "volume_size"),
            ] {
                let refused = try await admin.send(.post, "/compute/v2.1/servers", json: #"""
                    {"server": {"name": "bad", "imageRef": "\#(isoID)", "flavorRef": "1", "networks": "none", "block_device_mapping_v2": [\#(mapping)]}}
                    """#)
                #expect(refused.status == .badRequest && refused.text.contains(reason), "\(mapping): \(refused.text)")
            }
        }
    }

    @Test("an eject at reboot keeps the disc and says so; nimbus-reboot boots once from CD; bad bodies are Nova's 400 and 409")
    func ejectAtRebootAndBootOnce() async throws {
        let cloud = try TestCloud()
        try await cloud.withClient { client in
            let admin = try await Caller.admin(client)
            let isoID = try await admin.activeImage(#"{"name": "installer", "disk_format": "iso", "container_format": "bare"}"#, Caller.smallestISO)
            let created = try await admin.send(.post, "/compute/v2.1/servers", json: #"{"server": {"name": "vm", "imageRef": "\#(isoID)", "flavorRef": "1", "networks": "none"}}"#)
            let server = try #require((try created.object()["server"] as? [String: Any])?["id"] as? String)
            func status() async throws -> String? {
                (try await admin.send(.get, "/compute/v2.1/servers/\(server)").object()["server"] as? [String: Any])?["status"] as? String
            }
            for _ in 0..<100 where try await status() != "ACTIVE" { try await Task.sleep(for: .milliseconds(20)) }
            func action(_ body: String) async throws -> TestResponse {
                try await admin.send(.post, "/compute/v2.1/servers/\(server)/action", json: body)
            }

            let pending = try await action(#"{"nimbus-eject": {"at_reboot": true}}"#)
            #expect(pending.status == .ok, "\(pending.text)")
            let drive = try #require((try pending.object()["media"] as? [[String: Any]])?.first)
            #expect((drive["image"] as? [String: Any])?["id"] as? String == isoID, "the disc stays until the reboot: \(pending.text)")
            #expect(drive["eject_at_reboot"] as? Bool == true, "\(pending.text)")
            let notBool = try await action(#"{"nimbus-eject": {"at_reboot": "soon"}}"#)
            #expect(notBool.status == .badRequest && notBool.text.contains("at_reboot"), "\(notBool.text)")

            // The only disc goes at the reboot: there is nothing to boot from CD.
            let noDisc = try await action(#"{"nimbus-reboot": {"boot": "cdrom"}}"#)
            #expect(noDisc.status == .conflict && noDisc.text.contains("no CD drive holds a disc"), "\(noDisc.text)")
            #expect(try await action(#"{"reboot": {"type": "HARD"}}"#).status == .accepted)
            for _ in 0..<100 where try await status() != "ACTIVE" { try await Task.sleep(for: .milliseconds(20)) }
            let media = try await admin.send(.get, "/compute/v2.1/servers/\(server)/nimbus-media")
            #expect((try media.object()["media"] as? [[String: Any]])?.first?["image"] is NSNull, "the reboot took the disc: \(media.text)")

            #expect(try await action(#"{"nimbus-insert": {"image": "installer"}}"#).status == .ok)
            let rebooted = try await action(#"{"nimbus-reboot": {"type": "HARD", "boot": "cdrom"}}"#)
            #expect(rebooted.status == .accepted, "\(rebooted.text)")
            for _ in 0..<100 where try await status() != "ACTIVE" { try await Task.sleep(for: .milliseconds(20)) }
            let badBoot = try await action(#"{"nimbus-reboot": {"type": "HARD", "boot": "floppy"}}"#)
            #expect(badBoot.status == .badRequest && badBoot.text.contains("cdrom or disk"), "\(badBoot.text)")
            let badType = try await action(#"{"nimbus-reboot": {"type": "GENTLE", "boot": "cdrom"}}"#)
            #expect(badType.status == .badRequest && badType.text.contains("SOFT or HARD"), "\(badType.text)")
        }
    }
}
