import Foundation
import HTTPTypes
import Hummingbird
import LikenessGovernance
import LikenessStore
import Mustache

/// Server-rendered pages: mustache templates and the two static files, from the bundle.
struct Pages: Sendable {
    let library: MustacheLibrary
    let stylesheet: [UInt8]
    let script: [UInt8]

    init() async throws {
        let resources = ServerResources.directory
        library = try await MustacheLibrary(directory: resources.appendingPathComponent("templates").path)
        stylesheet = [UInt8](try Data(contentsOf: resources.appendingPathComponent("static/app.css")))
        script = [UInt8](try Data(contentsOf: resources.appendingPathComponent("static/app.js")))
    }

    /// A page: the template with the layout's values (who is signed in, what they may do).
    func render(_ template: String, _ values: [String: Any], caller: Accounts.Caller?, csrf: String?,
                status: HTTPResponse.Status = .ok) -> Response {
        var context = values
        context["csrf_token"] = csrf ?? ""
        if let caller {
            let role = caller.account.role
            context["user"] = ["username": caller.account.username, "display_name": caller.account.displayName,
                               "role": role.label]
            context["can_search"] = role.allows(.search)
            context["can_collections"] = role.allows(.readCollections)
            context["can_manage_collections"] = role.allows(.manageCollections)
            context["can_accounts"] = role.allows(.manageAccounts)
            context["can_audit"] = role.allows(.readAudit)
            context["can_reports"] = role.allows(.readReports)
            context["can_requests"] = role.allows(.handleSubjectRequests)
            context["can_cases"] = role.allows(.readCases)
        }
        let html = library.render(context, withTemplate: template) ?? "template \(template) is missing"
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    func error(_ problem: Problem, caller: Accounts.Caller?, csrf: String?) -> Response {
        render("error", ["title": problem.title, "detail": problem.detail, "status": problem.status.code,
                         "fields": problem.fields.map { ["field": $0.field, "detail": $0.detail] }],
               caller: caller, csrf: csrf, status: problem.status)
    }
}

extension Pages {
    /// A page with a form used before sign-in: its CSRF token is a double-submit cookie.
    func preSession(_ template: String, _ values: [String: Any], request: Request, secure: Bool,
                    status: HTTPResponse.Status = .ok) -> Response {
        let token = request.cookies[SessionCookie.preSessionName]?.value ?? Secrets.token()
        var response = render(template, values, caller: nil, csrf: token, status: status)
        response.setCookie(SessionCookie.preSession(token, secure: secure))
        return response
    }
}
