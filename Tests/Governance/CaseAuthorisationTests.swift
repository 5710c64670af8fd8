import Foundation
import LikenessCore
import LikenessGovernance
import LikenessSearch
import LikenessStore
import Testing
import TestSupport

/// Every search is made for an open case of the organisation, and only while its authorisation
/// allows: the authority's grant first (the default), or under the urgent policy, within 48
/// hours of its first search; a refusal, or the 48 hours passing, stops the case's searches and
/// alerts the supervisors. The clock is injected, so the tests move past the deadline.
@Suite struct CaseAuthorisationTests {
    /// A clock the test moves forward.
    struct Rig {
        let gallery: TestGallery
        let search: AccountableSearch
        let investigator: Accounts.Caller
        let supervisor: Accounts.Caller
        let clock: TestClock
        var governance: any GovernanceStore { gallery.gallery.store }

        init() async throws {
            let rig = try await TestGallery(engine: .fake)
            _ = try await rig.ingest([Fixtures.face("img10.jpg")])
            let store = rig.gallery.store
            let organization = rig.organization.id
            func caller(_ name: String, _ role: Role) async throws -> Accounts.Caller {
                Accounts.Caller(account: try await store.createAccount(NewAccount(
                    organization: organization, username: name, displayName: name, passwordHash: "-", role: role,
                    status: .active)), address: nil)
            }
            let clock = TestClock()
            investigator = try await caller("ivy", .investigator)
            supervisor = try await caller("sam", .supervisor)
            try await TestCases.train([investigator.account.id], store: store)
            search = AccountableSearch(searcher: FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard),
                                       store: store, audit: AuditLog(store: store), now: { clock.now })
            self.clock = clock
            gallery = rig
        }

        func open(_ number: String) async throws -> InvestigationCase {
            try await search.cases.open(try Cases.Opening(number: number, title: "t", offence: nil, leadInvestigator: nil),
                                        caller: investigator)
        }

        /// A search for `number`: its audit entry.
        func searched(_ number: String) async throws -> Int64 {
            let justification = try SearchJustification(caseNumber: number, purpose: "missing_person", purposeText: nil, offence: nil)
            return try await search.search(photo: try Samples.bytes("img10.jpg"), face: nil, top: 5, justification: justification,
                                           caller: investigator).auditEntry
        }

        /// A search for `number`: nil when it ran, else the refusal.
        func refusal(_ number: String) async throws -> GovernanceError? {
            do {
                _ = try await searched(number)
                return nil
            } catch let error as GovernanceError {
                return error
            }
        }

