import Foundation
import LikenessCore
import LikenessStore
import Testing
import TestSupport

@Suite struct SQLiteGalleryStoreTests {
    func makeStore() throws -> SQLiteGalleryStore {
        try SQLiteGalleryStore(path: try Fixtures.scratchDirectory().appendingPathComponent("test.sqlite").path)
    }

    func press(_ store: SQLiteGalleryStore) async throws -> CollectionRecord {
        var organization = try await store.organization(named: "org")
        if organization == nil { organization = try await store.createOrganization(name: "org") }
        guard let organization else { throw StoreError("no organisation") }
        return try await store.createCollection(NewCollection(organization: organization.id, name: "press", source: "Daily Herald archive",
                                                       lawfulBasis: "licence 2024-17", jurisdiction: "GB", retentionDays: 3650))
    }

    func face(_ seed: Float) -> NewFace {
        NewFace(face: DetectedFace(box: FaceBox(left: 1, top: 2, right: 81, bottom: 82), detectorScore: 1.5,
                                   landmarks: (0..<5).map { PixelPoint(x: $0, y: $0 * 2) }),
                quality: 0.9, template: FaceTemplate((0..<128).map { Float($0) * seed }), crop: [0xFF, 0xD8])
    }

    @Test func collectionsRecordProvenanceAndRefuseDuplicateNames() async throws {
        let store = try makeStore()
        let created = try await press(store)
        let fetched = try #require(try await store.collection(named: "press", in: created.organization))
        #expect(fetched.source == "Daily Herald archive" && fetched.lawfulBasis == "licence 2024-17")
        #expect(fetched.jurisdiction == "GB" && fetched.retentionDays == 3650 && fetched.id == created.id)
        await #expect(throws: StoreError.self) { try await press(store) }
    }

    @Test func storesImageFacesAndLogInOneGo() async throws {
        let store = try makeStore()
        let collection = try await press(store)
        let job = try await store.beginJob(collection: collection.id, key: "k", inputs: ["/a"])
        let image = NewImage(collection: collection.id, sha256: "abc", origin: ImageOrigin(location: "/a/1.jpg", sourceURL: "https://example.org/p"),
                             width: 10, height: 10, byteCount: 100, format: "jpegload")
        let stored = try await store.storeImage(image, faces: [face(1), face(2)], job: job.id, item: "/a/1.jpg", note: nil)
        #expect(stored.faces.count == 2 && !stored.isDuplicate)

        let again = try await store.storeImage(image, faces: [face(3)], job: job.id, item: "/a/copy.jpg", note: nil)
        #expect(again.isDuplicate && again.image == stored.image)
        #expect(try await store.counts() == GalleryCounts(collections: 1, images: 1, faces: 2))

        let changes = try await store.indexChanges(after: 0, limit: 10)
        #expect(changes.map(\.face) == stored.faces && changes.allSatisfy { $0.kind == .added })
        let templates = try await store.templates(of: stored.faces)
        #expect(templates.map(\.template) == [face(1).template, face(2).template])
        #expect(templates.allSatisfy { $0.collection == collection.id })

        let details = try await store.matchDetails(for: [stored.faces[0]])
        #expect(details[stored.faces[0]]?.origin.sourceURL == "https://example.org/p")
        #expect(details[stored.faces[0]]?.collection == "press")
    }

    @Test func unfinishedJobIsResumedWithItsSettledItems() async throws {
        let store = try makeStore()
        let collection = try await press(store)
        let first = try await store.beginJob(collection: collection.id, key: "same", inputs: ["/a"])
        try await store.recordItem(job: first.id, item: "/a/bad.jpg", outcome: .failed, reason: "truncated", image: nil)
        let resumed = try await store.beginJob(collection: collection.id, key: "same", inputs: ["/a"])
        #expect(resumed.id == first.id && resumed.resumed && resumed.settledItems == ["/a/bad.jpg"])

        try await store.finishJob(first.id, status: .finished)
        let fresh = try await store.beginJob(collection: collection.id, key: "same", inputs: ["/a"])
        #expect(fresh.id != first.id && !fresh.resumed)
        #expect(try await store.jobItems(first.id).map(\.reason) == ["truncated"])
    }
}
