import Foundation
import NimbusCore

extension Nova {
    /// `POST /servers/{id}/action`: one action, named by the body's only key.
    public enum ServerAction: Codable, Sendable, Equatable {
        case start, stop, pause, unpause, lock, unlock, unrescue
        /// SOFT or HARD.
        case reboot(hard: Bool)
        case addSecurityGroup(name: String)
        case removeSecurityGroup(name: String)
        case createImage(name: String, metadata: [String: String])
        /// Without an image, Nova rescues from the server's own image.
        case rescue(imageRef: String?, adminPass: String?)
        /// The last `length` lines of the console log (all when nil).
        case consoleOutput(length: Int?)
        /// Nova before 2.6: os-getSerialConsole / os-getVNCConsole with a console type.
        case legacyConsole(ConsoleProtocol, type: String)

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
            case .reboot: "reboot"
            case .addSecurityGroup: "addSecurityGroup"
            case .removeSecurityGroup: "removeSecurityGroup"
            case .createImage: "createImage"
            case .rescue: "rescue"
            case .consoleOutput: "os-getConsoleOutput"
            case .legacyConsole(let kind, _): kind.rawValue
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
            case "lock": return .lock
            case "unlock": return .unlock
            case "unrescue": return .unrescue
            case "reboot":
                guard case .object(let object) = argument, let type = object["type"]?.stringValue?.uppercased(),
                      type == "SOFT" || type == "HARD" else {
                    throw NimbusError.badRequest("Invalid input for field/attribute reboot: 'type' must be SOFT or HARD.")
                }
                return .reboot(hard: type == "HARD")
            case "addSecurityGroup", "removeSecurityGroup":
                guard case .object(let object) = argument, let group = object["name"]?.stringValue, !group.isEmpty else {
                    throw NimbusError.badRequest("Invalid input for field/attribute \(name): 'name' is a required property.")
                }
                return name == "addSecurityGroup" ? .addSecurityGroup(name: group) : .removeSecurityGroup(name: group)
            case "createImage":
                guard case .object(let object) = argument, let image = object["name"]?.stringValue,
                      !image.trimmingCharacters(in: .whitespaces).isEmpty, image.count <= 255 else {
                    throw NimbusError.badRequest("Invalid input for field/attribute createImage: 'name' is a required string of 1 to 255 characters.")
                }
                try Nova.refuseUnknown(object, allowed: ["name", "metadata"], in: "createImage")
                return .createImage(name: image, metadata: try Nova.metadata(object["metadata"], field: "metadata"))
            case "rescue":
                switch argument {
                case .null: return .rescue(imageRef: nil, adminPass: nil)
                case .object(let object):
                    try Nova.refuseUnknown(object, allowed: ["rescue_image_ref", "adminPass"], in: "rescue")
                    return .rescue(imageRef: object["rescue_image_ref"]?.stringValue, adminPass: object["adminPass"]?.stringValue)
                default:
                    throw NimbusError.badRequest("Invalid input for field/attribute rescue. Value: \(argument).")
                }
            case "os-getConsoleOutput":
                guard case .object(let object) = argument else { return .consoleOutput(length: nil) }
                return .consoleOutput(length: object["length"].flatMap { $0.intValue ?? $0.stringValue.flatMap(Int.init) })
            case "os-getSerialConsole", "os-getVNCConsole":
                guard case .object(let object) = argument, let type = object["type"]?.stringValue else {
                    throw NimbusError.badRequest("Invalid input for field/attribute \(name): 'type' is a required property.")
                }
                return .legacyConsole(ConsoleProtocol(rawValue: name) ?? .serial, type: type)
            default:
                throw NimbusError(.notImplemented, "Server action \(name) is not implemented yet.")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            let argument: JSONValue
            switch self {
            case .start, .stop, .pause, .unpause, .lock, .unlock, .unrescue: argument = .null
            case .reboot(let hard): argument = ["type": hard ? "HARD" : "SOFT"]
            case .addSecurityGroup(let group), .removeSecurityGroup(let group): argument = ["name": .string(group)]
            case .createImage(let image, let metadata):
                argument = ["name": .string(image), "metadata": .object(metadata.mapValues(JSONValue.string))]
            case .rescue(let imageRef, let adminPass):
                var object: [String: JSONValue] = [:]
                if let imageRef { object["rescue_image_ref"] = .string(imageRef) }
                if let adminPass { object["adminPass"] = .string(adminPass) }
                argument = .object(object)
            case .consoleOutput(let length):
                argument = .object(length.map { ["length": JSONValue($0)] } ?? [:])
            case .legacyConsole(_, let type): argument = ["type": .string(type)]
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
