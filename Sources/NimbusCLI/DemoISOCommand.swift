import ArgumentParser
import Foundation

/// `nimbus demo-iso`: builds the small demo installer ISO from Debian
/// packages, so the install workflow can be tried without downloading an OS.
struct DemoISOCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-iso",
        abstract: "Build the Nimbus Demo OS installer ISO (BIOS, and UEFI with or without Secure Boot; about 23 MiB) from Debian packages.")

    @Option(name: .shortAndLong, help: "Where to write the ISO.")
    var output: String = "nimbus-demo.iso"

    func run() throws {
        let script = Self.scriptsDirectory.appendingPathComponent("demo-iso/build")
        guard FileManager.default.isExecutableFile(atPath: script.path) else {
            throw ValidationError("The ISO builder is missing at \(script.path); set NIMBUS_SCRIPTS_DIR to the scripts directory of a Nimbus checkout.")
        }
        let process = Process()
        process.executableURL = script
        process.arguments = [output]
        try process.run()
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw ExitCode(process.terminationStatus == 0 ? 1 : process.terminationStatus)
        }
    }

    /// The checkout's scripts/ directory: NIMBUS_SCRIPTS_DIR, else the one this binary was built from.
    static var scriptsDirectory: URL {
        if let directory = ProcessInfo.processInfo.environment["NIMBUS_SCRIPTS_DIR"] {
            return URL(fileURLWithPath: directory)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts")
    }
}
