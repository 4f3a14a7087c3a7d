import ArgumentParser

/// `nimbus`: the server, and commands that act on its servers.
public enum NimbusCommand {
    public static let configuration = CommandConfiguration(
        commandName: "nimbus",
        abstract: "A self-hosted cloud that speaks the OpenStack APIs and runs QEMU virtual machines.",
        subcommands: [ServeCommand.self, ConsoleCommand.self, ServerCommand.self, DemoISOCommand.self])
}
