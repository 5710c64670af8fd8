import Foundation
import LikenessCore
import LikenessStore
import PostgresNIO

/// Access and erasure requests from the public, with their identity checks and findings.
extension PostgresGalleryStore {
    /// Every column but the selfie, which only `subjectRequestSelfie` reads.
    static let subjectRequestColumns = """
        id, organization_id, reference, kind, status, contact, suppression_consent, created_at, closed_at, decision,
        verification_method, verification_note, answer_to, verified_by, verified_by_name, verified_at
        """

    public func createSubjectRequest(_ new: NewSubjectRequest) async throws -> SubjectRequest {
        try Self.subjectRequest(try await rows("""
            INSERT INTO subject_request (organization_id, reference, kind, status, selfie, contact, suppression_consent)
            VALUES (\(new.organization), \(new.reference), \(new.kind.rawValue), 'unverified', \(ByteBuffer(bytes: new.selfie)),
                    \(new.contact), \(new.suppressionConsent))
            RETURNING \(unescaped: Self.subjectRequestColumns)
            """)[0])
    }

    public func subjectRequests(of organization: OrganizationID, status: SubjectRequest.Status?) async throws -> [SubjectRequest] {
        try await rows("""
            SELECT \(unescaped: Self.subjectRequestColumns) FROM subject_request
            WHERE organization_id = \(organization) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
            ORDER BY id DESC
            """).map(Self.subjectRequest)
    }

    public func subjectRequest(_ id: Int64) async throws -> SubjectRequest? {
        try await rows("SELECT \(unescaped: Self.subjectRequestColumns) FROM subject_request WHERE id = \(id)").first
            .map(Self.subjectRequest)
    }

    public func subjectRequestSelfie(_ id: Int64) async throws -> [UInt8]? {
        try await rows("SELECT selfie FROM subject_request WHERE id = \(id)").first?
            .value("selfie", as: ByteBuffer?.self).map { Array($0.readableBytesView) }
    }

    public func verifySubjectRequest(_ id: Int64, verification v: IdentityVerification) async throws -> Bool {
        try await !rows("""
            UPDATE subject_request SET status = 'verified', verification_method = \(v.method.rawValue), verification_note = \(v.note),
                   answer_to = \(v.answerTo), verified_by = \(v.verifiedBy), verified_by_name = \(v.verifiedByName), verified_at = \(v.at)
            WHERE id = \(id) AND status = 'unverified'
            RETURNING id
            """).isEmpty
    }

    public func addSubjectFindings(_ findings: [SubjectFinding], to request: Int64) async throws {
        guard !findings.isEmpty else { return }
        try await transaction { connection in
            for f in findings {
                try await connection.run("""
                    INSERT INTO subject_finding (request_id, face_id, distance, band, found_by, audit_entry_id)
                    VALUES (\(request), \(f.face), \(f.distance), \(f.band), \(f.foundBy), \(f.auditEntry))
                    ON CONFLICT (request_id, face_id) DO NOTHING
                    """)
            }
        }
    }

    public func subjectFindings(of request: Int64) async throws -> [SubjectFinding] {
        try await rows("SELECT * FROM subject_finding WHERE request_id = \(request) ORDER BY distance, face_id").map { row in
            SubjectFinding(face: try row.value("face_id"), distance: try row.value("distance"), band: try row.value("band"),
                           foundBy: try row.value("found_by"), auditEntry: try row.value("audit_entry_id"))
        }
    }

    public func endSubjectRequest(_ id: Int64, status: SubjectRequest.Status, decision: String) async throws -> Bool {
        precondition(!status.isOpen, "a request ends closed, rejected or expired")
        // The selfie's old row version lingers until VACUUM: `checkpoint()` removes it.
        return try await transaction { connection in try await Self.endSubjectRequest(id, status: status, decision: decision, on: connection) }
    }

    /// Ends an open request in the caller's transaction (an erasure closes its request in its own).
    static func endSubjectRequest(_ id: Int64, status: SubjectRequest.Status, decision: String,
                                  on connection: PostgresConnection) async throws -> Bool {
        let ended = try await connection.rows("""
            UPDATE subject_request SET status = \(status.rawValue), selfie = NULL, closed_at = now(), decision = \(decision)
            WHERE id = \(id) AND status IN ('unverified', 'verified')
            RETURNING id
            """)
        guard !ended.isEmpty else { return false }
        try await connection.run("DELETE FROM subject_finding WHERE request_id = \(id)")
        return true
    }

    static func subjectRequest(_ row: PostgresRandomAccessRow) throws -> SubjectRequest {
        var verification: IdentityVerification?
        if let method = try row.value("verification_method", as: String?.self).flatMap(IdentityVerification.Method.init(rawValue:)) {
            verification = IdentityVerification(
                method: method, note: try row.value("verification_note", as: String?.self) ?? "",
                answerTo: try row.value("answer_to", as: String?.self) ?? "", verifiedBy: try row.value("verified_by", as: Int64?.self) ?? 0,
                verifiedByName: try row.value("verified_by_name", as: String?.self) ?? "",
                at: try row.value("verified_at", as: Date?.self) ?? .distantPast)
        }
        return SubjectRequest(id: try row.value("id"), organization: try row.value("organization_id"), reference: try row.value("reference"),
                              kind: SubjectRequest.Kind(rawValue: try row.value("kind")) ?? .access,
                              status: SubjectRequest.Status(rawValue: try row.value("status")) ?? .closed,
                              contact: try row.value("contact"), suppressionConsent: try row.value("suppression_consent"),
                              createdAt: try row.value("created_at"), closedAt: try row.value("closed_at"),
                              decision: try row.value("decision"), verification: verification)
    }
}
