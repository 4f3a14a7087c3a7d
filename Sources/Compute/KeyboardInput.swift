import NimbusCore

/// Keys as people write them (`ctrl-alt-delete`, `F2`, `ret`) and text as
/// typed on a US keyboard, turned into QEMU's key code names.
enum KeyboardInput {
    /// One chord (`ctrl-alt-delete`): the key names pressed together.
    static func chord(_ text: String) throws -> [String] {
        let names = text.lowercased().split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard !names.isEmpty, names.count <= 5 else { throw invalid(text) }
        return try names.map { name in
            if let alias = aliases[name] { return alias }
            if name.count == 1, let qcode = plain[Character(name)] { return qcode }
            if named.contains(name) { return name }
            if name.hasPrefix("f"), let number = Int(name.dropFirst()), (1...12).contains(number) { return name }
            throw invalid(text)
        }
    }

    /// The chords that type `text`: letters, digits, punctuation, space,
    /// tab and newline; capitals and shifted symbols with shift held.
    static func chords(typing text: String) throws -> [[String]] {
        try text.map { character in
            if let qcode = plain[character] { return [qcode] }
            let lower = character.lowercased()
            if character.isUppercase, lower.count == 1, let qcode = plain[Character(lower)] {
                return ["shift", qcode]
            }
            if let qcode = shifted[character] { return ["shift", qcode] }
            throw NimbusError.badRequest("The character \(character.debugDescription) cannot be typed; use keys for it.")
        }
    }

    static func invalid(_ text: String) -> NimbusError {
        NimbusError.badRequest("'\(text)' is not a key: use names such as ctrl-alt-delete, ret, esc, tab, f1 to f12, up, a or 1, joined by '-'.")
    }

    static let aliases: [String: String] = [
        "control": "ctrl", "del": "delete", "enter": "ret", "return": "ret", "escape": "esc", "space": "spc",
        "bksp": "backspace", "pgup": "pgup", "pageup": "pgup", "pagedown": "pgdn", "pgdn": "pgdn", "win": "meta_l", "super": "meta_l",
    ]

    static let named: Set<String> = [
        "ctrl", "ctrl_r", "alt", "alt_r", "shift", "shift_r", "meta_l", "meta_r", "delete", "ret", "esc", "tab", "spc",
        "backspace", "insert", "home", "end", "pgup", "pgdn", "up", "down", "left", "right", "sysrq", "print", "menu",
    ]

    static let plain: [Character: String] = {
        var keys: [Character: String] = [" ": "spc", "\n": "ret", "\t": "tab", "-": "minus", "=": "equal", "[": "bracket_left",
                                         "]": "bracket_right", "\\": "backslash", ";": "semicolon", "'": "apostrophe",
                                         "`": "grave_accent", ",": "comma", ".": "dot", "/": "slash"]
        for letter in "abcdefghijklmnopqrstuvwxyz" { keys[letter] = String(letter) }
        for digit in "0123456789" { keys[digit] = String(digit) }
        return keys
    }()

    static let shifted: [Character: String] = [
        "!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7", "*": "8", "(": "9", ")": "0",
        "_": "minus", "+": "equal", "{": "bracket_left", "}": "bracket_right", "|": "backslash", ":": "semicolon",
        "\"": "apostrophe", "~": "grave_accent", "<": "comma", ">": "dot", "?": "slash",
    ]
}
