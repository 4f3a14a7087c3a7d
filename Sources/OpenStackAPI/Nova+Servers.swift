import Foundation
import NimbusCore

/// Nova's server request bodies as types: decoded as strictly as Nova's
/// schemas at 2.1 (unknown fields refused, with Nova's words), and encoded
/// by the `nimbus` CLI, so both ends speak one shape.
extension Nova {
    /// `POST /servers`.
    public struct CreateServer: Codable, Sendable, Equatable {
        public var server: ServerDraft
        /// The server group named by `os:scheduler_hints` (the one hint Nimbus honours).
        public var group: String?

        public init(server: ServerDraft, group: String? = nil) {
            self.server = server
            self.group = group
        }

        public init(from decoder: any Decoder) throws {
            guard case .object(let body) = try JSONValue(from: decoder), case .object(let server)? = body["server"] else {
                throw NimbusError.badRequest("Invalid input for field/attribute server: 'server' is a required property.")
            }
            self.server = try ServerDraft(json: server)
            switch body["os:scheduler_hints"] ?? body["OS-SCH-HNT:scheduler_hints"] {
            case nil, .null?: group = nil
            case .object(let hints)?:
                switch hints["group"] {
                case nil: group = nil
                case .string(let id)?: group = id
                case let other?: throw NimbusError.badRequest("Invalid input for field/attribute group. Value: \(other). It must be a string.")
                }
            case let other?:
                throw NimbusError.badRequest("Invalid input for field/attribute os:scheduler_hints. Value: \(other). It must be an object.")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(server, forKey: .server)
            if let group { try container.encode(["group": group], forKey: .hints) }
        }

        enum Keys: String, CodingKey {
            case server
            case hints = "os:scheduler_hints"
        }
    }

    /// The server in a create request.
    public struct ServerDraft: Codable, Sendable, Equatable {
        public var name: String
        public var imageRef: String
        public var flavorRef: String
        public var networks: Networks
        public var metadata: [String: String]
        public var keyName: String?
        /// Base64, as Nova takes it.
        public var userData: String?
        public var configDrive: Bool
        public var minCount: Int
        public var maxCount: Int
        /// Groups by name (or id); nil for the project's default group.
        public var securityGroups: [String]?
        public var returnReservationId: Bool
        /// 2.19's description: nil when absent (or null).
        public var description: String?
        /// Whether the body named a description at all (refused before 2.19).
        public var namesDescription = false
        /// What later microversions allow, as the body used it: `networks`
        /// given at all, and spelled "auto"/"none"; a network given by a
        /// `uuid` that is not one; `tag` on a NIC or a device (2.32, 2.42);
        /// a device's `volume_type` (2.67).
        public var namesNetworks = false
        public var networksByWord = false
        public var networkNotUUID = false
        public var taggedNIC = false
        public var taggedDevice = false
        public var deviceVolumeType = false
        /// 2.52's tags at create; nil when absent.
        public var tags: [String]?
        /// 2.63's trusted_image_certificates, as given (Nimbus verifies no image signatures).
        public var trustedCertificates: JSONValue?
        /// 2.74's requested host and node (admins), as given.
        public var host: JSONValue?
        public var hypervisorHostname: JSONValue?
        /// Nova's block_device_mapping_v2, as sent.
        public var blockDevices: [BlockDevice]
        /// Nova's accessIPv4/accessIPv6, checked as addresses; "" when not given.
        public var accessIPv4 = ""
        public var accessIPv6 = ""
        /// The password asked for, answered back as Nova does (Nimbus injects none).
        public var adminPass: String?

        /// One entry of block_device_mapping_v2.
        public struct BlockDevice: Sendable, Equatable {
            public var sourceType: String
            public var destinationType: String?
            public var deviceType: String?
            public var uuid: String?
            /// nil (or negative, as sent) when the device is not booted from.
            public var bootIndex: Int?
            public var volumeSize: Int?
            /// swap, or a file system for an ephemeral disk.
            public var guestFormat: String?
            /// Fields only some microversions allow (`tag`, `volume_type`).
            public var tagged = false
            public var namesVolumeType = false
            public init(
                sourceType: String, destinationType: String?, deviceType: String? = nil, uuid: String? = nil, bootIndex: Int? = nil,
                volumeSize: Int? = nil
            ) {
                self.sourceType = sourceType
                self.destinationType = destinationType
                self.deviceType = deviceType
                self.uuid = uuid
                self.bootIndex = bootIndex
                self.volumeSize = volumeSize
            }

