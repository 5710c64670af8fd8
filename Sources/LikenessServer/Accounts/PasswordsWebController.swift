import Foundation
import HTTPTypes
import Hummingbird
import LikenessGovernance
import LikenessStore

/// The password page, where a user changes their own (and an account with a one-time password
/// must, before anything else), and an admin's reset of another account from the accounts page.
struct PasswordsWebController {
    let services: ServerServices

    var accounts: Accounts { services.accounts }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("password", use: passwordPage)
            .post("password", use: changeOwn)
            .post("accounts/:id/password", use: reset)
    }

    func page(_ values: [String: Any], _ context: AppRequestContext, status: HTTPResponse.Status = .ok) -> Response {
        var values = values
        values["must_change"] = context.caller?.account.mustChangePassword ?? false
        return services.pages.render("password", values, caller: context.caller, csrf: context.csrfToken, status: status)
    }

    @Sendable func passwordPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        _ = try context.requireCaller()
        return page([:], context)
    }

    @Sendable func changeOwn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await request.signedInForm(context)
        do {
            guard form["new_password"] == form["repeat_password"] else {
                throw GovernanceError.invalid(FieldErrors("repeat_password", "does not match the new password"))
            }
            try await accounts.changePassword(current: form["current_password"] ?? "", new: form["new_password"] ?? "",
                                              keepingSession: context.sessionToken, caller: caller)
            return .redirect(to: "/")
        } catch let error as GovernanceError {
            let problem = Problem(error)
            return page(["error": problem.detail], context, status: problem.status)
        }
    }

    @Sendable func reset(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, _) = try await request.signedInForm(context)
        let id = try context.id()
        let password = try await accounts.resetPassword(id, caller: caller)
        let account = try await accounts.account(id, caller: caller)
        return services.pages.render("password-reset", ["username": account.username, "password": password],
                                     caller: caller, csrf: context.csrfToken)
    }
}
