import Foundation
import LikenessCore
import LikenessGovernance
import LikenessSearch
import LikenessStore
import Testing
import TestSupport

/// Standing searches, with the real models: a probe kept on watch is matched against the faces
/// ingested after it opened, a strong match is a search of its case and an alert, and nothing
/// is matched once the watch has expired or its case has closed, when its probe is deleted. The
/// clock is injected, so the tests move past an expiry.
@Suite struct WatchesTests {
    struct Rig {
        let gallery: TestGallery
        let search: AccountableSearch
        let investigator: Accounts.Caller
        let colleague: Accounts.Caller
        let supervisor: Accounts.Caller
        let clock = TestClock(Date())
        var governance: any GovernanceStore { gallery.gallery.store }
        var watches: Watches { search.watches }

        init() async throws {
            let rig = try await TestGallery()
            // Angelina Jolie (img5) is held before any watch opens; img12 is someone else.
            _ = try await rig.ingest([Fixtures.face("img5.jpg"), Fixtures.face("img12.jpg")])
            let store = rig.gallery.store
            func caller(_ name: String, _ role: Role) async throws -> Accounts.Caller {
                Accounts.Caller(account: try await store.createAccount(NewAccount(
                    organization: rig.organization.id, username: name, displayName: name, passwordHash: "-", role: role,
                    status: .active)), address: nil)
            }
            investigator = try await caller("ivy", .investigator)
            colleague = try await caller("ian", .investigator)
            supervisor = try await caller("sam", .supervisor)
            try await TestCases.train([investigator.account.id, colleague.account.id], store: store)
            try await TestCases.openAuthorised(["W-1", "W-2"], in: rig.organization.id, lead: investigator.account.id, store: store)
            let clock = clock
            search = AccountableSearch(searcher: FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard),
                                       store: store, audit: AuditLog(store: store), now: { clock.now })
            gallery = rig
        }

        /// A search of `number` with img10 (Jolie), kept on watch for `days`.
        func watched(_ number: String, days: Int?) async throws -> AccountableSearch.Outcome {
            let justification = try SearchJustification(caseNumber: number, purpose: "missing_person", purposeText: nil, offence: nil)
            return try await search.search(photo: try Samples.bytes("img10.jpg"), face: nil, top: 5, watchDays: days,
                                           justification: justification, caller: investigator)
        }

        func entries(_ action: AuditLog.Action) async throws -> [AuditEntry] {
            try await governance.latestAuditEntries(organization: gallery.organization.id, limit: 100)
                .filter { $0.entry.action == action.rawValue }
        }

