import Foundation
import GRDB
import LikenessCore
import LikenessStore

/// Examiners' reviews of search candidates.
extension SQLiteGalleryStore {
    public func addReview(_ new: NewCandidateReview) async throws -> CandidateReview? {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO candidate_review (organization_id, search_entry, face_id, reviewer_id, features, notes, conclusion,
                                              reviewed_at, audit_entry)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (search_entry, face_id, reviewer_id) DO NOTHING
                """, arguments: [new.organization, new.search, new.face, new.reviewer, CandidateReview.encode(new.features), new.notes,
                                 new.conclusion.rawValue, new.reviewedAt, new.auditEntry])
            guard db.changesCount == 1 else { return nil }
            return CandidateReview(id: db.lastInsertedRowID, organization: new.organization, search: new.search, face: new.face,
                                   reviewer: new.reviewer, features: new.features, notes: new.notes, conclusion: new.conclusion,
                                   reviewedAt: new.reviewedAt, auditEntry: new.auditEntry)
        }
    }

    public func reviews(ofSearch search: Int64, face: FaceID) async throws -> [CandidateReview] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM candidate_review WHERE search_entry = ? AND face_id = ? ORDER BY id",
                             arguments: [search, face]).map(Self.review)
        }
    }

    public func reviews(ofSearch search: Int64) async throws -> [CandidateReview] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM candidate_review WHERE search_entry = ? ORDER BY id", arguments: [search])
                .map(Self.review)
        }
    }

    public func reviews(in organization: OrganizationID) async throws -> [CandidateReview] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM candidate_review WHERE organization_id = ? ORDER BY id", arguments: [organization])
                .map(Self.review)
        }
    }

    static func review(_ row: Row) throws -> CandidateReview {
        let text: String = row["features"], conclusion: String = row["conclusion"]
        guard let features = CandidateReview.decodeFeatures(text), let parsed = CandidateReview.Conclusion(rawValue: conclusion) else {
            throw StoreError.damaged("candidate review \(row["id"] as Int64) is unreadable")
        }
        return CandidateReview(id: row["id"], organization: row["organization_id"], search: row["search_entry"], face: row["face_id"],
                               reviewer: row["reviewer_id"], features: features, notes: row["notes"], conclusion: parsed,
                               reviewedAt: row["reviewed_at"], auditEntry: row["audit_entry"])
    }
}
