import Foundation
import LikenessStore
import GRDB
import PostgresNIO

/// Moves an embedded store into an empty PostgreSQL store, table by table, keeping every id,
/// so the audit chain, the index change log and every link between rows stay as they were.
/// The two schemas have the same tables and columns; each value is converted to the column's
/// PostgreSQL type. It runs in one PostgreSQL transaction: a failed migration leaves the
/// target empty.
public enum StoreMigration {
    /// In the order their references need. Sign-in sessions are not moved: a session token
    /// belongs to the server that issued it, and users sign in again on the new one.
    static let tables = ["organization", "collection", "ingest_job", "image", "face", "face_template", "ingest_item", "index_log",
                         "setting", "account", "api_key", "audit_entry", "audit_thumbnail", "audit_checkpoint", "suppression",
                         "subject_request", "subject_finding", "consent", "ingest_queue", "investigation_case", "training_record",
                         "candidate_review", "search_probe_face", "audit_candidates", "watch"]

    /// Rows copied per table.
    public struct Report: Sendable {
        public var rows: [(table: String, count: Int)]
    }

    public static func copy(from source: any DatabaseReader, to target: PostgresGalleryStore,
                            progress: @escaping @Sendable (String, Int) -> Void = { _, _ in }) async throws -> Report {
        let targetCounts = try await target.rows("SELECT (SELECT COUNT(*) FROM organization) + (SELECT COUNT(*) FROM face) AS n")
        guard try targetCounts[0].value("n", as: Int64.self) == 0 else {
            throw StoreError.conflict("the target store already holds data: migrate into an empty database")
        }
        return try await target.transaction { connection in
            // GRDB writes dates as UTC text without a zone; read them as UTC.
            try await connection.run("SET LOCAL TIME ZONE 'UTC'")
            var report = Report(rows: [])
            for table in tables {
                let columns = try await targetColumns(of: table, on: connection)
                let copied = try await copy(table, columns: columns, from: source, to: connection) { progress(table, $0) }
                try await advanceIdentities(of: table, columns: columns, from: source, on: connection)
                report.rows.append((table, copied))
            }
            return report
        }
    }

    /// Row counts of both stores, table by table: what `likeness migrate` checks after copying.
    public static func counts(of source: any DatabaseReader, and target: PostgresGalleryStore) async throws -> [(table: String, source: Int, target: Int)] {
        var counts = [(table: String, source: Int, target: Int)]()
        for table in tables {
            let sourceCount = try await source.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
            let targetCount = try await target.rows(PostgresQuery(unsafeSQL: "SELECT COUNT(*) AS n FROM \(table)"))[0].value("n", as: Int64.self)
            counts.append((table, sourceCount, Int(targetCount)))
        }
        return counts
    }

    private struct Column {
        var name: String
        /// As `information_schema` names it: bigint, integer, text, boolean, bytea, double precision, ...
        var type: String
        var isIdentity: Bool
    }

    private static func targetColumns(of table: String, on connection: PostgresConnection) async throws -> [Column] {
        try await connection.rows("""
            SELECT column_name, data_type, is_identity FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = \(table) ORDER BY ordinal_position
            """).map {
            Column(name: try $0.value("column_name", as: String.self), type: try $0.value("data_type", as: String.self),
                   isIdentity: try $0.value("is_identity", as: String.self) == "YES")
        }
    }

    private static func copy(_ table: String, columns targetColumns: [Column], from source: any DatabaseReader,
                             to connection: PostgresConnection, progress: (Int) -> Void) async throws -> Int {
        let sourceColumns = try await source.read { db in try db.columns(in: table).map(\.name) }
        let columns = targetColumns.filter { sourceColumns.contains($0.name) }
        if let missing = sourceColumns.first(where: { name in !targetColumns.contains { $0.name == name } }) {
            throw StoreError.damaged("the PostgreSQL table \(table) has no column \(missing): is it a newer embedded store than this version of Likeness?")
        }
        let columnList = columns.map(\.name).joined(separator: ", ")
        let batchSize = max(1, 30_000 / max(1, columns.count))  // PostgreSQL allows 65,535 parameters a statement
        var copied = 0
        var afterRowID: Int64 = 0
        while true {
            let after = afterRowID
            let page: [(rowID: Int64, values: [DatabaseValue])] = try await source.read { db in
                try Row.fetchAll(db, sql: "SELECT rowid AS _rowid, \(columnList) FROM \(table) WHERE rowid > ? ORDER BY rowid LIMIT ?",
                                 arguments: [after, batchSize])
                    .map { row in (row["_rowid"], columns.map { row[$0.name] as DatabaseValue }) }
            }
            guard let last = page.last else { return copied }
            var bindings = PostgresBindings()
            var tuples = [String]()
            for (_, values) in page {
                var placeholders = [String]()
                for (column, value) in zip(columns, values) {
                    try bind(value, as: column, table: table, into: &bindings)
                    placeholders.append("$\(bindings.count)::\(column.type)")
                }
                tuples.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            try await connection.run(PostgresQuery(unsafeSQL: """
                INSERT INTO \(table) (\(columnList)) OVERRIDING SYSTEM VALUE VALUES \(tuples.joined(separator: ", "))
                """, binds: bindings))
            copied += page.count
            afterRowID = last.rowID
            progress(copied)
        }
    }

    /// One SQLite value as the PostgreSQL column's type: SQLite keeps booleans as integers and
    /// dates as text, which the statement's casts turn into `boolean` and `timestamptz`.
    private static func bind(_ value: DatabaseValue, as column: Column, table: String, into bindings: inout PostgresBindings) throws {
        switch (value.storage, column.type) {
        case (.null, _):
            bindings.appendNull()
        case (.int64(let number), "boolean"):
            bindings.append(number != 0)
        case (.int64(let number), "bigint"), (.int64(let number), "integer"), (.int64(let number), "smallint"):
            bindings.append(number)
        case (.int64(let number), "double precision"), (.int64(let number), "real"):
            bindings.append(Double(number))
        case (.double(let number), "double precision"), (.double(let number), "real"):
            bindings.append(number)
        case (.string(let text), _) where column.type != "bytea":
            bindings.append(text)
        case (.blob(let data), "bytea"):
            bindings.append(ByteBuffer(bytes: data))
        case (.blob(let data), "text"):
            guard let text = String(data: data, encoding: .utf8) else {
                throw StoreError.damaged("\(table).\(column.name) holds bytes that are not text")
            }
            bindings.append(text)
        default:
            throw StoreError.damaged("\(table).\(column.name): cannot store SQLite's \(value) as PostgreSQL \(column.type)")
        }
    }

    /// Identity columns go on from the highest id used, including ids SQLite's AUTOINCREMENT
    /// has handed out to rows since deleted: a face id is never reused, even across stores.
    private static func advanceIdentities(of table: String, columns: [Column], from source: any DatabaseReader,
                                          on connection: PostgresConnection) async throws {
        for column in columns where column.isIdentity {
            let used = try await source.read { db -> Int64 in
                let maximum = try Int64.fetchOne(db, sql: "SELECT MAX(\(column.name)) FROM \(table)") ?? 0
                let handedOut = try db.tableExists("sqlite_sequence")
                    ? try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = ?", arguments: [table]) ?? 0 : 0
                return max(maximum, handedOut)
            }
            guard used > 0 else { continue }
            try await connection.run(PostgresQuery(unsafeSQL: "SELECT setval(pg_get_serial_sequence('\(table)', '\(column.name)'), \(used))"))
        }
    }
}
