import Foundation
import LikenessGallery
import LikenessMilvus
import LikenessStore
import LikenessStorePostgres
import LikenessStoreSQLite
import ServiceLifecycle

/// The one place that chooses the store and the index: every other module sees only the
/// `DataStore` and `VectorIndex` protocols.
enum Backends {
    /// A gallery, and the services that hold its connections open: a long-running command adds
    /// them to its service group, which closes them when it shuts down.
    struct Opened {
        var gallery: Gallery
        var connections: [any Service]
    }

    /// The embedded default: SQLite and the in-process index, both in `directory`.
    static func embedded(in directory: DataDirectory) async throws -> Gallery {
        try await Gallery.withInProcessIndex(store: try embeddedStore(in: directory), in: directory)
    }

    /// The embedded store alone, in `directory` (made if absent).
    static func embeddedStore(in directory: DataDirectory) throws -> SQLiteGalleryStore {
        try directory.create()
        return try SQLiteGalleryStore(path: directory.database.path)
    }

    /// The scale-out pair: PostgreSQL for everything but the templates' index, which is in
    /// Milvus; both shared by any number of servers and workers.
    static func scaleOut(store storeURL: String, vectors vectorsURL: String, keysIn directory: DataDirectory) async throws -> Opened {
        let store = try await PostgresGalleryStore(url: storeURL)
        do {
            let index = try await MilvusVectorIndex(url: vectorsURL)
            return Opened(gallery: try await Gallery.shared(store: store, index: index, keysIn: directory), connections: [store, index])
        } catch {
            await store.shutdown()
            throw error
        }
    }
}
