import Foundation
import LikenessCore
import LikenessStore
import PostgresNIO

/// Probes kept on watch for their cases.
extension PostgresGalleryStore {
    public func createWatch(_ new: NewWatch) async throws -> Watch {
        let sface = new.probe.templates.sface.map { ByteBuffer(bytes: $0.bytes) }
        // The cursor is read in the insert: a face logged after it is new to the watch. Writers
        // of the log hold its lock until they commit, so none can commit a lower sequence later.
        let row = try await rows("""
            INSERT INTO watch (organization_id, case_id, owner_id, search_entry, probe_sha256, opened_at, expires_at, cursor,
                               dlib_template, sface_template, probe_jpeg, probe_landmarks)
            SELECT \(new.organization), \(new.caseID), \(new.owner), \(new.searchEntry), \(new.probeSHA256), \(new.openedAt),
                   \(new.expiresAt), COALESCE(MAX(seq), 0), \(ByteBuffer(bytes: new.probe.templates.dlib.bytes)), \(sface),
                   \(ByteBuffer(bytes: new.probe.face.jpeg)), \(new.probe.face.storedLandmarks)
            FROM index_log
            RETURNING \(unescaped: Self.watchColumns)
            """)
        return try Self.watch(row[0])
    }

    public func watch(_ id: WatchID) async throws -> Watch? {
        try await rows("SELECT \(unescaped: Self.watchColumns) FROM watch WHERE id = \(id)").first.map(Self.watch)
    }

    public func watches(in organization: OrganizationID, openOnly: Bool) async throws -> [Watch] {
        try await rows("""
            SELECT \(unescaped: Self.watchColumns) FROM watch
            WHERE organization_id = \(organization) AND (NOT \(openOnly) OR ended_at IS NULL) ORDER BY id DESC
            """).map(Self.watch)
    }

    public func openWatches() async throws -> [Watch] {
        try await rows("SELECT \(unescaped: Self.watchColumns) FROM watch WHERE ended_at IS NULL ORDER BY id").map(Self.watch)
    }

    public func watchProbe(_ id: WatchID) async throws -> WatchProbe? {
        guard let row = try await rows("""
            SELECT dlib_template, sface_template, probe_jpeg, probe_landmarks FROM watch WHERE id = \(id) AND ended_at IS NULL
            """).first else { return nil }
        guard let dlib = FaceTemplate(bytes: try row.bytes("dlib_template")) else {
            throw StoreError.damaged("watch \(id)'s probe template is unreadable")
        }
        let sface = try row.value("sface_template", as: ByteBuffer?.self).map { bytes in
            guard let template = FaceTemplate(bytes: Array(bytes.readableBytesView)) else {
                throw StoreError.damaged("watch \(id)'s SFace template is unreadable")
            }
            return template
        }
        return WatchProbe(templates: FaceTemplates(dlib: dlib, sface: sface),
                          face: ProbeFace(jpeg: try row.bytes("probe_jpeg"), landmarks: ProbeFace.landmarks(stored: try row.value("probe_landmarks"))))
    }

    public func renewWatch(_ id: WatchID, until: Date) async throws -> Bool {
        !(try await rows("UPDATE watch SET expires_at = \(until) WHERE id = \(id) AND ended_at IS NULL RETURNING id").isEmpty)
    }

    public func advanceWatch(_ id: WatchID, from: Int64, to: Int64, matchEntry: Int64?) async throws -> Bool {
        !(try await rows("""
            UPDATE watch SET cursor = \(to), match_count = match_count + \(matchEntry == nil ? 0 : 1),
                             last_match_entry = COALESCE(\(matchEntry), last_match_entry)
            WHERE id = \(id) AND cursor = \(from) AND ended_at IS NULL
            RETURNING id
            """).isEmpty)
    }

    public func endWatch(_ id: WatchID, at: Date, reason: String) async throws -> Bool {
        !(try await rows("""
            UPDATE watch SET ended_at = \(at), end_reason = \(reason), dlib_template = NULL, sface_template = NULL,
                             probe_jpeg = NULL, probe_landmarks = NULL
            WHERE id = \(id) AND ended_at IS NULL
            RETURNING id
            """).isEmpty)
    }

    public func endWatches(ofCase id: CaseID, at: Date, reason: String) async throws -> [WatchID] {
        try await rows("""
            UPDATE watch SET ended_at = \(at), end_reason = \(reason), dlib_template = NULL, sface_template = NULL,
                             probe_jpeg = NULL, probe_landmarks = NULL
            WHERE case_id = \(id) AND ended_at IS NULL
            RETURNING id
            """).map { try $0.value("id") }
    }

    static let watchColumns = """
        id, organization_id, case_id, owner_id, search_entry, probe_sha256, opened_at, expires_at, cursor, match_count,
        last_match_entry, ended_at, end_reason
        """

    static func watch(_ row: PostgresRandomAccessRow) throws -> Watch {
        Watch(id: try row.value("id"), organization: try row.value("organization_id"), caseID: try row.value("case_id"),
              owner: try row.value("owner_id"), searchEntry: try row.value("search_entry"), probeSHA256: try row.value("probe_sha256"),
              openedAt: try row.value("opened_at"), expiresAt: try row.value("expires_at"), cursor: try row.value("cursor"),
              matchCount: Int(try row.value("match_count", as: Int32.self)), lastMatchEntry: try row.value("last_match_entry"),
              endedAt: try row.value("ended_at"), endReason: try row.value("end_reason"))
    }
}
