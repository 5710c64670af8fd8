import HTTPTypes
import Hummingbird
import LikenessGovernance

/// On the API's routes, an unsafe call made with the session cookie must echo the session's
/// CSRF token in `X-CSRF-Token`. It sits on the `/api/v1` route group, so it runs for every
/// route the router matches there however the path is spelt (`//api/v1/…` included), which
/// a test of the path's text did not.
struct CookieCSRFMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if case .session = context.credential, ![.get, .head, .options].contains(request.method),
           request.headers[.csrfToken] != context.csrfToken {
            throw GovernanceError.forbidden("missing or wrong X-CSRF-Token header for a cookie-authenticated request")
        }
        return try await next(request, context)
    }
}
