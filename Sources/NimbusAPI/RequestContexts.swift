import Hummingbird
import HummingbirdWebSocket
import Identity
import NimbusCore

/// A context that carries the request's id (`req-<uuid>`), as OpenStack
/// services name each request in their answers and records.
public protocol IdentifiedRequestContext: RequestContext {
    var requestID: String { get set }
}

/// A context that carries the compute microversion the request negotiated.
public protocol MicroversionedRequestContext: RequestContext {
    var computeMicroversion: ComputeMicroversion { get set }
}

/// Every request's context: the caller, when a valid token came with it.
public struct NimbusRequestContext: IdentifiedRequestContext, MicroversionedRequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by the error middleware, first of all.
    public var requestID = ""
    /// Set by the microversion middleware for compute requests.
    public var computeMicroversion = ComputeMicroversion.minimum
    public var auth: AuthContext?
    /// The raw token, kept for actions on the caller's own token.
    public var token: String?
    /// Set when a console route upgrades the connection to a websocket.
    public let webSocket: WebSocketHandlerReference<Self>

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
    }

    /// JSON bodies are small; image data streams and never goes through this limit.
    public var maxUploadSize: Int { 1 << 20 }
}

/// The context of an endpoint that requires a valid token: it cannot be built
/// without one, so a handler in such a group cannot forget to authenticate.
public struct AuthenticatedContext: ChildRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let auth: AuthContext
    public let token: String
    public let requestID: String
    /// The compute microversion negotiated (2.1 outside /compute).
    public let microversion: ComputeMicroversion

    public init(context: NimbusRequestContext) throws {
        guard let auth = context.auth, let token = context.token else {
            throw NimbusError.unauthorized("The request you have made requires authentication.")
        }
        self.coreContext = context.coreContext
        self.auth = auth
        self.token = token
        self.requestID = context.requestID
        self.microversion = context.computeMicroversion
    }

    public var maxUploadSize: Int { 1 << 20 }
}
