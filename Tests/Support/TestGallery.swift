import Foundation
import GRDB
import LikenessEngine
import LikenessGallery
import LikenessIngest
import LikenessStore
import LikenessStoreSQLite

/// A fresh embedded gallery in a scratch directory with one collection, and an ingester.
public final class TestGallery: @unchecked Sendable {  // Sendable: immutable after init.
    public let directory: URL
    public let gallery: Gallery
    public let organization: Organization
    public let collection: CollectionRecord
    public let pool: EnginePool
    public let fetcher = ImageFetcher()
    public let ingester: Ingester

    /// The face engine a test runs: dlib's, where the model is part of what is tested, or the
    /// fake, where only what surrounds it is.
    public enum Engine: Sendable {
        case dlib
        case fake

        func pool() throws -> EnginePool {
            switch self {
            case .dlib: EnginePool(models: try FaceModels.locate(), onnx: try ONNXFaceModels.locate(), size: 2)
            case .fake: EnginePool(size: 2) { FakeFaceEngine() }
            }
        }
    }

    public init(collectionName: String = "press", engine: Engine = .dlib) async throws {
        directory = try Fixtures.scratchDirectory("likeness-gallery")
        gallery = try await Self.openEmbedded(at: directory)
        organization = try await gallery.store.createOrganization(name: "test")
        collection = try await gallery.store.createCollection(NewCollection(
            organization: organization.id, name: collectionName, source: "test fixtures", lawfulBasis: "test", jurisdiction: "GB", retentionDays: nil))
        pool = try engine.pool()
        ingester = Ingester(gallery: gallery, pool: pool, fetcher: fetcher, options: .init(concurrency: 4))
    }

    /// The embedded gallery in `directory` (SQLite and the in-process index), as `likeness`
    /// opens it.
    public static func openEmbedded(at directory: URL) async throws -> Gallery {
        let layout = DataDirectory(directory)
        try layout.create()
        return try await Gallery.withInProcessIndex(store: try SQLiteGalleryStore(path: layout.database.path), in: layout)
    }

    public func ingest(_ inputs: [String]) async throws -> IngestSummary {
        try await ingester.run(inputs: inputs, into: collection)
    }

    /// Removes every face's second template, as in a gallery stored before the second model.
    public func removeSecondTemplates() async throws {
        guard let store = gallery.store as? SQLiteGalleryStore else { fatalError("a TestGallery's store is SQLite") }
        try await store.database.write { try $0.execute(sql: "DELETE FROM face_template") }
    }

    public func close() async throws {
        pool.shutdown()
        try await fetcher.shutdown()
    }
}
