import Foundation
import LikenessGovernance
import LikenessStore
import Testing

/// What a candidate's reviews amount to, and what a comparison must say.
@Suite struct ReviewsTests {
    func review(_ reviewer: AccountID, _ conclusion: CandidateReview.Conclusion) -> CandidateReview {
        CandidateReview(id: reviewer, organization: 1, search: 1, face: 1, reviewer: reviewer, features: [:], notes: nil,
                        conclusion: conclusion, reviewedAt: Date(), auditEntry: reviewer)
    }

    @Test func aLeadNeedsTwoExaminersWhoAgreeAndADisputeTheThirds() {
        typealias Status = Reviews.LeadStatus
        #expect(Status([]) == .unreviewed)
        #expect(Status([review(1, .limitedSupportSame)]) == .awaitingVerification)
        #expect(Status([review(1, .inconclusive)]) == .excluded, "only support for the same person makes a lead")
        #expect(Status([review(1, .moderateSupportSame), review(2, .strongSupportSame)]) == .verified)
        #expect(Status([review(1, .moderateSupportSame), review(2, .inconclusive)]) == .disputed)
        #expect(Status([review(1, .moderateSupportSame), review(2, .inconclusive), review(3, .strongSupportSame)]) == .verified)
        #expect(Status([review(1, .strongSupportSame), review(2, .limitedSupportDifferent), review(3, .strongSupportDifferent)]) == .excluded)
        #expect(Status.verified.isSettled && Status.excluded.isSettled)
        #expect(!Status.disputed.isSettled && !Status.awaitingVerification.isSettled && !Status.unreviewed.isSettled)
    }

    @Test func aComparisonObservesEveryFeatureAndConcludesOnTheScale() throws {
        let all = Dictionary(uniqueKeysWithValues: CandidateReview.Feature.allCases.map { ($0.rawValue, "similar") })
        let parsed = try Reviews.Findings(features: all, notes: "  ", conclusion: "strong_support_same")
        #expect(parsed.features.count == CandidateReview.Feature.allCases.count && parsed.notes == nil)
        #expect(parsed.conclusion.decision == .possibleLead)

        var partial = all
        partial["ears"] = nil
        partial["nose"] = "alike"
        do {
            _ = try Reviews.Findings(features: partial, notes: String(repeating: "x", count: 4_001), conclusion: "likely")
            Issue.record("an incomplete comparison was taken")
        } catch {
            let fields = Set(error.fields.map(\.field))
            #expect(fields == ["features", "features.nose", "notes", "conclusion"], "\(error)")
            #expect(error.fields.contains { $0.detail.contains("missing: ears") })
        }
    }
}
