import Foundation
import GRDB
import LikenessCore
import LikenessStore

/// Probes kept on watch for their cases.
extension SQLiteGalleryStore {
    static let watchColumns = """
        id, organization_id, case_id, owner_id, search_entry, probe_sha256, opened_at, expires_at, cursor, match_count,
        last_match_entry, ended_at, end_reason
        """

    public func createWatch(_ new: NewWatch) async throws -> Watch {
        try await database.write { db in
            let cursor = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM index_log") ?? 0
            try db.execute(sql: """
                INSERT INTO watch (organization_id, case_id, owner_id, search_entry, probe_sha256, opened_at, expires_at, cursor,
                                   dlib_template, sface_template, probe_jpeg, probe_landmarks)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [new.organization, new.caseID, new.owner, new.searchEntry, new.probeSHA256, new.openedAt,
                                 new.expiresAt, cursor, Data(new.probe.templates.dlib.bytes),
                                 new.probe.templates.sface.map { Data($0.bytes) }, Data(new.probe.face.jpeg),
                                 new.probe.face.storedLandmarks])
            return Watch(id: db.lastInsertedRowID, organization: new.organization, caseID: new.caseID, owner: new.owner,
                         searchEntry: new.searchEntry, probeSHA256: new.probeSHA256, openedAt: new.openedAt,
                         expiresAt: new.expiresAt, cursor: cursor)
        }
    }

    public func watch(_ id: WatchID) async throws -> Watch? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.watchColumns) FROM watch WHERE id = ?", arguments: [id]).map(Self.watch)
        }
    }

    public func watches(in organization: OrganizationID, openOnly: Bool) async throws -> [Watch] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.watchColumns) FROM watch WHERE organization_id = ? AND (? = 0 OR ended_at IS NULL) ORDER BY id DESC
                """, arguments: [organization, openOnly]).map(Self.watch)
        }
    }

    public func openWatches() async throws -> [Watch] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.watchColumns) FROM watch WHERE ended_at IS NULL ORDER BY id").map(Self.watch)
        }
    }

    public func watchProbe(_ id: WatchID) async throws -> WatchProbe? {
        try await database.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT dlib_template, sface_template, probe_jpeg, probe_landmarks FROM watch WHERE id = ? AND ended_at IS NULL
                """, arguments: [id]) else { return nil }
            guard let dlib = FaceTemplate(bytes: row["dlib_template"] as Data) else {
                throw StoreError.damaged("watch \(id)'s probe template is unreadable")
            }
            let sface = try (row["sface_template"] as Data?).map { bytes in
                guard let template = FaceTemplate(bytes: bytes) else { throw StoreError.damaged("watch \(id)'s SFace template is unreadable") }
                return template
            }
            return WatchProbe(templates: FaceTemplates(dlib: dlib, sface: sface),
                              face: ProbeFace(jpeg: [UInt8](row["probe_jpeg"] as Data),
                                              landmarks: ProbeFace.landmarks(stored: row["probe_landmarks"])))
        }
    }

    public func renewWatch(_ id: WatchID, until: Date) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "UPDATE watch SET expires_at = ? WHERE id = ? AND ended_at IS NULL", arguments: [until, id])
            return db.changesCount > 0
        }
    }

    public func advanceWatch(_ id: WatchID, from: Int64, to: Int64, matchEntry: Int64?) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: """
                UPDATE watch SET cursor = ?, match_count = match_count + ?, last_match_entry = COALESCE(?, last_match_entry)
                WHERE id = ? AND cursor = ? AND ended_at IS NULL
                """, arguments: [to, matchEntry == nil ? 0 : 1, matchEntry, id, from])
            return db.changesCount > 0
        }
    }

    public func endWatch(_ id: WatchID, at: Date, reason: String) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "\(Self.endingWatches) WHERE id = ? AND ended_at IS NULL", arguments: [at, reason, id])
            return db.changesCount > 0
        }
    }

    public func endWatches(ofCase id: CaseID, at: Date, reason: String) async throws -> [WatchID] {
        try await database.write { db in
            let open = try Int64.fetchAll(db, sql: "SELECT id FROM watch WHERE case_id = ? AND ended_at IS NULL", arguments: [id])
            try db.execute(sql: "\(Self.endingWatches) WHERE case_id = ? AND ended_at IS NULL", arguments: [at, reason, id])
            return open
        }
    }

    /// Ending a watch deletes its probe: the templates and the face are held only while it is open.
    private static let endingWatches = """
        UPDATE watch SET ended_at = ?, end_reason = ?, dlib_template = NULL, sface_template = NULL, probe_jpeg = NULL,
                         probe_landmarks = NULL
        """

    static func watch(_ row: Row) -> Watch {
        Watch(id: row["id"], organization: row["organization_id"], caseID: row["case_id"], owner: row["owner_id"],
              searchEntry: row["search_entry"], probeSHA256: row["probe_sha256"], openedAt: row["opened_at"],
              expiresAt: row["expires_at"], cursor: row["cursor"], matchCount: row["match_count"],
              lastMatchEntry: row["last_match_entry"], endedAt: row["ended_at"], endReason: row["end_reason"])
    }
}
