import HTTPTypes
import Hummingbird
import NimbusCore

/// Nova's microversions: the client asks with `OpenStack-API-Version:
/// compute 2.x` (or the older `X-OpenStack-Nova-API-Version: 2.x`); the answer
/// says which version it speaks.
public struct ComputeMicroversion: Comparable, CustomStringConvertible, Sendable {
    public var major: Int
    public var minor: Int

    static let minimum = ComputeMicroversion(major: 2, minor: 1)
    /// The highest version whose response shapes Nimbus fully honours.
    static let maximum = ComputeMicroversion(major: 2, minor: 79)

    public var description: String { "\(major).\(minor)" }

    /// Whether the request asked for at least 2.`minor`.
    public func atLeast(_ minor: Int) -> Bool { self >= ComputeMicroversion(major: 2, minor: minor) }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.major, lhs.minor) < (rhs.major, rhs.minor)
    }

    init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    /// The version a request asks for; the minimum when it asks for none.
    static func requested(by request: Request) throws -> ComputeMicroversion {
        var asked: String?
        if let header = request.headers[.openStackAPIVersion] {
            let parts = header.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count == 2, parts[0].lowercased() == "compute" { asked = String(parts[1]) }
        } else if let legacy = request.headers[.novaAPIVersion] {
            asked = legacy.trimmingCharacters(in: .whitespaces)
        }
        guard let asked else { return minimum }
        if asked.lowercased() == "latest" { return maximum }
        let numbers = asked.split(separator: ".")
        guard numbers.count == 2, let major = Int(numbers[0]), let minor = Int(numbers[1]) else {
            throw NimbusError.badRequest("Invalid format for API version: \(asked). It must be of the form MajorNum.MinorNum.")
        }
        let version = ComputeMicroversion(major: major, minor: minor)
        guard version >= minimum, version <= maximum else {
            throw NimbusError(.notAcceptable, "Version \(asked) is not supported by the API. Minimum is \(minimum) and maximum is \(maximum).")
        }
        return version
    }

    /// The headers every compute response carries.
    func apply(to headers: inout HTTPFields) {
        headers[.openStackAPIVersion] = "compute \(self)"
        headers[.novaAPIVersion] = "\(self)"
        headers[.vary] = "OpenStack-API-Version, X-OpenStack-Nova-API-Version"
    }
}

/// Negotiates the microversion for everything under /compute and stamps the answer.
struct ComputeMicroversionMiddleware<Context: MicroversionedRequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.uri.path.hasPrefix("/compute") else { return try await next(request, context) }
        let version = try ComputeMicroversion.requested(by: request)
        var context = context
        context.computeMicroversion = version
        var response = try await next(request, context)
        version.apply(to: &response.headers)
        return response
    }
}

extension HTTPField.Name {
    static let novaAPIVersion = Self("X-OpenStack-Nova-API-Version")!
}

/// Nova answers a route outside the microversions that have it with a 404:
/// routes added later (`from`) or removed (`before`).
struct MicroversionWindow: RouterMiddleware {
    typealias Context = AuthenticatedContext
    var from = 1
    var before = Int.max

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.microversion.atLeast(from), !context.microversion.atLeast(before) else {
            throw NimbusError.notFound("The resource could not be found.")
        }
        return try await next(request, context)
    }
}

extension ComputeMicroversion {
    /// From 2.`minor` (2.75 for most routes) a query parameter the route does
    /// not know is a 400; before, Nova ignores it.
    func checkQuery(_ request: Request, allowed: Set<String>, from minor: Int = 75) throws {
        guard atLeast(minor) else { return }
        if let unknown = QueryParameters.decode(request.uri.query).map(\.key).sorted().first(where: { !allowed.contains($0) }) {
            throw NimbusError.badRequest("Invalid input for query parameters \(unknown). Additional properties are not allowed ('\(unknown)' was unexpected)")
        }
    }
}
