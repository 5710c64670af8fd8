import ArgumentParser
import Foundation
import LikenessEngine
import LikenessGovernance
import LikenessSearch
import LikenessStore

/// `likeness watch`: probes kept on watch for their cases (opened by `likeness search
/// --watch-days`), as the API's /api/v1/watches, acting as a named account; and one pass of the
/// matcher the server runs every 10 seconds.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "List, renew and end the probes kept on watch; match the faces ingested since.",
        subcommands: [List.self, Renew.self, End.self, Match.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The organisation's watches, newest first: open ones unless --all.")
        @Option(name: .customLong("case"), help: "Only this case's.") var caseNumber: String?
        @Flag(help: "Ended watches too.") var all = false
        @Flag(help: "Print JSON, as the API's.") var json = false
        @OptionGroup var actor: CaseCommand.Actor

        func run() async throws {
            try await failingWithExitCode2 {
                let (cases, caller, gallery) = try await actor.open()
                var caseID: CaseID?
                if let caseNumber { caseID = try await actor.find(caseNumber, cases: cases, caller: caller).id }
                let listed = try await Watches(store: gallery.store).list(caseID: caseID, openOnly: !all, caller: caller)
                if json { print(Output.json(WatchesResponse(listed))); return }
                guard !listed.isEmpty else { print("No watches."); return }
                let numbers = Dictionary(uniqueKeysWithValues: try await cases.list(status: nil, caller: caller).map { ($0.id, $0.number) })
                print(Output.table(["watch", "case", "owner", "search", "until", "matches", "latest match", "status"], listed.map { w in
                    ["\(w.id)", numbers[w.caseID] ?? "#\(w.caseID)", "\(w.owner)", "\(w.searchEntry)", AuditEntry.timestamp(w.expiresAt),
                     "\(w.matchCount)", w.lastMatchEntry.map { "search \($0)" } ?? "", w.endReason.map { "ended: \($0)" } ?? "open"]
                }))
            }
        }
    }

    struct Renew: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run an open watch for --days from today, for a reason (its owner, its case's lead, or a supervisor).")
        @Argument(help: "The watch.") var watch: Int64
        @Option(help: "1 to \(Watches.longestDays).") var days: Int
        @Option(help: "Why it should go on (audited).") var reason: String
        @OptionGroup var actor: CaseCommand.Actor

        func run() async throws {
            try await failingWithExitCode2 {
                let (caller, gallery) = try await actor.caller()
                let renewed = try await Watches(store: gallery.store).renew(watch, days: days, reason: reason, caller: caller)
                print("Watch \(renewed.id) runs until \(AuditEntry.timestamp(renewed.expiresAt)).")
            }
        }
    }

    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End an open watch and delete its probe.")
        @Argument(help: "The watch.") var watch: Int64
        @OptionGroup var actor: CaseCommand.Actor

        func run() async throws {
            try await failingWithExitCode2 {
                let (caller, gallery) = try await actor.caller()
                let ended = try await Watches(store: gallery.store).end(watch, caller: caller)
                print("Watch \(ended.id) ended; its probe is deleted.")
            }
        }
    }

    struct Match: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Match the faces ingested since each open watch last looked, as the server does every 10 seconds.",
            discussion: "For galleries loaded while no server runs. Each match is a search of the watch's case, audited, and an alert.")
        @OptionGroup var data: DataOptions

        func run() async throws {
            try await failingWithExitCode2 {
                let pool = EnginePool(models: try FaceModels.locate(), onnx: try ONNXFaceModels.locate(), size: 1)
                defer { pool.shutdown() }
                let gallery = try await data.openGallery()
                let searcher = FaceSearcher(gallery: gallery, pool: pool, bands: try await gallery.store.bandThresholds() ?? .standard,
                                            fusedBands: try await gallery.store.fusedBands() ?? .standard)
                let matches = try await WatchMatcher(watches: Watches(store: gallery.store), gallery: gallery.store, searcher: searcher)
                    .matchNewFaces()
                print(matches == 1 ? "1 match recorded." : "\(matches) matches recorded.")
            }
        }
    }
}
