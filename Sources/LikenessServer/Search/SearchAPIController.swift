import Foundation
import HTTPTypes
import Hummingbird
import LikenessGovernance
import LikenessSearch
import LikenessStore

/// `/api/v1/searches`: a search with a probe photo or from a face already shown, each with its
/// case and purpose, and the caller's own history of them.
struct SearchAPIController {
    let services: ServerServices

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .post("searches", use: search)
            .post("searches/pivot", use: pivot)
            .get("searches", use: history)
    }

    @Sendable func search(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.search)
        let received = ContinuousClock.now
        let form = try await request.form(limit: Limits.probeBytes)
        var timings = SearchTimings()
        timings.record("upload", since: received)
        let justification = try SearchJustification(caseNumber: form["case_number"], purpose: form["purpose"],
                                                    purposeText: form["purpose_text"], offence: form["offence"])
        guard let photo = form.file("photo"), photo.content.readableBytes > 0 else {
            throw GovernanceError.invalid(FieldErrors("photo", "attach the probe photo as a file field named 'photo'"))
        }
        let outcome = try await services.search.search(
            photo: photo.bytes, face: try form.integer("face", in: 0...99), top: try form.integer("top", in: 1...100) ?? 10,
            watchDays: try form.integer("watch_days", in: 1...Watches.longestDays), justification: justification, caller: caller)
        timings.append(outcome.timings)
        var response = try timings.measure("response") { try Response.json(SearchResponse(outcome), status: .created) }
        response.headers[.serverTiming] = timings.serverTiming
        return response
    }

    struct PivotBody: Decodable {
        var faceID: Int64
        var caseNumber: String?
        var purpose: String?
        var purposeText: String?
        var offence: String?
        var top: Int?
        enum CodingKeys: String, CodingKey {
            case faceID = "face_id", caseNumber = "case_number", purpose, purposeText = "purpose_text", offence, top
        }
    }

    @Sendable func pivot(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.search)
        let body = try await request.decodeJSON(PivotBody.self)
        let justification = try SearchJustification(caseNumber: body.caseNumber, purpose: body.purpose,
                                                    purposeText: body.purposeText, offence: body.offence)
        let top = body.top ?? 10
        guard (1...100).contains(top) else { throw GovernanceError.invalid(FieldErrors("top", "an integer from 1 to 100")) }
        let outcome = try await services.search.search(fromFace: body.faceID, top: top, justification: justification,
                                                       caller: caller)
        return try Response.json(SearchResponse(outcome), status: .created)
    }

    @Sendable func history(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.search)
        let limit = try Query.integer(request, "limit", in: 1...1000) ?? 100
        let entries = try await services.governance.auditEntries(actor: caller.account.id, action: AuditLog.Action.search.rawValue,
                                                                 limit: limit)
        return try Response.json(SearchHistoryResponse(entries))
    }
}

extension HTTPField.Name {
    /// Where a search's time went (W3C Server Timing): stage names and milliseconds, no data.
    static let serverTiming = HTTPField.Name("Server-Timing")!
}
