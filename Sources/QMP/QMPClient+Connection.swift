import Logging
import NIOCore
import NIOPosix

extension QMPClient {
    /// Connects to the QMP socket at `socketPath`, runs `body` with a ready
    /// client, and always closes the connection afterwards, also when `body`
    /// throws or the task is cancelled.
    ///
    /// - Parameters:
    ///   - timeout: Bound for connecting, the greeting and `qmp_capabilities`.
    ///   - commandTimeout: Default timeout of each command `body` executes.
    ///   - log: Receives every line sent and received (for the instance's qmp.log).
    ///   - logger: Diagnostics (ignored messages, dropped events); label `nimbus.qmp`.
    /// - Throws: `QMPError.connectionFailed`, `.timeout(command: "greeting")`,
    ///   any `QMPError` of the handshake, or what `body` throws.
    @discardableResult
    public static func withConnection<Result>(
        socketPath: String,
        timeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(10),
        log: (any QMPExchangeLog)? = nil,
        logger: Logger = Logger(label: "nimbus.qmp"),
        isolation: isolated (any Actor)? = #isolation,
        _ body: (QMPClient) async throws -> Result
    ) async throws -> Result {
        let client = try await connect(
            socketPath: socketPath, timeout: timeout, commandTimeout: commandTimeout, log: log, logger: logger
        )
        do {
            let result = try await body(client)
            await client.close()
            return result
        } catch {
            await client.close()
            throw error
        }
    }

    /// Connects and performs the handshake, returning a client that stays
    /// connected until `close()` or until QEMU goes away: the form for a
    /// task that watches `events` for the life of a VM.
    ///
    /// The caller owns the client and must call `close()`; its reader task
    /// keeps it alive until then (or until QEMU closes the socket).
    ///
    /// - Parameters:
    ///   - eventBufferSize: How many unconsumed events to keep; beyond it the oldest are dropped.
    ///   - Other parameters as in `withConnection`.
    public static func connect(
        socketPath: String,
        timeout: Duration = .seconds(5),
        commandTimeout: Duration = .seconds(10),
        log: (any QMPExchangeLog)? = nil,
        logger: Logger = Logger(label: "nimbus.qmp"),
        eventBufferSize: Int = 1024
    ) async throws -> QMPClient {
        var logger = logger
        logger[metadataKey: "qmp.socket"] = "\(socketPath)"
        let (inbound, continuation) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(TimeAmount(timeout))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(QMPInboundHandler(continuation: continuation))
                    }
                }
                .connect(unixDomainSocketPath: socketPath)
                .get()
        } catch {
            continuation.finish()
            throw QMPError.connectionFailed(
                path: socketPath, errno: (error as? IOError)?.errnoCode, description: "\(error)"
            )
        }
        let client = QMPClient(
            socketPath: socketPath, channel: channel, inbound: inbound, defaultTimeout: commandTimeout,
            exchangeLog: log, logger: logger, eventBufferSize: eventBufferSize
        )
        do {
            try await client.handshake(timeout: timeout)
        } catch {
            await client.close()
            throw error
        }
        return client
    }
}
