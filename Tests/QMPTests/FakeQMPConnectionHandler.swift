import Foundation
import NIOCore
import QMP

/// One connection of a `FakeQMPServer`: greets, frames request lines,
/// answers `qmp_capabilities`, and plays the responder's actions.
final class FakeQMPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let greeting: String?
    private let state: FakeQMPServerState
    private let responder: @Sendable (QMPJSON) -> [FakeQMPServer.Action]
    private var framer = QMPLineFramer()

    init(greeting: String?, state: FakeQMPServerState, responder: @escaping @Sendable (QMPJSON) -> [FakeQMPServer.Action]) {
        self.greeting = greeting
        self.state = state
        self.responder = responder
    }

    func channelActive(context: ChannelHandlerContext) {
        state.accepted(context.channel)
        if let greeting { send(greeting, context: context) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.closed(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let lines = try? framer.append(buffer.readableBytesView) else {
            context.close(promise: nil)
            return
        }
        for line in lines {
            guard let request = try? QMPJSON(parsing: Data(line.utf8)) else {
                send(#"{"error": {"class": "GenericError", "desc": "JSON parse error"}}"#, context: context)
                continue
            }
            state.received(request)
            let id = request["id"].map(Self.text) ?? "null"
            if request["execute"] == "qmp_capabilities" {
                send(#"{"return": {}, "id": \#(id)}"#, context: context)
                continue
            }
            for action in responder(request) {
                switch action {
                case .reply(let value):
                    send(#"{"return": \#(Self.text(value)), "id": \#(id)}"#, context: context)
                case .error(let errorClass, let description):
                    send(#"{"id": \#(id), "error": {"class": "\#(errorClass)", "desc": "\#(description)"}}"#, context: context)
                case .lines(let lines):
                    lines.forEach { send($0, context: context) }
                case .silence:
                    break
                case .disconnect:
                    context.close(promise: nil)
                    return
                }
            }
        }
    }

    private func send(_ line: String, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: line + "\r\n")), promise: nil)
    }

    static func text(_ value: QMPJSON) -> String {
        (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}
