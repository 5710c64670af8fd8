import Foundation
import LikenessCore
import LikenessGallery
import LikenessIndex
import LikenessStore
import Testing
import TestSupport

/// The index follows the database: after a crash (index never persisted), after its file is
/// lost, and when rebuilt from nothing, it holds exactly the database's faces.
@Suite struct GalleryTests {
    func template(_ seed: Int) -> FaceTemplate {
        var generator = SplitMix64(seed: UInt64(seed))
        return FaceTemplate((0..<FaceTemplate.dimension).map { _ in Float.random(in: -0.2...0.2, using: &generator) })
    }

    func batch(_ collection: CollectionID, _ range: Range<Int>) -> [(image: NewImage, faces: [NewFace])] {
        range.map { i in
            (NewImage(collection: collection, sha256: "sha-\(i)", origin: ImageOrigin(location: "/photos/\(i).jpg"),
                      width: 100, height: 100, byteCount: 1, format: "jpegload"),
             [NewFace(face: DetectedFace(box: FaceBox(left: 0, top: 0, right: 9, bottom: 9), detectorScore: 1,
                                         landmarks: (0..<5).map { PixelPoint(x: $0, y: $0) }),
                      quality: 1, template: template(i), crop: [])])
        }
    }

    /// A server's index learns of what another process wrote beside it (a CLI ingest, a CLI
    /// erasure) before its next search, not at its next restart.
    @Test func aSearchCatchesUpWithAnotherProcesssWrites() async throws {
        let directory = try Fixtures.scratchDirectory()
        let server = try await TestGallery.openEmbedded(at: directory)
        let cli = try await TestGallery.openEmbedded(at: directory)
        let organization = try await cli.store.createOrganization(name: "org")
        let collection = try await cli.store.createCollection(.init(
            organization: organization.id, name: "c", source: "s", lawfulBasis: "b", jurisdiction: "GB", retentionDays: nil))
        let stored = try await cli.storeImages(batch(collection.id, 0..<3))
        #expect(try await server.index.count == 0)
        try await server.catchUpBeforeSearching()
        #expect(try await server.index.count == 3)
        #expect(try await server.index.nearest(to: template(1), k: 1, in: nil).first?.id == stored[1].faces[0])

        _ = try await cli.erase(.faces([stored[1].faces[0]])) { _ in
            NewAuditEntry(organization: organization.id, actorID: nil, actor: "test", action: "erasure")
        }
        try await server.catchUpBeforeSearching()
        #expect(try await server.index.count == 2)
        #expect(try await server.index.nearest(to: template(1), k: 3, in: nil).allSatisfy { $0.id != stored[1].faces[0] })
    }

    @Test func indexCatchesUpWithTheDatabaseAfterACrashOrLoss() async throws {
        let directory = try Fixtures.scratchDirectory()
        let layout = DataDirectory(directory)
        var gallery = try await TestGallery.openEmbedded(at: directory)
        let organization = try await gallery.store.createOrganization(name: "org")
        let collection = try await gallery.store.createCollection(.init(
            organization: organization.id, name: "c", source: "s", lawfulBasis: "b", jurisdiction: "GB", retentionDays: nil))
        _ = try await gallery.storeImages(batch(collection.id, 0..<50))
        try await gallery.persistIndex()
        _ = try await gallery.storeImages(batch(collection.id, 50..<80))  // never persisted: as if killed here

        gallery = try await TestGallery.openEmbedded(at: directory)
        #expect(try await gallery.index.count == 80)
        let probe = template(63)
        #expect(try await gallery.index.nearest(to: probe, k: 1, in: nil).first?.distance == 0)

        try FileManager.default.removeItem(at: layout.index)
        gallery = try await TestGallery.openEmbedded(at: directory)
        #expect(try await gallery.index.count == 80)
        #expect(try await gallery.index.appliedSequence == (try await gallery.store.latestIndexSequence()))
    }

    @Test func damagedIndexFileIsRebuiltFromTheDatabase() async throws {
        let directory = try Fixtures.scratchDirectory()
        var gallery = try await TestGallery.openEmbedded(at: directory)
        let organization = try await gallery.store.createOrganization(name: "org")
        let collection = try await gallery.store.createCollection(.init(
            organization: organization.id, name: "c", source: "s", lawfulBasis: "b", jurisdiction: "GB", retentionDays: nil))
        _ = try await gallery.storeImages(batch(collection.id, 0..<40))
        try await gallery.persistIndex()
        #expect(gallery.indexRebuiltBecause == nil)

        try Data("not an index".utf8).write(to: DataDirectory(directory).index)
        gallery = try await TestGallery.openEmbedded(at: directory)
        #expect(gallery.indexRebuiltBecause != nil)
        #expect(try await gallery.index.count == 40)
        #expect(try await gallery.index.nearest(to: template(17), k: 1, in: nil).first?.distance == 0)
    }

    @Test func reindexRebuildsTheSameAnswers() async throws {
        let directory = try Fixtures.scratchDirectory()
        let gallery = try await TestGallery.openEmbedded(at: directory)
        let organization = try await gallery.store.createOrganization(name: "org")
        let collection = try await gallery.store.createCollection(.init(
            organization: organization.id, name: "c", source: "s", lawfulBasis: "b", jurisdiction: "GB", retentionDays: nil))
        _ = try await gallery.storeImages(batch(collection.id, 0..<200))
        let probe = template(7)
        let before = try await gallery.index.nearest(to: probe, k: 10, in: nil)
        #expect(try await gallery.reindex() == 200)
        #expect(try await gallery.index.nearest(to: probe, k: 10, in: nil) == before)
        #expect(try await gallery.index.count == 200)
    }
}
