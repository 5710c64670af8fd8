import ArgumentParser
import Foundation
import LikenessCore
import LikenessEngine
import LikenessGallery
import LikenessGovernance
import LikenessSearch
import LikenessStore

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search the gallery with probe photos.",
        discussion: """
            Every search is made as a named account of the organisation (an investigator or a \
            supervisor), for a case and a purpose, and is written to the audit log before the \
            candidates are printed. Uses the largest face of each probe unless --face is given. \
            With --json, prints one JSON object per probe per line. Candidates are investigative \
            leads, not identifications: a trained person must review them before any action.
            """)

    @Argument(help: "Probe photos.") var probes: [String]
    @Option(help: "How many candidates to return per probe.") var top = 10
    @Option(name: .customLong("collection"), help: "Search only this collection (repeatable).") var collections: [String] = []
    @Option(help: "Which face of the probe to search with (0 = largest).") var face: Int?
    @Option(help: "The account searching: an investigator or supervisor of the organisation.") var user: String
    @Option(name: .customLong("case"), help: "The case number the search is for.") var caseNumber: String
    @Option(help: "criminal_investigation, missing_person, victim_identification, identity_fraud or other.") var purpose: String
    @Option(help: "What the purpose is, when it is 'other'.") var purposeText: String?
    @Option(help: "The offence, if any.") var offence: String?
    @Option(help: "Keep each probe on watch for its case for this many days (1 to \(Watches.longestDays)): faces ingested later are matched against it.")
    var watchDays: Int?
    @Flag(help: "Print JSON, one object per probe per line.") var json = false
    @OptionGroup var data: DataOptions

    func validate() throws {
        guard (1...1000).contains(top) else { throw ValidationError("--top must be between 1 and 1000") }
        if let face, face < 0 { throw ValidationError("--face must be 0 or more") }
    }

    func run() async throws {
        var failed = false
        try await failingWithExitCode2 {
            let justification = try SearchJustification(caseNumber: caseNumber, purpose: purpose, purposeText: purposeText,
                                                        offence: offence)
            // The engine loads its models on its own thread while the gallery opens here.
            let pool = EnginePool(models: try FaceModels.locate(), onnx: try ONNXFaceModels.locate(), size: 1)
            defer { pool.shutdown() }
            let gallery = try await data.openGallery()
            let governance = gallery.store
            guard let account = try await governance.account(username: user)?.account,
                  account.organization == (try await data.organization(of: gallery)).id else {
                throw UsageFailure("no account '\(user)' in this organisation (create one with `likeness admin create`)")
            }
            let caller = Accounts.Caller(account: account, address: "cli")
            let scope = collections.isEmpty ? nil : try await collectionIDs(collections, data: data, in: gallery)
            let searcher = AccountableSearch(
                searcher: FaceSearcher(gallery: gallery, pool: pool, bands: try await gallery.store.bandThresholds() ?? .standard,
                                       fusedBands: try await gallery.store.fusedBands() ?? .standard),
                store: gallery.store, audit: AuditLog(store: governance))
            for probe in probes {
                do {
                    guard let bytes = FileManager.default.contents(atPath: probe) else {
                        throw GovernanceError.invalid(FieldErrors("photo", "\(probe): cannot be read"))
                    }
                    let outcome = try await searcher.search(photo: [UInt8](bytes), name: probe, face: face, top: top, within: scope,
                                                            watchDays: watchDays, justification: justification, caller: caller)
                    let watch = outcome.watch.map { "\nOn watch \($0.id) until \(AuditEntry.timestamp($0.expiresAt))." } ?? ""
                    print(json ? Output.json(ProbeSearchResponse(outcome))
                               : Self.describe(outcome.result) + "\nAudit entry \(outcome.auditEntry)." + watch)
                } catch GovernanceError.invalid(let errors) {
                    Output.error(errors.fields.map(\.detail).joined(separator: "; "))
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
            + result.warnings.map { "Warning: \($0)." }
        if result.matches.isEmpty {
            lines.append("No candidates.")
        } else {
            lines.append(Output.table(
                ["rank", "face", "band", "distance", "similarity", "collection", "image", "source"],
                result.matches.map { m in
                    ["\(m.rank)", "\(m.face)", m.band.rawValue, String(format: "%.3f", m.distance), String(format: "%.2f", m.similarity),
                     m.collection, m.place, m.origin.sourceURL ?? ""]
                }))
        }
        return lines.joined(separator: "\n")
    }
}

/// The IDs of the named collections of the command's organisation.
func collectionIDs(_ names: [String], data: DataOptions, in gallery: Gallery) async throws -> Set<CollectionID> {
    var ids = Set<CollectionID>()
    for name in names {
        ids.insert(try await data.collection(named: name, in: gallery).id)
    }
    return ids
}
