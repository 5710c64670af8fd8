import ArgumentParser
import Foundation
import LikenessCore
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
        @Option(help: ArgumentHelp("How the requester's identity was checked before anything is looked up: "
                                   + IdentityVerification.Method.allCases.map(\.rawValue).joined(separator: ", ") + ".",
                                   valueName: "method"))
        var identityChecked: String
        @Option(help: "A face the admin confirmed is the person's, looked up too to find photos the selfie is too far from; repeatable.")
        var alsoFrom: [Int64] = []
        @Option(help: "A face beyond the 'possible' band that a reviewer confirmed is the person's; repeatable.")
        var include: [Int64] = []
        @Option(help: "A face to leave out (a lookalike); repeatable.") var except: [Int64] = []
        @OptionGroup var data: DataOptions

        /// Every face found from the selfie and the confirmed faces: each look-up audited
        /// before anything is printed.
        func lookUp(_ rights: SubjectRights, _ selfie: [UInt8], _ caller: Accounts.Caller) async throws -> [SubjectFinding] {
            guard let method = IdentityVerification.Method(rawValue: identityChecked) else {
                throw UsageFailure("--identity-checked: one of " + IdentityVerification.Method.allCases.map(\.rawValue).joined(separator: ", "))
            }
            try await AuditLog(store: rights.gallery.store).record(NewAuditEntry(
                organization: caller.account.organization, actorID: caller.account.id, actor: caller.account.username,
                action: AuditLog.Action.subjectRequest.rawValue, caseNumber: reference, clientAddress: caller.address,
                detail: "identity verified (\(method.rawValue)) at the command line"))
            var findings = try await rights.lookUp(selfie: selfie, reference: reference, caller: caller)
            if !alsoFrom.isEmpty {
                findings += try await rights.lookUp(fromFaces: alsoFrom, reference: reference, caller: caller)
            }
            // One line per face: its nearest finding.
            let nearest = Dictionary(grouping: findings, by: \.face).compactMap { $0.value.min { $0.distance < $1.distance } }
            return nearest.sorted { ($0.distance, $0.face) < ($1.distance, $1.face) }
        }

        /// The faces taken as the person's: the strong and possible bands and those named by
        /// --include, less those named by --except. Lookalikes are never taken silently.
        func confirmed(_ findings: [SubjectFinding]) -> [SubjectFinding] {
            findings.filter { ($0.band != ScoreBand.weak.rawValue || include.contains($0.face)) && !except.contains($0.face) }
        }

        func open() async throws -> (SubjectRights, Accounts.Caller, [UInt8], EnginePool) {
            guard let bytes = FileManager.default.contents(atPath: selfie) else { throw UsageFailure("\(selfie): cannot be read") }
            let pool = EnginePool(models: try FaceModels.locate(), onnx: try ONNXFaceModels.locate(), size: 1)
            let gallery = try await data.openGallery()
            let governance = gallery.store
            guard let account = try await governance.account(username: user)?.account,
                  account.organization == (try await data.organization(of: gallery)).id else {
                throw UsageFailure("no account '\(user)' in this organisation")
            }
            let rights = SubjectRights(
                searcher: FaceSearcher(gallery: gallery, pool: pool, bands: try await gallery.store.bandThresholds() ?? .standard,
                                       fusedBands: try await gallery.store.fusedBands() ?? .standard),
                gallery: gallery, audit: AuditLog(store: governance))
            return (rights, Accounts.Caller(account: account, address: "cli"), [UInt8](bytes), pool)
        }
    }

    static func describe(_ held: [SubjectRights.HeldImage]) -> String {
        guard !held.isEmpty else { return "No face in this organisation's collections matches the selfie." }
        return Output.table(["face", "band", "distance", "found by", "collection", "image", "source"], held.map { h in
            ["\(h.finding.face)", h.finding.band, String(format: "%.3f", h.finding.distance), h.finding.foundBy, h.details.collection,
             h.details.place, h.details.origin.sourceURL ?? ""]
        })
    }

    struct Access: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report the images of the organisation with the person's face (every look-up is audited).",
            discussion: """
                Every face near the selfie is listed for review on standard error; the report (standard output) takes the \
                strong and possible bands, and farther faces only if --include names them; --except leaves lookalikes out.
                """)
        @OptionGroup var request: Request
        @Option(help: "Write each image's crop here: the person's face, every other face pixelated.") var crops: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await failingWithExitCode2 {
                let (rights, caller, selfie, pool) = try await request.open()
                defer { pool.shutdown() }
                let found = try await request.lookUp(rights, selfie, caller)
                // Everything looked at, for the reviewer; the report below holds only the person's.
                FileHandle.standardError.write(Data((SubjectCommand.describe(try await rights.held(found, caller: caller)) + "\n").utf8))
                let held = try await rights.held(request.confirmed(found), caller: caller)
                var files: [String?] = held.map { _ in nil }
                if let crops {
                    try FileManager.default.createDirectory(atPath: crops, withIntermediateDirectories: true)
                    for (i, item) in held.enumerated() {
                        let path = (crops as NSString).appendingPathComponent("\(request.reference)-\(i + 1).jpg")
                        try Data(item.crop).write(to: URL(fileURLWithPath: path))
                        files[i] = path
                    }
                }
                try await rights.recordAccess(reference: request.reference, found: held.count, answeredTo: "the command line's operator",
                                              caller: caller)
                if json {
                    print(Output.json(SubjectAccessResponse(reference: request.reference, matches: zip(held, files).map {
                        SubjectAccessResponse.HeldFace($0, cropFile: $1)
                    })))
                } else {
                    print("Reported as theirs (strong and possible bands, --include, less --except):")
                    print(SubjectCommand.describe(held))
                }
            }
        }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase every face matching the selfie: database, index, log and held files.",
            discussion: """
                Without --confirm, lists what would be erased (the look-ups are audited all the same). Faces within the \
                'possible' band are erased unless --except names them; farther faces only if --include names them. \
                --also-from looks up from faces confirmed as the person's, to reach photos the selfie is too far from.
                """)
        @OptionGroup var request: Request
        @Flag(help: "Erase; without it, only list.") var confirm = false
        @Flag(help: "The person agreed to be put on the suppression list: their faces are dropped at every later ingest.")
        var suppress = false

        func run() async throws {
            try await failingWithExitCode2 {
                let (rights, caller, selfie, pool) = try await request.open()
                defer { pool.shutdown() }
                let found = try await request.lookUp(rights, selfie, caller)
                print(SubjectCommand.describe(try await rights.held(found, caller: caller)))
                // Lookalikes are never erased silently: beyond the 'possible' band, only faces a reviewer named.
                let chosen = request.confirmed(found)
                guard confirm, !chosen.isEmpty else {
                    if !chosen.isEmpty {
                        print("Nothing erased: add --confirm to erase \(chosen.count) faces (\(chosen.map { String($0.face) }.joined(separator: ", "))).")
                    }
                    return
                }
                let erasure = try await rights.erase(faces: chosen.map(\.face), reference: request.reference, suppress: suppress,
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
