import Foundation
import HTTPTypes
import Hummingbird
import LikenessCore
import LikenessGovernance
import LikenessStore

/// `/api/v1/audit`, `/alerts`, `/reports/transparency` and `/settings`: what supervisors read
/// (the audit log, each day's searches per user, alerts, the transparency report) and the
/// organisation's limits they set.
struct OversightAPIController {
    let services: ServerServices

    var governance: any GovernanceStore { services.governance }
    var audit: AuditLog { services.accounts.audit }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("audit", use: auditEntries)
            .get("audit/:id/thumbnail", use: auditThumbnail)
            .get("audit/daily-counts", use: dailyCounts)
            .get("alerts", use: alerts)
            .get("reports/transparency", use: transparency)
            .get("settings", use: settings)
            .put("settings", use: changeSettings)
    }

    @Sendable func auditEntries(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readAudit)
        let entries = try await governance.auditEntries(
            organization: caller.account.organization, from: try Query.date(request, "from"), to: try Query.date(request, "to"),
            after: Int64(try Query.integer(request, "after", in: 0...Int.max) ?? 0),
            limit: try Query.integer(request, "limit", in: 1...1000) ?? 100)
        return try Response.json(AuditEntriesResponse(entries))
    }

    @Sendable func auditThumbnail(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readAudit)
        let id = try context.id()
        guard let thumbnail = try await governance.auditThumbnail(entry: id, organization: caller.account.organization) else {
            throw GovernanceError.notFound("no probe thumbnail for audit entry \(id) in your organisation")
        }
        guard let jpeg = thumbnail.jpeg else {
            throw HTTPError(.gone, message: "the thumbnail of audit entry \(id) was redacted when the face it showed was erased; "
                + "the log keeps its SHA-256, \(thumbnail.sha256)")
        }
        return Response.bytes(jpeg, contentType: "image/jpeg")
    }

    @Sendable func dailyCounts(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.require(.readAudit)
        let day = try Query.date(request, "day") ?? Date()
        let organization = try await context.organization(in: governance)
        let counts = try await audit.dailySearchCounts(organization: organization.id, day: day)
        return try Response.json(DailyCountsResponse(day: day, organization: organization, counts: counts))
    }

    @Sendable func alerts(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.require(.readAudit)
        let organization = try await context.organization(in: governance)
        let to = try Query.date(request, "to") ?? Date().addingTimeInterval(1)
        let from = try Query.date(request, "from") ?? to.addingTimeInterval(-30 * 86_400)
        let alerts = try await audit.alerts(organization: organization, from: from, to: to)
        return try Response.json(AlertsResponse(alerts))
    }

    @Sendable func transparency(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.require(.readReports)
        let organization = try await context.organization(in: governance)
        let thisMonth = String(AuditEntry.timestamp(Date()).prefix(7))
        let report = try await TransparencyReport.build(
            organization: organization, from: Query.string(request, "from") ?? thisMonth,
            to: Query.string(request, "to") ?? thisMonth, governance: governance, gallery: services.gallery.store)
        switch Query.string(request, "format") ?? "json" {
        case "csv":
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                                   .contentDisposition: "attachment; filename=\"transparency-\(report.from)-\(report.to).csv\""],
                            body: .init(byteBuffer: ByteBuffer(string: report.csv)))
        case "json":
            return try Response.json(report)
        default:
            throw GovernanceError.invalid(FieldErrors("format", "json or csv"))
        }
    }

    @Sendable func settings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let organization = try await context.organization(in: governance)
        return try Response.json(SettingsResponse(organization))
    }

    struct SettingsBody: Decodable {
        var dailySearchLimit: Int?
        /// ISO 3166 codes; an empty list allows any jurisdiction.
        var jurisdictions: [String]?
        var caseAuthorisation: CaseAuthorisationPolicy?
        var trainingValidityMonths: Int?
        enum CodingKeys: String, CodingKey {
            case dailySearchLimit = "daily_search_limit", jurisdictions, caseAuthorisation = "case_authorisation"
            case trainingValidityMonths = "training_validity_months"
        }
    }

    @Sendable func changeSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageSettings)
        let body = try await request.decodeJSON(SettingsBody.self)
        guard body.dailySearchLimit != nil || body.jurisdictions != nil || body.caseAuthorisation != nil
                || body.trainingValidityMonths != nil else {
            throw GovernanceError.invalid(FieldErrors(
                "body", "give daily_search_limit, jurisdictions, case_authorisation, training_validity_months or several"))
        }
        if let limit = body.dailySearchLimit {
            try await OrganizationSettings.setDailySearchLimit(limit, caller: caller, governance: governance, audit: audit)
        }
        if let codes = body.jurisdictions {
            try await OrganizationSettings.setJurisdictions(codes, caller: caller, governance: governance, audit: audit)
        }
        if let policy = body.caseAuthorisation {
            try await OrganizationSettings.setCaseAuthorisation(policy, caller: caller, governance: governance, audit: audit)
        }
        if let months = body.trainingValidityMonths {
            try await services.training.setValidity(months: months, caller: caller)
        }
        return try await settings(request, context: context)
    }
}
