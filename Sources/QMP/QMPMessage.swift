import Foundation

/// One message from QEMU, classified: the greeting, a reply to a command
/// (success or error, with the id the command was sent with), or an event.
///
/// Pure: `init(line:)` turns a framed line into a message without I/O.
package enum QMPMessage: Sendable, Equatable {
    /// `{"QMP": {...}}`, sent once when a client connects; holds the inner object.
    case greeting(QMPJSON)
    /// `{"return": value, "id": id}`.
    case success(id: QMPJSON?, value: QMPJSON)
    /// `{"error": {"class": ..., "desc": ...}, "id": id}`.
    case failure(id: QMPJSON?, errorClass: String, description: String)
    /// `{"event": name, "timestamp": {...}, "data": {...}}`.
    case event(QMPEvent)

    /// Classifies one line from QEMU.
    ///
    /// - Throws: `QMPError.protocolViolation` for anything that is not one of
    ///   the four message shapes.
    package init(line: String) throws(QMPError) {
        let json: QMPJSON
        do {
            json = try QMPJSON(parsing: Data(line.utf8))
        } catch {
            throw .protocolViolation("not JSON: \(line.prefix(200))")
        }
        guard case .object(let members) = json else {
            throw .protocolViolation("not a JSON object: \(line.prefix(200))")
        }
        if let greeting = members["QMP"] {
            self = .greeting(greeting)
        } else if let value = members["return"] {
            self = .success(id: members["id"], value: value)
        } else if let error = members["error"] {
            self = .failure(
                id: members["id"],
                errorClass: error["class"]?.stringValue ?? "GenericError",
                description: error["desc"]?.stringValue ?? ""
            )
        } else if let name = members["event"]?.stringValue {
            self = .event(
                QMPEvent(
                    name: name,
                    timestamp: QMPEvent.Timestamp(
                        seconds: members["timestamp"]?["seconds"]?.intValue ?? -1,
                        microseconds: members["timestamp"]?["microseconds"]?.intValue ?? -1
                    ),
                    data: members["data"] ?? .object([:])
                )
            )
        } else {
            throw .protocolViolation("unknown message: \(line.prefix(200))")
        }
    }
}
