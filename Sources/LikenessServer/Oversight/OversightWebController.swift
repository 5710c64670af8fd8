import Foundation
import Hummingbird
import LikenessCore
import LikenessGovernance
import LikenessStore

/// The audit page (the day's searches per user, alerts, the latest entries), the transparency
/// report, and the organisation's settings form on the accounts page.
struct OversightWebController {
    let services: ServerServices

    var governance: any GovernanceStore { services.governance }
    var audit: AuditLog { services.accounts.audit }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("audit", use: auditPage)
            .get("reports/transparency", use: transparencyPage)
            .post("settings", use: changeSettings)
    }

    func page(_ template: String, _ values: [String: Any], _ context: AppRequestContext) -> Response {
        services.pages.render(template, values, caller: context.caller, csrf: context.csrfToken)
    }

    /// An audit entry as a row of the audit and history pages.
    static func auditRow(_ e: AuditEntry) -> [String: Any] {
        [
            "id": e.id, "at": String(e.at.prefix(19)).replacingOccurrences(of: "T", with: " "), "actor": e.entry.actor,
            "action": e.entry.action, "outcome": e.entry.outcome, "case_number": e.entry.caseNumber ?? "",
            "purpose": e.entry.purpose ?? "", "offence": e.entry.offence ?? "", "candidates": e.candidatesDeleted ? "deleted" : "\(e.entry.candidates.count)",
            "top_band": e.entry.candidates.first?.band ?? "", "detail": e.entry.detail ?? "",
            "client_address": e.entry.clientAddress ?? "", "thumbnail": e.hasThumbnail,
        ]
    }

    @Sendable func auditPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.require(.readAudit)
        let organization = try await context.organization(in: governance)
        let day = try Query.date(request, "day") ?? Date()
        let counts = try await audit.dailySearchCounts(organization: organization.id, day: day)
        let alerts = try await audit.alerts(organization: organization, from: Date().addingTimeInterval(-30 * 86_400),
                                            to: Date().addingTimeInterval(1))
        let entries = try await governance.latestAuditEntries(organization: organization.id, limit: 200)
        return page("audit", [
            "day": String(AuditEntry.timestamp(day).prefix(10)), "limit": organization.dailySearchLimit,
            "counts": counts.map { ["username": $0.username, "searches": $0.searches, "over": $0.searches > organization.dailySearchLimit] },
            "alerts": alerts.map { ["kind": $0.kind.rawValue, "username": $0.username, "day": $0.day, "entry": $0.auditEntry, "detail": $0.detail] },
            "no_alerts": alerts.isEmpty, "entries": entries.map(Self.auditRow),
        ], context)
    }

    @Sendable func transparencyPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.require(.readReports)
        let organization = try await context.organization(in: governance)
        let thisMonth = String(AuditEntry.timestamp(Date()).prefix(7))
        let from = Query.string(request, "from") ?? thisMonth
        let to = Query.string(request, "to") ?? thisMonth
        let report = try await TransparencyReport.build(organization: organization, from: from, to: to,
                                                        governance: governance, gallery: services.gallery.store)
        return page("transparency", [
            "organization": report.organization, "from": from, "to": to,
            "searches": report.searches.map { ["month": $0.month, "purpose": $0.purpose, "searches": $0.searches] },
            "no_searches": report.searches.isEmpty,
            "accounts": report.accounts.map { ["role": $0.role, "accounts": $0.accounts] },
            "collections": report.collections.map { ["collection": $0.collection, "jurisdiction": $0.jurisdiction,
                                                      "lawful_basis": $0.lawfulBasis, "images": $0.images, "faces": $0.faces] },
        ], context)
    }

    @Sendable func changeSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await request.signedInForm(context)
        guard let limit = try form.integer("daily_search_limit", in: 1...100_000) else {
            throw GovernanceError.invalid(FieldErrors("daily_search_limit", "required"))
        }
        try await OrganizationSettings.setDailySearchLimit(limit, caller: caller, governance: governance, audit: audit)
        let codes = (form["jurisdictions"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        try await OrganizationSettings.setJurisdictions(codes, caller: caller, governance: governance, audit: audit)
        if let months = try form.integer("training_validity_months", in: 1...60) {
            try await services.training.setValidity(months: months, caller: caller)
        }
        if let text = form["case_authorisation"] {
            guard let policy = CaseAuthorisationPolicy(rawValue: text) else {
                throw GovernanceError.invalid(FieldErrors("case_authorisation", "required or urgent"))
            }
            try await OrganizationSettings.setCaseAuthorisation(policy, caller: caller, governance: governance, audit: audit)
        }
        return .redirect(to: "/accounts")
    }
}