            static let allowed: Set<String> = [
                "source_type", "destination_type", "device_type", "uuid", "boot_index", "volume_size", "delete_on_termination",
                "disk_bus", "device_name", "guest_format", "tag", "volume_type", "no_device",
            ]

            init(json entry: JSONValue) throws {
                guard case .object(let fields) = entry else {
                    throw NimbusError.badRequest("Invalid input for field/attribute block_device_mapping_v2: each entry must be an object.")
                }
                try Nova.refuseUnknown(fields, allowed: Self.allowed, in: "block_device_mapping_v2")
                guard let source = fields["source_type"]?.stringValue else {
                    throw NimbusError.badRequest("Block Device Mapping is Invalid: source_type is required.")
                }
                func integer(_ key: String) throws -> Int? {
                    switch fields[key] {
                    case nil, .null?: return nil
                    case let value?:
                        guard let number = value.intValue ?? value.stringValue.flatMap({ Int($0) }) else {
                            throw NimbusError.badRequest("Invalid input for field/attribute \(key). Value: \(value). It must be an integer.")
                        }
                        return number
                    }
                }
                self.init(
                    sourceType: source, destinationType: fields["destination_type"]?.stringValue,
                    deviceType: fields["device_type"]?.stringValue, uuid: fields["uuid"]?.stringValue,
                    bootIndex: try integer("boot_index").flatMap { $0 < 0 ? nil : $0 }, volumeSize: try integer("volume_size"))
                guestFormat = fields["guest_format"]?.stringValue
                tagged = fields["tag"] != nil
                namesVolumeType = fields["volume_type"] != nil
            }

            var json: JSONValue {
                var object: [String: JSONValue] = ["source_type": .string(sourceType)]
                if let destinationType { object["destination_type"] = .string(destinationType) }
                if let deviceType { object["device_type"] = .string(deviceType) }
                if let uuid { object["uuid"] = .string(uuid) }
                object["boot_index"] = bootIndex.map { JSONValue($0) } ?? JSONValue(-1)
                if let volumeSize { object["volume_size"] = JSONValue(volumeSize) }
                if let guestFormat { object["guest_format"] = .string(guestFormat) }
                return .object(object)
            }
        }

        /// `networks`: "auto" (the project's network), "none", or a list of NICs.
        public enum Networks: Sendable, Equatable {
            case auto, none
            case list([NIC])
        }

        /// One `--nic`: a network (with the fixed IP wanted), or a port.
        public struct NIC: Sendable, Equatable {
            public var network: String?
            public var port: String?
            public var fixedIP: String?
            public init(network: String? = nil, port: String? = nil, fixedIP: String? = nil) {
                self.network = network
                self.port = port
                self.fixedIP = fixedIP
            }
        }

        public init(
            name: String, imageRef: String, flavorRef: String, networks: Networks = .auto, metadata: [String: String] = [:],
            keyName: String? = nil, userData: String? = nil, configDrive: Bool = false, minCount: Int = 1, maxCount: Int = 1,
            securityGroups: [String]? = nil, returnReservationId: Bool = false, blockDevices: [BlockDevice] = []
        ) {
            self.blockDevices = blockDevices
            self.name = name
            self.imageRef = imageRef
            self.flavorRef = flavorRef
            self.networks = networks
            self.metadata = metadata
            self.keyName = keyName
            self.userData = userData
            self.configDrive = configDrive
            self.minCount = minCount
            self.maxCount = maxCount
            self.securityGroups = securityGroups
            self.returnReservationId = returnReservationId
        }

        static let allowed: Set<String> = [
            "name", "imageRef", "flavorRef", "networks", "metadata", "key_name", "user_data", "config_drive",
            "min_count", "max_count", "security_groups", "availability_zone", "adminPass", "OS-DCF:diskConfig",
            "block_device_mapping_v2", "return_reservation_id", "accessIPv4", "accessIPv6", "description", "tags",
            "trusted_image_certificates", "host", "hypervisor_hostname",
        ]

