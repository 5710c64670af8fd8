import Foundation
import LikenessCore
import LikenessStore

/// A candidate's reviews as the caller may see them (the `CandidateReviews` schema).
public struct CandidateReviewsResponse: Encodable, Sendable {
    public struct Review: Encodable, Sendable {
        public var id: ReviewID
        public var reviewer: AccountID
        public var features: [String: String]
        @Nullable public var notes: String?
        public var conclusion: CandidateReview.Conclusion
        public var decision: CandidateReview.Decision
        public var reviewedAt: String
        public var auditEntry: Int64
    }

    public var search: Int64
    public var face: FaceID
    public var caseNumber: String
    public var status: Reviews.LeadStatus
    /// Oldest first; others' records only once the caller's own is saved or the candidate is settled.
    public var reviews: [Review]
    /// Records withheld from the caller until their own review is saved.
    public var withheld: Int
    /// What a verified lead is, and is not.
    @Nullable public var notice: String?

    /// Said of every verified lead, wherever it is shown.
    public static let verifiedLeadNotice =
        "An investigative lead, not an identification: it needs independent evidence before any action."

    public init(_ reviews: Reviews.CandidateReviews) {
        search = reviews.search
        face = reviews.face
        caseNumber = reviews.caseNumber
        status = reviews.status
        self.reviews = reviews.visible.map { review in
            Review(id: review.id, reviewer: review.reviewer,
                   features: Dictionary(uniqueKeysWithValues: review.features.map { ($0.key.rawValue, $0.value.rawValue) }),
                   notes: review.notes, conclusion: review.conclusion, decision: review.decision,
                   reviewedAt: AuditEntry.timestamp(review.reviewedAt), auditEntry: review.auditEntry)
        }
        withheld = reviews.withheld
        notice = reviews.status == .verified ? Self.verifiedLeadNotice : nil
    }
}

/// The candidates waiting for another examiner's review (the `AwaitingReviews` schema).
public struct AwaitingReviewsResponse: Encodable, Sendable {
    public struct Candidate: Encodable, Sendable {
        public var search: Int64
        public var face: FaceID
        public var caseNumber: String
        public var status: Reviews.LeadStatus
        /// When its latest review was saved.
        public var since: String
    }

    public var candidates: [Candidate]

    public init(_ awaiting: [Reviews.Awaiting]) {
        candidates = awaiting.map {
            Candidate(search: $0.search, face: $0.face, caseNumber: $0.caseNumber, status: $0.status, since: AuditEntry.timestamp($0.since))
        }
    }
}
