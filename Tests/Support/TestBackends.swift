import Foundation
import GRDB
import LikenessStore
import LikenessStorePostgres
import LikenessStoreSQLite
import PostgresNIO
import Synchronization

/// The store implementations the contract suites run every test against.
public enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }
}

/// A fresh, empty database for one test, removed afterwards: a SQLite file in a scratch folder,
/// or a PostgreSQL database `lk_<random>` created on the server that `LIKENESS_TEST_POSTGRES`
/// names (`scripts/test/with-backends.sh` starts one and sets it).
public final class TestDatabase: Sendable {
    public let backend: StoreBackend
    private let place: Place
    /// Every PostgreSQL store opened on the database, shut down before it is dropped.
    private let openedStores = Mutex<[PostgresGalleryStore]>([])

    private enum Place {
        case sqlite(path: String)
        case postgres(server: PostgresLocation, database: PostgresLocation)
    }

    /// Runs `body` with a fresh database of `backend`, and removes the database afterwards.
    public static func with<Result: Sendable>(_ backend: StoreBackend, _ body: (TestDatabase) async throws -> Result) async throws -> Result {
        let database = try await TestDatabase(backend)
        let result: Result
        do {
            result = try await body(database)
        } catch {
            try await database.remove()
            throw error
        }
        try await database.remove()
        return result
    }

    private init(_ backend: StoreBackend) async throws {
        self.backend = backend
        switch backend {
        case .sqlite:
            place = .sqlite(path: try Fixtures.scratchDirectory("likeness-store").appendingPathComponent("likeness.sqlite").path)
        case .postgres:
            let server = try Self.postgresServer()
            let name = "lk_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            try await Self.administer(server, "CREATE DATABASE \(name)")
            place = .postgres(server: server, database: server.database(name))
        }
    }

    /// A store on the database, as a server or worker opens it; each call opens another.
    public func open() async throws -> any DataStore {
        switch place {
        case .sqlite(let path):
            return try SQLiteGalleryStore(path: path)
        case .postgres(_, let location):
            let store = try await PostgresGalleryStore(url: location.url, maximumConnections: Self.postgresConnectionsPerStore)
            openedStores.withLock { $0.append(store) }
            return store
        }
    }

    /// The `postgres://` address `likeness --store` takes; nil for SQLite.
    public var postgresURL: String? {
        if case .postgres(_, let location) = place { return location.url }
        return nil
    }

    /// Runs SQL on the database directly, as someone who holds the database rather than the
    /// application would.
    public func executeDirectly(_ sql: String) async throws {
        switch place {
        case .sqlite(let path):
            try await DatabaseQueue(path: path).write { db in try db.execute(sql: sql) }
        case .postgres(_, let location):
            try await Self.administer(location, sql)
        }
    }

    /// Runs a query that answers one integer (a count, say) on the database directly.
    public func integerDirectly(_ sql: String) async throws -> Int {
        switch place {
        case .sqlite(let path):
            return try await DatabaseQueue(path: path).read { db in try Int.fetchOne(db, sql: sql) ?? 0 }
        case .postgres(_, let location):
            let rows = try await Self.administer(location, sql)
            return try rows.first?.decode(Int.self) ?? 0
        }
    }

    private func remove() async throws {
        switch place {
        case .sqlite(let path):
            try FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)
        case .postgres(let server, let location):
            for store in openedStores.withLock({ $0 }) { await store.shutdown() }
            try await Self.administer(server, "DROP DATABASE \(location.database) WITH (FORCE)")
        }
    }

    /// Few enough that many tests at once stay within the test server's connection limit.
    private static let postgresConnectionsPerStore = 8

    /// The PostgreSQL server the tests create their databases on.
    public static func postgresServer() throws -> PostgresLocation {
        guard let url = ProcessInfo.processInfo.environment["LIKENESS_TEST_POSTGRES"], !url.isEmpty else {
            throw TestBackendError(description: """
                LIKENESS_TEST_POSTGRES is not set, so the PostgreSQL store cannot be tested. Run the tests through \
                scripts/test/with-backends.sh (e.g. `scripts/test/with-backends.sh swift test --skip-build`, or `make test`), \
                which starts a throwaway PostgreSQL server and sets it.
                """)
        }
        return try PostgresLocation(url: url)
    }

    /// Runs one statement on a connection of its own and returns its rows (CREATE and DROP
    /// DATABASE refuse transactions, and the database being dropped must have no store connected).
    @discardableResult
    private static func administer(_ location: PostgresLocation, _ sql: String) async throws -> [PostgresRow] {
        let configuration = PostgresConnection.Configuration(host: location.host, port: location.port, username: location.username,
                                                             password: location.password, database: location.database, tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1,
                                                              logger: Logger(label: "likeness.test.postgres"))
        let rows: [PostgresRow]
        do {
            rows = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "likeness.test.postgres")).collect()
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
        return rows
    }
}

public struct TestBackendError: Error, CustomStringConvertible {
    public let description: String
}
