import Foundation
import Hummingbird
import LikenessGovernance
import LikenessStore

/// `/api/v1/watches`: probes kept on watch for their cases (opened by a search with
/// `watch_days`), renewed with a reason or ended.
struct WatchesAPIController {
    let services: ServerServices

    var watches: Watches { services.search.watches }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("watches", use: list)
            .get("watches/:id", use: show)
            .post("watches/:id/renewal", use: renew)
            .post("watches/:id/end", use: end)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCases)
        var openOnly = true
        switch Query.string(request, "status") ?? "open" {
        case "open": openOnly = true
        case "all": openOnly = false
        default: throw GovernanceError.invalid(FieldErrors("status", "open or all"))
        }
        let caseID = try Query.integer(request, "case_id", in: 1...Int(Int32.max)).map(CaseID.init)
        return try Response.json(WatchesResponse(try await watches.list(caseID: caseID, openOnly: openOnly, caller: caller)))
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCases)
        return try Response.json(WatchResponse(try await watches.get(try context.id(), caller: caller)))
    }

    struct RenewalBody: Decodable {
        var days: Int?
        var reason: String?
    }

    @Sendable func renew(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCases)
        let id = try context.id()
        _ = try await watches.get(id, caller: caller)  // another organisation's watch is not found, whatever the body
        let body = try await request.decodeJSON(RenewalBody.self)
        return try Response.json(WatchResponse(try await watches.renew(id, days: body.days, reason: body.reason, caller: caller)))
    }

    @Sendable func end(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCases)
        return try Response.json(WatchResponse(try await watches.end(try context.id(), caller: caller)))
    }
}
