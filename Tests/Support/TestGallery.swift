import Foundation
import LikenessEngine
import LikenessGallery
import LikenessIngest
import LikenessStore

/// A fresh embedded gallery in a scratch directory with one collection, and an ingester.
public final class TestGallery: @unchecked Sendable {  // Sendable: immutable after init.
    public let directory: URL
    public let gallery: Gallery
    public let organization: Organization
    public let collection: CollectionRecord
    public let pool: EnginePool
    public let fetcher = ImageFetcher()
    public let ingester: Ingester

    public init(collectionName: String = "press") async throws {
        directory = try Fixtures.scratchDirectory("likeness-gallery")
        gallery = try await Gallery.openEmbedded(at: directory)
        organization = try await (gallery.store as! SQLiteGalleryStore).createOrganization(name: "test")
        collection = try await gallery.store.createCollection(NewCollection(
            organization: organization.id, name: collectionName, source: "test fixtures", lawfulBasis: "test", jurisdiction: "GB", retentionDays: nil))
        pool = EnginePool(models: try FaceModels.locate(), size: 2)
        ingester = Ingester(gallery: gallery, pool: pool, fetcher: fetcher, options: .init(concurrency: 4))
    }

    public func ingest(_ inputs: [String]) async throws -> IngestSummary {
        try await ingester.run(inputs: inputs, into: collection)
    }

    public func close() async throws {
        pool.shutdown()
        try await fetcher.shutdown()
    }
}
