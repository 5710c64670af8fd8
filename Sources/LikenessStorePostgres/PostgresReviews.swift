import Foundation
import LikenessCore
import LikenessStore
import PostgresNIO

/// Examiners' reviews of search candidates.
extension PostgresGalleryStore {
    public func addReview(_ new: NewCandidateReview) async throws -> CandidateReview? {
        try await rows("""
            INSERT INTO candidate_review (organization_id, search_entry, face_id, reviewer_id, features, notes, conclusion,
                                          reviewed_at, audit_entry)
            VALUES (\(new.organization), \(new.search), \(new.face), \(new.reviewer), \(CandidateReview.encode(new.features)),
                    \(new.notes), \(new.conclusion.rawValue), \(new.reviewedAt), \(new.auditEntry))
            ON CONFLICT (search_entry, face_id, reviewer_id) DO NOTHING
            RETURNING *
            """).first.map(Self.review)
    }

    public func reviews(ofSearch search: Int64, face: FaceID) async throws -> [CandidateReview] {
        try await rows("SELECT * FROM candidate_review WHERE search_entry = \(search) AND face_id = \(face) ORDER BY id").map(Self.review)
    }

    public func reviews(ofSearch search: Int64) async throws -> [CandidateReview] {
        try await rows("SELECT * FROM candidate_review WHERE search_entry = \(search) ORDER BY id").map(Self.review)
    }

    public func reviews(in organization: OrganizationID) async throws -> [CandidateReview] {
        try await rows("SELECT * FROM candidate_review WHERE organization_id = \(organization) ORDER BY id").map(Self.review)
    }

    static func review(_ row: PostgresRandomAccessRow) throws -> CandidateReview {
        let id: Int64 = try row.value("id")
        guard let features = CandidateReview.decodeFeatures(try row.value("features")),
              let conclusion = CandidateReview.Conclusion(rawValue: try row.value("conclusion")) else {
            throw StoreError.damaged("candidate review \(id) is unreadable")
        }
        return CandidateReview(id: id, organization: try row.value("organization_id"), search: try row.value("search_entry"),
                               face: try row.value("face_id"), reviewer: try row.value("reviewer_id"), features: features,
                               notes: try row.value("notes"), conclusion: conclusion, reviewedAt: try row.value("reviewed_at"),
                               auditEntry: try row.value("audit_entry"))
    }
}
