import Foundation
import Hummingbird
import LikenessGovernance
import LikenessStore

/// `/api/v1/searches/{search}/candidates/{face}/reviews`: examiners' comparisons of a search's
/// candidate with its probe, blind to each other's until their own is saved.
struct ReviewsAPIController {
    let services: ServerServices

    var reviews: Reviews { services.reviews }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("reviews/awaiting", use: awaiting)
            .get("searches/:search/candidates/:face/reviews", use: list)
            .post("searches/:search/candidates/:face/reviews", use: review)
    }

    @Sendable func awaiting(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.reviewCandidates)
        return try Response.json(AwaitingReviewsResponse(try await reviews.awaiting(caller: caller)))
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCases)
        let found = try await reviews.reviews(search: try context.id("search"), face: try context.id("face"), caller: caller)
        return try Response.json(CandidateReviewsResponse(found))
    }

    struct ComparisonBody: Decodable {
        var features: [String: String]?
        var notes: String?
        var conclusion: String?
    }

    @Sendable func review(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.reviewCandidates)
        let (search, face) = (try context.id("search"), try context.id("face"))
        _ = try await reviews.reviews(search: search, face: face, caller: caller)  // another organisation's search is not found, whatever the body
        let body = try await request.decodeJSON(ComparisonBody.self)
        let findings: Reviews.Findings
        do {
            findings = try Reviews.Findings(features: body.features, notes: body.notes, conclusion: body.conclusion)
        } catch { throw GovernanceError.invalid(error) }
        let saved = try await reviews.review(search: search, face: face, findings, caller: caller)
        return try Response.json(CandidateReviewsResponse(saved), status: .created)
    }
}