        /// The file names of faces' images.
        func files(of faces: [FaceID]) async throws -> [String] {
            let details = try await gallery.gallery.store.matchDetails(for: faces)
            return faces.compactMap { details[$0]?.origin.location }.map { URL(fileURLWithPath: $0).lastPathComponent }
        }
    }

    @Test func aLaterIngestMatchesTheWatchAsASearchOfItsCaseAndAlerts() async throws {
        let rig = try await Rig()
        let outcome = try await rig.watched("W-1", days: 30)
        let watch = try #require(outcome.watch)
        #expect(outcome.result.matches.first?.band == .strong, "the search itself found img5: \(outcome.result.matches)")
        #expect(watch.searchEntry == outcome.auditEntry && watch.owner == rig.investigator.account.id)
        #expect(try await rig.entries(.watchOpened).first?.entry.detail?.hasPrefix("watch \(watch.id): probe of search") == true)
        // Nothing new yet: img5, held before the watch opened, is not matched again.
        #expect(try await rig.search.watchMatcher.matchNewFaces() == 0)

        rig.clock.advance(days: 3)
        _ = try await rig.gallery.ingest([Fixtures.face("img11.jpg"), Fixtures.face("img16.jpg")])
        #expect(try await rig.search.watchMatcher.matchNewFaces() == 1)
        #expect(try await rig.search.watchMatcher.matchNewFaces() == 0, "each face is matched once")

        let match = try #require(try await rig.entries(.search).first)
        #expect(match.entry.actorID == rig.investigator.account.id && match.entry.caseNumber == "W-1")
        #expect(match.entry.purpose == "missing_person" && match.entry.detail?.hasPrefix("watch \(watch.id) on search") == true)
        #expect(try await rig.files(of: match.entry.candidates.map(\.face)) == ["img11.jpg"], "only the new Jolie: \(match.entry.candidates)")
        #expect(match.entry.candidates.allSatisfy { $0.band == "strong" })
        #expect(try await rig.governance.probeFace(entry: match.id, organization: rig.gallery.organization.id) != nil,
                "examiners compare the match with the watch's probe")
        let updated = try #require(try await rig.governance.watch(watch.id))
        #expect(updated.matchCount == 1 && updated.lastMatchEntry == match.id)

        let organization = try #require(try await rig.governance.organization(rig.gallery.organization.id))
        let alerts = try await AuditLog(store: rig.governance).alerts(organization: organization, from: .distantPast, to: .distantFuture)
        let alert = try #require(alerts.first { $0.kind == .watchMatched })
        #expect(alert.detail.contains("1 candidate in the strong band for ivy: search \(match.id)"), "\(alert.detail)")
        try await rig.gallery.close()
    }

    @Test func anExpiredWatchMatchesNothingAndItsProbeIsDeleted() async throws {
        let rig = try await Rig()
        let watch = try #require(try await rig.watched("W-1", days: 7).watch)
        rig.clock.advance(days: 6)
        // Renewed by its owner, with a reason, for 7 days from today.
        await #expect(throws: GovernanceError.self) { _ = try await rig.watches.renew(watch.id, days: 7, reason: " ", caller: rig.investigator) }
        await #expect(throws: GovernanceError.self) { _ = try await rig.watches.renew(watch.id, days: 91, reason: "r", caller: rig.investigator) }
        await #expect(throws: GovernanceError.self, "not someone else's") {
            _ = try await rig.watches.renew(watch.id, days: 7, reason: "still missing", caller: rig.colleague)
        }
        let renewed = try await rig.watches.renew(watch.id, days: 7, reason: "still missing", caller: rig.investigator)
        #expect(renewed.expiresAt == rig.clock.now.addingTimeInterval(7 * 86_400))
        #expect(try await rig.entries(.watchRenewed).first?.entry.detail?.hasSuffix(": still missing") == true)

        rig.clock.advance(days: 7.001)
        _ = try await rig.gallery.ingest([Fixtures.face("img11.jpg")])
        #expect(try await rig.search.watchMatcher.matchNewFaces() == 0)
        #expect(try await rig.entries(.search).count == 1, "only the opening search")
        let ended = try #require(try await rig.governance.watch(watch.id))
        #expect(ended.endReason == "expired" && abs((ended.endedAt ?? .distantPast).timeIntervalSince(rig.clock.now)) < 0.01)
        #expect(try await rig.governance.watchProbe(watch.id) == nil)
        await #expect(throws: GovernanceError.self) {
            _ = try await rig.watches.renew(watch.id, days: 7, reason: "too late", caller: rig.investigator)
        }
        try await rig.gallery.close()
    }

    @Test func closingTheCaseEndsItsWatches() async throws {
        let rig = try await Rig()
        let first = try #require(try await rig.watched("W-1", days: 30).watch)
        let other = try #require(try await rig.watched("W-2", days: 30).watch)
        let w1 = try #require(try await rig.search.cases.get(number: "W-1", caller: rig.investigator))
        _ = try await rig.search.cases.close(w1.id, caller: rig.investigator)
        #expect(try await rig.governance.watch(first.id)?.endReason == "its case closed")
        #expect(try await rig.governance.watchProbe(first.id) == nil)
        #expect(try await rig.entries(.caseClosed).first?.entry.detail?.contains("watches \(first.id) ended") == true)

        _ = try await rig.gallery.ingest([Fixtures.face("img11.jpg")])
        #expect(try await rig.search.watchMatcher.matchNewFaces() == 1, "W-2's watch still runs")
        #expect(try await rig.governance.watch(other.id)?.matchCount == 1)

        // A supervisor ends one; a watch asks for 1 to 90 days, and a trial account keeps none.
        _ = try await rig.watches.end(other.id, caller: rig.supervisor)
        #expect(try await rig.watches.list(openOnly: true, caller: rig.supervisor).isEmpty)
        await #expect(throws: GovernanceError.self) { _ = try await rig.watched("W-2", days: 0) }
        try await rig.gallery.close()
    }
}
