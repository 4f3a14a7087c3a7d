import Foundation
import NimbusCore

extension Nova {
    /// `POST /servers/{id}/action`: one action, named by the body's only key.
    public enum ServerAction: Codable, Sendable, Equatable {
        case start, stop, pause, unpause, unlock, unrescue
        /// 2.73 gives a lock its reason.
        case lock(reason: String?)
        /// 2.17's trigger_crash_dump: an NMI to the guest.
        case triggerCrashDump
        /// nova-network's addFixedIp/removeFixedIp, which Nimbus does not
        /// offer (and Nova drops at 2.44).
        case multinic(String)
        /// SOFT or HARD.
        case reboot(hard: Bool)
        case addSecurityGroup(name: String)
        case removeSecurityGroup(name: String)
        /// Nova's proxy actions of 2.1: a floating IP by address, onto a fixed address (the first when nil).
        case addFloatingIp(address: String, fixedAddress: String?)
        case removeFloatingIp(address: String)
        case createImage(name: String, metadata: [String: String])
        /// A new root disk from an image; the rest as in PUT /servers/{id}.
        case rebuild(Rebuild)
        /// A snapshot kept as one of the newest `rotation` backups of its type.
        case createBackup(name: String, type: String, rotation: Int, metadata: [String: String])
        /// Without an image, Nova rescues from the server's own image.
        case rescue(imageRef: String?, adminPass: String?)
        /// The last `length` lines of the console log (all when nil).
        case consoleOutput(length: Int?)
        /// Nova before 2.6: os-getSerialConsole / os-getVNCConsole with a console type.
        case legacyConsole(ConsoleProtocol, type: String)
        /// Nimbus's: take the disc out of a CD drive (the installer's when
        /// nil), now or at the guest's next reset.
        case eject(drive: String?, force: Bool, atReboot: Bool = false)
        /// Nimbus's: a reboot (SOFT or HARD) that starts once from `boot`.
        case rebootFrom(BootDevice, hard: Bool)
        /// Nimbus's: put an ISO image (id or name) into an empty CD drive.
        case insert(image: String, drive: String?)

        /// The body of a rebuild; nil leaves a field as it is.
        public struct Rebuild: Sendable, Equatable {
            public var imageRef: String
            public var name: String?
            public var metadata: [String: String]?
            public var accessIPv4: String?
            public var accessIPv6: String?
            public var adminPass: String?
            /// 2.19: nil leaves it; `.some(nil)` removes it.
            public var description: String??
            /// 2.54's key pair and 2.57's user data: nil leaves them; `.some(nil)` removes them.
            public var keyName: String??
            public var userData: String??
            /// Given at all (2.57 removes personality; 2.63 adds certificates).
            public var namesPersonality = false
            public var trustedCertificates: JSONValue?
            public init(imageRef: String) { self.imageRef = imageRef }
        }

        /// Where a `nimbus-reboot` starts this one boot.
        public enum BootDevice: String, Sendable, Equatable, CaseIterable {
            case disk, cdrom
        }

        public enum ConsoleProtocol: String, Sendable, Equatable {
            case serial = "os-getSerialConsole"
            case vnc = "os-getVNCConsole"
        }

        /// The action's name in the body.
        public var name: String {
            switch self {
            case .start: "os-start"
            case .stop: "os-stop"
            case .pause: "pause"
            case .unpause: "unpause"
            case .lock: "lock"
            case .unlock: "unlock"
            case .unrescue: "unrescue"
            case .triggerCrashDump: "trigger_crash_dump"
            case .multinic(let name): name
            case .reboot: "reboot"
            case .addSecurityGroup: "addSecurityGroup"
            case .addFloatingIp: "addFloatingIp"
            case .removeFloatingIp: "removeFloatingIp"
            case .removeSecurityGroup: "removeSecurityGroup"
            case .createImage: "createImage"
            case .rebuild: "rebuild"
            case .createBackup: "createBackup"
            case .rescue: "rescue"
            case .consoleOutput: "os-getConsoleOutput"
            case .legacyConsole(let kind, _): kind.rawValue
            case .eject: "nimbus-eject"
            case .rebootFrom: "nimbus-reboot"
            case .insert: "nimbus-insert"
            }
        }

        public init(from decoder: any Decoder) throws {
            guard case .object(let body) = try JSONValue(from: decoder), body.count == 1, let (name, argument) = body.first else {
                throw NimbusError.badRequest("The action body must name exactly one action.")
            }
            self = try Self.decode(name, argument)
        }

