import Compute
import Foundation
import HTTPTypes
import Hummingbird
import Identity
import Images
import Logging
import Mustache
import Networking
import NimbusCore

/// The web dashboard under `/dashboard`: server-rendered pages over the same
/// services the APIs call, with the user's own auth, so no page can do what
/// the user's token could not. Templates and static files are this module's
/// resources; third-party browser code (noVNC, term.js) comes from Debian's
/// packages at run time.
public struct Dashboard: Sendable {
    let identity: IdentityService
    let images: ImageService
    let flavors: FlavorService
    let compute: ComputeService
    let networks: NetworkService
    let baseURL: String
    let sessions: DashboardSessions
    let templates: MustacheLibrary
    let staticDirectory: String
    /// Debian's libjs-term.js: the in-page serial terminal.
    let termJS: String
    let logger = Logger(label: "nimbus.dashboard")

    /// Debian 12's libjs-xterm ships a 288-byte CommonJS stub that no browser
    /// can load; libjs-term.js (xterm.js's predecessor, one browser script) works.
    public static let defaultTermJS = "/usr/share/javascript/term.js/term.js"

    public init(
        identity: IdentityService, images: ImageService, flavors: FlavorService, compute: ComputeService, networks: NetworkService,
        baseURL: String, termJS: String = Dashboard.defaultTermJS
    ) async throws {
        self.identity = identity
        self.images = images
        self.flavors = flavors
        self.compute = compute
        self.networks = networks
        self.baseURL = baseURL
        self.termJS = termJS
        sessions = DashboardSessions()
        guard let resources = Bundle.module.resourceURL else { throw NimbusError(.internalError, "The dashboard's resources are missing.") }
        templates = try await MustacheLibrary(directory: resources.appendingPathComponent("Templates").path)
        staticDirectory = resources.appendingPathComponent("Static").path
    }

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        let group = router.group("dashboard")
        group.get("/") { request, _ in
            visitor(request) == nil ? redirect("/dashboard/login") : redirect("/dashboard/instances")
        }
        addLogin(to: group)
        addImages(to: group)
        addInstances(to: group)
        addProjectPages(to: group)
        group.get("static/{file}") { _, context in try staticFile(try context.parameters.require("file")) }
        group.get("vendor/term.js") { _, _ in try vendorFile(termJS, type: "text/javascript") }
    }

    // MARK: Who is asking

    /// A logged-in browser: its session and the auth its token gives now.
    struct Visitor {
        var sessionID: String
        var session: DashboardSessions.Session
        var auth: AuthContext
    }

    static let cookieName = "nimbus_session"

    /// The session of the request's cookie, if its token is still good; a
    /// session whose token expired or was revoked ends here.
    func visitor(_ request: Request) -> Visitor? {
        guard let id = request.cookies[Self.cookieName]?.value, let session = sessions.session(id) else { return nil }
        do {
            return Visitor(sessionID: id, session: session, auth: try identity.validate(session.token))
        } catch {
            sessions.close(id)
            return nil
        }
    }

    /// A page for logged-in users: others go to the login page. A failure
    /// becomes an error page with the service's words and status.
    func page(_ request: Request, _ body: (Visitor) async throws -> Response) async -> Response {
        guard let visitor = visitor(request) else { return redirect("/dashboard/login?next=\(Self.escapeQuery(request.uri.path))") }
        do {
            return try await body(visitor)
        } catch {
            let failure = NimbusError.wrap(error)
            return render("error", ["message": failure.message, "title": "Something went wrong"], visitor, status: failure.code.httpStatus)
        }
    }

    /// A form post from a logged-in user with the session's CSRF token:
    /// `body` acts and says what happened; the browser then goes to the page
    /// `body` returns (Post/Redirect/Get), which shows the notice. A refused
    /// action goes back to `fallback` with the service's words.
    func action<Context: RequestContext>(
        _ request: Request, _ context: Context, fallback: String, _ body: (Visitor, FormFields) async throws -> (notice: String, next: String)
    ) async -> Response {
        guard let visitor = visitor(request) else { return redirect("/dashboard/login") }
        let form: FormFields
        do { form = try await FormFields.read(request, context: context) } catch {
            return render("error", ["message": "The form could not be read.", "title": "Bad request"], visitor, status: .badRequest)
        }
        guard checkCSRF(request, form: form, visitor) else { return forbidden(visitor) }
        do {
            let (notice, next) = try await body(visitor, form)
            sessions.update(visitor.sessionID) { $0.notice = .init(text: notice, isError: false) }
            return redirect(next)
        } catch {
            sessions.update(visitor.sessionID) { $0.notice = .init(text: NimbusError.wrap(error).message, isError: true) }
            return redirect(fallback)
        }
    }

    /// The session's CSRF token, from the form or the `X-CSRF-Token` header.
    func checkCSRF(_ request: Request, form: FormFields? = nil, _ visitor: Visitor) -> Bool {
        let sent = form?["csrf"] ?? request.headers[.csrfToken]
        return sent.map { DashboardSessions.same($0, visitor.session.csrf) } ?? false
    }

    func forbidden(_ visitor: Visitor) -> Response {
        render("error", ["message": "The form was not sent from this session's page; nothing was changed.", "title": "Refused"], visitor, status: .forbidden)
    }

    // MARK: Responses

    /// A page from its template, with what every page shows: who is logged
    /// in, in which project, the notice of the last action, the CSRF token.
    func render(_ template: String, _ values: [String: Any], _ visitor: Visitor?, status: HTTPResponse.Status = .ok) -> Response {
        var context = values
        if let visitor {
            context["user"] = visitor.auth.userName
            context["project"] = visitor.auth.project?.name ?? ""
            context["csrf"] = visitor.session.csrf
            context["isAdmin"] = Policy.isAdmin(visitor.auth)
            if let projects = try? identity.projects(of: visitor.auth.userId, visitor.auth), projects.count > 1 {
                context["hasProjects"] = true
                context["projects"] = projects.sorted { $0.name < $1.name }.map { project in
                    ["id": project.id.rawValue, "name": project.name, "current": project.id == visitor.auth.projectId] as [String: Any]
                }
            }
            if let notice = sessions.takeNotice(visitor.sessionID) {
                context["notice"] = ["text": notice.text, "error": notice.isError] as [String: Any]
            }
        }
        context["nav_\(template)"] = true
        let html = templates.render(context, withTemplate: template) ?? "<!doctype html><p>The page \(template) is missing.</p>"
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        // Pages are never framed by another site, and load scripts only from here.
        headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'self'"
        headers[.xFrameOptions] = "SAMEORIGIN"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    func json(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A file of the module's Static folder; names are checked, never joined blindly.
    func staticFile(_ name: String) throws -> Response {
        guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }), !name.hasPrefix(".") else {
            throw NimbusError.notFound("No such file.")
        }
        let type = name.hasSuffix(".css") ? "text/css" : name.hasSuffix(".js") ? "text/javascript" : "application/octet-stream"
        return try vendorFile(staticDirectory + "/" + name, type: type)
    }

    func vendorFile(_ path: String, type: String) throws -> Response {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NimbusError.notFound("\(path) is missing; install the Debian package that provides it.")
        }
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=300"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func escapeQuery(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "/-_."))) ?? ""
    }
}

extension HTTPField.Name {
    static let csrfToken = Self("X-CSRF-Token")!
    static let contentSecurityPolicy = Self("Content-Security-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
}

extension NimbusError {
    /// Any error in a service's words; others become a 500 without details.
    static func wrap(_ error: any Error) -> NimbusError {
        (error as? NimbusError) ?? NimbusError(.internalError, "Nimbus could not do this: \(error)", cause: error)
    }
}

extension NimbusError.Code {
    var httpStatus: HTTPResponse.Status {
        HTTPResponse.Status(code: httpStatusCode)
    }
}
