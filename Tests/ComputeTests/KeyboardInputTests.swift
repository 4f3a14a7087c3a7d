import Testing
@testable import Compute

@Suite("Keys and text as QEMU key codes")
struct KeyboardInputTests {
    @Test("chords take the names people write")
    func chords() throws {
        #expect(try KeyboardInput.chord("ctrl-alt-delete") == ["ctrl", "alt", "delete"])
        #expect(try KeyboardInput.chord("Ctrl-Alt-Del") == ["ctrl", "alt", "delete"])
        #expect(try KeyboardInput.chord("enter") == ["ret"])
        #expect(try KeyboardInput.chord("F12") == ["f12"])
        #expect(try KeyboardInput.chord("shift-a") == ["shift", "a"])
        #expect(throws: (any Error).self) { try KeyboardInput.chord("ctrl-alt-banana") }
        #expect(throws: (any Error).self) { try KeyboardInput.chord("f13") }
        #expect(throws: (any Error).self) { try KeyboardInput.chord("") }
    }

    @Test("text is typed on a US layout, with shift for capitals and symbols")
    func typing() throws {
        #expect(try KeyboardInput.chords(typing: "yes\n") == [["y"], ["e"], ["s"], ["ret"]])
        #expect(try KeyboardInput.chords(typing: "A!") == [["shift", "a"], ["shift", "1"]])
        #expect(try KeyboardInput.chords(typing: "a b/c:") == [["a"], ["spc"], ["b"], ["slash"], ["c"], ["shift", "semicolon"]])
        #expect(throws: (any Error).self) { try KeyboardInput.chords(typing: "é") }
    }
}
