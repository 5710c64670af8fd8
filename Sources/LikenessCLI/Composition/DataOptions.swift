import ArgumentParser
import Foundation
import LikenessCore
import LikenessGallery
import LikenessStore
import LikenessStorePostgres

/// `--data DIR`, shared by every command that reads or writes a gallery.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "The data directory (default: $LIKENESS_DATA, else ./likeness-data).")
    var data: String?

    @Option(name: .long, help: "The organisation whose collections to use, when the data directory holds several.")
    var org: String?

    @Option(name: .long, help: ArgumentHelp(
        "A PostgreSQL store shared by several servers and workers, instead of the data directory's SQLite: postgres://USER[:PASSWORD]@HOST:PORT/DATABASE (default: $LIKENESS_STORE).",
        discussion: "Needs --vectors. The data directory still holds this machine's suppression key and held uploads."))
    var store: String?

    @Option(name: .long, help: "The Milvus server holding the templates, with --store: milvus://HOST:PORT (default: $LIKENESS_VECTORS).")
    var vectors: String?

    var directory: DataDirectory {
        data.map { DataDirectory(URL(fileURLWithPath: $0)) } ?? .default()
    }

    /// The PostgreSQL store and Milvus index named by --store and --vectors (or their
    /// environment variables); nil for the embedded default in the data directory.
    private var scaleOut: (store: String, vectors: String)? {
        get throws {
            let environment = ProcessInfo.processInfo.environment
            let store = store ?? environment["LIKENESS_STORE"], vectors = vectors ?? environment["LIKENESS_VECTORS"]
            guard store != nil || vectors != nil else { return nil }
            guard let store, let vectors else { throw UsageFailure("--store and --vectors go together: a PostgreSQL store and a Milvus index") }
            return (store, vectors)
        }
    }

    /// The gallery in this data directory, saying so on standard error if its index had to be
    /// rebuilt from the database.
    func openGallery() async throws -> Gallery {
        try await open().gallery
    }

    /// The gallery and the services holding its connections, for a command that runs a
    /// service group (`serve`).
    func open() async throws -> Backends.Opened {
        if let scaleOut = try scaleOut {
            return try await Backends.scaleOut(store: scaleOut.store, vectors: scaleOut.vectors, keysIn: directory)
        }
        let gallery = try await Backends.embedded(in: directory)
        if let reason = gallery.indexRebuiltBecause {
            Output.error("the vector index was unusable (\(reason)); rebuilt it from the database")
        }
        return Backends.Opened(gallery: gallery, connections: [])
    }

    /// Takes the embedded data directory's server lock (`DataDirectory.serverLock`), made if
    /// absent; nil for the scale-out store, whose machines share no data directory files.
    func lockEmbeddedDirectory(refusal: String) throws -> Int32? {
        guard try scaleOut == nil else { return nil }
        try directory.create()
        return try directory.lockForExclusiveUse(refusal: refusal)
    }

    /// The database alone, without the index: for settings such as the calibrated bands.
    func openStore() async throws -> any DataStore {
        if let scaleOut = try scaleOut { return try await PostgresGalleryStore(url: scaleOut.store) }
        return try Backends.embeddedStore(in: directory)
    }

    /// The organisation the command acts for: --org, else the only one. A gallery without any
    /// (made before organisations, or by the CLI alone) gets one named "default".
    func organization(of gallery: Gallery) async throws -> Organization {
        let governance = gallery.store
        if let org {
            guard let found = try await governance.organization(named: org) else { throw UsageFailure("no organisation named '\(org)'") }
            return found
        }
        let all = try await governance.organizations()
        switch all.count {
        case 0: return try await governance.createOrganization(name: "default")
        case 1: return all[0]
        default: throw UsageFailure("this data directory holds several organisations (\(all.map(\.name).joined(separator: ", "))): name one with --org")
        }
    }

    /// The named collection of the command's organisation.
    func collection(named name: String, in gallery: Gallery) async throws -> CollectionRecord {
        let organization = try await organization(of: gallery)
        guard let collection = try await gallery.store.collection(named: name, in: organization.id) else {
            throw UsageFailure("no collection named '\(name)' in \(organization.name) (create it with `likeness collection create`)")
        }
        return collection
    }

    /// The bands `likeness calibrate` stored in this gallery's database, else the documented
    /// defaults. Reads an existing embedded gallery only: comparing two photos creates no data
    /// directory.
    func calibratedBands() async throws -> (dlib: BandThresholds, fused: FusedBands) {
        if try scaleOut == nil, !FileManager.default.fileExists(atPath: directory.database.path) { return (.standard, .standard) }
        let store = try await openStore()
        return (try await store.bandThresholds() ?? .standard, try await store.fusedBands() ?? .standard)
    }
}

