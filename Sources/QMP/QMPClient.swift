import Logging
import NIOCore

/// A client of one QEMU monitor (QMP) socket.
///
/// One reader task reads QEMU's lines, routes each reply to the command that
/// waits for it (every command is sent with a unique `id`) and forwards events
/// to `events`. Every command has a timeout. When the connection ends, every
/// waiting command fails with `QMPError.disconnected` and `events` finishes.
///
/// Get one with `withConnection(socketPath:timeout:commandTimeout:log:logger:_:)`
/// (scoped, always closed) or `connect(socketPath:timeout:commandTimeout:log:logger:eventBufferSize:)`
/// (long-lived, for watching events; call `close()`). QEMU serves one QMP
/// client per socket at a time: while a long-lived client is connected,
/// another connection gets no greeting and times out, so send commands
/// through the long-lived client.
public actor QMPClient {
    typealias Waiter = CheckedContinuation<QMPJSON, any Error>

    private enum AfterRegistering {
        case send(String)
        case startReading
    }

    /// QEMU's asynchronous events, in arrival order, for a single consumer.
    /// Finishes when the connection ends. Holds up to the client's event
    /// buffer size of unconsumed events, dropping the oldest beyond that.
    public nonisolated let events: AsyncStream<QMPEvent>
    /// The socket this client is connected to.
    public nonisolated let socketPath: String
    /// The timeout of commands executed without an explicit one.
    public nonisolated let defaultTimeout: Duration
    /// QEMU's greeting (version and capabilities), set by the handshake.
    public private(set) var greeting = QMPGreeting(major: 0, minor: 0, micro: 0)

    private let channel: any Channel
    private let inbound: AsyncThrowingStream<ByteBuffer, any Error>
    private let eventContinuation: AsyncStream<QMPEvent>.Continuation
    private let exchangeLog: (any QMPExchangeLog)?
    private let logger: Logger
    private var router = QMPReplyRouter<Waiter>()
    private var framer = QMPLineFramer()
    private var nextID: UInt64 = 1
    private var readerTask: Task<Void, Never>?

    init(
        socketPath: String, channel: any Channel, inbound: AsyncThrowingStream<ByteBuffer, any Error>,
        defaultTimeout: Duration, exchangeLog: (any QMPExchangeLog)?, logger: Logger, eventBufferSize: Int
    ) {
        self.socketPath = socketPath
        self.channel = channel
        self.inbound = inbound
        self.defaultTimeout = defaultTimeout
        self.exchangeLog = exchangeLog
        self.logger = logger
        (events, eventContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(eventBufferSize))
    }

    /// False once the connection has ended (closed by either side or broken).
    public var isConnected: Bool { !router.isClosed }

    /// Sends `command` and decodes its reply.
    ///
    /// - Parameter timeout: How long to wait for the reply; `defaultTimeout` when nil.
    /// - Throws: `QMPError.commandFailed` when QEMU refuses, `.timeout`,
    ///   `.disconnected`, `.protocolViolation` when the reply does not decode,
    ///   or `CancellationError`.
    @discardableResult
    public func execute<Command: QMPCommand>(_ command: Command, timeout: Duration? = nil) async throws
        -> Command.Response
    {
        let id = takeID()
        let line = try QMPRequest.line(name: Command.name, arguments: command.arguments, id: id)
        let value = try await roundTrip(
            key: .command(id: id), label: Command.name, timeout: timeout ?? defaultTimeout, then: .send(line)
        )
        do {
            return try value.decode(Command.Response.self)
        } catch {
            throw QMPError.protocolViolation(
                "reply to \(Command.name) is not a \(Command.Response.self): \(error)"
            )
        }
    }

    /// Sends any command by name and returns its raw `return` value: the escape
    /// hatch for commands without a `QMPCommand` type.
    ///
    /// - Throws: as `execute(_:timeout:)`.
    @discardableResult
    public func execute(raw name: String, arguments: [String: QMPJSON]? = nil, timeout: Duration? = nil)
        async throws -> QMPJSON
    {
        let id = takeID()
        let line = try QMPRequest.line(name: name, arguments: arguments, id: id)
        return try await roundTrip(
            key: .command(id: id), label: name, timeout: timeout ?? defaultTimeout, then: .send(line)
        )
    }

    /// Closes the connection: fails waiting commands with `.disconnected`,
    /// finishes `events`, and returns once the reader task has ended.
    /// Calling it again does nothing.
    public func close() async {
        channel.close(promise: nil)
        if let readerTask {
            await readerTask.value
        } else {
            shutdown(failing: .disconnected)
        }
    }

    /// Waits for QEMU's greeting, then leaves capability negotiation.
    func handshake(timeout: Duration) async throws {
        let value = try await roundTrip(key: .greeting, label: "greeting", timeout: timeout, then: .startReading)
        do {
            greeting = try value.decode(QMPGreeting.self)
        } catch {
            throw QMPError.protocolViolation("greeting does not decode: \(error)")
        }
        try await execute(QMPCommands.Capabilities(), timeout: timeout)
    }

    // MARK: - Waiting for replies

    private func takeID() -> UInt64 {
        defer { nextID += 1 }
        return nextID
    }

    /// Registers a waiter for `key`, then sends the line (or starts the reader,
    /// for the greeting), and waits until the reply, the timeout, a disconnect
    /// or cancellation, whichever comes first.
    private func roundTrip(key: QMPWaiterKey, label: String, timeout: Duration, then next: AfterRegistering)
        async throws -> QMPJSON
    {
        try Task.checkCancellation()
        return try await withThrowingTaskGroup(of: Void.self, returning: QMPJSON.self) { group in
            group.addTask {
                try await Task.sleep(for: timeout)
                await self.expire(key, label: label)
            }
            defer { group.cancelAll() }
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (waiter: Waiter) in
                    register(waiter, for: key, then: next)
                }
            } onCancel: {
                Task { await self.abandon(key) }
            }
        }
    }

    private func register(_ waiter: Waiter, for key: QMPWaiterKey, then next: AfterRegistering) {
        guard router.register(waiter, for: key) else {
            waiter.resume(throwing: router.isClosed ? QMPError.disconnected : QMPError.protocolViolation("\(key) is already awaited"))
            return
        }
        switch next {
        case .send(let line):
            send(line, for: key)
        case .startReading:
            if readerTask == nil {
                readerTask = Task { await self.readLoop() }
            }
        }
    }

    private func send(_ line: String, for key: QMPWaiterKey) {
        exchangeLog?.record(.sent, line: line)
        var buffer = channel.allocator.buffer(capacity: line.utf8.count + 1)
        buffer.writeString(line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        channel.writeAndFlush(buffer).whenFailure { _ in
            Task { await self.fail(key, with: QMPError.disconnected) }
        }
    }

    private func expire(_ key: QMPWaiterKey, label: String) {
        fail(key, with: QMPError.timeout(command: label))
    }

    private func abandon(_ key: QMPWaiterKey) {
        fail(key, with: CancellationError())
    }

    private func fail(_ key: QMPWaiterKey, with error: any Error) {
        router.removeWaiter(for: key)?.resume(throwing: error)
    }

    // MARK: - Reading

    private func readLoop() async {
        var failure = QMPError.disconnected
        do {
            for try await chunk in inbound {
                for line in try framer.append(chunk.readableBytesView) {
                    try handle(line)
                }
            }
        } catch let error as QMPError {
            logger.warning("QMP connection failed", metadata: ["error": "\(error)"])
            failure = error
        } catch {
            logger.debug("QMP channel error", metadata: ["error": "\(error)"])
        }
        shutdown(failing: failure)
    }

    private func handle(_ line: String) throws(QMPError) {
        exchangeLog?.record(.received, line: line)
        switch router.receive(try QMPMessage(line: line)) {
        case .deliver(let waiter, let result):
            waiter.resume(with: result)
        case .event(let event):
            if case .dropped = eventContinuation.yield(event) {
                logger.warning("QMP event buffer full; dropped the oldest event", metadata: ["event": "\(event.name)"])
            }
        case .ignore(let reason):
            logger.debug("QMP message ignored", metadata: ["reason": "\(reason)"])
        case .violation(let detail):
            throw .protocolViolation(detail)
        }
    }

    private func shutdown(failing error: QMPError) {
        for waiter in router.close() {
            waiter.resume(throwing: error)
        }
        eventContinuation.finish()
        channel.close(promise: nil)
    }
}
