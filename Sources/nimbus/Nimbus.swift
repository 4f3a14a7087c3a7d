import ArgumentParser
import NimbusCLI

/// The executable: ArgumentParser's asynchronous entry point over the commands in NimbusCLI.
@main
struct Nimbus: AsyncParsableCommand {
    static let configuration = NimbusCommand.configuration
}