        static func decode(_ name: String, _ argument: JSONValue) throws -> ServerAction {
            switch name {
            case "os-start": return .start
            case "os-stop": return .stop
            case "pause": return .pause
            case "unpause": return .unpause
            case "lock":
                switch argument {
                case .object(let object) where object["locked_reason"] != nil:
                    try Nova.refuseUnknown(object, allowed: ["locked_reason"], in: "lock")
                    guard let reason = object["locked_reason"]?.stringValue, (1...255).contains(reason.count) else {
                        throw NimbusError.badRequest("Invalid input for field/attribute locked_reason. It must be a string of 1 to 255 characters.")
                    }
                    return .lock(reason: reason)
                default: return .lock(reason: nil)
                }
            case "unlock": return .unlock
            case "unrescue": return .unrescue
            case "addFixedIp", "removeFixedIp": return .multinic(name)
            case "trigger_crash_dump":
                guard argument == .null else {
                    throw NimbusError.badRequest("Invalid input for field/attribute trigger_crash_dump. Value: \(argument). None is not of type 'null'.")
                }
                return .triggerCrashDump
            case "reboot":
                guard case .object(let object) = argument else {
                    throw NimbusError.badRequest("Invalid input for field/attribute reboot: 'type' must be SOFT or HARD.")
                }
                return .reboot(hard: try Self.rebootIsHard(object, name))
            case "nimbus-reboot":
                let object = try Self.object(argument, name, allowed: ["type", "boot"])
                guard let value = object["boot"]?.stringValue, let boot = BootDevice(rawValue: value) else {
                    throw NimbusError.badRequest("Invalid input for field/attribute nimbus-reboot: 'boot' must be cdrom or disk.")
                }
                return .rebootFrom(boot, hard: object["type"] == nil ? false : try Self.rebootIsHard(object, name))
            case "addSecurityGroup", "removeSecurityGroup":
                guard case .object(let object) = argument, let group = object["name"]?.stringValue, !group.isEmpty else {
                    throw NimbusError.badRequest("Invalid input for field/attribute \(name): 'name' is a required property.")
                }
                return name == "addSecurityGroup" ? .addSecurityGroup(name: group) : .removeSecurityGroup(name: group)
            case "addFloatingIp", "removeFloatingIp":
                guard case .object(let object) = argument, let address = object["address"]?.stringValue, !address.isEmpty else {
                    throw NimbusError.badRequest("Invalid input for field/attribute \(name): 'address' is a required property.")
                }
                try Nova.refuseUnknown(object, allowed: name == "addFloatingIp" ? ["address", "fixed_address"] : ["address"], in: name)
                return name == "addFloatingIp"
                    ? .addFloatingIp(address: address, fixedAddress: object["fixed_address"]?.stringValue) : .removeFloatingIp(address: address)
            case "createImage":
                guard case .object(let object) = argument, let image = object["name"]?.stringValue,
                      !image.trimmingCharacters(in: .whitespaces).isEmpty, image.count <= 255 else {
                    throw NimbusError.badRequest("Invalid input for field/attribute createImage: 'name' is a required string of 1 to 255 characters.")
                }
                try Nova.refuseUnknown(object, allowed: ["name", "metadata"], in: "createImage")
                return .createImage(name: image, metadata: try Nova.metadata(object["metadata"], field: "metadata"))
            case "createBackup":
                guard case .object(let object) = argument else {
                    throw NimbusError.badRequest("Invalid input for field/attribute createBackup. Value: \(argument). It must be an object.")
                }
                try Nova.refuseUnknown(object, allowed: ["name", "backup_type", "rotation", "metadata"], in: "createBackup")
                guard let backup = object["name"]?.stringValue, !backup.trimmingCharacters(in: .whitespaces).isEmpty, backup.count <= 255 else {
                    throw NimbusError.badRequest("Invalid input for field/attribute name: 'name' is a required string of 1 to 255 characters.")
                }
                guard let type = object["backup_type"]?.stringValue else {
                    throw NimbusError.badRequest("Invalid input for field/attribute backup_type: 'backup_type' is a required property.")
                }
                guard let rotation = object["rotation"]?.intValue ?? object["rotation"]?.stringValue.flatMap({ Int($0) }), rotation >= 0 else {
                    throw NimbusError.badRequest("Invalid input for field/attribute rotation: a non-negative integer is required.")
                }
                return .createBackup(name: backup, type: type, rotation: rotation, metadata: try Nova.metadata(object["metadata"], field: "metadata"))
            case "rebuild":
                guard case .object(let object) = argument else {
                    throw NimbusError.badRequest("Invalid input for field/attribute rebuild. Value: \(argument). It must be an object.")
                }
                try Nova.refuseUnknown(object, allowed: [
                    "imageRef", "name", "metadata", "accessIPv4", "accessIPv6", "adminPass", "OS-DCF:diskConfig", "preserve_ephemeral",
                    "personality", "description", "key_name", "user_data", "trusted_image_certificates",
                ], in: "rebuild")
                guard let image = object["imageRef"]?.stringValue, !image.isEmpty else {
                    throw NimbusError.badRequest("Invalid input for field/attribute imageRef: 'imageRef' is a required property.")
                }
                var rebuild = Rebuild(imageRef: image)
                for key in ["name", "adminPass"] where object[key] != nil && object[key]?.stringValue == nil {
                    throw NimbusError.badRequest("Invalid input for field/attribute \(key). Value: \(object[key] ?? .null). It must be a string.")
                }
                rebuild.name = object["name"]?.stringValue
                rebuild.adminPass = object["adminPass"]?.stringValue
                if let description = object["description"] { rebuild.description = .some(try Nova.serverDescription(description)) }
                for key in ["key_name", "user_data"] {
                    switch object[key] {
                    case nil: continue
                    case .null?: if key == "key_name" { rebuild.keyName = .some(nil) } else { rebuild.userData = .some(nil) }
                    case .string(let text)?: if key == "key_name" { rebuild.keyName = .some(text) } else { rebuild.userData = .some(text) }
                    case let other?: throw NimbusError.badRequest("Invalid input for field/attribute \(key). Value: \(other). It must be a string or null.")
                    }
                }
                rebuild.namesPersonality = object["personality"] != nil
                rebuild.trustedCertificates = object["trusted_image_certificates"]
                if object["metadata"] != nil { rebuild.metadata = try Nova.metadata(object["metadata"], field: "metadata") }
                rebuild.accessIPv4 = try Nova.accessAddress(object["accessIPv4"], field: "accessIPv4", family: AF_INET)
                rebuild.accessIPv6 = try Nova.accessAddress(object["accessIPv6"], field: "accessIPv6", family: AF_INET6)
                return .rebuild(rebuild)
            case "rescue":
                switch argument {
                case .null: return .rescue(imageRef: nil, adminPass: nil)
                case .object(let object):
                    try Nova.refuseUnknown(object, allowed: ["rescue_image_ref", "adminPass"], in: "rescue")
                    for key in ["rescue_image_ref", "adminPass"] where object[key] != nil && object[key]?.stringValue == nil {
                        throw NimbusError.badRequest("Invalid input for field/attribute \(key). Value: \(object[key] ?? .null). It must be a string.")
                    }
                    return .rescue(imageRef: object["rescue_image_ref"]?.stringValue, adminPass: object["adminPass"]?.stringValue)
                default:
                    throw NimbusError.badRequest("Invalid input for field/attribute rescue. Value: \(argument).")
                }
            case "os-getConsoleOutput":
                guard case .object(let object) = argument, let value = object["length"], value != .null else { return .consoleOutput(length: nil) }
                // Nova's -1 (and no length) is the whole log.
                guard let length = value.intValue ?? value.stringValue.flatMap({ Int($0) }), length >= -1 else {
                    throw NimbusError.badRequest("Invalid input for field/attribute length. Value: \(value). It must be an integer of at least -1.")
                }
                return .consoleOutput(length: length == -1 ? nil : length)
            case "os-getSerialConsole", "os-getVNCConsole":
                guard case .object(let object) = argument, let type = object["type"]?.stringValue else {
                    throw NimbusError.badRequest("Invalid input for field/attribute \(name): 'type' is a required property.")
                }
                return .legacyConsole(ConsoleProtocol(rawValue: name) ?? .serial, type: type)
            case "nimbus-eject":
                let object = try Self.object(argument, name, allowed: ["drive", "force", "at_reboot"])
                for key in ["force", "at_reboot"] {
                    if let value = object[key], value.boolValue == nil {
                        throw NimbusError.badRequest("Invalid input for field/attribute \(key). Value: \(value). It must be a boolean.")
                    }
                }
                return .eject(
                    drive: try Self.drive(object, name), force: object["force"]?.boolValue ?? false,
                    atReboot: object["at_reboot"]?.boolValue ?? false)
            case "nimbus-insert":
                let object = try Self.object(argument, name, allowed: ["drive", "image"])
                guard let image = object["image"]?.stringValue, !image.isEmpty else {
                    throw NimbusError.badRequest("Invalid input for field/attribute nimbus-insert: 'image' is a required property.")
                }
                return .insert(image: image, drive: try Self.drive(object, name))
            default:
                throw NimbusError(.notImplemented, "Server action \(name) is not implemented yet.")
            }
        }

