import Foundation
import Hummingbird
import LikenessGovernance
import LikenessStore

/// `/searches/{search}/candidates/{face}`: the comparison view, the probe face and the
/// candidate's side by side, eye to eye, with the examiner's review form beside them.
struct ReviewsWebController {
    let services: ServerServices

    var reviews: Reviews { services.reviews }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("searches/:search/candidates/:face", use: compare)
            .post("searches/:search/candidates/:face/reviews", use: review)
    }

    @Sendable func compare(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.reviewCandidates)
        let (search, face) = (try context.id("search"), try context.id("face"))
        let comparison = try await reviews.comparison(search: search, face: face, caller: caller)
        let listed = comparison.reviews
        let organization = try await context.organization(in: services.governance)
        var usernames: [AccountID: String] = [:]
        for account in try await services.governance.accounts(in: organization.id) { usernames[account.id] = account.username }
        var values: [String: Any] = [
            "search": search, "face": face, "case_number": listed.caseNumber, "case_id": comparison.caseID,
            "status": listed.status.rawValue, "status_label": Self.label(listed.status),
            "band": comparison.band, "band_meaning": Self.bandMeaning(comparison.band),
            "distance": String(format: "%.3f", comparison.distance),
            "reviews": listed.visible.map { review in
                [
                    "reviewer": usernames[review.reviewer] ?? "#\(review.reviewer)", "at": AuditEntry.timestamp(review.reviewedAt),
                    "conclusion": Self.words(review.conclusion.rawValue), "decision": Self.words(review.decision.rawValue),
                    "notes": review.notes ?? "", "audit_entry": review.auditEntry,
                    "features": CandidateReview.Feature.allCases.map { feature in
                        ["feature": Self.label(feature), "observation": Self.words(review.features[feature]?.rawValue ?? "-")]
                    },
                ] as [String: Any]
            },
            "withheld": listed.withheld, "has_withheld": listed.withheld > 0,
            "may_review": comparison.mayReview,
            "features": CandidateReview.Feature.allCases.map { ["name": $0.rawValue, "label": Self.label($0)] },
            "conclusions": CandidateReview.Conclusion.allCases.map { ["value": $0.rawValue, "label": Self.words($0.rawValue)] },
        ]
        if listed.status == .verified { values["verified_notice"] = CandidateReviewsResponse.verifiedLeadNotice }
        if let probe = comparison.probe { values["probe"] = Self.figure(probe) }
        if let candidate = comparison.candidate { values["candidate"] = Self.figure(candidate) }
        if let details = comparison.details, let source = comparison.sourceImage {
            values["source_image"] = [
                "jpeg": Data(source.jpeg).base64EncodedString(), "width": source.width, "height": source.height,
                "left": details.box.left, "top": details.box.top, "box_width": details.box.width, "box_height": details.box.height,
            ] as [String: Any]
        }
        if let details = comparison.details {
            var provenance: [String: Any] = ["location": VideoAppearance.place(details.origin, details.video), "collection": details.collection]
            if let source = details.origin.sourceURL { provenance["source_url"] = source }
            if let caption = details.origin.caption { provenance["caption"] = caption }
            if let date = details.origin.date { provenance["date"] = date }
            if let collection = comparison.collection {
                provenance["collection_source"] = collection.source
                provenance["lawful_basis"] = collection.lawfulBasis
                provenance["jurisdiction"] = collection.jurisdiction
                provenance["retention"] = collection.retentionDays.map { "\($0) days" } ?? "no limit set"
            }
            values["provenance"] = provenance
        }
        return services.pages.render("comparison", values, caller: context.caller, csrf: context.csrfToken)
    }

    @Sendable func review(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await request.signedInForm(context)
        let (search, face) = (try context.id("search"), try context.id("face"))
        var features: [String: String] = [:]
        for feature in CandidateReview.Feature.allCases {
            if let value = form["feature_\(feature.rawValue)"] { features[feature.rawValue] = value }
        }
        let findings: Reviews.Findings
        do {
            findings = try Reviews.Findings(features: features, notes: form["notes"], conclusion: form["conclusion"])
        } catch { throw GovernanceError.invalid(error) }
        _ = try await reviews.review(search: search, face: face, findings, caller: caller)
        return .redirect(to: "/searches/\(search)/candidates/\(face)")
    }

    /// A chip as the template draws it: the JPEG inline (it opens only through this audited
    /// view) and its landmarks as points on the chip's 150 px grid.
    static func figure(_ face: ProbeFace) -> [String: Any] {
        [
            "jpeg": Data(face.jpeg).base64EncodedString(),
            "points": stride(from: 0, to: face.landmarks.count - 1, by: 2).map {
                ["x": String(format: "%.1f", face.landmarks[$0]), "y": String(format: "%.1f", face.landmarks[$0 + 1])]
            },
        ]
    }

    static func label(_ status: Reviews.LeadStatus) -> String {
        switch status {
        case .unreviewed: "not reviewed"
        case .excluded: "excluded"
        case .awaitingVerification: "possible lead, awaiting a second examiner's blind review"
        case .verified: "verified lead"
        case .disputed: "disputed: the examiners disagree, a third review decides"
        }
    }

    static func label(_ feature: CandidateReview.Feature) -> String {
        switch feature {
        case .chinJaw: "chin and jaw"
        case .marks: "marks, scars, tattoos"
        default: words(feature.rawValue)
        }
    }

    /// What the band says of the chance that the candidate is someone else.
    static func bandMeaning(_ band: String) -> String {
        switch band {
        case "strong": "about 1 different-person pair in 10,000 scores this close, in calibration"
        case "possible": "about 1 different-person pair in 1,000 scores this close, in calibration"
        default: "a different person is likely"
        }
    }

    /// `strong_support_same` → "strong support same".
    static func words(_ value: String) -> String { value.replacingOccurrences(of: "_", with: " ") }
}
