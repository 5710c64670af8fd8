import Foundation
import Hummingbird
import LikenessGovernance
import LikenessStore

/// `/cases`: the organisation's cases, the form that opens one, and, for supervisors, the forms
/// that record the authority's decision; the lead investigator or a supervisor closes a case.
struct CasesWebController {
    let services: ServerServices

    var cases: Cases { services.cases }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("cases", use: list)
            .post("cases", use: open)
            .post("cases/:id/authorisation", use: authorise)
            .post("cases/:id/close", use: close)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCases)
        let all = try await cases.list(status: nil, caller: caller)
        let organization = try await context.organization(in: services.governance)
        var leads: [AccountID: String] = [:]
        for account in try await services.governance.accounts(in: organization.id) { leads[account.id] = account.username }
        let supervises = caller.account.role.allows(.superviseCases)
        let rows: [[String: Any]] = all.map { c in
            var row: [String: Any] = [
                "id": c.id, "number": c.number, "title": c.title, "offence": c.offence ?? "", "status": c.status.rawValue,
                "lead": leads[c.leadInvestigator] ?? "#\(c.leadInvestigator)", "opened": Self.day(c.openedAt),
                "may_close": c.status == .open && (supervises || c.leadInvestigator == caller.account.id),
                "may_decide": supervises && c.status == .open && c.authorisation == nil,
            ]
            // Only when set: the template's section shows for any value it is given, "" too.
            if let reason = c.blockedReason { row["blocked"] = reason }
            if let a = c.authorisation {
                row["authorisation"] = "\(a.decision.rawValue): \(a.authority), \(a.reference), \(Self.day(a.decidedAt))"
            }
            return row
        }
        return services.pages.render("cases", [
            "cases": rows, "empty": rows.isEmpty, "may_open": caller.account.role.allows(.openCases),
            "policy": organization.caseAuthorisation == .required
                ? "Your organisation requires the authority's decision before a case is searched."
                : "Your organisation allows urgent searches: the authority's decision is due within 48 hours of a case's first search.",
            "today": Self.day(Date()),
        ], caller: context.caller, csrf: context.csrfToken)
    }

    @Sendable func open(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await request.signedInForm(context)
        let opening: Cases.Opening
        do {
            opening = try Cases.Opening(number: form["number"], title: form["title"], offence: form["offence"], leadInvestigator: nil)
        } catch { throw GovernanceError.invalid(error) }
        _ = try await cases.open(opening, caller: caller)
        return .redirect(to: "/cases")
    }

    @Sendable func authorise(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await request.signedInForm(context)
        let id = try context.id()
        let decision: Cases.Decision
        do {
            decision = try Cases.Decision(decision: form["decision"], reference: form["reference"], authority: form["authority"],
                                          decidedAt: form["decided_at"].flatMap(Query.date))
        } catch { throw GovernanceError.invalid(error) }
        _ = try await cases.recordAuthorisation(of: id, decision, caller: caller)
        return .redirect(to: "/cases")
    }

    @Sendable func close(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, _) = try await request.signedInForm(context)
        _ = try await cases.close(try context.id(), caller: caller)
        return .redirect(to: "/cases")
    }

    static func day(_ date: Date) -> String { String(AuditEntry.timestamp(date).prefix(10)) }
}
