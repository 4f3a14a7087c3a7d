import Compute
import Hummingbird
import Identity
import Images
import Logging
import Networking
import NimbusCore

/// Builds the router for all services. Tests call this too, so what they
/// exercise in process is exactly what `nimbus serve` serves.
public enum NimbusRouter {
    public static func build(
        identity: IdentityService, images: ImageService, flavors: FlavorService? = nil, compute: ComputeService? = nil,
        networks: NetworkService? = nil, baseURL: String, noVNCDirectory: String = NimbusConfiguration.defaultNoVNCDirectory
    ) -> Router<NimbusRequestContext> {
        let router = Router(context: NimbusRequestContext.self)
        router.addMiddleware {
            ErrorMiddleware<NimbusRequestContext>()
            ComputeMicroversionMiddleware<NimbusRequestContext>()
            AuthMiddleware(identity: identity)
        }
        router.get("/") { request, _ in
            // A browser gets the dashboard; API clients get where each service is.
            if request.headers[.accept]?.contains("text/html") == true {
                return Response(status: .seeOther, headers: [.location: "/dashboard/"])
            }
            return try JSONMessages.response([
                "name": "nimbus",
                "services": ["identity": "/identity", "image": "/image", "compute": "/compute/v2.1", "network": "/network"],
            ] as [String: JSONValue])
        }
        // Rendered once: the document changes only with the binary.
        let description = ByteBuffer(bytes: JSONWriter.bytes(APIDescription.document(baseURL: baseURL)))
        router.get(RouterPath(stringLiteral: APIDescription.path)) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: description))
        }
        IdentityController(identity: identity, baseURL: baseURL).addRoutes(to: router)
        ImageController(images: images, baseURL: baseURL).addRoutes(to: router)
        if let flavors {
            ComputeController(flavors: flavors, compute: compute, images: images, baseURL: baseURL).addRoutes(to: router)
        }
        if let compute {
            ConsoleController(compute: compute, baseURL: baseURL, noVNCDirectory: noVNCDirectory).addRoutes(to: router)
        }
        if let networks {
            NetworkController(networks: networks, baseURL: baseURL).addRoutes(to: router)
        }
        return router
    }
}
