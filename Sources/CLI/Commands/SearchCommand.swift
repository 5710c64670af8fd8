import ArgumentParser
import Foundation
import LikenessCore
import LikenessEngine
import LikenessGallery
import LikenessSearch

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search the gallery with probe photos.",
        discussion: """
            Uses the largest face of each probe unless --face is given. With --json, prints one \
            JSON object per probe per line. Candidates are investigative leads, not \
            identifications: a trained person must review them before any action.
            """)

    @Argument(help: "Probe photos.") var probes: [String]
    @Option(help: "How many candidates to return per probe.") var top = 10
    @Option(name: .customLong("collection"), help: "Search only this collection (repeatable).") var collections: [String] = []
    @Option(help: "Which face of the probe to search with (0 = largest).") var face: Int?
    @Flag(help: "Print JSON, one object per probe per line.") var json = false
    @OptionGroup var data: DataOptions

    func validate() throws {
        guard (1...1000).contains(top) else { throw ValidationError("--top must be between 1 and 1000") }
        if let face, face < 0 { throw ValidationError("--face must be 0 or more") }
    }

    func run() async throws {
        var failed = false
        try await failingWithExitCode2 {
            // The engine loads its models on its own thread while the gallery opens here.
            let pool = EnginePool(models: try FaceModels.locate(), size: 1)
            defer { pool.shutdown() }
            let gallery = try await data.openGallery()
            let scope = try await collectionIDs(collections, data: data, in: gallery)
            let searcher = FaceSearcher(gallery: gallery, pool: pool, bands: try await gallery.store.bandThresholds() ?? .standard)
            for probe in probes {
                do {
                    let image = try ImageCodec.decode(file: probe)
                    let result = try await searcher.search(probe: image, name: probe, face: face, top: top, collections: scope)
                    print(json ? Output.json(result.json) : Self.describe(result))
                } catch let error as ImageDecodingError {
                    Output.error("\(probe): not an image Likeness can read: \(error)")
                    failed = true
                } catch let error as SearchError {
                    Output.error("\(error)")
                    failed = true
                }
            }
        }
        if failed { throw ExitCode(2) }
    }

    static func describe(_ result: ProbeResult) -> String {
        let box = result.faces[result.face].array.map(String.init).joined(separator: ",")
        var lines = ["\(result.probe): \(result.faces.count) face\(result.faces.count == 1 ? "" : "s"); searched face \(result.face) at [\(box)]",
                     "Candidates are investigative leads, not identifications: a trained person must review them before any action."]
        if result.matches.isEmpty {
            lines.append("No candidates.")
        } else {
            lines.append(Output.table(
                ["rank", "band", "distance", "similarity", "collection", "image", "source"],
                result.matches.map { m in
                    ["\(m.rank)", m.band.rawValue, String(format: "%.3f", m.distance), String(format: "%.2f", m.similarity),
                     m.collection, m.origin.location, m.origin.sourceURL ?? ""]
                }))
        }
        return lines.joined(separator: "\n")
    }
}

/// The IDs of the named collections, or else of every collection of the command's organisation.
func collectionIDs(_ names: [String], data: DataOptions, in gallery: Gallery) async throws -> Set<CollectionID> {
    guard !names.isEmpty else {
        let organization = try await data.organization(of: gallery)
        return Set(try await gallery.store.collections(in: organization.id).map(\.collection.id))
    }
    var ids = Set<CollectionID>()
    for name in names {
        ids.insert(try await data.collection(named: name, in: gallery).id)
    }
    return ids
}
