import Foundation

/// Where a command-line client finds its cloud, the way the openstack
/// client does: OS_AUTH_URL and friends, else the cloud named by OS_CLOUD
/// (default `nimbus`) in the first clouds.yaml found.
struct CloudCredentials: Sendable, Equatable {
    var authURL: String
    var username: String
    var password: String
    var projectName: String
    var userDomain = "Default"
    var projectDomain = "Default"
    /// The CA to trust for an https cloud with a certificate of its own
    /// (OS_CACERT, or the cloud's `cacert` in clouds.yaml).
    var caCertificate: String?

    enum Failure: Error, CustomStringConvertible {
        case notFound(searched: [String])
        case incomplete(String)
        var description: String {
            switch self {
            case .notFound(let searched):
                "No credentials: set OS_CLOUD with a clouds.yaml (looked in \(searched.joined(separator: ", "))) or OS_AUTH_URL, OS_USERNAME, OS_PASSWORD and OS_PROJECT_NAME."
            case .incomplete(let what): "Incomplete credentials: \(what)"
            }
        }
    }

    static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> CloudCredentials {
        if let authURL = environment["OS_AUTH_URL"], !authURL.isEmpty {
            guard let user = environment["OS_USERNAME"], let password = environment["OS_PASSWORD"],
                  let project = environment["OS_PROJECT_NAME"] else {
                throw Failure.incomplete("OS_AUTH_URL is set, but OS_USERNAME, OS_PASSWORD or OS_PROJECT_NAME is not")
            }
            return CloudCredentials(
                authURL: authURL, username: user, password: password, projectName: project,
                userDomain: environment["OS_USER_DOMAIN_NAME"] ?? "Default",
                projectDomain: environment["OS_PROJECT_DOMAIN_NAME"] ?? "Default",
                caCertificate: environment["OS_CACERT"].flatMap { $0.isEmpty ? nil : $0 })
        }
        let cloud = environment["OS_CLOUD"].flatMap { $0.isEmpty ? nil : $0 } ?? "nimbus"
        let home = FileManager.default.homeDirectoryForCurrentUser.path
        var candidates = [environment["OS_CLIENT_CONFIG_FILE"], "clouds.yaml", "\(home)/.config/openstack/clouds.yaml"].compactMap { $0 }
        candidates.append((environment["NIMBUS_DATA_DIR"] ?? "\(environment["XDG_DATA_HOME"] ?? "\(home)/.local/share")/nimbus") + "/clouds.yaml")
        for path in candidates {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
            let values = SimpleYAML.flatten(text)
            let prefix = "clouds.\(cloud).auth."
            guard let authURL = values[prefix + "auth_url"] else { continue }
            guard let user = values[prefix + "username"], let password = values[prefix + "password"],
                  let project = values[prefix + "project_name"] else {
                throw Failure.incomplete("cloud \(cloud) in \(path) lacks username, password or project_name")
            }
            return CloudCredentials(
                authURL: authURL, username: user, password: password, projectName: project,
                userDomain: values[prefix + "user_domain_name"] ?? "Default",
                projectDomain: values[prefix + "project_domain_name"] ?? "Default",
                caCertificate: environment["OS_CACERT"].flatMap { $0.isEmpty ? nil : $0 } ?? values["clouds.\(cloud).cacert"])
        }
        throw Failure.notFound(searched: candidates)
    }
}

/// Just enough YAML for clouds.yaml: nested maps of scalars, flattened to
/// dotted keys (`clouds.nimbus.auth.auth_url`). Lists and anchors are skipped.
enum SimpleYAML {
    static func flatten(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        var path: [(indent: Int, key: String)] = []
        for raw in text.split(separator: "\n", omittingEmptySubsequences: true) {
            let line = String(raw)
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), !trimmed.hasPrefix("-"),
                  let colon = trimmed.firstIndex(of: ":") else { continue }
            let indent = line.prefix { $0 == " " }.count
            while let last = path.last, last.indent >= indent { path.removeLast() }
            let key = String(trimmed[..<colon]).trimmingCharacters(in: .whitespaces)
            let value = String(trimmed[trimmed.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            if value.isEmpty {
                path.append((indent, key))
            } else {
                result[(path.map(\.key) + [key]).joined(separator: ".")] = unquote(value)
            }
        }
        return result
    }

    static func unquote(_ value: String) -> String {
        if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
            return String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\\\", with: "\\")
        }
        if value.count >= 2, value.hasPrefix("'"), value.hasSuffix("'") {
            return String(value.dropFirst().dropLast()).replacingOccurrences(of: "''", with: "'")
        }
        return value
    }
}
