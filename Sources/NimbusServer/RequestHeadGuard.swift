import HummingbirdCore
import Logging
import NIOCore

/// Bounds what a new connection may send before its first request head is
/// whole: `limit` bytes within `timeout`, the TLS handshake included. Past
/// the first request, HTTP's idle timeout covers a kept-alive connection;
/// before it nothing does, because the HTTP pipeline decides there whether
/// the connection becomes a websocket: a client trickling a header, or
/// sending one longer than the HTTP decoder takes (which then answers
/// nothing), would otherwise hold its connection for good.
struct RequestHeadGuard<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let timeout: TimeAmount
    let limit: Int

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(RequestHeadGuardHandler(timeout: timeout, limit: limit, logger: logger))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}

/// Passes bytes on untouched; closes the connection at the deadline or the
/// limit, and leaves the pipeline once a blank line ends the first head.
final class RequestHeadGuardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private let limit: Int
    private let logger: Logger
    private var received = 0
    /// The last four bytes seen, to find CRLF CRLF (or LF LF) across reads.
    private var window: UInt32 = 0
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount, limit: Int, logger: Logger) {
        self.timeout = timeout
        self.limit = limit
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    private func arm(_ context: ChannelHandlerContext) {
        guard deadline == nil else { return }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let logger = logger
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            logger.notice("closing a connection that sent no whole request in time")
            bound.value.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        var complete = false
        for byte in bytes.readableBytesView {
            received += 1
            window = window << 8 | UInt32(byte)
            if window == 0x0D0A_0D0A || window & 0xFFFF == 0x0A0A {
                complete = true
                break
            }
        }
        if !complete, received > limit {
            logger.notice("closing a connection whose request head passed \(limit) bytes")
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
        if complete { context.pipeline.syncOperations.removeHandler(context: context, promise: nil) }
    }
}
