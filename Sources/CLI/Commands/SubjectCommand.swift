import ArgumentParser
import Foundation
import LikenessEngine
import LikenessGallery
import LikenessGovernance
import LikenessSearch
import LikenessStore

/// A person's rights over their face, handled by an admin of the organisation from a selfie.
struct SubjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subject", abstract: "Access and erasure requests: what is held about a person, and its removal.",
        subcommands: [Access.self, Erase.self])

    struct Request: ParsableArguments {
        @Argument(help: "The person's selfie.") var selfie: String
        @Option(help: "The admin handling the request.") var user: String
        @Option(help: "The request's reference, recorded in the audit log.") var reference: String
        @OptionGroup var data: DataOptions

        func open() async throws -> (SubjectRights, Accounts.Caller, [UInt8], EnginePool) {
            guard let bytes = FileManager.default.contents(atPath: selfie) else { throw UsageFailure("\(selfie): cannot be read") }
            let pool = EnginePool(models: try FaceModels.locate(), size: 1)
            let gallery = try await data.openGallery()
            let governance = try DataOptions.governance(of: gallery)
            guard let account = try await governance.account(username: user)?.account,
                  account.organization == (try await data.organization(of: gallery)).id else {
                throw UsageFailure("no account '\(user)' in this organisation")
            }
            let rights = SubjectRights(
                searcher: FaceSearcher(gallery: gallery, pool: pool, bands: try await gallery.store.bandThresholds() ?? .standard),
                gallery: gallery, audit: AuditLog(store: governance),
                uploads: data.directory.root.appendingPathComponent("uploads"))
            return (rights, Accounts.Caller(account: account, address: "cli"), [UInt8](bytes), pool)
        }
    }

    static func describe(_ matches: [Match]) -> String {
        guard !matches.isEmpty else { return "No face in this organisation's collections matches the selfie." }
        return Output.table(["face", "band", "distance", "collection", "image", "source"], matches.map { m in
            ["\(m.face)", m.band.rawValue, String(format: "%.3f", m.distance), m.collection, m.place, m.origin.sourceURL ?? ""]
        })
    }

    struct Access: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every image of the organisation with a face matching the selfie (strong or possible band).")
        @OptionGroup var request: Request
        @Option(help: "Write each image's crop here: the person's face, every other face pixelated.") var crops: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await failingWithExitCode2 {
                let (rights, caller, selfie, pool) = try await request.open()
                defer { pool.shutdown() }
                let held = try await rights.access(selfie: selfie, caller: caller)
                var files: [String?] = held.map { _ in nil }
                if let crops {
                    try FileManager.default.createDirectory(atPath: crops, withIntermediateDirectories: true)
                    for (i, item) in held.enumerated() {
                        let path = (crops as NSString).appendingPathComponent("\(request.reference)-\(i + 1).jpg")
                        try Data(item.crop).write(to: URL(fileURLWithPath: path))
                        files[i] = path
                    }
                }
                try await rights.recordAccess(reference: request.reference, found: held.count, caller: caller)
                if json {
                    print(Output.json(["reference": request.reference, "matches": zip(held, files).map { item, file in
                        var object = item.match.json
                        object["ingested_at"] = AuditEntry.timestamp(item.ingestedAt)
                        object["date"] = item.match.origin.date ?? NSNull()
                        object["crop"] = file ?? NSNull()
                        return object
                    }]))
                } else {
                    print(SubjectCommand.describe(held.map(\.match)))
                }
            }
        }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase every face matching the selfie: database, index, log and held files.",
            discussion: "Without --confirm, lists what would be erased. --except leaves out faces a reviewer judged lookalikes.")
        @OptionGroup var request: Request
        @Option(help: "A face ID to keep (a lookalike); repeatable.") var except: [Int64] = []
        @Flag(help: "Erase; without it, only list.") var confirm = false
        @Flag(help: "The person agreed to be put on the suppression list: their faces are dropped at every later ingest.")
        var suppress = false

        func run() async throws {
            try await failingWithExitCode2 {
                let (rights, caller, selfie, pool) = try await request.open()
                defer { pool.shutdown() }
                let matches = try await rights.matches(selfie: selfie, caller: caller).filter { !except.contains($0.face) }
                print(SubjectCommand.describe(matches))
                guard confirm, !matches.isEmpty else {
                    if !matches.isEmpty { print("Nothing erased: add --confirm to erase these \(matches.count) faces.") }
                    return
                }
                let erasure = try await rights.erase(faces: matches.map(\.face), reference: request.reference, suppress: suppress,
                                                     caller: caller)
                print("Erased \(erasure.faces) faces; deleted \(erasure.imagesDeleted) images, kept \(erasure.imagesKept) without them; "
                      + "removed \(erasure.filesRemoved) held files. Reference \(request.reference).")
            }
        }
    }
}

struct SuppressionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suppression", abstract: "The suppression list: people erased who must not be ingested again.",
        subcommands: [SuppressionList.self])
}

/// `likeness suppression list`: who is on the suppression list, by request; never templates.
struct SuppressionList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the suppression list's entries (request references and dates, never templates).")
    @OptionGroup var data: DataOptions

    func run() async throws {
        try await failingWithExitCode2 {
            let gallery = try await data.openGallery()
            let organization = try await data.organization(of: gallery)
            let entries = try await gallery.store.suppressions(of: organization.id)
            let byReference = Dictionary(grouping: entries, by: \.reference)
            print(Output.table(["reference", "templates", "added"], byReference.keys.sorted().map { reference in
                let group = byReference[reference]!
                return [reference, "\(group.count)", AuditEntry.timestamp(group.map(\.createdAt).min()!)]
            }))
        }
    }
}
