import LikenessStore
import Logging
import PostgresNIO

/// How the store talks to PostgreSQL: pooled statements and transactions.
extension PostgresGalleryStore {
    /// Runs one statement on a pooled connection and reads every row it returns.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await client.withConnection { connection in try await connection.rows(query) }
}

    /// Runs one statement on a pooled connection for its effect.
    func run(_ query: PostgresQuery) async throws {
        try await client.withConnection { connection in try await connection.run(query) }
    }

    /// Runs `body` in one transaction on one connection: committed when it returns, rolled back
    /// when it throws.
    func transaction<Result: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        try await client.withConnection { connection in try await connection.transaction(body) }
    }
}

/// The store's logger, for PostgresNIO's background work and queries. PostgresNIO logs at debug
/// and trace but for one warning: a query that comes before the client's `run()` task has begun,
/// which a query right after `init` may do. The query just waits for the pool, so errors only.
let postgresLogger: Logger = {
    var logger = Logger(label: "likeness.store.postgres")
    logger.logLevel = .error
    return logger
}()

extension PostgresConnection {
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await self.query(query, logger: postgresLogger).collect().map { $0.makeRandomAccess() }
    }

    func run(_ query: PostgresQuery) async throws {
        _ = try await self.query(query, logger: postgresLogger).collect()
    }

    /// Unlike PostgresNIO's `withTransaction`, which wraps every error in its own, this rethrows
    /// the body's error as it is, so that a `StoreError` reaches the caller with its message.
    func transaction<Result: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> Result) async throws -> Result {
        try await run("BEGIN")
        let result: Result
        do {
            result = try await body(self)
        } catch {
            // A connection whose rollback fails is broken; the pool replaces it.
            _ = try? await run("ROLLBACK")
            throw error
        }
        try await run("COMMIT")
        return result
    }
}

extension PostgresRandomAccessRow {
    /// The value of a column, decoded as `T` (an optional for a nullable column).
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }

    /// The bytes of a non-null BYTEA column.
    func bytes(_ column: String) throws -> [UInt8] {
        Array(try value(column, as: ByteBuffer.self).readableBytesView)
    }
}
