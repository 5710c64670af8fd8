import Foundation
import HTTPTypes
import Hummingbird
import LikenessGovernance

/// The sign-in, sign-up and sign-out pages. Their forms are posted before a session exists, so
/// their CSRF token is the pre-session cookie's.
struct SessionsWebController {
    let services: ServerServices
    let configuration: ServerConfiguration

    var pages: Pages { services.pages }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("login", use: loginPage)
            .post("login", use: login)
            .get("signup", use: signupPage)
            .post("signup", use: signup)
            .post("logout", use: logout)
    }

    func preSessionPage(_ template: String, _ values: [String: Any], request: Request, status: HTTPResponse.Status = .ok) -> Response {
        pages.preSession(template, values, request: request, secure: configuration.servesHTTPS, status: status)
    }

    @Sendable func loginPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        if context.caller != nil { return .redirect(to: "/") }
        return preSessionPage("login", [:], request: request)
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await request.form(limit: Limits.formBytes)
        try form.checkCSRF(expected: request.cookies[SessionCookie.preSessionName]?.value)
        do {
            let (_, token, _) = try await services.accounts.signIn(username: form["username"] ?? "", password: form["password"] ?? "",
                                                                   address: context.clientAddress)
            var response = Response.redirect(to: "/")
            response.setCookie(SessionCookie.make(token, secure: configuration.servesHTTPS))
            return response
        } catch let error as GovernanceError {
            let problem = Problem(error)
            return preSessionPage("login", ["error": problem.detail, "username": form["username"] ?? ""], request: request,
                                  status: problem.status)
        }
    }

    @Sendable func signupPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        preSessionPage("signup", [:], request: request)
    }

    @Sendable func signup(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await request.form(limit: Limits.formBytes)
        try form.checkCSRF(expected: request.cookies[SessionCookie.preSessionName]?.value)
        do {
            _ = try await services.accounts.signUp(organization: form["organization"] ?? "", username: form["username"] ?? "",
                                                   displayName: form["display_name"] ?? "", password: form["password"] ?? "",
                                                   address: context.clientAddress)
            return preSessionPage("signup", ["done": true], request: request)
        } catch let error as GovernanceError {
            let problem = Problem(error)
            return preSessionPage("signup", ["error": problem.detail, "fields": problem.fields.map { ["field": $0.field, "detail": $0.detail] },
                                             "organization": form["organization"] ?? "", "username": form["username"] ?? "",
                                             "display_name": form["display_name"] ?? ""],
                                  request: request, status: problem.status)
        }
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, _) = try await request.signedInForm(context)
        if let token = context.sessionToken { try await services.accounts.signOut(session: token, caller: caller) }
        var response = Response.redirect(to: "/login")
        response.setCookie(SessionCookie.expired(secure: configuration.servesHTTPS))
        return response
    }
}
