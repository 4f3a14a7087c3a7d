import Foundation
import Hummingbird
import Identity
import Images
import NIOCore
import NimbusCore

/// Images: the list, an upload from the browser streamed to the image
/// service as the API's is, the properties that matter for installs, delete.
extension Dashboard {
    /// The image properties an install cares about, with the values Nimbus honours.
    static let installProperties: [(key: String, label: String, choices: [String])] = [
        ("hw_firmware_type", "Firmware", ["bios", "uefi"]),
        ("hw_disk_bus", "Disk bus", ["virtio", "sata", "scsi", "ide"]),
        ("hw_cdrom_bus", "CD bus", ["sata", "ide", "scsi", "virtio"]),
        ("os_type", "Operating system", ["linux", "windows"]),
        ("os_secure_boot", "Secure Boot", ["required", "optional", "disabled"]),
        ("hw_tpm_version", "TPM", ["2.0", "1.2"]),
        ("hw_tpm_model", "TPM interface", ["tpm-tis", "tpm-crb"]),
    ]

    func addImages<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("images") { request, _ in
            await page(request) { visitor in
                var query = ImageService.ListQuery()
                query.limit = 1000
                let listed = try images.list(query, visitor.auth).images
                return render("images", [
                    "images": listed.map { imageRow($0, visitor) }, "empty": listed.isEmpty,
                    "title": "Images",
                ], visitor)
            }
        }
        // The upload page's first step: the record (JSON, for the page's script).
        group.post("images") { request, context in
            guard let visitor = visitor(request) else { return json(["error": "Log in again."], status: .unauthorized) }
            guard checkCSRF(request, visitor) else { return json(["error": "Refused: not sent from this session's page."], status: .forbidden) }
            do {
                let form = try await FormFields.read(request, context: context)
                let format = try form.required("disk_format", label: "The disk format")
                let image = try images.create([
                    "name": .string(try form.required("name", label: "A name")), "disk_format": .string(format),
                    "container_format": "bare", "visibility": .string(form.optional("visibility") ?? "private"),
                ], visitor.auth)
                return json(["id": image.id.rawValue])
            } catch {
                let failure = NimbusError.wrap(error)
                return json(["error": failure.message], status: failure.code.httpStatus)
            }
        }
        // The bytes, streamed from the browser into the image service: never
        // held whole, hashed and inspected as the API's upload is. A cancelled
        // upload ends the stream early: nothing is kept, the image stays queued.
        group.put("images/{id}/file") { request, context in
            guard let visitor = visitor(request) else { return json(["error": "Log in again."], status: .unauthorized) }
            guard checkCSRF(request, visitor) else { return json(["error": "Refused: not sent from this session's page."], status: .forbidden) }
            do {
                let id = try context.parameters.require("id")
                let image = try await images.upload(id, body: request.body.map(BufferChunk.init), expectation: .init(), visitor.auth)
                return json(["id": image.id.rawValue, "status": image.status.rawValue, "size": image.size ?? 0])
            } catch {
                let failure = NimbusError.wrap(error)
                return json(["error": failure.message], status: failure.code.httpStatus)
            }
        }
        group.get("images/{id}") { request, context in
            await page(request) { visitor in
                let image = try images.image(try context.parameters.require("id"), visitor.auth)
                let mayEdit = image.owner == visitor.auth.projectId || Policy.isAdmin(visitor.auth)
                var facts = imageRow(image, visitor)
                // What the installer disc said it is, read at upload.
                if let detected = image.properties["nimbus_os_detected"] { facts["detected"] = detected }
                return render("image", facts.merging([
                    "title": image.name ?? image.id.rawValue, "mayEdit": mayEdit,
                    "properties": Self.installProperties.map { property in
                        let current = image.properties[property.key]
                        return [
                            "key": property.key, "label": property.label,
                            "choices": [["value": "", "label": "(not set)", "selected": current == nil]]
                                + property.choices.map { ["value": $0, "label": $0, "selected": $0 == current] },
                        ] as [String: Any]
                    },
                    "otherProperties": image.properties.sorted { $0.key < $1.key }.map { ["key": $0.key, "value": $0.value] },
                ]) { $1 }, visitor)
            }
        }
        group.post("images/{id}/properties") { request, context in
            let id = (try? context.parameters.require("id")) ?? ""
            return await action(request, context, fallback: "/dashboard/images/\(id)") { visitor, form in
                let image = try images.image(id, visitor.auth)
                var operations: [ImageService.PatchOperation] = []
                for property in Self.installProperties {
                    let wanted = form.optional(property.key)
                    guard wanted != image.properties[property.key] else { continue }
                    if let wanted {
                        guard property.choices.contains(wanted) else { throw NimbusError.badRequest("\(property.label) cannot be \(wanted).") }
                        operations.append(.init(kind: image.properties[property.key] == nil ? .add : .replace, path: "/\(property.key)", value: .string(wanted)))
                    } else {
                        operations.append(.init(kind: .remove, path: "/\(property.key)", value: nil))
                    }
                }
                _ = try images.update(id, operations, visitor.auth)
                return ("Saved the properties of \(image.name ?? id).", "/dashboard/images/\(id)")
            }
        }
        group.post("images/{id}/delete") { request, context in
            let id = (try? context.parameters.require("id")) ?? ""
            return await action(request, context, fallback: "/dashboard/images/\(id)") { visitor, form in
                guard form["confirm"] == "yes" else { throw NimbusError.badRequest("Tick the box to confirm the delete.") }
                let image = try images.image(id, visitor.auth)
                try images.delete(id, visitor.auth)
                return ("Deleted image \(image.name ?? id).", "/dashboard/images")
            }
        }
    }

    func imageRow(_ image: Image, _ visitor: Visitor) -> [String: Any] {
        [
            "id": image.id.rawValue, "name": image.name ?? "(no name)", "status": image.status.rawValue,
            "size": image.size.map(Self.bytes) ?? "–", "diskFormat": image.diskFormat ?? "–",
            "visibility": image.visibility.rawValue, "owner": Policy.isAdmin(visitor.auth) ? image.owner?.rawValue ?? "" : "",
            "isISO": image.diskFormat == "iso", "active": image.status == .active,
        ]
    }

    /// Sizes as people read them: 1.2 GiB, 340 MiB.
    static func bytes(_ count: Int64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) bytes" : String(format: value < 10 ? "%.1f %@" : "%.0f %@", value, units[unit])
    }
}

/// A request body chunk as the image service reads it, without a copy.
struct BufferChunk: ByteChunk {
    let buffer: ByteBuffer
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try buffer.withUnsafeReadableBytes(body)
    }
}
