import Foundation
import Hummingbird
import LikenessGovernance
import LikenessStore

/// `/api/v1/session`, `/signup` and `/me`: signing in and out with a session cookie, asking
/// for an account, and who the caller is.
struct SessionsAPIController {
    let services: ServerServices
    let configuration: ServerConfiguration

    var accounts: Accounts { services.accounts }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .post("session", use: signIn)
            .delete("session", use: signOut)
            .post("signup", use: signUp)
            .get("me", use: me)
    }

    struct SignInBody: Decodable { var username: String; var password: String }

    @Sendable func signIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(SignInBody.self)
        let (account, token, csrf) = try await accounts.signIn(username: body.username, password: body.password,
                                                               address: context.clientAddress)
        var response = try Response.json(SessionResponse(account: account, csrfToken: csrf))
        response.setCookie(SessionCookie.make(token, secure: configuration.servesHTTPS))
        return response
    }

    @Sendable func signOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        if let token = context.sessionToken { try await accounts.signOut(session: token, caller: caller) }
        var response = Response(status: .noContent)
        response.setCookie(SessionCookie.expired(secure: configuration.servesHTTPS))
        return response
    }

    struct SignUpBody: Decodable {
        var organization: String
        var username: String
        var displayName: String
        var password: String
        enum CodingKeys: String, CodingKey { case organization, username, displayName = "display_name", password }
    }

    @Sendable func signUp(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(SignUpBody.self)
        let account = try await accounts.signUp(organization: body.organization, username: body.username,
                                                displayName: body.displayName, password: body.password,
                                                address: context.clientAddress)
        return try Response.json(AccountResponse(account), status: .created)
    }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let organization = try await context.organization(in: services.governance)
        return try Response.json(CallerResponse(account: caller.account, organization: organization.name))
    }
}