        public init(from decoder: any Decoder) throws {
            guard case .object(let object) = try JSONValue(from: decoder) else {
                throw NimbusError.badRequest("Invalid input for field/attribute server: it must be an object.")
            }
            try self.init(json: object)
        }

        init(json fields: [String: JSONValue]) throws {
            try Nova.refuseUnknown(fields, allowed: Self.allowed, in: "server")
            guard let name = fields["name"]?.stringValue else {
                throw NimbusError.badRequest("Invalid input for field/attribute name: 'name' is a required property.")
            }
            switch fields["block_device_mapping_v2"] {
            case nil, .null?: blockDevices = []
            case .array(let entries)?:
                blockDevices = try entries.map(BlockDevice.init(json:))
                taggedDevice = blockDevices.contains(where: \.tagged)
                deviceVolumeType = blockDevices.contains(where: \.namesVolumeType)
            case let other?:
                throw NimbusError.badRequest("Invalid input for field/attribute block_device_mapping_v2. Value: \(other). It must be an array.")
            }
            // Without imageRef, the image of the boot mapping is the one to boot.
            let bootImage = blockDevices.first { $0.bootIndex == 0 && $0.sourceType == "image" }?.uuid
            guard let imageRef = fields["imageRef"]?.stringValue.flatMap({ $0.isEmpty ? nil : $0 }) ?? bootImage else {
                throw NimbusError.badRequest("Invalid input for field/attribute imageRef: an image is required (booting from volumes is not supported).")
            }
            guard let flavorRef = fields["flavorRef"]?.stringValue ?? fields["flavorRef"]?.intValue.map(String.init) else {
                throw NimbusError.badRequest("Invalid input for field/attribute flavorRef: 'flavorRef' is a required property.")
            }
            self.name = name
            self.imageRef = imageRef
            self.flavorRef = flavorRef
            metadata = try Nova.metadata(fields["metadata"], field: "metadata")
            keyName = fields["key_name"]?.stringValue
            userData = fields["user_data"]?.stringValue
            if let userData, Data(base64Encoded: userData) == nil {
                throw NimbusError.badRequest("Invalid input for field/attribute user_data: it must be base64-encoded.")
            }
            switch fields["config_drive"] {
            case .bool(let flag)?: configDrive = flag
            case .string(let text)?: configDrive = ["true", "1", "yes", "t", "on"].contains(text.lowercased())
            default: configDrive = false
            }
            namesNetworks = fields["networks"] != nil
            switch fields["networks"] {
            // The openstack client sends [] without --nic; Nova then picks the
            // network available to the project, as "auto" does.
            case nil, .null?, .array([])?: networks = .auto
            case .string("auto")?: networks = .auto; networksByWord = true
            case .string("none")?: networks = .none; networksByWord = true
            case .array(let items)?:
                var taggedNIC = false
                var networkNotUUID = false
                let nics: [NIC] = try items.map { item in
                    guard case .object(let nic) = item else {
                        throw NimbusError.badRequest("Invalid input for field/attribute networks: each entry must be an object.")
                    }
                    try Nova.refuseUnknown(nic, allowed: ["uuid", "port", "fixed_ip", "tag"], in: "networks")
                    if nic["tag"] != nil { taggedNIC = true }
                    if let port = nic["port"]?.stringValue { return NIC(port: port) }
                    guard let network = nic["uuid"]?.stringValue else {
                        throw NimbusError.badRequest("Invalid input for field/attribute networks: each entry needs a 'uuid' or a 'port'.")
                    }
                    if UUID(uuidString: network) == nil { networkNotUUID = true }
                    return NIC(network: network, fixedIP: nic["fixed_ip"]?.stringValue)
                }
                networks = .list(nics)
                self.taggedNIC = taggedNIC
                self.networkNotUUID = networkNotUUID
            case let other?:
                throw NimbusError.badRequest("Invalid input for field/attribute networks. Value: \(other).")
            }
            switch fields["security_groups"] {
            case nil: securityGroups = nil
            case .array(let items)?:
                securityGroups = try items.map { item in
                    guard case .object(let group) = item, let name = group["name"]?.stringValue, !name.isEmpty else {
                        throw NimbusError.badRequest("Invalid input for field/attribute security_groups: each entry must be an object with a 'name'.")
                    }
                    return name
                }
            case let other?:
                throw NimbusError.badRequest("Invalid input for field/attribute security_groups. Value: \(other). It must be an array.")
            }
            func count(_ key: String) throws -> Int? {
                guard let value = fields[key] else { return nil }
                guard let number = value.intValue ?? value.stringValue.flatMap({ Int($0) }), number >= 1 else {
                    throw NimbusError.badRequest("Invalid input for field/attribute \(key). Value: \(value). It must be an integer of at least 1.")
                }
                return number
            }
            minCount = try count("min_count") ?? 1
            maxCount = try count("max_count") ?? minCount
            returnReservationId = fields["return_reservation_id"]?.boolValue ?? false
            switch fields["tags"] {
            case nil: tags = nil
            case .array(let items)?:
                tags = try items.map { item in
                    guard case .string(let tag) = item else { throw NimbusError.badRequest("Invalid input for field/attribute tags. Value: \(item). Tags are strings.") }
                    return tag
                }
            case let other?: throw NimbusError.badRequest("Invalid input for field/attribute tags. Value: \(other). It must be a list.")
            }
            trustedCertificates = fields["trusted_image_certificates"]
            host = fields["host"]
            hypervisorHostname = fields["hypervisor_hostname"]
            if let value = fields["description"] {
                namesDescription = true
                description = try Nova.serverDescription(value)
            }
            accessIPv4 = try Nova.accessAddress(fields["accessIPv4"], field: "accessIPv4", family: AF_INET) ?? ""
            accessIPv6 = try Nova.accessAddress(fields["accessIPv6"], field: "accessIPv6", family: AF_INET6) ?? ""
            switch fields["adminPass"] {
            case nil: adminPass = nil
            case .string(let text)?: adminPass = text
            case let other?: throw NimbusError.badRequest("Invalid input for field/attribute adminPass. Value: \(other). It must be a string.")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var object: [String: JSONValue] = [
                "name": .string(name), "imageRef": .string(imageRef), "flavorRef": .string(flavorRef),
                "metadata": .object(metadata.mapValues(JSONValue.string)),
                "min_count": JSONValue(minCount), "max_count": JSONValue(maxCount),
            ]
            switch networks {
            case .auto: object["networks"] = "auto"
            case .none: object["networks"] = "none"
            case .list(let nics):
                object["networks"] = .array(nics.map { nic in
                    var entry: [String: JSONValue] = [:]
                    if let network = nic.network { entry["uuid"] = .string(network) }
                    if let port = nic.port { entry["port"] = .string(port) }
                    if let fixed = nic.fixedIP { entry["fixed_ip"] = .string(fixed) }
                    return .object(entry)
                })
            }
            if let keyName { object["key_name"] = .string(keyName) }
            if let userData { object["user_data"] = .string(userData) }
            if configDrive { object["config_drive"] = true }
            if let securityGroups { object["security_groups"] = .array(securityGroups.map { ["name": .string($0)] }) }
            if returnReservationId { object["return_reservation_id"] = true }
            if !blockDevices.isEmpty { object["block_device_mapping_v2"] = .array(blockDevices.map(\.json)) }
            if !accessIPv4.isEmpty { object["accessIPv4"] = .string(accessIPv4) }
            if !accessIPv6.isEmpty { object["accessIPv6"] = .string(accessIPv6) }
            if let adminPass { object["adminPass"] = .string(adminPass) }
            if let description { object["description"] = .string(description) }
            try JSONValue.object(object).encode(to: encoder)
        }
    }

