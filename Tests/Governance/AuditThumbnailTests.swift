import Foundation
import LikenessCore
import LikenessGovernance
import LikenessSearch
import LikenessStore
import Testing
import TestSupport

/// A pivot search's audit thumbnail is a gallery face's crop. Erasing that face redacts it:
/// no byte of it is left in the data directory, and the chain, which keeps its digest, still
/// verifies.
@Suite struct AuditThumbnailTests {
    @Test func erasingAFaceRedactsThePivotThumbnailsThatShowIt() async throws {
        let rig = try await TestGallery(engine: .fake)
        _ = try await rig.ingest(["img16.jpg", "img17.jpg", "img10.jpg"].map(Fixtures.face))
        let governance = rig.gallery.store
        func account(_ name: String, _ role: Role) async throws -> Accounts.Caller {
            Accounts.Caller(account: try await governance.createAccount(NewAccount(
                organization: rig.organization.id, username: name, displayName: name, passwordHash: "-", role: role, status: .active)),
                            address: nil)
        }
        let investigator = try await account("inv", .investigator)
        let admin = try await account("privacy", .admin)
        let searcher = FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard)
        let audit = AuditLog(store: governance)
        let search = AccountableSearch(searcher: searcher, store: rig.gallery.store, audit: audit)
        try await TestCases.openAuthorised(["C-7"], in: rig.organization.id, lead: investigator.account.id, store: governance)
        try await TestCases.train([investigator.account.id], store: governance)

        let templates = try await rig.gallery.store.templates(after: 0, limit: 10)
        let details = try await rig.gallery.store.matchDetails(for: templates.map(\.id))
        let face = try #require(templates.first { details[$0.id]?.origin.location.hasSuffix("img16.jpg") == true }).id
        let crop = try #require(try await rig.gallery.store.faceCrop(face)).crop
        let justification = try SearchJustification(caseNumber: "C-7", purpose: "criminal_investigation", purposeText: nil, offence: nil)
        let pivot = try await search.search(fromFace: face, top: 5, justification: justification, caller: investigator)
        #expect(try await governance.auditThumbnail(entry: pivot.auditEntry, organization: rig.organization.id)?.jpeg == crop)
        #expect(try await governance.probeFace(entry: pivot.auditEntry, organization: rig.organization.id)?.jpeg == crop,
                "the pivot's probe face, for examiners, is the same crop")

        let rights = SubjectRights(searcher: searcher, gallery: rig.gallery, audit: audit)
        _ = try await rights.erase(faces: [face], reference: "SR-1", caller: admin)

        let thumbnail = try #require(try await governance.auditThumbnail(entry: pivot.auditEntry, organization: rig.organization.id))
        #expect(thumbnail.jpeg == nil && thumbnail.redactedAt != nil)
        #expect(try await governance.probeFace(entry: pivot.auditEntry, organization: rig.organization.id) == nil)
        #expect(try await audit.verify().firstBroken == nil)
        // No 32-byte window of the crop's image data remains in any file of the data directory.
        let windows = stride(from: crop.count / 4, to: crop.count - 32, by: max(1, crop.count / 16)).map { Data(crop[$0..<($0 + 32)]) }
        let files = try Fixtures.filesWithContents(under: rig.directory)
        for (url, contents) in files {
            for window in windows {
                #expect(contents.range(of: window) == nil, "\(url.lastPathComponent) still holds the erased face's crop")
            }
        }
        #expect(files.count >= 2)
        try await rig.close()
    }
}
