import Foundation
import NimbusCore

/// `<data-dir>/clouds.yaml`: a cloud named `nimbus` for the admin, so
/// `OS_CLIENT_CONFIG_FILE=<data-dir>/clouds.yaml OS_CLOUD=nimbus openstack ...` works at once.
enum CloudsYAML {
    static func render(authURL: String, password: String, caCertificate: String? = nil) -> String {
        let quoted = quote(password)
        return """
            # Written by nimbus serve for the admin user. Keep it private: it holds a password.
            clouds:
              nimbus:
            \(caCertificate.map { "    cacert: \(quote($0))\n" } ?? "")    auth:
                  auth_url: \(authURL)
                  username: admin
                  password: \(quoted)
                  project_name: admin
                  user_domain_name: Default
                  project_domain_name: Default
                region_name: RegionOne
                identity_api_version: 3
                interface: public

            """
    }

    /// A YAML double-quoted scalar.
    static func quote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// Writes the file when the password is known (first start, or a reset);
    /// otherwise only points an existing file at the current address.
    /// `caCertificate` is the certificate clients must trust, when the
    /// server's is self-issued; the line goes when the server has none.
    static func write(to url: URL, authURL: String, password: String?, caCertificate: String? = nil) throws {
        let text: String
        if let password {
            text = render(authURL: authURL, password: password, caCertificate: caCertificate)
        } else if let existing = try? String(contentsOf: url, encoding: .utf8) {
            var lines: [String] = []
            for line in existing.split(separator: "\n", omittingEmptySubsequences: false) {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.hasPrefix("cacert:") { continue }
                lines.append(trimmed.hasPrefix("auth_url:") ? "      auth_url: \(authURL)" : String(line))
                if let caCertificate, trimmed == "nimbus:" { lines.append("    cacert: \(quote(caCertificate))") }
            }
            text = lines.joined(separator: "\n")
        } else {
            return
        }
        try AtomicFile.write(Data(text.utf8), to: url, mode: 0o600)
    }
}
