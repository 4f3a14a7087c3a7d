import Foundation
import Testing

/// schemathesis, driven by the OpenAPI document `nimbus serve` publishes,
/// against a real server: no answer may be a 5xx or break the document.
@Suite("Fuzzing the API from its OpenAPI document")
struct APIFuzzTests {
    /// Cases per operation; more by hand with NIMBUS_FUZZ_EXAMPLES, another
    /// draw with NIMBUS_FUZZ_SEED (CI keeps one seed, so a failure reproduces).
    static let examples = ProcessInfo.processInfo.environment["NIMBUS_FUZZ_EXAMPLES"] ?? "10"
    static let seed = ProcessInfo.processInfo.environment["NIMBUS_FUZZ_SEED"] ?? "17"

    @Test("schemathesis over every API operation as the admin: no 5xx, every answer as the document says; the server restarts on what it left")
    func fuzzEveryOperation() async throws {
        // Servers as records: the fuzzer makes and deletes hundreds, and TCG guests would only add load.
        let nimbus = try await NimbusProcess(environment: ["NIMBUS_COMPUTE_DRIVER": "fake"])
        let token = try OpenStackClient(admin: nimbus).succeed("token", "issue", "-f", "value", "-c", "id").trimmingCharacters(in: .whitespacesAndNewlines)
        let bin = Repository.openstackClient.deletingLastPathComponent()
        let report = nimbus.dataDirectory.appendingPathComponent("schemathesis")
        let result = try run(
            bin.appendingPathComponent("schemathesis"),
            [
                "run", "\(nimbus.baseURL)/openapi.json", "--header", "X-Auth-Token: \(token)",
                // The dashboard's forms take a session cookie and a CSRF token; Chromium tests them.
                "--exclude-tag", "Dashboard",
                "--checks", "not_a_server_error,response_schema_conformance",
                "--max-examples", Self.examples, "--seed", Self.seed, "--workers", "2", "--no-color",
                "--report", "junit", "--report-dir", report.path,
            ],
            environment: ["SCHEMATHESIS_HOOKS": "schemathesis_hooks", "PYTHONPATH": Repository.root.appendingPathComponent("scripts/fuzz").path],
            // Its caches go with the data directory, not into the checkout.
            in: nimbus.dataDirectory)
        let summary = result.stdout.split(separator: "\n").filter { $0.contains(" generated, ") || $0.contains("Tested:") }.joined(separator: "; ")
        print("schemathesis: \(summary)")
        #expect(result.succeeded, "schemathesis failed (\(result.status)):\n\(result.stdout.suffix(12_000))\n\(result.stderr.suffix(2000))\n--- server log ---\n\(nimbus.log().suffix(3000))")
        #expect(summary.contains("generated"), "no test case ran:\n\(result.stdout.suffix(4000))")
        let failures = nimbus.log().split(separator: "\n").filter { $0.contains("request failed") }
        #expect(failures.isEmpty, "the server logged failed requests:\n\(failures.prefix(20).joined(separator: "\n"))")

        // Whatever the fuzzer made, renamed or deleted, the cloud must come back up on it.
        nimbus.stop()
        let restarted = try await NimbusProcess(reusing: nimbus.dataDirectory, environment: ["NIMBUS_COMPUTE_DRIVER": "fake"])
        _ = try OpenStackClient(admin: restarted).succeed("server", "list")
    }
}
