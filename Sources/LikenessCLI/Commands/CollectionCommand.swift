import ArgumentParser
import Foundation
import LikenessGallery
import LikenessGovernance
import LikenessStore

struct CollectionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collection", abstract: "Create and list collections.",
        subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a collection, recording its provenance, lawful basis, jurisdiction and retention.")

        @Argument(help: "A short name, used with --collection.") var name: String
        @Option(help: "Where the images come from (provenance).") var source: String
        @Option(help: "The lawful basis for holding these images.") var lawfulBasis: String
        @Option(help: "ISO 3166 code of the jurisdiction, e.g. GB.") var jurisdiction: String
        @Option(help: "Days images are kept; omit to keep until erased.") var retentionDays: Int?
        @Option(help: "A description.") var description: String?
        @Flag(help: "A consent collection: images come only by `likeness consent enrol`, each with its consent.") var consent = false
        @Flag(help: "When erasure leaves an image without faces, keep it (an archive's record) instead of deleting it.")
        var keepImagesOnErasure = false
        @OptionGroup var data: DataOptions

        func validate() throws {
            guard jurisdiction.count == 2 || (jurisdiction.count == 6 && jurisdiction.dropFirst(2).first == "-"),
                  jurisdiction.uppercased() == jurisdiction
            else { throw ValidationError("--jurisdiction takes an ISO 3166 code such as GB or US-CA") }
            if let retentionDays, retentionDays <= 0 { throw ValidationError("--retention-days must be positive") }
        }

        func run() async throws {
            try await failingWithExitCode2 {
                let gallery = try await data.openGallery()
                let organization = try await data.organization(of: gallery)
                let collection = try await gallery.store.createCollection(NewCollection(
                    organization: organization.id, name: name, description: description, source: source, lawfulBasis: lawfulBasis,
                    jurisdiction: jurisdiction, retentionDays: retentionDays,
                    erasurePolicy: keepImagesOnErasure ? .keepImage : .deleteImage, requiresConsent: consent))
                print("Created collection '\(collection.name)' (id \(collection.id)).")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List collections with their provenance and sizes.")
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var data: DataOptions

        func run() async throws {
            try await failingWithExitCode2 {
                let gallery = try await data.openGallery()
                let summaries = try await gallery.store.collections(in: data.org == nil ? nil : try await data.organization(of: gallery).id)
                if json {
                    print(Output.json(summaries.map { CollectionResponse($0) }))
                } else {
                    print(Output.table(["name", "images", "faces", "jurisdiction", "retention", "lawful basis", "source"],
                                       summaries.map { s in
                        [s.collection.name, "\(s.images)", "\(s.faces)", s.collection.jurisdiction,
                         s.collection.retentionDays.map { "\($0) days" } ?? "until erased", s.collection.lawfulBasis,
                         s.collection.source]
                    }))
                }
            }
        }
    }
}
