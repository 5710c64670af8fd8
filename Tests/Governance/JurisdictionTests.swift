import Foundation
import LikenessCore
import LikenessGovernance
import LikenessSearch
import LikenessStore
import Testing
import TestSupport

@Suite struct JurisdictionTests {
    /// An organisation limited to GB searches only its GB collections and may not ingest into others.
    @Test func searchesSkipAndIngestRefusesOtherJurisdictions() async throws {
        let rig = try await TestGallery(engine: .fake)  // "press" is GB
        _ = try await rig.ingest([Fixtures.face("img10.jpg")])
        let french = try await rig.gallery.store.createCollection(NewCollection(
            organization: rig.organization.id, name: "presse", source: "s", lawfulBasis: "b", jurisdiction: "FR", retentionDays: nil))
        _ = try await rig.ingester.run(inputs: [Fixtures.face("img11.jpg")], into: french)
        let governance = rig.gallery.store
        let investigator = try await governance.createAccount(NewAccount(
            organization: rig.organization.id, username: "ines", displayName: "Ines", passwordHash: "-", role: .investigator,
            status: .active))
        let caller = Accounts.Caller(account: investigator, address: nil)
        try await TestCases.openAuthorised(["J-1"], in: rig.organization.id, lead: investigator.id, store: governance)
        try await TestCases.train([investigator.id], store: governance)
        let search = AccountableSearch(searcher: FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard),
                                       store: rig.gallery.store, audit: AuditLog(store: governance))
        let justification = try SearchJustification(caseNumber: "J-1", purpose: "missing_person", purposeText: nil, offence: nil)
        func collectionsFound() async throws -> Set<String> {
            Set(try await search.search(photo: try Samples.bytes("img5.jpg"), face: nil, top: 10, justification: justification,
                                        caller: caller).result.matches.map(\.collection))
        }
        #expect(try await collectionsFound() == ["press", "presse"])

        try await governance.setJurisdictions(["GB"], for: rig.organization.id)
        #expect(try await collectionsFound() == ["press"])
        await #expect(throws: GovernanceError.self) {
            try await CollectionRules.checkIngestAllowed(into: french, governance: governance)
        }
        try await CollectionRules.checkIngestAllowed(into: rig.collection, governance: governance)

        // A country admits its subdivisions.
        try await governance.setJurisdictions(["FR", "US"], for: rig.organization.id)
        let organization = try #require(try await governance.organization(rig.organization.id))
        #expect(organization.allows(jurisdiction: "US-CA") && organization.allows(jurisdiction: "FR") && !organization.allows(jurisdiction: "GB"))
        #expect(try await collectionsFound() == ["presse"])
        try await rig.close()
    }
}
