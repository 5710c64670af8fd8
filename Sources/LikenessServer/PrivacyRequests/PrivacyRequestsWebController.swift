import Foundation
import HTTPTypes
import Hummingbird
import LikenessCore
import LikenessGovernance
import LikenessStore

/// Access and erasure requests: the public privacy page where anyone files one, and the
/// admins' queue. An admin first sees the selfie beside the request and records how they
/// checked the requester's identity (or rejects it); only then is the selfie looked up, once,
/// audited, and its findings kept for review.
struct PrivacyRequestsWebController {
    let services: ServerServices
    let configuration: ServerConfiguration

    var pages: Pages { services.pages }
    var requests: SubjectRequests { services.requests }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("o/:org/privacy", use: privacyPage)
            .post("o/:org/privacy", use: file)
            .get("requests", use: list)
            .get("requests/:id", use: show)
            .get("requests/:id/selfie", use: selfie)
            .post("requests/:id/verify", use: verify)
            .post("requests/:id/reject", use: reject)
            .post("requests/:id/widen", use: widen)
            .post("requests/:id/close", use: close)
    }

    // MARK: The public page

    /// The organisation's public privacy page: anyone may ask what is held about their face,
    /// or for its erasure, with a selfie. No account needed.
    @Sendable func privacyPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let name = context.parameters.get("org")?.removingPercentEncoding ?? ""
        guard try await services.governance.organization(named: name) != nil else {
            throw GovernanceError.notFound("no organisation named '\(name)'")
        }
        return pages.preSession("privacy", ["organization": name, "path": Self.privacyPath(name)], request: request,
                                secure: configuration.servesHTTPS)
    }

    /// The privacy page's path, the organisation's name encoded as one path segment.
    static func privacyPath(_ organization: String) -> String {
        var segment = CharacterSet.urlPathAllowed
        segment.remove("/")
        return "/o/\(organization.addingPercentEncoding(withAllowedCharacters: segment) ?? "")/privacy"
    }

    /// A hostile endpoint: the address is counted and the declared size checked before a byte
    /// of the body is read, and the body is capped as it is read.
    @Sendable func file(_ request: Request, context: AppRequestContext) async throws -> Response {
        let name = context.parameters.get("org")?.removingPercentEncoding ?? ""
        let values: [String: Any] = ["organization": name, "path": Self.privacyPath(name)]
        do {
            try await requests.admit(address: context.clientAddress)
            if let length = request.headers[.contentLength].flatMap(Int.init), length > Limits.selfieBytes {
                throw GovernanceError.invalid(FieldErrors("selfie", "larger than the limit of \(Limits.selfieBytes >> 20) MB"))
            }
            let form = try await request.form(limit: Limits.selfieBytes)
            try form.checkCSRF(expected: request.cookies[SessionCookie.preSessionName]?.value)
            let filed = try await requests.file(
                organization: name, kind: form["kind"], selfie: form.file("selfie")?.bytes, contact: form["contact"],
                suppressionConsent: form["suppression_consent"] == "yes", address: context.clientAddress)
            return pages.preSession("privacy", values.merging(["reference": filed.reference, "kind": filed.kind.rawValue]) { $1 },
                                    request: request, secure: configuration.servesHTTPS, status: .created)
        } catch let error as GovernanceError {
            let problem = Problem(error)
            var response = pages.preSession("privacy", values.merging(["error": problem.detail]) { $1 }, request: request,
                                            secure: configuration.servesHTTPS, status: problem.status)
            if let wait = problem.retryAfter { response.headers[.retryAfter] = String(wait) }
            return response
        }
    }

    // MARK: The admins' queue

    func page(_ template: String, _ values: [String: Any], _ context: AppRequestContext) -> Response {
        pages.render(template, values, caller: context.caller, csrf: context.csrfToken)
    }

    static func time(_ date: Date) -> String {
        String(AuditEntry.timestamp(date).prefix(16)).replacingOccurrences(of: "T", with: " ")
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.handleSubjectRequests)
        let all = try await services.governance.subjectRequests(of: caller.account.organization, status: nil)
        let organization = try await context.organization(in: services.governance)
        return page("requests", [
            "privacy_url": Self.privacyPath(organization.name),
            "requests": all.map { r in
                ["id": r.id, "reference": r.reference, "kind": r.kind.rawValue, "status": r.status.rawValue,
                 "contact": r.verification?.answerTo ?? r.contact, "filed": Self.time(r.createdAt), "decision": r.decision ?? ""]
                    as [String: Any]
            }, "empty": all.isEmpty,
        ], context)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.handleSubjectRequests)
        return try await detailPage(try context.id(), caller: caller, context: context)
    }

    func detailPage(_ id: Int64, caller: Accounts.Caller, context: AppRequestContext, problem: Problem? = nil) async throws -> Response {
        let subject = try await requests.request(id, caller: caller)
        var findings: [[String: Any]] = []
        for item in try await requests.findings(id, caller: caller) {
            let finding = item.finding
            findings.append([
                "face_id": finding.face, "band": finding.band, "distance": String(format: "%.3f", finding.distance),
                "found_by": finding.foundBy, "collection": item.details.collection, "place": item.details.place,
                "source": item.details.origin.sourceURL ?? "", "ingested": String(AuditEntry.timestamp(item.ingestedAt).prefix(10)),
                "date": item.details.origin.date ?? "", "audit_entry": finding.auditEntry,
                // Lookalikes are shown, never erased unless a reviewer ticks them.
                "ticked": finding.band != ScoreBand.weak.rawValue,
                "crop": "data:image/jpeg;base64," + Data(item.crop).base64EncodedString(),
            ])
        }
        let verification = subject.verification
        return pages.render("request", [
            "id": subject.id, "reference": subject.reference, "kind": subject.kind.rawValue, "erasure": subject.kind == .erasure,
            "status": subject.status.rawValue, "filed": Self.time(subject.createdAt),
            "unverified": subject.status == .unverified, "verified": subject.status == .verified, "ended": !subject.status.isOpen,
            "contact": subject.contact, "decision": subject.decision ?? "", "suppression_consent": subject.suppressionConsent,
            "methods": IdentityVerification.Method.allCases.map { ["value": $0.rawValue, "label": $0.label] },
            "verification": verification.map { v in
                [["method": v.method.label, "note": v.note, "answer_to": v.answerTo, "by": v.verifiedByName, "at": Self.time(v.at)]]
            } ?? [],
            "expires": Self.time(subject.createdAt.addingTimeInterval(SubjectRequests.verificationDeadline)),
            "findings": findings, "none_found": findings.isEmpty, "review_distance": String(format: "%.2f", SubjectRights.reviewDistance),
            "error": problem?.detail ?? "",
        ], caller: context.caller, csrf: context.csrfToken, status: problem?.status ?? .ok)
    }

    /// The selfie, for the admin comparing it with the requester's identity.
    @Sendable func selfie(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.handleSubjectRequests)
        return Response.bytes(try await requests.selfie(try context.id(), caller: caller), contentType: "image/jpeg", cache: "no-store")
    }

    /// A form posted by the signed-in admin, its CSRF token checked.
    func adminForm(_ request: Request, _ context: AppRequestContext) async throws -> (Accounts.Caller, FormBody, Int64) {
        let caller = try context.require(.handleSubjectRequests)
        let form = try await request.form(limit: Limits.formBytes)
        try form.checkCSRF(expected: context.csrfToken)
        return (caller, form, try context.id())
    }

    /// Runs an action on the request, then goes on to the request (or, once it has ended, the
    /// queue); if the action was refused (a selfie without a face, a missing note), shows the
    /// request with the problem.
    func acting(_ request: Request, _ context: AppRequestContext, ending: Bool = false,
                _ action: (Accounts.Caller, FormBody, Int64) async throws -> Void) async throws -> Response {
        let (caller, form, id) = try await adminForm(request, context)
        do {
            try await action(caller, form, id)
        } catch let error as GovernanceError {
            if case .notFound = error { throw error }
            return try await detailPage(id, caller: caller, context: context, problem: Problem(error))
        }
        return .redirect(to: ending ? "/requests" : "/requests/\(id)")
    }

    @Sendable func verify(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await acting(request, context) { caller, form, id in
            guard let method = form["method"].flatMap(IdentityVerification.Method.init(rawValue:)) else {
                throw GovernanceError.invalid(FieldErrors("method", "how identity was checked: "
                    + IdentityVerification.Method.allCases.map(\.rawValue).joined(separator: ", ")))
            }
            _ = try await requests.verify(id, method: method, note: form["note"] ?? "", answerTo: form["answer_to"] ?? "", caller: caller)
        }
    }

    @Sendable func reject(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await acting(request, context, ending: true) { caller, form, id in
            try await requests.reject(id, reason: form["reason"] ?? "", caller: caller)
        }
    }

    @Sendable func widen(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await acting(request, context) { caller, form, id in
            _ = try await requests.widen(id, from: Self.tickedFaces(form), caller: caller)
        }
    }

    @Sendable func close(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await acting(request, context, ending: true) { caller, form, id in
            _ = try await requests.close(id, erasing: Self.tickedFaces(form), caller: caller)
        }
    }

    /// Ticked faces are erased (or looked up from); an admin unticks lookalikes.
    static func tickedFaces(_ form: FormBody) -> [FaceID] {
        form.fields.compactMap { key, value in key.hasPrefix("face_") && value == "on" ? FaceID(key.dropFirst(5)) : nil }.sorted()
    }
}

extension IdentityVerification.Method {
    var label: String {
        switch self {
        case .documentSeen: "an identity document was seen (not stored)"
        case .inPerson: "the person came in person"
        case .knownContact: "a contact already known to belong to them"
        }
    }
}
