import Foundation
import LikenessCore
import LikenessGovernance
import LikenessSearch
import LikenessStore
import Testing
import TestSupport

/// An account searches only with a training record no older than its organisation's limit; an
/// untrained or expired account is told why. The clock is injected, so the test outlives a record.
@Suite struct TrainingTests {
    @Test func anUntrainedOrExpiredAccountIsRefusedAndToldWhy() async throws {
        let rig = try await TestGallery(engine: .fake)
        _ = try await rig.ingest([Fixtures.face("img10.jpg")])
        let store = rig.gallery.store
        func account(_ name: String, _ role: Role) async throws -> Accounts.Caller {
            Accounts.Caller(account: try await store.createAccount(NewAccount(
                organization: rig.organization.id, username: name, displayName: name, passwordHash: "-", role: role, status: .active)),
                            address: nil)
        }
        let investigator = try await account("ivy", .investigator)
        let admin = try await account("ada", .admin)
        try await TestCases.openAuthorised(["T-1"], in: rig.organization.id, lead: investigator.account.id, store: store)
        let clock = TestClock()
        let search = AccountableSearch(searcher: FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard),
                                       store: store, audit: AuditLog(store: store), now: { clock.now })
        func refusal() async throws -> String? {
            let justification = try SearchJustification(caseNumber: "T-1", purpose: "missing_person", purposeText: nil, offence: nil)
            do {
                _ = try await search.search(photo: try Samples.bytes("img10.jpg"), face: nil, top: 5, justification: justification,
                                            caller: investigator)
                return nil
            } catch GovernanceError.forbidden(let message) {
                return message
            }
        }
        let untrained = try #require(try await refusal())
        #expect(untrained.contains("no training is recorded for ivy"), "\(untrained)")

        // Only an administrator records training, never dated in the future.
        await #expect(throws: GovernanceError.self) {
            _ = try await search.training.record(course: "Face comparison", completedOn: clock.now, for: investigator.account,
                                                 caller: investigator)
        }
        await #expect(throws: GovernanceError.self) {
            _ = try await search.training.record(course: "Face comparison", completedOn: clock.now.addingTimeInterval(3 * 86_400),
                                                 for: investigator.account, caller: admin)
        }
        _ = try await search.training.record(course: "FISWG facial comparison, level 1", completedOn: clock.now,
                                             for: investigator.account, caller: admin)
        #expect(try await refusal() == nil)

        clock.advance(days: 370)  // past the default 12 months
        let expired = try #require(try await refusal())
        #expect(expired.contains("expired on") && expired.contains("FISWG facial comparison, level 1"), "\(expired)")
        try await search.training.setValidity(months: 24, caller: admin)
        #expect(try await refusal() == nil, "within the organisation's new limit")

        let entries = try await store.latestAuditEntries(organization: rig.organization.id, limit: 10).map(\.entry)
        #expect(entries.contains { $0.action == "training_recorded" && $0.actor == "ada" && $0.detail?.contains("ivy completed") == true })
        try await rig.close()
    }
}