    /// `PUT /servers/{id}`: what a server update may change.
    public struct UpdateServer: Codable, Sendable, Equatable {
        public var name: String?
        /// nil leaves the address; "" clears it.
        public var accessIPv4: String?
        public var accessIPv6: String?
        /// 2.19: nil leaves it; `.some(nil)` removes it.
        public var description: String??

        public init(name: String?, accessIPv4: String? = nil, accessIPv6: String? = nil) {
            self.name = name
            self.accessIPv4 = accessIPv4
            self.accessIPv6 = accessIPv6
        }

        public init(from decoder: any Decoder) throws {
            guard case .object(let outer) = try JSONValue(from: decoder), case .object(let changes)? = outer["server"] else {
                throw NimbusError.badRequest("Invalid input for field/attribute server: 'server' is a required property.")
            }
            try Nova.refuseUnknown(changes, allowed: ["name", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig", "description"], in: "server")
            if let value = changes["description"] { description = .some(try Nova.serverDescription(value)) }
            switch changes["name"] {
            case nil: name = nil
            case .string(let text)?: name = text
            case let other?: throw NimbusError.badRequest("Invalid input for field/attribute name. Value: \(other). It must be a string.")
            }
            accessIPv4 = try Nova.accessAddress(changes["accessIPv4"], field: "accessIPv4", family: AF_INET)
            accessIPv6 = try Nova.accessAddress(changes["accessIPv6"], field: "accessIPv6", family: AF_INET6)
        }

        public func encode(to encoder: any Encoder) throws {
            var changes: [String: JSONValue] = [:]
            if let name { changes["name"] = .string(name) }
            if let accessIPv4 { changes["accessIPv4"] = .string(accessIPv4) }
            if let accessIPv6 { changes["accessIPv6"] = .string(accessIPv6) }
            if let description { changes["description"] = description.map(JSONValue.string) ?? .null }
            try JSONValue.object(["server": .object(changes)]).encode(to: encoder)
        }
    }

    /// Nova's server description: null, or at most 255 printable characters.
    public static func serverDescription(_ value: JSONValue) throws -> String? {
        switch value {
        case .null: return nil
        case .string(let text) where text.count <= 255 && !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }):
            return text
        default:
            throw NimbusError.badRequest("Invalid input for field/attribute description. Value: \(value). It must be null or a string of at most 255 printable characters.")
        }
    }

