import Foundation
import Hummingbird
import LikenessCore
import LikenessGovernance
import LikenessStore

/// The accounts page (with the organisation's settings, posted to `/settings`) and each user's
/// own API keys page.
struct AccountsWebController {
    let services: ServerServices

    var governance: any GovernanceStore { services.governance }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("accounts", use: list)
            .post("accounts/:id", use: change)
            .post("accounts/:id/training", use: recordTraining)
            .get("keys", use: keysPage)
            .post("keys", use: createKey)
            .post("keys/:id/revoke", use: revokeKey)
    }

    func page(_ template: String, _ values: [String: Any], _ context: AppRequestContext) -> Response {
        services.pages.render(template, values, caller: context.caller, csrf: context.csrfToken)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageAccounts)
        let all = try await governance.accounts(in: caller.account.organization)
        let organization = try await context.organization(in: governance)
        var training: [AccountID: String] = [:]
        for account in all {
            guard let newest = try await governance.trainingRecords(of: account.id).first else { continue }
            let until = Training.expiry(of: newest, months: organization.trainingValidityMonths)
            training[account.id] = "\(newest.course), \(AuditEntry.timestamp(newest.completedOn).prefix(10)); "
                + (until > Date() ? "valid until " : "expired ") + String(AuditEntry.timestamp(until).prefix(10))
        }
        return page("accounts", [
            "training_validity_months": organization.trainingValidityMonths,
            "organization": organization.name, "daily_search_limit": organization.dailySearchLimit,
            "jurisdictions": organization.jurisdictions?.joined(separator: " ") ?? "",
            "authorisation_required": organization.caseAuthorisation == .required,
            "accounts": all.map { a in
                ["id": a.id, "username": a.username, "display_name": a.displayName, "role": a.role.rawValue,
                 "status": a.status.rawValue, "pending": a.status == .pending, "is_self": a.id == caller.account.id,
                 "training": training[a.id] ?? "none recorded",
                 "trial": a.trialExpiresAt.map { "until \(AuditEntry.timestamp($0).prefix(10)), \(a.trialSearchQuota ?? 0) searches" } ?? "",
                 "roles": Role.allCases.map { ["value": $0.rawValue, "label": $0.label, "selected": $0 == a.role] }] as [String: Any]
            },
        ], context)
    }

    @Sendable func change(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await request.signedInForm(context)
        let id = try context.id()
        var change = Accounts.Change()
        change.role = try form["role"].map { value throws(GovernanceError) in
            guard let role = Role(rawValue: value) else { throw .invalid(FieldErrors("role", "unknown role")) }
            return role
        }
        change.status = try form["status"].map { value throws(GovernanceError) in
            guard let status = Account.Status(rawValue: value) else { throw .invalid(FieldErrors("status", "unknown status")) }
            return status
        }
        if let days = try form.integer("trial_days", in: 1...365) {
            let quota = try form.integer("trial_search_quota", in: 0...100_000) ?? 20
            change.trial = (Date().addingTimeInterval(Double(days) * 86_400), quota)
        }
        change.endTrial = form["end_trial"] == "1"
        _ = try await services.accounts.change(id, change, caller: caller)
        return .redirect(to: "/accounts")
    }

    @Sendable func recordTraining(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await request.signedInForm(context)
        let account = try await services.accounts.account(try context.id(), caller: caller)
        guard let completed = form["completed_on"].flatMap(Query.date) else {
            throw GovernanceError.invalid(FieldErrors("completed_on", "a date, YYYY-MM-DD"))
        }
        _ = try await services.training.record(course: form["course"] ?? "", completedOn: completed, for: account, caller: caller)
        return .redirect(to: "/accounts")
    }

    @Sendable func keysPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        return try await keys(caller, context, newKey: nil)
    }

    /// The caller's keys; a key just made is shown once, above them.
    func keys(_ caller: Accounts.Caller, _ context: AppRequestContext, newKey: String?) async throws -> Response {
        let keys = try await governance.apiKeys(of: caller.account.id)
        return page("keys", ["new_key": newKey ?? "", "keys": keys.map { k in
            ["id": k.id, "prefix": k.prefix, "label": k.label, "created": String(AuditEntry.timestamp(k.createdAt).prefix(10)),
             "revoked": k.revokedAt != nil] as [String: Any]
        }], context)
    }

    @Sendable func createKey(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await request.signedInForm(context)
        let (_, secret) = try await services.accounts.createAPIKey(label: form["label"] ?? "", caller: caller)
        return try await keys(caller, context, newKey: secret)
    }

    @Sendable func revokeKey(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, _) = try await request.signedInForm(context)
        try await services.accounts.revokeAPIKey(try context.id(), caller: caller)
        return .redirect(to: "/keys")
    }
}