        func decide(_ id: CaseID, _ decision: String) async throws {
            _ = try await search.cases.recordAuthorisation(
                of: id, try Cases.Decision(decision: decision, reference: "W-1", authority: "Leeds Magistrates",
                                           decidedAt: clock.now), caller: supervisor)
        }
    }

    @Test func aSearchNeedsAnOpenCaseAndByDefaultItsGrant() async throws {
        let rig = try await Rig()
        guard case .invalid(let errors)? = try await rig.refusal("NOPE-1") else { Issue.record("a search for no case ran"); return }
        #expect(errors.fields.map(\.field) == ["case_number"] && errors.description.contains("open it first"))

        let waiting = try await rig.open("R-1")
        guard case .forbidden(let message)? = try await rig.refusal("R-1") else { Issue.record("searched without a grant"); return }
        #expect(message.contains("requires the authority's decision"), "\(message)")
        try await rig.decide(waiting.id, "granted")
        #expect(try await rig.refusal("R-1") == nil)

        _ = try await rig.search.cases.close(waiting.id, caller: rig.investigator)
        guard case .invalid(let closed)? = try await rig.refusal("R-1") else { Issue.record("searched a closed case"); return }
        #expect(closed.description.contains("closed"))
        try await rig.gallery.close()
    }

    @Test func anUrgentCaseIsStoppedFortyEightHoursAfterItsFirstSearchWithoutAGrant() async throws {
        let rig = try await Rig()
        try await rig.governance.setCaseAuthorisationPolicy(.urgent, for: rig.gallery.organization.id)
        let urgent = try await rig.open("U-1")
        rig.clock.advance(hours: 5)  // the 48 hours run from the first search, not from opening
        let firstSearch = rig.clock.now
        #expect(try await rig.refusal("U-1") == nil)
        #expect(try await rig.governance.investigationCase(urgent.id)?.urgentSince == firstSearch)
        rig.clock.advance(hours: 47.9)
        #expect(try await rig.refusal("U-1") == nil, "within 48 hours")
        rig.clock.advance(hours: 0.2)
        guard case .forbidden(let message)? = try await rig.refusal("U-1") else { Issue.record("searched past 48 hours"); return }
        #expect(message.contains("within 48 hours"), "\(message)")
        let blocked = try #require(try await rig.governance.investigationCase(urgent.id))
        #expect(blocked.blockedAt == rig.clock.now)
        // A grant recorded late does not reopen it.
        try await rig.decide(urgent.id, "granted")
        #expect(try await rig.refusal("U-1") != nil)

        // A case nobody searches again is stopped on time by the server's sweep.
        let quiet = try await rig.open("U-2")
        #expect(try await rig.refusal("U-2") == nil)
        rig.clock.advance(hours: 47)
        #expect(try await rig.search.cases.enforceDeadlines() == 0)
        rig.clock.advance(hours: 2)
        #expect(try await rig.search.cases.enforceDeadlines() == 1)
        #expect(try await rig.governance.investigationCase(quiet.id)?.blockedAt != nil)

        // Both raised a supervisor's alert.
        let organization = try #require(try await rig.governance.organization(rig.gallery.organization.id))
        let alerts = try await rig.search.cases.audit.alerts(organization: organization, from: .distantPast, to: .distantFuture)
        #expect(alerts.filter { $0.kind == .caseBlocked }.map(\.detail).map { $0.hasPrefix("case U-2") || $0.hasPrefix("case U-1") }
                == [true, true], "\(alerts)")
        try await rig.gallery.close()
    }

    @Test func aRefusalStopsTheCaseAtOnce() async throws {
        let rig = try await Rig()
        try await rig.governance.setCaseAuthorisationPolicy(.urgent, for: rig.gallery.organization.id)
        let refused = try await rig.open("X-1")
        let entry = try await rig.searched("X-1")
        let organization = rig.gallery.organization.id
        let thumbnail = try #require(try await rig.governance.auditThumbnail(entry: entry, organization: organization))
        #expect(thumbnail.jpeg != nil)
        _ = try await ShownResult.of(entry, caller: rig.investigator, store: rig.gallery.gallery.store, governance: rig.governance)
        try await rig.decide(refused.id, "refused")
        // What the search left to be seen is deleted; the log keeps that it was there.
        #expect(try await rig.governance.auditThumbnail(entry: entry, organization: organization)?.jpeg == nil)
        let logged = try await rig.governance.auditEntries(organization: organization, from: nil, to: nil, after: entry - 1, limit: 1)
        #expect(logged.first?.thumbnailSHA256 == thumbnail.sha256 && logged.first?.entry.candidates.isEmpty == true)
        #expect(logged.first?.candidatesDeleted == true && logged.first?.candidatesSHA256 != nil, "the digest of the deleted results stays")
        #expect(try await AuditLog(store: rig.governance).verify().firstBroken == nil, "the chain holds")
        await #expect(throws: GovernanceError.self) {
            _ = try await ShownResult.of(entry, caller: rig.investigator, store: rig.gallery.gallery.store, governance: rig.governance)
        }
        guard case .forbidden(let message)? = try await rig.refusal("X-1") else { Issue.record("searched a refused case"); return }
        #expect(message.contains("the authority refused"), "\(message)")
        let entries = try await rig.governance.latestAuditEntries(organization: rig.gallery.organization.id, limit: 3)
        #expect(entries.first?.entry.action == "case_blocked" && entries.first?.entry.caseNumber == "X-1")
        #expect(entries.first?.entry.detail?.contains("1 probe thumbnails and 1 candidate lists deleted") == true,
                "\(entries.first?.entry.detail ?? "")")
        try await rig.gallery.close()
    }
}