        /// A reboot's `type`: SOFT or HARD, in any case.
        static func rebootIsHard(_ object: [String: JSONValue], _ name: String) throws -> Bool {
            guard let type = object["type"]?.stringValue?.uppercased(), type == "SOFT" || type == "HARD" else {
                throw NimbusError.badRequest("Invalid input for field/attribute \(name): 'type' must be SOFT or HARD.")
            }
            return type == "HARD"
        }

        /// The optional `drive` of a media action: a string when given.
        static func drive(_ object: [String: JSONValue], _ name: String) throws -> String? {
            guard let value = object["drive"], value != .null else { return nil }
            guard let drive = value.stringValue, !drive.isEmpty else {
                throw NimbusError.badRequest("Invalid input for field/attribute \(name): 'drive' must be a drive id such as \"cd0\".")
            }
            return drive
        }

        /// An action's argument: an object (or null for none) with only `allowed` fields.
        static func object(_ argument: JSONValue, _ name: String, allowed: Set<String>) throws -> [String: JSONValue] {
            switch argument {
            case .null: return [:]
            case .object(let object):
                try Nova.refuseUnknown(object, allowed: allowed, in: name)
                return object
            default: throw NimbusError.badRequest("Invalid input for field/attribute \(name): it must be an object.")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            let argument: JSONValue
            switch self {
            case .start, .stop, .pause, .unpause, .unlock, .unrescue, .triggerCrashDump, .multinic: argument = .null
            case .lock(let reason): argument = reason.map { ["locked_reason": .string($0)] } ?? .null
            case .reboot(let hard): argument = ["type": hard ? "HARD" : "SOFT"]
            case .addSecurityGroup(let group), .removeSecurityGroup(let group): argument = ["name": .string(group)]
            case .addFloatingIp(let address, let fixed):
                argument = fixed.map { ["address": .string(address), "fixed_address": .string($0)] } ?? ["address": .string(address)]
            case .removeFloatingIp(let address): argument = ["address": .string(address)]
            case .createImage(let image, let metadata):
                argument = ["name": .string(image), "metadata": .object(metadata.mapValues(JSONValue.string))]
            case .createBackup(let name, let type, let rotation, let metadata):
                argument = [
                    "name": .string(name), "backup_type": .string(type), "rotation": JSONValue(rotation),
                    "metadata": .object(metadata.mapValues(JSONValue.string)),
                ]
            case .rebuild(let rebuild):
                var object: [String: JSONValue] = ["imageRef": .string(rebuild.imageRef)]
                if let name = rebuild.name { object["name"] = .string(name) }
                if let metadata = rebuild.metadata { object["metadata"] = .object(metadata.mapValues(JSONValue.string)) }
                if let address = rebuild.accessIPv4 { object["accessIPv4"] = .string(address) }
                if let address = rebuild.accessIPv6 { object["accessIPv6"] = .string(address) }
                if let password = rebuild.adminPass { object["adminPass"] = .string(password) }
                argument = .object(object)
            case .rescue(let imageRef, let adminPass):
                var object: [String: JSONValue] = [:]
                if let imageRef { object["rescue_image_ref"] = .string(imageRef) }
                if let adminPass { object["adminPass"] = .string(adminPass) }
                argument = .object(object)
            case .consoleOutput(let length):
                argument = .object(length.map { ["length": JSONValue($0)] } ?? [:])
            case .legacyConsole(_, let type): argument = ["type": .string(type)]
            case .eject(let drive, let force, let atReboot):
                var object: [String: JSONValue] = ["force": .bool(force)]
                if atReboot { object["at_reboot"] = .bool(true) }
                if let drive { object["drive"] = .string(drive) }
                argument = .object(object)
            case .rebootFrom(let boot, let hard):
                argument = ["type": hard ? "HARD" : "SOFT", "boot": .string(boot.rawValue)]
            case .insert(let image, let drive):
                argument = .object(["image": .string(image)].merging(drive.map { ["drive": .string($0)] } ?? [:]) { $1 })
            }
            try JSONValue.object([name: argument]).encode(to: encoder)
        }
    }

