import ArgumentParser
import Foundation
import LikenessGovernance
import LikenessStore

struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention", abstract: "Enforce collections' retention periods.", subcommands: [Sweep.self])

    struct Sweep: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase every image held longer than its collection's retention (the server also does this hourly).")
        @OptionGroup var data: DataOptions

        func run() async throws {
            try await failingWithExitCode2 {
                let gallery = try await data.openGallery()
                let retention = Retention(gallery: gallery, audit: AuditLog(store: gallery.store))
                let swept = try await retention.sweep()
                if swept.isEmpty {
                    print("Nothing is held past its collection's retention.")
                } else {
                    print(Output.table(["collection", "images erased", "faces erased"],
                                       swept.map { [$0.collection, "\($0.images)", "\($0.faces)"] }))
                }
            }
        }
    }
}
