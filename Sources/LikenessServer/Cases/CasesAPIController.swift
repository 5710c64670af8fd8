import Foundation
import Hummingbird
import LikenessGovernance
import LikenessStore

/// `/api/v1/cases`: the organisation's cases, their authorisation and closing.
struct CasesAPIController {
    let services: ServerServices

    var cases: Cases { services.cases }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("cases", use: list)
            .post("cases", use: open)
            .get("cases/:id", use: show)
            .post("cases/:id/authorisation", use: authorise)
            .post("cases/:id/close", use: close)
            // The same document as the page's: a report is HTML to print, whoever asks.
            .get("cases/:id/report", use: CasesWebController(services: services).report)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCases)
        var status: InvestigationCase.Status?
        if let text = Query.string(request, "status"), !text.isEmpty {
            guard let parsed = InvestigationCase.Status(rawValue: text) else {
                throw GovernanceError.invalid(FieldErrors("status", "open or closed"))
            }
            status = parsed
        }
        return try Response.json(CasesResponse(try await cases.list(status: status, caller: caller)))
    }

    struct OpeningBody: Decodable {
        var number: String?
        var title: String?
        var offence: String?
        var leadInvestigator: AccountID?
        enum CodingKeys: String, CodingKey { case number, title, offence, leadInvestigator = "lead_investigator" }
    }

    @Sendable func open(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.openCases)
        let body = try await request.decodeJSON(OpeningBody.self)
        let opening: Cases.Opening
        do {
            opening = try Cases.Opening(number: body.number, title: body.title, offence: body.offence,
                                        leadInvestigator: body.leadInvestigator)
        } catch { throw GovernanceError.invalid(error) }
        return try Response.json(CaseResponse(try await cases.open(opening, caller: caller)), status: .created)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCases)
        return try Response.json(CaseResponse(try await cases.get(try context.id(), caller: caller)))
    }

    struct DecisionBody: Decodable {
        var decision: String?
        var reference: String?
        var authority: String?
        var decidedAt: Date?
        enum CodingKeys: String, CodingKey { case decision, reference, authority, decidedAt = "decided_at" }
    }

    @Sendable func authorise(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.superviseCases)
        let id = try context.id()
        _ = try await cases.get(id, caller: caller)  // another organisation's case is not found, whatever the body
        let body = try await request.decodeJSON(DecisionBody.self)
        let decision: Cases.Decision
        do {
            decision = try Cases.Decision(decision: body.decision, reference: body.reference, authority: body.authority,
                                          decidedAt: body.decidedAt)
        } catch { throw GovernanceError.invalid(error) }
        return try Response.json(CaseResponse(try await cases.recordAuthorisation(of: id, decision, caller: caller)))
    }

    @Sendable func close(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.openCases)
        return try Response.json(CaseResponse(try await cases.close(try context.id(), caller: caller)))
    }
}
