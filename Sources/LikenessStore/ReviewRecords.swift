import Foundation
import LikenessCore

public typealias ReviewID = Int64

/// An examiner's comparison of one candidate of a search with the search's probe, after
/// FISWG's facial comparison practice: feature by feature, then a conclusion on a fixed scale.
/// A candidate becomes a verified lead only through two such records by different people
/// (EU AI Act Art. 14(5)); `Reviews` decides what the records of a candidate amount to.
public struct CandidateReview: Sendable, Codable, Hashable {
    /// The features compared, as FISWG's feature list names them.
    public enum Feature: String, Sendable, Codable, CaseIterable {
        case faceShape = "face_shape", hairline, forehead, eyebrows, eyes, nose, ears, mouth
        case chinJaw = "chin_jaw"
        case marks = "marks_scars_tattoos"
    }

    public enum Observation: String, Sendable, Codable, CaseIterable {
        case similar, dissimilar
        case notVisible = "not_visible"
    }

    /// How strongly the comparison supports the same or different people (the ENFSI scale,
    /// without numbers: a face comparison gives no likelihood ratio).
    public enum Conclusion: String, Sendable, Codable, CaseIterable {
        case strongSupportDifferent = "strong_support_different"
        case moderateSupportDifferent = "moderate_support_different"
        case limitedSupportDifferent = "limited_support_different"
        case inconclusive
        case limitedSupportSame = "limited_support_same"
        case moderateSupportSame = "moderate_support_same"
        case strongSupportSame = "strong_support_same"

        /// What the conclusion makes of the candidate: a lead only when it supports the same person.
        public var decision: Decision {
            switch self {
            case .limitedSupportSame, .moderateSupportSame, .strongSupportSame: .possibleLead
            default: .excluded
            }
        }
    }

    public enum Decision: String, Sendable, Codable, CaseIterable {
        case excluded
        case possibleLead = "possible_lead"
    }

    public var id: ReviewID
    public var organization: OrganizationID
    /// The search, by its audit entry.
    public var search: Int64
    public var face: FaceID
    public var reviewer: AccountID
    public var features: [Feature: Observation]
    public var notes: String?
    public var conclusion: Conclusion
    public var reviewedAt: Date
    /// The audit entry that records it.
    public var auditEntry: Int64

    public var decision: Decision { conclusion.decision }

    public init(id: ReviewID, organization: OrganizationID, search: Int64, face: FaceID, reviewer: AccountID,
                features: [Feature: Observation], notes: String?, conclusion: Conclusion, reviewedAt: Date, auditEntry: Int64) {
        self.id = id
        self.organization = organization
        self.search = search
        self.face = face
        self.reviewer = reviewer
        self.features = features
        self.notes = notes
        self.conclusion = conclusion
        self.reviewedAt = reviewedAt
        self.auditEntry = auditEntry
    }

    /// The features as stored: a JSON object of feature → observation, keys sorted.
    public static func encode(_ features: [Feature: Observation]) -> String {
        let object = Dictionary(uniqueKeysWithValues: features.map { ($0.key.rawValue, $0.value.rawValue) })
        // Strings only: serialising them cannot fail.
        return String(decoding: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }

    /// The features from their stored form; nil when it is not one.
    public static func decodeFeatures(_ text: String) -> [Feature: Observation]? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String] else { return nil }
        var features: [Feature: Observation] = [:]
        for (key, value) in object {
            guard let feature = Feature(rawValue: key), let observation = Observation(rawValue: value) else { return nil }
            features[feature] = observation
        }
        return features
    }
}

public struct NewCandidateReview: Sendable {
    public var organization: OrganizationID
    public var search: Int64
    public var face: FaceID
    public var reviewer: AccountID
    public var features: [CandidateReview.Feature: CandidateReview.Observation]
    public var notes: String?
    public var conclusion: CandidateReview.Conclusion
    public var reviewedAt: Date
    public var auditEntry: Int64

    public init(organization: OrganizationID, search: Int64, face: FaceID, reviewer: AccountID,
                features: [CandidateReview.Feature: CandidateReview.Observation], notes: String?,
                conclusion: CandidateReview.Conclusion, reviewedAt: Date, auditEntry: Int64) {
        self.organization = organization
        self.search = search
        self.face = face
        self.reviewer = reviewer
        self.features = features
        self.notes = notes
        self.conclusion = conclusion
        self.reviewedAt = reviewedAt
        self.auditEntry = auditEntry
    }
}

/// Where candidate reviews are kept: part of every governance store.
public protocol ReviewStore: Sendable {
    /// The saved review; nil when its reviewer has reviewed that candidate of that search already.
    func addReview(_ new: NewCandidateReview) async throws -> CandidateReview?
    /// The reviews of one candidate of a search, oldest first.
    func reviews(ofSearch search: Int64, face: FaceID) async throws -> [CandidateReview]
    /// Every review of a search's candidates, oldest first.
    func reviews(ofSearch search: Int64) async throws -> [CandidateReview]
    /// Every review of the organisation's candidates, oldest first.
    func reviews(in organization: OrganizationID) async throws -> [CandidateReview]
}
