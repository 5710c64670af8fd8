import HTTPTypes
import Hummingbird
import LikenessGovernance

/// Finds the caller, if any, from an API key (`Authorization: Bearer lk_…`) or the session cookie. With
/// the cookie, an unsafe API call must echo the session's CSRF token in `X-CSRF-Token`
/// (`CookieCSRFMiddleware`, on the API's routes); web forms carry it as a field, which their
/// handlers check.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let accounts: Accounts

    static let sessionCookie = "likeness_session"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let authorization = request.headers[.authorization] {
            // A bad key is not refused here: public routes ignore it, and routes that need a
            // caller say why there is none.
            if authorization.hasPrefix("Bearer "), let account = try await accounts.account(apiKey: String(authorization.dropFirst(7))) {
                context.caller = Accounts.Caller(account: account, address: context.clientAddress)
                context.credential = .apiKey
            } else {
                context.credentialProblem = "the API key is not valid (revoked, or the account is not active)"
            }
        } else if let token = request.cookies[Self.sessionCookie]?.value,
                  let (account, csrf) = try await accounts.account(session: token) {
            context.caller = Accounts.Caller(account: account, address: context.clientAddress)
            context.credential = .session(token)
            context.csrfToken = csrf
        }
        if context.caller?.account.mustChangePassword == true,
           !Self.allowedBeforePasswordChange.contains(where: { $0 == (request.method, request.uri.path) }) {
            return try Self.passwordChangeFirst(request)
        }
        return try await next(request, context)
    }

    /// All that an account with a one-time password may do: choose its own, see who it is, or
    /// leave. Paths are matched whole, so any other spelling of them is refused too.
    static let allowedBeforePasswordChange: [(HTTPRequest.Method, String)] = [
        (.post, "/api/v1/me/password"), (.get, "/api/v1/me"), (.delete, "/api/v1/session"),
        (.get, "/password"), (.post, "/password"), (.post, "/logout"), (.get, "/static/app.css"), (.get, "/static/app.js"),
    ]

    static func passwordChangeFirst(_ request: Request) throws -> Response {
        guard request.isAPI else { return .redirect(to: "/password") }
        return try Problem(status: .forbidden, title: "Password change required",
                       detail: "this account has a one-time password: choose a new one with POST /api/v1/me/password "
                           + "(current_password, new_password) before anything else").response
    }
}
