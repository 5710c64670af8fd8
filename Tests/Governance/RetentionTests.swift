import Foundation
import GRDB
import LikenessCore
import LikenessEngine
import LikenessGallery
import LikenessGovernance
import LikenessSearch
import LikenessStore
import Testing
import TestSupport

@Suite struct RetentionTests {
    /// Images past their collection's retention are erased through the erasure path; younger
    /// ones, and collections kept until erased, stay.
    @Test func sweepErasesWhatIsHeldTooLong() async throws {
        let rig = try await TestGallery(engine: .fake)
        let governance = rig.gallery.store
        let shortLived = try await rig.gallery.store.createCollection(NewCollection(
            organization: rig.organization.id, name: "week", source: "s", lawfulBasis: "b", jurisdiction: "GB", retentionDays: 7))
        _ = try await rig.ingester.run(inputs: ["img16.jpg", "img10.jpg"].map(Fixtures.face), into: shortLived)
        _ = try await rig.ingest([Fixtures.face("img17.jpg")])  // "press": kept until erased
        // img16 was ingested eight days ago.
        let database = try DatabaseQueue(path: DataDirectory(rig.directory).database.path)
        try await database.write { db in
            try db.execute(sql: "UPDATE image SET ingested_at = ? WHERE location LIKE '%img16.jpg'",
                           arguments: [Date().addingTimeInterval(-8 * 86_400)])
        }
        let retention = Retention(gallery: rig.gallery, audit: AuditLog(store: governance))
        let swept = try await retention.sweep()
        #expect(swept.count == 1 && swept[0].collection == "week" && swept[0].images == 1 && swept[0].faces == 1)
        #expect(try await retention.sweep().isEmpty)

        let searcher = FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard)
        let found = try await searcher.search(probe: try ImageCodec.decode(file: Fixtures.face("img61.jpg")), name: "img61", top: 5)
        let files = found.matches.map { ($0.origin.location as NSString).lastPathComponent }
        #expect(!files.contains("img16.jpg") && files.contains("img17.jpg") && files.contains("img10.jpg"))
        let entry = try #require(try await governance.auditEntries(organization: nil, from: nil, to: nil, after: 0, limit: 100).last)
        #expect(entry.entry.actor == "retention" && entry.entry.action == "erasure" && entry.entry.detail?.contains("1 images") == true)
        try await rig.close()
    }
}