    /// `POST /servers/{id}/remote-consoles`.
    public struct RemoteConsoleRequest: Codable, Sendable, Equatable {
        public var `protocol`: String
        public var type: String

        public init(protocol: String, type: String) {
            self.protocol = `protocol`
            self.type = type
        }

        public init(from decoder: any Decoder) throws {
            guard case .object(let body) = try JSONValue(from: decoder), case .object(let console)? = body["remote_console"],
                  let proto = console["protocol"]?.stringValue, let type = console["type"]?.stringValue else {
                throw NimbusError.badRequest("Invalid input for field/attribute remote_console: 'protocol' and 'type' are required.")
            }
            self.init(protocol: proto, type: type)
        }

        public func encode(to encoder: any Encoder) throws {
            try JSONValue.object(["remote_console": ["protocol": .string(`protocol`), "type": .string(type)]]).encode(to: encoder)
        }
    }

    /// Nimbus's `POST /servers/{id}/keys`: chords to press (`ctrl-alt-delete`), then text to type.
    public struct SendKeys: Codable, Sendable, Equatable {
        public var keys: [String]
        public var text: String?

        public init(keys: [String], text: String?) {
            self.keys = keys
            self.text = text
        }

        public init(from decoder: any Decoder) throws {
            guard case .object(let body) = try JSONValue(from: decoder) else {
                throw NimbusError.badRequest("Invalid input for keys: the body must be an object.")
            }
            try Nova.refuseUnknown(body, allowed: ["keys", "text"], in: "keys")
            switch body["keys"] {
            case nil: keys = []
            case .array(let items)?:
                keys = try items.map { key in
                    guard let name = key.stringValue else { throw NimbusError.badRequest("Invalid input for field/attribute keys: each key is a string.") }
                    return name
                }
            default:
                throw NimbusError.badRequest("Invalid input for field/attribute keys: a list of key names such as [\"ctrl-alt-delete\"].")
            }
            text = body["text"]?.stringValue
        }

