import Foundation
import Hummingbird
import Identity
import NimbusCore

/// Log in with Keystone credentials, pick a project, log out.
extension Dashboard {
    func addLogin<Context: RequestContext>(to group: RouterGroup<Context>) {
        group.get("login") { request, _ in
            if visitor(request) != nil { return redirect("/dashboard/instances") }
            return render("login", ["title": "Log in", "domain": "Default", "next": Self.safeNext(request.uri.queryParameters["next"].map(String.init))], nil)
        }
        group.post("login") { request, context in
            let form = try await FormFields.read(request, context: context)
            let username = form.optional("username") ?? ""
            let domain = form.optional("domain") ?? "Default"
            let next = Self.safeNext(form["next"])
            do {
                let unscoped = try identity.authenticate(user: .name(username, domain: .name(domain)), password: form["password"] ?? "", scope: .unscoped)
                let projects = try identity.projects(of: unscoped.context.userId, unscoped.context).filter(\.enabled)
                let preferred = try identity.defaultProject(of: .name(username, domain: .name(domain)))
                guard let project = projects.first(where: { $0.id == preferred }) ?? projects.sorted(by: { $0.name < $1.name }).first else {
                    throw NimbusError.unauthorized("You have no role on any project; ask an administrator to add you to one.")
                }
                let scoped = try identity.authenticate(token: unscoped.secret, scope: .project(.id(project.id)))
                let id = sessions.open(unscoped: unscoped.secret, scoped: scoped.secret, expiresAt: scoped.context.expiresAt)
                var response = redirect(next)
                response.setCookie(sessionCookie(id, expires: scoped.context.expiresAt))
                return response
            } catch {
                let message = (error as? NimbusError)?.code == .unauthorized && (error as? NimbusError)?.message.contains("no role") != true
                    ? "The user name, password or domain is wrong." : NimbusError.wrap(error).message
                return render("login", ["title": "Log in", "error": message, "username": username, "domain": domain, "next": next], nil, status: .unauthorized)
            }
        }
        group.post("logout") { request, context in
            guard let visitor = visitor(request) else { return redirect("/dashboard/login") }
            let form = try await FormFields.read(request, context: context)
            guard checkCSRF(request, form: form, visitor) else { return forbidden(visitor) }
            for token in [visitor.session.token, visitor.session.unscopedToken] {
                do { try identity.revoke(token, by: visitor.auth) } catch {
                    logger.warning("a token was not revoked at logout", metadata: ["error": "\(error)"])
                }
            }
            sessions.close(visitor.sessionID)
            var response = redirect("/dashboard/login")
            response.setCookie(sessionCookie("", expires: Date(timeIntervalSince1970: 0)))
            return response
        }
        group.post("project") { request, context in
            await action(request, context, fallback: "/dashboard/instances") { visitor, form in
                let project = try form.required("project", label: "A project")
                let scoped = try identity.authenticate(token: visitor.session.unscopedToken, scope: .project(.id(ProjectID(rawValue: project))))
                sessions.update(visitor.sessionID) { session in
                    session.token = scoped.secret
                    session.expiresAt = scoped.context.expiresAt
                }
                return ("You now work in project \(scoped.context.project?.name ?? project).", "/dashboard/instances")
            }
        }
    }

    /// HttpOnly, SameSite=Strict; Secure when the dashboard is served over TLS.
    func sessionCookie(_ value: String, expires: Date) -> Cookie {
        Cookie(
            name: Self.cookieName, value: value, expires: expires, path: "/", secure: baseURL.hasPrefix("https://"), httpOnly: true,
            sameSite: .strict)
    }

    /// Where to go after login: only a dashboard path, never another site.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/dashboard/"), !next.contains("//"), !next.contains("\\") else { return "/dashboard/instances" }
        return next
    }
}
