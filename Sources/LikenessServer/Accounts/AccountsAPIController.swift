import Foundation
import Hummingbird
import LikenessCore
import LikenessGovernance
import LikenessStore

/// `/api/v1/accounts` and `/api/v1/api-keys`: an admin's view of the organisation's accounts
/// (approving, roles, trials), and each caller's own API keys.
struct AccountsAPIController {
    let services: ServerServices

    var accounts: Accounts { services.accounts }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("accounts", use: list)
            .patch("accounts/:id", use: change)
            .get("accounts/:id/training", use: listTraining)
            .post("accounts/:id/training", use: recordTraining)
            .get("api-keys", use: listKeys)
            .post("api-keys", use: createKey)
            .delete("api-keys/:id", use: revokeKey)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageAccounts)
        let all = try await services.governance.accounts(in: caller.account.organization)
        return try Response.json(AccountsResponse(all))
    }

    struct AccountChangeBody: Decodable {
        var role: Role?
        var status: Account.Status?
        var trialExpiresAt: Date?
        var trialSearchQuota: Int?
        var endTrial: Bool?
        enum CodingKeys: String, CodingKey {
            case role, status, trialExpiresAt = "trial_expires_at", trialSearchQuota = "trial_search_quota", endTrial = "end_trial"
        }
    }

    @Sendable func change(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageAccounts)
        let id = try context.id()
        _ = try await accounts.account(id, caller: caller)
        let body = try await request.decodeJSON(AccountChangeBody.self)
        let trial: (Date, Int)?
        switch (body.trialExpiresAt, body.trialSearchQuota) {
        case (let expiry?, let quota?): trial = (expiry, quota)
        case (nil, nil): trial = nil
        default:
            throw GovernanceError.invalid(FieldErrors("trial_expires_at", "give trial_expires_at and trial_search_quota together"))
        }
        let account = try await accounts.change(id, Accounts.Change(role: body.role, status: body.status, trial: trial,
                                                                    endTrial: body.endTrial ?? false), caller: caller)
        return try Response.json(AccountResponse(account))
    }

    @Sendable func listTraining(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageAccounts)
        let account = try await accounts.account(try context.id(), caller: caller)
        let organization = try await context.organization(in: services.governance)
        return try Response.json(TrainingRecordsResponse(try await services.governance.trainingRecords(of: account.id),
                                                         validityMonths: organization.trainingValidityMonths))
    }

    struct TrainingBody: Decodable {
        var course: String
        var completedOn: Date
        enum CodingKeys: String, CodingKey { case course, completedOn = "completed_on" }
    }

    @Sendable func recordTraining(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageAccounts)
        let account = try await accounts.account(try context.id(), caller: caller)
        let body = try await request.decodeJSON(TrainingBody.self)
        let record = try await services.training.record(course: body.course, completedOn: body.completedOn, for: account, caller: caller)
        let organization = try await context.organization(in: services.governance)
        return try Response.json(TrainingRecordResponse(record, validityMonths: organization.trainingValidityMonths), status: .created)
    }

    @Sendable func listKeys(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        return try Response.json(APIKeysResponse(try await services.governance.apiKeys(of: caller.account.id)))
    }

    struct KeyBody: Decodable { var label: String }

    @Sendable func createKey(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let body = try await request.decodeJSON(KeyBody.self)
        let (key, secret) = try await accounts.createAPIKey(label: body.label, caller: caller)
        return try Response.json(NewAPIKeyResponse(key, secret: secret), status: .created)
    }

    @Sendable func revokeKey(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        try await accounts.revokeAPIKey(try context.id(), caller: caller)
        return Response(status: .noContent)
    }
}
