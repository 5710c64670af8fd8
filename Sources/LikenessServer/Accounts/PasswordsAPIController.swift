import Foundation
import Hummingbird
import LikenessGovernance
import LikenessStore

/// `/api/v1/me/password` and `/api/v1/accounts/{id}/password`: one's own change (with the
/// current password; the only thing an account with a one-time password may do), and an admin's
/// reset of another account to a one-time password. Every change is audited and ends the
/// account's other sessions.
struct PasswordsAPIController {
    let services: ServerServices

    var accounts: Accounts { services.accounts }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .post("me/password", use: changeOwn)
            .post("accounts/:id/password", use: reset)
    }

    struct ChangeBody: Decodable {
        var currentPassword: String
        var newPassword: String
        enum CodingKeys: String, CodingKey { case currentPassword = "current_password", newPassword = "new_password" }
    }

    @Sendable func changeOwn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let body = try await request.decodeJSON(ChangeBody.self)
        try await accounts.changePassword(current: body.currentPassword, new: body.newPassword,
                                          keepingSession: context.sessionToken, caller: caller)
        return Response(status: .noContent)
    }

    @Sendable func reset(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageAccounts)
        let password = try await accounts.resetPassword(try context.id(), caller: caller)
        let account = try await accounts.account(try context.id(), caller: caller)
        return try Response.json(PasswordResetResponse(account: account, password: password))
    }
}