        public func encode(to encoder: any Encoder) throws {
            var body: [String: JSONValue] = ["keys": .array(keys.map(JSONValue.string))]
            if let text { body["text"] = .string(text) }
            try JSONValue.object(body).encode(to: encoder)
        }
    }
}

extension Nova {
    /// Nimbus's `GET /servers/{id}/nimbus-media`, and the answer to eject and insert.
    public struct MediaList: Codable, Sendable, Equatable {
        public var media: [Drive]

        public struct Drive: Codable, Sendable, Equatable {
            public var drive: String
            public var bus: String
            public var image: ImageRef?
            public var trayOpen: Bool
            public var locked: Bool
            /// The disc goes at the guest's next reset (`nimbus-eject` with `at_reboot`).
            public var ejectAtReboot: Bool

            public init(drive: String, bus: String, image: ImageRef?, trayOpen: Bool, locked: Bool, ejectAtReboot: Bool = false) {
                self.drive = drive
                self.bus = bus
                self.image = image
                self.trayOpen = trayOpen
                self.locked = locked
                self.ejectAtReboot = ejectAtReboot
            }

            enum CodingKeys: String, CodingKey {
                case drive, bus, image, locked
                case trayOpen = "tray_open"
                case ejectAtReboot = "eject_at_reboot"
            }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(drive, forKey: .drive)
                try container.encode(bus, forKey: .bus)
                // An empty drive says so: "image": null.
                try container.encode(image, forKey: .image)
                try container.encode(trayOpen, forKey: .trayOpen)
                try container.encode(locked, forKey: .locked)
                try container.encode(ejectAtReboot, forKey: .ejectAtReboot)
            }
        }

        public struct ImageRef: Codable, Sendable, Equatable {
            public var id: String
            public var name: String?
            public init(id: String, name: String?) {
                self.id = id
                self.name = name
            }
        }

        public init(media: [Drive]) { self.media = media }
    }
}
