import QMP
import Testing

@Suite("Line framing")
struct QMPLineFramerTests {
    @Test("a line split across chunks comes out whole, once")
    func splitAcrossChunks() throws {
        var framer = QMPLineFramer()
        let first = try framer.append(Array(#"{"return": "#.utf8))
        let second = try framer.append(Array(#"{}, "id": 1}\#r"#.utf8))
        let third = try framer.append(Array("\n".utf8))
        #expect(first.isEmpty)
        #expect(second.isEmpty)
        #expect(third == [#"{"return": {}, "id": 1}"#])
        #expect(framer.bufferedByteCount == 0)
    }

    @Test("several lines in one chunk, CRLF and LF, keep their order and skip blank lines")
    func manyLinesInOneChunk() throws {
        var framer = QMPLineFramer()
        let lines = try framer.append(Array("a\r\n\r\nb\nc\r\nd".utf8))
        #expect(lines == ["a", "b", "c"])
        #expect(framer.bufferedByteCount == 1)
        let last = try framer.append(Array("\r\n".utf8))
        #expect(last == ["d"])
    }

    @Test("every split point of a two-message stream yields the same lines")
    func everySplitPoint() throws {
        let stream = Array(#"{"QMP": {}}\#r\#n{"event": "STOP", "timestamp": {"seconds": 1, "microseconds": 2}}\#r\#n"#.utf8)
        for split in 0...stream.count {
            var framer = QMPLineFramer()
            let lines = try framer.append(stream[..<split]) + framer.append(stream[split...])
            #expect(lines.count == 2, "split at \(split)")
            #expect(lines.first == #"{"QMP": {}}"#)
        }
    }

    @Test("a multi-byte UTF-8 character split across chunks survives")
    func utf8AcrossChunks() throws {
        var framer = QMPLineFramer()
        let bytes = Array("\"é\"\n".utf8)
        let first = try framer.append(bytes[..<2])
        let second = try framer.append(bytes[2...])
        #expect(first.isEmpty)
        #expect(second == ["\"é\""])
    }

    @Test("an over-long line is a protocol violation")
    func overlongLine() {
        var framer = QMPLineFramer(maximumLineLength: 8)
        #expect(throws: QMPError.protocolViolation("line longer than 8 bytes")) {
            _ = try framer.append(Array("0123456789\n".utf8))
        }
    }
}
