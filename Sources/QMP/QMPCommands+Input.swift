/// A key as QMP names it: a QEMU key code name (`"ctrl"`, `"alt"`, `"delete"`,
/// `"a"`, `"ret"`) or a raw scancode number.
public enum QMPKey: Sendable, Equatable, Encodable {
    /// A QEMU `QKeyCode` name.
    case qcode(String)
    /// A raw XT scancode.
    case number(Int)

    private enum CodingKeys: String, CodingKey { case type, data }

    /// Encodes as `{"type": "qcode", "data": "ctrl"}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .qcode(let name):
            try container.encode("qcode", forKey: .type)
            try container.encode(name, forKey: .data)
        case .number(let code):
            try container.encode("number", forKey: .type)
            try container.encode(code, forKey: .data)
        }
    }
}

/// One input event for `input-send-event`.
public enum QMPInputEvent: Sendable, Equatable, Encodable {
    /// A key goes down or up.
    case key(QMPKey, down: Bool)
    /// A mouse button (`"left"`, `"middle"`, `"right"`, `"wheel-up"`, ...) goes down or up.
    case button(String, down: Bool)
    /// An absolute pointer position on `axis` (`"x"` or `"y"`), 0...32767.
    case absolute(axis: String, value: Int)
    /// A relative pointer movement on `axis`.
    case relative(axis: String, value: Int)

    private enum CodingKeys: String, CodingKey { case type, data }
    private struct Key: Encodable { var down: Bool; var key: QMPKey }
    private struct Button: Encodable { var down: Bool; var button: String }
    private struct Move: Encodable { var axis: String; var value: Int }

    /// Encodes as `{"type": "key", "data": {...}}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .key(let key, let down):
            try container.encode("key", forKey: .type)
            try container.encode(Key(down: down, key: key), forKey: .data)
        case .button(let button, let down):
            try container.encode("btn", forKey: .type)
            try container.encode(Button(down: down, button: button), forKey: .data)
        case .absolute(let axis, let value):
            try container.encode("abs", forKey: .type)
            try container.encode(Move(axis: axis, value: value), forKey: .data)
        case .relative(let axis, let value):
            try container.encode("rel", forKey: .type)
            try container.encode(Move(axis: axis, value: value), forKey: .data)
        }
    }
}

extension QMPCommands {
    /// `send-key`: presses the keys together, holds them, releases them
    /// (e.g. `[.qcode("ctrl"), .qcode("alt"), .qcode("delete")]`).
    public struct SendKey: QMPCommand {
        /// The wire arguments.
        public struct Arguments: Encodable, Sendable, Equatable {
            /// The keys, pressed in order and released in reverse.
            public var keys: [QMPKey]
            /// How long to hold them, in milliseconds; QEMU's default is 100.
            public var holdTime: Int?

            enum CodingKeys: String, CodingKey { case keys, holdTime = "hold-time" }
        }

        /// Wire name.
        public static let name = "send-key"
        /// The arguments sent.
        public var arguments: Arguments?

        /// Presses `keys` together for `holdTime` milliseconds.
        public init(keys: [QMPKey], holdTime: Int? = nil) {
            self.arguments = Arguments(keys: keys, holdTime: holdTime)
        }
    }

    /// `input-send-event`: injects raw input events (keys, buttons, pointer moves).
    /// QEMU refuses it (`GenericError`, "VM not running") unless the VM runs
    /// or is suspended; `send-key` has no such restriction.
    public struct InputSendEvent: QMPCommand {
        /// The wire arguments.
        public struct Arguments: Encodable, Sendable, Equatable {
            /// The events, applied in order.
            public var events: [QMPInputEvent]
        }

        /// Wire name.
        public static let name = "input-send-event"
        /// The arguments sent.
        public var arguments: Arguments?

        /// Injects `events` into the default input devices.
        public init(events: [QMPInputEvent]) {
            self.arguments = Arguments(events: events)
        }
    }

    /// `screendump`: writes the current display to a file on the QEMU host.
    public struct Screendump: QMPCommand {
        /// The wire arguments.
        public struct Arguments: Encodable, Sendable, Equatable {
            /// Where QEMU writes the image (a path QEMU can write).
            public var filename: String
            /// `"png"` or `"ppm"` (QEMU 7.1 and later know `png`).
            public var format: String?
        }

        /// Wire name.
        public static let name = "screendump"
        /// The arguments sent.
        public var arguments: Arguments?

        /// Dumps the screen to `filename` in `format`.
        public init(filename: String, format: String? = "png") {
            self.arguments = Arguments(filename: filename, format: format)
        }
    }
}

extension QMPCommand where Self == QMPCommands.SendKey {
    /// `send-key`: press `keys` together for `holdTime` milliseconds.
    public static func sendKey(_ keys: [QMPKey], holdTime: Int? = nil) -> Self {
        .init(keys: keys, holdTime: holdTime)
    }
}

extension QMPCommand where Self == QMPCommands.InputSendEvent {
    /// `input-send-event`: inject raw input events.
    public static func inputSendEvent(_ events: [QMPInputEvent]) -> Self { .init(events: events) }
}

extension QMPCommand where Self == QMPCommands.Screendump {
    /// `screendump`: write the display to `filename`.
    public static func screendump(filename: String, format: String? = "png") -> Self {
        .init(filename: filename, format: format)
    }
}
