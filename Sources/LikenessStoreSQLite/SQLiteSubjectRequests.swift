import Foundation
import GRDB
import LikenessCore
import LikenessStore

/// Access and erasure requests from the public, with their identity checks and findings.
extension SQLiteGalleryStore {
    /// Every column but the selfie, which only `subjectRequestSelfie` reads.
    static let subjectRequestColumns = """
        id, organization_id, reference, kind, status, contact, suppression_consent, created_at, closed_at, decision,
        verification_method, verification_note, answer_to, verified_by, verified_by_name, verified_at
        """

    public func createSubjectRequest(_ new: NewSubjectRequest) async throws -> SubjectRequest {
        try await database.write { db in
            let now = Date()
            try db.execute(sql: """
                INSERT INTO subject_request (organization_id, reference, kind, status, selfie, contact, suppression_consent, created_at)
                VALUES (?, ?, ?, 'unverified', ?, ?, ?, ?)
                """, arguments: [new.organization, new.reference, new.kind.rawValue, Data(new.selfie), new.contact,
                                 new.suppressionConsent, now])
            return SubjectRequest(id: db.lastInsertedRowID, organization: new.organization, reference: new.reference, kind: new.kind,
                                  status: .unverified, contact: new.contact, suppressionConsent: new.suppressionConsent,
                                  createdAt: now, closedAt: nil, decision: nil, verification: nil)
        }
    }

    public func subjectRequests(of organization: OrganizationID, status: SubjectRequest.Status?) async throws -> [SubjectRequest] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.subjectRequestColumns) FROM subject_request
                WHERE organization_id = ?1 AND (?2 IS NULL OR status = ?2) ORDER BY id DESC
                """, arguments: [organization, status?.rawValue]).map(Self.subjectRequest)
        }
    }

    public func subjectRequest(_ id: Int64) async throws -> SubjectRequest? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.subjectRequestColumns) FROM subject_request WHERE id = ?", arguments: [id])
                .map(Self.subjectRequest)
        }
    }

    public func subjectRequestSelfie(_ id: Int64) async throws -> [UInt8]? {
        try await database.read { db in
            try Data.fetchOne(db, sql: "SELECT selfie FROM subject_request WHERE id = ?", arguments: [id]).map { [UInt8]($0) }
        }
    }

    public func verifySubjectRequest(_ id: Int64, verification v: IdentityVerification) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: """
                UPDATE subject_request SET status = 'verified', verification_method = ?, verification_note = ?, answer_to = ?,
                                           verified_by = ?, verified_by_name = ?, verified_at = ?
                WHERE id = ? AND status = 'unverified'
                """, arguments: [v.method.rawValue, v.note, v.answerTo, v.verifiedBy, v.verifiedByName, v.at, id])
            return db.changesCount > 0
        }
    }

    public func addSubjectFindings(_ findings: [SubjectFinding], to request: Int64) async throws {
        try await database.write { db in
            for f in findings {
                try db.execute(sql: """
                    INSERT OR IGNORE INTO subject_finding (request_id, face_id, distance, band, found_by, audit_entry_id)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [request, f.face, f.distance, f.band, f.foundBy, f.auditEntry])
            }
        }
    }

    public func subjectFindings(of request: Int64) async throws -> [SubjectFinding] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM subject_finding WHERE request_id = ? ORDER BY distance, face_id",
                             arguments: [request]).map { row in
                SubjectFinding(face: row["face_id"], distance: row["distance"], band: row["band"], foundBy: row["found_by"],
                               auditEntry: row["audit_entry_id"])
            }
        }
    }

    public func endSubjectRequest(_ id: Int64, status: SubjectRequest.Status, decision: String) async throws -> Bool {
        precondition(!status.isOpen, "a request ends closed, rejected or expired")
        return try await database.write { db in try Self.endSubjectRequest(id, status: status, decision: decision, db) }
    }

    /// Ends an open request in the caller's transaction (an erasure closes its request in its own).
    static func endSubjectRequest(_ id: Int64, status: SubjectRequest.Status, decision: String, _ db: Database) throws -> Bool {
        try db.execute(sql: """
            UPDATE subject_request SET status = ?, selfie = NULL, closed_at = ?, decision = ?
            WHERE id = ? AND status IN ('unverified', 'verified')
            """, arguments: [status.rawValue, Date(), decision, id])
        guard db.changesCount > 0 else { return false }
        try db.execute(sql: "DELETE FROM subject_finding WHERE request_id = ?", arguments: [id])
        return true
    }

    static func subjectRequest(_ row: Row) -> SubjectRequest {
        var verification: IdentityVerification?
        if let method = (row["verification_method"] as String?).flatMap(IdentityVerification.Method.init(rawValue:)) {
            verification = IdentityVerification(method: method, note: row["verification_note"] ?? "", answerTo: row["answer_to"] ?? "",
                                                verifiedBy: row["verified_by"] ?? 0, verifiedByName: row["verified_by_name"] ?? "",
                                                at: row["verified_at"] ?? Date.distantPast)
        }
        return SubjectRequest(id: row["id"], organization: row["organization_id"], reference: row["reference"],
                              kind: SubjectRequest.Kind(rawValue: row["kind"]) ?? .access,
                              status: SubjectRequest.Status(rawValue: row["status"]) ?? .closed, contact: row["contact"],
                              suppressionConsent: row["suppression_consent"], createdAt: row["created_at"],
                              closedAt: row["closed_at"], decision: row["decision"], verification: verification)
    }
}
