import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The dashboard in process: its sessions, CSRF checks and project isolation,
/// over the same services and an in-memory VM runtime.
@Suite("Dashboard in process")
struct DashboardTests {
    /// A browser: its session cookie and the CSRF token of the last page it saw.
    struct Browser {
        let client: any TestClientProtocol
        var cookie: String?
        var csrf: String?

        mutating func get(_ path: String) async throws -> TestResponse {
            let response = try await client.execute(uri: path, method: .get, headers: headers(), body: nil)
            if let token = Self.csrf(in: response.text) { csrf = token }
            return response
        }

        func post(_ path: String, _ fields: [String: String], csrf override: String?? = nil) async throws -> TestResponse {
            var form = fields
            if let token = override ?? csrf { form["csrf"] = token }
            let body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            var fields = headers()
            fields[.contentType] = "application/x-www-form-urlencoded"
            return try await client.execute(uri: path, method: .post, headers: fields, body: ByteBuffer(string: body))
        }

        func headers() -> HTTPFields {
            var fields: HTTPFields = [.accept: "text/html"]
            if let cookie { fields[.cookie] = cookie }
            return fields
        }

        /// Logs in; returns the login's answer.
        mutating func logIn(_ user: String, _ password: String) async throws -> TestResponse {
            let response = try await post("/dashboard/login", ["username": user, "password": password, "domain": "Default"], csrf: .some(nil))
            if let setCookie = response.headers[.setCookie] { cookie = String(setCookie.split(separator: ";")[0]) }
            return response
        }

