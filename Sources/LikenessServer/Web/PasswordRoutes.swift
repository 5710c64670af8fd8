import Foundation
import HTTPTypes
import Hummingbird
import LikenessGovernance
import LikenessStore

/// Passwords: one's own change (with the current password; the only thing an account with a
/// one-time password may do), and an admin's reset of another account to a one-time password.
/// Both in the API and on the web; every change is audited and ends the account's other sessions.
struct PasswordRoutes {
    let services: ServerServices

    var accounts: Accounts { services.accounts }

    func registerAPI(on api: RouterGroup<AppRequestContext>) {
        api.post("me/password", use: changeOwnAPI)
        api.post("accounts/:id/password", use: resetAPI)
    }

    func registerWeb(on router: Router<AppRequestContext>) {
        router.get("password", use: passwordPage)
        router.post("password", use: changeOwnWeb)
        router.post("accounts/:id/password", use: resetWeb)
    }

    /// The session asking keeps going; any other session, or the asker's when it came with a key, ends.
    static func session(of context: AppRequestContext) -> String? {
        if case .session(let token) = context.credential { token } else { nil }
    }

    // MARK: API

    struct ChangeBody: Decodable {
        var currentPassword: String
        var newPassword: String
        enum CodingKeys: String, CodingKey { case currentPassword = "current_password", newPassword = "new_password" }
    }

    @Sendable func changeOwnAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let body = try await request.decodeJSON(ChangeBody.self)
        try await accounts.changePassword(current: body.currentPassword, new: body.newPassword,
                                          keepingSession: Self.session(of: context), caller: caller)
        return Response(status: .noContent)
    }

    @Sendable func resetAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageAccounts)
        let password = try await accounts.resetPassword(try context.id(), caller: caller)
        let account = try await accounts.account(try context.id(), caller: caller)
        return Response.json(["account": Views.account(account), "password": password])
    }

    // MARK: Web

    func page(_ values: [String: Any], _ context: AppRequestContext, status: HTTPResponse.Status = .ok) -> Response {
        var values = values
        values["must_change"] = context.caller?.account.mustChangePassword ?? false
        return services.pages.render("password", values, caller: context.caller, csrf: context.csrfToken, status: status)
    }

    @Sendable func passwordPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.requireCaller()
        return page([:], context)
    }

    @Sendable func changeOwnWeb(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let form = try await request.form(limit: Limits.formBytes)
        try form.checkCSRF(expected: context.csrfToken)
        do {
            guard form["new_password"] == form["repeat_password"] else {
                throw GovernanceError.invalid(FieldErrors("repeat_password", "does not match the new password"))
            }
            try await accounts.changePassword(current: form["current_password"] ?? "", new: form["new_password"] ?? "",
                                              keepingSession: Self.session(of: context), caller: caller)
            return .redirect(to: "/")
        } catch let error as GovernanceError {
            let problem = Problem(error)
            return page(["error": problem.detail], context, status: problem.status)
        }
    }

    @Sendable func resetWeb(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let form = try await request.form(limit: Limits.formBytes)
        try form.checkCSRF(expected: context.csrfToken)
        let id = try context.id()
        let password = try await accounts.resetPassword(id, caller: caller)
        let account = try await accounts.account(id, caller: caller)
        return services.pages.render("password-reset", ["username": account.username, "password": password],
                                     caller: caller, csrf: context.csrfToken)
    }
}
