import ArgumentParser

/// `nimbus`: the server and, later, its command-line client.
public enum NimbusCommand {
    public static let configuration = CommandConfiguration(
        commandName: "nimbus",
        abstract: "A self-hosted cloud that speaks the OpenStack APIs and runs QEMU virtual machines.",
        subcommands: [ServeCommand.self, DemoISOCommand.self])
}