    /// An access address: absent (nil), "" or null (cleared, ""), or an
    /// address of the family, in its canonical form (Nova keeps IPv6 compressed).
    static func accessAddress(_ value: JSONValue?, field: String, family: Int32) throws -> String? {
        switch value {
        case nil: return nil
        case .null?, .string("")?: return ""
        case .string(let text)?:
            var buffer = [UInt8](repeating: 0, count: 16)
            var canonical = [CChar](repeating: 0, count: 64)
            guard inet_pton(family, text, &buffer) == 1, inet_ntop(family, buffer, &canonical, 64) != nil else {
                throw NimbusError.badRequest("Invalid input for field/attribute \(field). Value: \(text). '\(text)' is not a '\(family == AF_INET ? "ipv4" : "ipv6")'")
            }
            return String(decoding: canonical.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        case let other?:
            throw NimbusError.badRequest("Invalid input for field/attribute \(field). Value: \(other). It must be a string.")
        }
    }

    /// Nova's metadata: an object of strings, keys of 1 to 255 characters, values of at most 255.
    public static func metadata(_ value: JSONValue?, field: String) throws -> [String: String] {
        switch value {
        case nil: return [:]
        case .object(let object)?:
            var metadata: [String: String] = [:]
            for (key, value) in object {
                guard let text = value.stringValue, !key.isEmpty, key.count <= 255, text.count <= 255 else {
                    throw NimbusError.badRequest("Invalid input for field/attribute \(field): keys must be 1 to 255 characters and values strings of at most 255.")
                }
                metadata[key] = text
            }
            return metadata
        case let other?:
            throw NimbusError.badRequest("Invalid input for field/attribute \(field). Value: \(other). It must be an object.")
        }
    }

    /// Unknown fields in a strict body are an error, as with Nova's schemas.
    public static func refuseUnknown(_ object: [String: JSONValue], allowed: Set<String>, in what: String) throws {
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw NimbusError.badRequest("Invalid input for \(what): additional property '\(unknown)' is not allowed.")
        }
    }
}

