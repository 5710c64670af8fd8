import Foundation
import LikenessCore
import LikenessSearch
import LikenessStore

/// Matches the faces ingested since each open watch last looked, as searches of its case made
/// on its owner's behalf, and ends the watches expired or whose case closed or was stopped.
/// Run by the server every 10 seconds (`PeriodicService.watches`), and by `likeness watch match`. A pass
/// with nothing new ingested reads only the open watches and their cases.
public struct WatchMatcher: Sendable {
    /// How many index changes it reads at a time.
    static let page = 2000

    let watches: Watches
    let gallery: any GalleryStore
    let searcher: FaceSearcher
    var store: any GovernanceStore { watches.store }
    var now: Date { watches.now() }

    public init(watches: Watches, gallery: any GalleryStore, searcher: FaceSearcher) {
        self.watches = watches
        self.gallery = gallery
        self.searcher = searcher
    }

    /// One pass over every open watch; returns how many matches it recorded. A watch that fails
    /// (its store unreachable, its probe unreadable) does not hold up the others: the first
    /// failure is thrown once they have had their turn.
    @discardableResult
    public func matchNewFaces() async throws -> Int {
        var matches = 0
        var failure: (any Error)?
        let head = try await gallery.latestIndexSequence()
        for watch in try await store.openWatches() {
            do {
                guard let investigation = try await store.investigationCase(watch.caseID) else { continue }
                // Another matcher may end it first: that is no failure.
                if now >= watch.expiresAt {
                    _ = try? await watches.end(watch, investigation, reason: "expired", actor: nil)
                } else if investigation.status == .closed || investigation.blockedAt != nil {
                    let reason = investigation.status == .closed ? "its case closed" : "its case was stopped"
                    _ = try? await watches.end(watch, investigation, reason: reason, actor: nil)
                } else if watch.cursor < head {
                    matches += try await match(watch, investigation)
                }
            } catch {
                failure = failure ?? error
            }
        }
        if let failure { throw failure }
        return matches
    }

    /// One watch's pass over the index's change log, a page at a time.
    private func match(_ watch: Watch, _ investigation: InvestigationCase) async throws -> Int {
        guard let owner = try await store.account(watch.owner) else { return 0 }
        // A watch searches on its owner's behalf: while they may not search the case (disabled,
        // untrained, the case awaiting its authorisation), it waits, and catches up after.
        let admittedCase: InvestigationCase
        do { admittedCase = try await watches.admitted(owner, investigation: investigation) } catch is GovernanceError { return 0 }
        guard let probe = try await store.watchProbe(watch.id) else { return 0 }
        let caller = Accounts.Caller(account: owner, address: nil)
        let collections = Set(try await searchableCollections(for: caller, store: gallery, governance: store))
        var cursor = watch.cursor
        var recorded = 0
        while true {
            let changes = try await gallery.indexChanges(after: cursor, limit: Self.page)
            guard let last = changes.last else { return recorded }
            let added = changes.filter { $0.kind == .added }.map(\.face)
            let strong = try await searcher.matches(of: probe.templates, amongFaces: added, collections: collections)
                .filter { $0.band == .strong }
            var entry: AuditEntry?
            if !strong.isEmpty {
                entry = try await recordMatch(strong, of: watch, probe: probe, investigation: admittedCase, owner: caller,
                                              collections: Array(collections).sorted())
                recorded += 1
            }
            // Another matcher (a second server, the command line) moved it first: it records what follows.
            guard try await store.advanceWatch(watch.id, from: cursor, to: last.sequence, matchEntry: entry?.id) else { return recorded }
            cursor = last.sequence
        }
    }

    /// The match as a search of the case by the owner, then the entry that alerts.
    private func recordMatch(_ matches: [Match], of watch: Watch, probe: WatchProbe, investigation: InvestigationCase,
                             owner: Accounts.Caller, collections: [CollectionID]) async throws -> AuditEntry {
        let opening = try await store.auditEntry(watch.searchEntry, organization: watch.organization)
        let search = try await watches.audit.record(NewAuditEntry(
            organization: watch.organization, actorID: owner.account.id, actor: owner.account.username,
            action: AuditLog.Action.search.rawValue, outcome: "ok", caseNumber: investigation.number,
            purpose: opening?.entry.purpose, offence: investigation.offence, probeSHA256: watch.probeSHA256,
            probeThumbnail: probe.face.jpeg, collections: collections,
            candidates: matches.map { AuditCandidate(face: $0.face, distance: $0.distance, band: $0.band.rawValue) },
            detail: "watch \(watch.id) on search \(watch.searchEntry): faces ingested since; scored by " + Match.modelsNamed(matches),
            probeFace: probe.face))
        try await watches.cases.searched(investigation, entry: search.id)
        let candidates = matches.count == 1 ? "1 candidate" : "\(matches.count) candidates"
        try await watches.record(.watchMatched, watch, investigation, actor: nil,
                                 detail: "\(candidates) in the strong band for \(owner.account.username): search \(search.id)")
        return search
    }
}
