import Foundation
import Hummingbird
import LikenessGovernance
import LikenessStore

/// `/watches`: the case page's forms that renew a watch, with a reason, or end it.
struct WatchesWebController {
    let services: ServerServices

    var watches: Watches { services.search.watches }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .post("watches/:id/renewal", use: renew)
            .post("watches/:id/end", use: end)
    }

    @Sendable func renew(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await request.signedInForm(context)
        let watch = try await watches.renew(try context.id(), days: try form.integer("days", in: 1...Watches.longestDays),
                                            reason: form["reason"], caller: caller)
        return .redirect(to: "/cases/\(watch.caseID)#watches")
    }

    @Sendable func end(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, _) = try await request.signedInForm(context)
        let watch = try await watches.end(try context.id(), caller: caller)
        return .redirect(to: "/cases/\(watch.caseID)#watches")
    }
}
