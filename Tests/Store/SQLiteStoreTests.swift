import Foundation
import LikenessCore
import LikenessStore
import LikenessStoreSQLite
import Testing
import TestSupport

/// What only the SQLite store has: erasure that leaves no copy of a template in its files.
@Suite struct SQLiteStoreTests {
    typealias Samples = StoreSamples

    /// secure_delete overwrites an erased face's row and its second template's, and the
    /// checkpoint empties the write-ahead log that held them as written.
    @Test func erasureLeavesNoTemplateOfTheFaceInTheFiles() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let store = try #require(try await database.open() as? SQLiteGalleryStore)
            let collection = try await Samples.collection(store)
            let job = try await store.beginJob(collection: collection.id, key: "group", inputs: ["/archive"])
            let stored = try await store.storeImage(Samples.image(in: collection.id, sha256: "group"),
                                                    faces: [Samples.face(1, withSFace: true), Samples.face(2, withSFace: true)],
                                                    job: job.id, item: "/archive/group.jpg", note: nil)
            func filesHold(_ template: FaceTemplate) -> Bool {
                [store.path, store.path + "-wal"].contains { path in
                    guard let bytes = FileManager.default.contents(atPath: path) else { return false }
                    return bytes.range(of: Data(template.bytes)) != nil
                }
            }
            #expect(filesHold(Samples.face(1).template) && filesHold(Samples.sfaceTemplate(1)))

            _ = try await store.eraseFaces([stored.faces[0]], StoreSamples.erasure)
            try await store.checkpoint()
            #expect(!filesHold(Samples.face(1).template))
            #expect(!filesHold(Samples.sfaceTemplate(1)))
            #expect(filesHold(Samples.face(2).template) && filesHold(Samples.sfaceTemplate(2)))
        }
    }
}