        static func csrf(in html: String) -> String? {
            guard let range = html.range(of: #"name="csrf" value="([^"]+)""#, options: .regularExpression) else { return nil }
            return String(html[range].dropFirst(#"name="csrf" value=""#.count).dropLast())
        }
    }

    @Test("log in sets only an opaque HttpOnly, SameSite=Strict cookie; a wrong password is refused in words; logged out is sent to log in")
    func login() async throws {
        try await TestCloud().withClient { client in
            var browser = Browser(client: client)
            let anonymous = try await browser.get("/dashboard/instances")
            #expect(anonymous.status == .seeOther && anonymous.headers[.location]?.hasPrefix("/dashboard/login") == true)
            let root = try await client.execute(uri: "/", method: .get, headers: [.accept: "text/html,application/xhtml+xml"], body: nil)
            #expect(root.status == .seeOther && root.headers[.location] == "/dashboard/", "a browser at / gets the dashboard")
            let api = try await client.execute(uri: "/", method: .get, headers: [.accept: "application/json"], body: nil)
            #expect(api.status == .ok && api.text.contains("compute"), "API clients at / still get JSON")

            let wrong = try await browser.logIn("admin", "not-the-password")
            #expect(wrong.status == .unauthorized && wrong.text.contains("password or domain is wrong"), "\(wrong.text)")
            #expect(wrong.headers[.setCookie] == nil)

            let right = try await browser.logIn("admin", TestCloud.adminPassword)
            #expect(right.status == .seeOther && right.headers[.location] == "/dashboard/instances")
            let setCookie = try #require(right.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"), "\(setCookie)")
            let page = try await browser.get("/dashboard/instances")
            #expect(page.status == .ok && page.text.contains("Instances") && page.text.contains("admin"), "\(page.text.prefix(500))")
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)

            // The session's value is not a token the APIs take.
            let value = try #require(browser.cookie?.split(separator: "=", maxSplits: 1).last.map(String.init))
            let asToken = try await client.execute(uri: "/compute/v2.1/servers", method: .get, headers: [HTTPField.Name("X-Auth-Token")!: value], body: nil)
            #expect(asToken.status == .unauthorized)

            let out = try await browser.post("/dashboard/logout", [:])
            #expect(out.status == .seeOther && out.headers[.location] == "/dashboard/login")
            let after = try await browser.get("/dashboard/instances")
            #expect(after.status == .seeOther, "the old cookie is no longer a session")
        }
    }

    @Test("when the session's token expires, the next page is the login page, and a form changes nothing")
    func expiry() async throws {
        // Long enough for a loaded machine to show a page after the login;
        // the wait counts from the login's end, after the token was issued.
        try await TestCloud(tokenLifetime: 10).withClient { client in
            var browser = Browser(client: client)
            _ = try await browser.logIn("admin", TestCloud.adminPassword)
            let loggedIn = ContinuousClock.now
            #expect(try await browser.get("/dashboard/keypairs").status == .ok)
            try await Task.sleep(until: loggedIn + .milliseconds(10_500))
            let expired = try await browser.get("/dashboard/keypairs")
            #expect(expired.status == .seeOther && expired.headers[.location]?.hasPrefix("/dashboard/login") == true)
            let form = try await browser.post("/dashboard/keypairs", ["name": "late"])
            #expect(form.status == .seeOther && form.headers[.location] == "/dashboard/login")
            _ = try await browser.logIn("admin", TestCloud.adminPassword)
            #expect(!(try await browser.get("/dashboard/keypairs")).text.contains("late"), "nothing was created by the expired session")
        }
    }

    @Test("a form without this session's CSRF token is refused with 403 and changes nothing; with it, the action runs")
    func csrf() async throws {
        try await TestCloud().withClient { client in
            var browser = Browser(client: client)
            _ = try await browser.logIn("admin", TestCloud.adminPassword)
            var other = Browser(client: client)
            _ = try await other.logIn("admin", TestCloud.adminPassword)
            _ = try await other.get("/dashboard/instances")
            _ = try await browser.get("/dashboard/instances")
            #expect(browser.csrf != nil && other.csrf != nil && browser.csrf != other.csrf)

            let image = try await Caller.admin(client).createImageID(#"{"name": "disk", "disk_format": "raw", "container_format": "bare"}"#)
            let missing = try await browser.post("/dashboard/images/\(image)/delete", ["confirm": "yes"], csrf: .some(nil))
            #expect(missing.status == .forbidden && missing.text.contains("nothing was changed"), "\(missing.text)")
            let forged = try await browser.post("/dashboard/images/\(image)/delete", ["confirm": "yes"], csrf: .some(other.csrf))
            #expect(forged.status == .forbidden)
            #expect(try await Caller.admin(client).send(.get, "/image/v2/images/\(image)").status == .ok, "the image is still there")

            let deleted = try await browser.post("/dashboard/images/\(image)/delete", ["confirm": "yes"])
            #expect(deleted.status == .seeOther && deleted.headers[.location] == "/dashboard/images")
            #expect(try await Caller.admin(client).send(.get, "/image/v2/images/\(image)").status == .notFound)
            let notice = try await browser.get("/dashboard/images")
            #expect(notice.text.contains("Deleted image disk."), "the next page says what happened")
        }
    }

    @Test("a member of another project sees none of the first project's instances or private images, and gets 404 on their pages")
    func isolation() async throws {
        try await TestCloud().withClient { client in
            let admin = try await Caller.admin(client)
            let isoID = try await admin.activeImage(#"{"name": "secret-iso", "disk_format": "iso", "container_format": "bare"}"#, Caller.smallestISO)
            var browser = Browser(client: client)
            _ = try await browser.logIn("admin", TestCloud.adminPassword)
            _ = try await browser.get("/dashboard/instances/new")
            let launched = try await browser.post("/dashboard/instances", ["name": "private-vm", "image": isoID, "flavor": "1"])
            #expect(launched.status == .seeOther, "\(launched.text)")
            let location = try #require(launched.headers[.location])
            #expect(location.hasPrefix("/dashboard/instances/"), "\(location)")
            let page = try await browser.get(location)
            #expect(page.status == .ok && page.text.contains("private-vm") && page.text.contains("CD drives"), "\(page.text.prefix(300))")
            #expect(!page.text.contains(#"role="alert"></p>"#), "no empty fault box on a server without a fault")
            let mine = try await browser.get("/dashboard/instances")
            #expect(mine.text.contains("private-vm") && mine.text.contains("<td>10.0.0.") && mine.text.contains("secret-iso"), "the list shows the address and image: \(mine.text.suffix(800))")

            let project = try await admin.createProject("project-b")
            _ = try await admin.newUser("bob", role: "member", projectID: project, projectName: "project-b")
            var bob = Browser(client: client)
            _ = try await bob.logIn("bob", "pw-bob")
            let list = try await bob.get("/dashboard/instances")
            #expect(list.status == .ok && !list.text.contains("private-vm"))
            #expect(try await bob.get(location).status == .notFound)
            #expect(try await bob.get("/dashboard/images/\(isoID)").status == .notFound)
            #expect(!(try await bob.get("/dashboard/images")).text.contains("secret-iso"))
            _ = try await bob.get("/dashboard/instances")
            let stop = try await bob.post(location + "/action", ["action": "stop"])
            #expect(stop.status == .seeOther)
            let said = try await bob.get("/dashboard/instances")
            #expect(said.text.contains("could not be found"), "the refusal is shown in words")
        }
    }

    @Test("overview, key pairs, network and flavors pages: quotas shown, a new key downloads once, a floating IP and a rule in one form each, flavors for admins")
    func projectPages() async throws {
        try await TestCloud().withClient { client in
            var browser = Browser(client: client)
            _ = try await browser.logIn("admin", TestCloud.adminPassword)
            let overview = try await browser.get("/dashboard/overview")
            #expect(overview.status == .ok && overview.text.contains("instances") && overview.text.contains("floatingip"), "\(overview.text.suffix(800))")

            _ = try await browser.get("/dashboard/keypairs")
            let key = try await browser.post("/dashboard/keypairs", ["name": "laptop"])
            #expect(key.status == .ok && key.headers[.contentDisposition]?.contains("laptop.pem") == true, "\(key.headers)")
            #expect(key.text.contains("BEGIN OPENSSH PRIVATE KEY"))
            let keys = try await browser.get("/dashboard/keypairs")
            #expect(keys.text.contains("laptop") && !keys.text.contains("PRIVATE KEY"), "the private half is not kept")

            _ = try await browser.get("/dashboard/network")
            #expect(try await browser.post("/dashboard/network/allocate", [:]).status == .seeOther)
            let network = try await browser.get("/dashboard/network")
            #expect(network.text.contains("Allocated 127."), "\(network.text.prefix(1500))")
            let group = try #require(network.text.range(of: #"name="group" value="([^"]+)""#, options: .regularExpression))
            let groupID = String(network.text[group].dropFirst(#"name="group" value=""#.count).dropLast())
            #expect(try await browser.post("/dashboard/network/add-rule", ["group": groupID, "protocol": "tcp", "port": "3389"]).status == .seeOther)
            let withRule = try await browser.get("/dashboard/network")
            #expect(withRule.text.contains("In: IPv4 tcp port 3389, from 0.0.0.0/0"), "\(withRule.text.prefix(3000))")
            #expect(try await browser.post("/dashboard/network/add-rule", ["group": groupID, "port": "99999"]).status == .seeOther)
            #expect(try await browser.get("/dashboard/network").text.contains("from 1 to 65535"), "a bad port is refused in words")

            let flavors = try await browser.get("/dashboard/flavors")
            #expect(flavors.text.contains("m1.tiny") && flavors.text.contains("Create a flavor"))
            let admin = try await Caller.admin(client)
            let project = try await admin.createProject("project-c")
            _ = try await admin.newUser("carol", role: "member", projectID: project, projectName: "project-c")
            var carol = Browser(client: client)
            _ = try await carol.logIn("carol", "pw-carol")
            let memberFlavors = try await carol.get("/dashboard/flavors")
            #expect(memberFlavors.text.contains("m1.tiny") && !memberFlavors.text.contains("Create a flavor"))
            #expect(!(try await carol.get("/dashboard/keypairs")).text.contains("laptop"), "key pairs are the user's own")
        }
    }
}

extension HTTPField.Name {
    static let contentDisposition = Self("Content-Disposition")!
}
