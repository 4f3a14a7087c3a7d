import HTTPTypes
import Hummingbird
import Identity
import NimbusCore

/// Validates X-Auth-Token for every service, once, in one place. A missing
/// token leaves the context anonymous (discovery and POST /auth/tokens need
/// none); an invalid one is refused at once.
struct AuthMiddleware: RouterMiddleware {
    let identity: IdentityService

    func handle(
        _ request: Request, context: NimbusRequestContext,
        next: (Request, NimbusRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        if let token = request.headers[.xAuthToken] {
            context.auth = try identity.validate(token)
            context.token = token
            context.logger[metadataKey: "user.id"] = "\(context.auth?.userId.rawValue ?? "")"
        }
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let xAuthToken = Self("X-Auth-Token")!
    static let xSubjectToken = Self("X-Subject-Token")!
    static let xOpenStackRequestID = Self("X-Openstack-Request-Id")!
    static let xComputeRequestID = Self("X-Compute-Request-Id")!
    static let contentMD5 = Self("Content-MD5")!
    static let openStackAPIVersion = Self("OpenStack-API-Version")!
}
