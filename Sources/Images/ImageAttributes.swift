import Foundation
import NimbusCore

/// Glance's rules for image attributes: which exist, which are read-only,
/// which are reserved, and which values they accept.
enum ImageAttributes {
    static let diskFormats = ["ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop"]
    static let containerFormats = ["ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed"]

    /// Set by the service only; a client naming one gets 403, as from Glance.
    static let readOnly: Set<String> = [
        "id", "status", "checksum", "os_hash_algo", "os_hash_value", "size", "virtual_size", "created_at",
        "updated_at", "file", "self", "schema", "direct_url", "locations",
    ]
    static let reserved: Set<String> = ["owner_id", "deleted", "deleted_at", "location", "stores"]

    /// The core attributes; every other key is a free-form string property.
    static let core: Set<String> = [
        "name", "visibility", "protected", "os_hidden", "disk_format", "container_format", "min_disk", "min_ram",
        "tags", "owner",
    ]

    /// Glance's default image_tag_quota and image_property_quota.
    static let maximumTags = 128
    static let maximumProperties = 128

    /// Checks the counts after a change, whichever path made it.
    static func checkLimits(_ image: Image) throws {
        if image.tags.count > maximumTags {
            throw NimbusError(.payloadTooLarge, "Maximum number of tags exceeded: \(maximumTags) allowed.")
        }
        if image.properties.count > maximumProperties {
            throw NimbusError(.payloadTooLarge, "Maximum number of image properties exceeded: \(maximumProperties) allowed.")
        }
    }

    /// Properties that set what an upload must hash to (documented in the README).
    static let expectedSHA256 = "expected_sha256"
    static let expectedSHA512 = "expected_sha512"

    static func checkWritable(_ key: String) throws {
        if readOnly.contains(key) { throw NimbusError.forbidden("Attribute '\(key)' is read-only.") }
        // Glance keeps the os_glance prefix for itself (import and store state).
        if reserved.contains(key) || key.hasPrefix("os_glance") { throw NimbusError.forbidden("Attribute '\(key)' is reserved.") }
        guard !key.isEmpty, key.utf8.count <= 255 else {
            throw NimbusError.badRequest("Property names must be 1 to 255 characters long.")
        }
    }

    /// Applies one attribute to an image, checking type and value. `nil` removes it.
    static func set(_ key: String, to value: JSONValue?, on image: inout Image, auth: AuthorityCheck) throws {
        try checkWritable(key)
        switch key {
        case "name":
            // Glance's schema (and ours, GlanceSchemas) types name as ["null", "string"].
            guard let value, value != .null else { image.name = nil; return }
            guard case .string(let name) = value, name.utf8.count <= 255 else {
                throw invalid(key, value, "a string of at most 255 characters")
            }
            image.name = name
        case "visibility":
            guard let text = value?.stringValue, let visibility = ImageVisibility(rawValue: text) else {
                throw invalid(key, value, "one of public, private, shared, community")
            }
            if visibility == .public, !auth.mayPublicize {
                throw NimbusError.forbidden("You are not authorized to publicize images: admin role required.")
            }
            image.visibility = visibility
        case "protected", "os_hidden":
            guard let flag = value?.boolValue else { throw invalid(key, value, "a boolean") }
            if key == "protected" { image.protected = flag } else { image.osHidden = flag }
        case "disk_format", "container_format":
            guard image.status == .queued else {
                throw NimbusError.forbidden("Attribute '\(key)' can only be changed while the image is queued.")
            }
            let allowed = key == "disk_format" ? diskFormats : containerFormats
            guard let format = value?.stringValue, allowed.contains(format) else {
                throw invalid(key, value, "one of \(allowed.joined(separator: ", "))")
            }
            if key == "disk_format" { image.diskFormat = format } else { image.containerFormat = format }
        case "min_disk", "min_ram":
            guard let number = value?.intValue, number >= 0, number <= Int(Int32.max) else {
                throw invalid(key, value, "a non-negative integer")
            }
            if key == "min_disk" { image.minDisk = number } else { image.minRam = number }
        case "tags":
            guard case .array(let items) = value ?? .array([]) else { throw invalid(key, value, "an array of strings") }
            var tags: [String] = []
            for item in items {
                guard let tag = item.stringValue else { throw invalid(key, value, "an array of strings") }
                let checked = try validTag(tag)
                if !tags.contains(checked) { tags.append(checked) }
            }
            image.tags = tags
        case "owner":
            guard auth.isAdmin else { throw NimbusError.forbidden("Attribute 'owner' can only be changed by an admin.") }
            guard let owner = value?.stringValue, !owner.isEmpty, owner.utf8.count <= 255 else {
                throw invalid(key, value, "a project id")
            }
            image.owner = ProjectID(rawValue: owner)
        default:
            guard let value else { image.properties[key] = nil; return }
            guard case .string(let text) = value, text.utf8.count <= 65_535 else {
                throw invalid(key, value, "a string")
            }
            if key == expectedSHA256 || key == expectedSHA512 {
                let length = key == expectedSHA256 ? 64 : 128
                guard text.count == length, text.allSatisfy(\.isHexDigit) else {
                    throw NimbusError.badRequest("Property '\(key)' must be \(length) hexadecimal digits.")
                }
                image.properties[key] = text.lowercased()
                return
            }
            image.properties[key] = text
        }
    }

    static func validTag(_ tag: String) throws -> String {
        guard !tag.isEmpty, tag.utf8.count <= 255 else {
            throw NimbusError.badRequest("Invalid tag: tags must be 1 to 255 characters long.")
        }
        return tag
    }

    static func invalid(_ key: String, _ value: JSONValue?, _ expected: String) -> NimbusError {
        let shown: String
        switch value {
        case .string(let text)?: shown = "'\(text.prefix(64))'"
        case let other?: shown = "a \(other.typeName)"
        case nil: shown = "nothing"
        }
        return NimbusError.badRequest("Invalid value \(shown) for attribute '\(key)': expected \(expected).")
    }
}

/// What the caller may do, as far as attribute rules need to know.
struct AuthorityCheck {
    var isAdmin: Bool
    var mayPublicize: Bool
}
