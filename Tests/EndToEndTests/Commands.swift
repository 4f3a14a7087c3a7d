import Foundation
import Synchronization
import Testing

/// The outcome of a command-line program.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var succeeded: Bool { status == 0 }
}

/// Runs a program to completion, capturing its output through files (no pipe can fill up).
func run(_ executable: URL, _ arguments: [String], environment: [String: String] = [:], in directory: URL? = nil) throws -> CommandResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    if let directory { process.currentDirectoryURL = directory }
    let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("out-\(UUID().uuidString)")
    let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("err-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    try process.run()
    process.waitUntilExit()
    return CommandResult(
        status: process.terminationStatus,
        stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
}

/// Runs every command at once (each on its own thread, as real clients
/// would) and returns their results in order.
func runConcurrently(_ commands: [(executable: URL, arguments: [String])], environment: [String: String] = [:]) async -> [CommandResult] {
    await withCheckedContinuation { continuation in
        let results = Mutex([CommandResult?](repeating: nil, count: commands.count))
        let group = DispatchGroup()
        for (index, command) in commands.enumerated() {
            DispatchQueue.global().async(group: group) {
                let result = (try? run(command.executable, command.arguments, environment: environment))
                    ?? CommandResult(status: -1, stdout: "", stderr: "could not start \(command.executable.path)")
                results.withLock { $0[index] = result }
            }
        }
        group.notify(queue: .global()) {
            continuation.resume(returning: results.withLock { $0.map { $0! } })
        }
    }
}

func shell(_ command: String, in directory: URL? = nil) throws -> CommandResult {
    try run(URL(fileURLWithPath: "/bin/sh"), ["-c", command], in: directory)
}

/// The real `openstack` command, as the admin from clouds.yaml or as another user.
struct OpenStackClient {
    let nimbus: NimbusProcess
    var credentials: [String: String]

    /// The admin, through the clouds.yaml that `nimbus serve` wrote.
    init(admin nimbus: NimbusProcess) {
        self.nimbus = nimbus
        credentials = ["OS_CLIENT_CONFIG_FILE": nimbus.cloudsYAML.path, "OS_CLOUD": "nimbus"]
    }

    /// Another user, through the OS_* variables users set by hand.
    init(nimbus: NimbusProcess, user: String, password: String, project: String) {
        self.nimbus = nimbus
        credentials = [
            "OS_AUTH_URL": "\(nimbus.baseURL)/identity", "OS_USERNAME": user, "OS_PASSWORD": password,
            "OS_PROJECT_NAME": project, "OS_USER_DOMAIN_NAME": "Default", "OS_PROJECT_DOMAIN_NAME": "Default",
            "OS_IDENTITY_API_VERSION": "3", "OS_CLIENT_CONFIG_FILE": "/nonexistent", "OS_CLOUD": "",
        ]
    }

    @discardableResult
    func callAsFunction(_ arguments: String..., in directory: URL? = nil) throws -> CommandResult {
        try run(Repository.openstackClient, arguments, environment: credentials, in: directory)
    }

    /// Runs a command that must succeed and returns its standard output.
    func succeed(_ arguments: String..., in directory: URL? = nil) throws -> String {
        try succeed(arguments, in: directory)
    }

    @discardableResult
    func succeed(_ arguments: [String], in directory: URL? = nil) throws -> String {
        let result = try run(Repository.openstackClient, arguments, environment: credentials, in: directory)
        guard result.succeeded else {
            throw E2EError("openstack \(arguments.joined(separator: " ")) failed (\(result.status)):\n\(result.stderr)\n--- server log ---\n\(nimbus.log().suffix(4000))")
        }
        return result.stdout
    }

    /// `-f json` output of a command that must succeed.
    func json(_ arguments: String...) throws -> Any {
        let result = try run(Repository.openstackClient, arguments + ["-f", "json"], environment: credentials)
        guard result.succeeded else {
            throw E2EError("openstack \(arguments.joined(separator: " ")) failed (\(result.status)):\n\(result.stderr)\n--- server log ---\n\(nimbus.log().suffix(4000))")
        }
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }
}

extension OpenStackClient {
    /// As an admin: makes `project` with `user` as its member and returns that user's client.
    func newMember(_ user: String = "bob", password: String = "bob-secret", project: String = "project-b") throws -> OpenStackClient {
        _ = try succeed("project", "create", "--domain", "default", project)
        _ = try succeed("user", "create", "--domain", "default", "--project", project, "--password", password, user)
        _ = try succeed("role", "add", "--project", project, "--user", user, "member")
        return OpenStackClient(nimbus: nimbus, user: user, password: password, project: project)
    }

    /// Waits until `server` shows `status` with no task under way; records an issue if it never does.
    func waitForServer(_ server: String, status: String, seconds: Int = 90, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        var shown: [String: Any] = [:]
        for _ in 0..<seconds {
            shown = try #require(try json("server", "show", server) as? [String: Any])
            if shown["status"] as? String == status, shown["OS-EXT-STS:task_state"] is NSNull { return }
            try await Task.sleep(for: .seconds(1))
        }
        Issue.record(
            "server \(server) is \(shown["status"] ?? "?") (task \(shown["OS-EXT-STS:task_state"] ?? "?"), fault \(shown["fault"] ?? "none")), not \(status)",
            sourceLocation: sourceLocation)
    }
}

extension OpenStackClient {
    /// Polls the console log until it contains `text` (at least `times` times),
    /// then returns the log as the openstack client shows it. The polling is
    /// done with `nimbus console --log`, which starts in milliseconds: a Python
    /// client started every second would take a core from the guest under TCG.
    @discardableResult
    func waitForConsole(_ server: String, toShow text: String, times: Int = 1, within timeout: Duration = .seconds(270)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let polled = try run(Repository.nimbusBinary, ["console", "--log", server], environment: credentials)
            guard polled.succeeded else {
                throw E2EError("nimbus console --log \(server) failed (\(polled.status)):\n\(polled.stderr)\n--- server log ---\n\(nimbus.log().suffix(4000))")
            }
            if polled.stdout.components(separatedBy: text).count - 1 >= times { break }
            try await Task.sleep(for: .seconds(1))
        }
        return try succeed("console", "log", "show", server)
    }

    /// Uploads the demo installer ISO as `image` and boots `server` from it,
    /// returning once the installer asks its first question.
    func bootInstaller(_ server: String = "vm", image: String = "fedora-iso") async throws {
        let iso = try await DemoISO.path().path
        _ = try succeed("image", "create", "--container-format", "bare", "--disk-format", "iso", "--file", iso, image)
        _ = try succeed("server", "create", "--flavor", "m1.tiny", "--image", image, "--wait", server)
        let log = try await waitForConsole(server, toShow: "Install to /dev/vda?")
        #expect(log.contains("Install to /dev/vda?"), "the installer never asked: \(log.suffix(1000))")
    }
}
