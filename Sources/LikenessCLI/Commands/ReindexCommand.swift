import ArgumentParser
import LikenessGallery

struct ReindexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex", abstract: "Rebuild the vector index from the database.")

    @OptionGroup var data: DataOptions

    func run() async throws {
        try await failingWithExitCode2 {
            let gallery = try await data.openGallery()
            let clock = ContinuousClock()
            let started = clock.now
            let count = try await gallery.reindex()
            print("Indexed \(count) templates in \(clock.now - started).")
        }
    }
}
