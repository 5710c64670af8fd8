import Foundation
import HTTPTypes
import Hummingbird
import LikenessCore
import LikenessEngine
import LikenessGovernance
import LikenessSearch
import LikenessStore

/// The browser UI: sign-in, search with a photo and a case, candidates to review, collections
/// and uploads, case history, accounts, audit and the transparency report. Forms post back
/// here with the session's CSRF token; uploads go to the API with it from app.js.
struct WebRoutes {
    let services: ServerServices
    let configuration: ServerConfiguration
    let probes = ProbeCache()

    var pages: Pages { services.pages }
    var store: any GalleryStore { services.gallery.store }
    var governance: any GovernanceStore { services.governance }

    func register(on router: Router<AppRequestContext>) {
        router.get("static/app.css") { _, _ in Response.bytes(services.pages.stylesheet, contentType: "text/css", cache: "max-age=3600") }
        router.get("static/app.js") { _, _ in Response.bytes(services.pages.script, contentType: "text/javascript", cache: "max-age=3600") }
        router.get("login", use: loginPage)
        router.post("login", use: login)
        router.get("signup", use: signupPage)
        router.post("signup", use: signup)
        router.post("logout", use: logout)
        router.get("/", use: home)
        router.post("search", use: search)
        router.post("search/face", use: searchAnotherFace)
        router.post("search/pivot", use: pivot)
        router.get("history", use: history)
        router.get("collections", use: collections)
        router.post("collections", use: createCollection)
        router.get("collections/:id", use: collection)
        router.get("accounts", use: accountsPage)
        router.post("accounts/:id", use: changeAccount)
        router.post("settings", use: changeSettings)
        router.get("keys", use: keysPage)
        router.post("keys", use: createKey)
        router.post("keys/:id/revoke", use: revokeKey)
        router.get("audit", use: auditPage)
        router.get("reports/transparency", use: transparencyPage)
        PasswordRoutes(services: services).registerWeb(on: router)
    }

    func page(_ template: String, _ values: [String: Any], _ context: AppRequestContext) -> Response {
        pages.render(template, values, caller: context.caller, csrf: context.csrfToken)
    }

    /// A form posted by a signed-in user, its CSRF token checked.
    func signedInForm(_ request: Request, _ context: AppRequestContext, limit: Int = Limits.formBytes) async throws -> (Accounts.Caller, FormBody) {
        let caller = try context.requireCaller()
        let form = try await request.form(limit: limit)
        try form.checkCSRF(expected: context.csrfToken)
        return (caller, form)
    }

    // MARK: Sign-in

    @Sendable func loginPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        if context.caller != nil { return .redirect(to: "/") }
        return preSessionPage("login", [:], request: request)
    }

    /// A page with a form used before sign-in: its CSRF token is a double-submit cookie.
    func preSessionPage(_ template: String, _ values: [String: Any], request: Request, status: HTTPResponse.Status = .ok) -> Response {
        pages.preSession(template, values, request: request, secure: configuration.behindTLS, status: status)
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = try await request.form(limit: Limits.formBytes)
        try form.checkCSRF(expected: request.cookies[SessionCookie.preSessionName]?.value)
        do {
            let (_, token, _) = try await services.accounts.signIn(username: form["username"] ?? "", password: form["password"] ?? "",
                                                                   address: context.clientAddress)
            var response = Response.redirect(to: "/")
            response.setCookie(SessionCookie.make(token, secure: configuration.behindTLS))
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
        let (caller, _) = try await signedInForm(request, context)
        if case .session(let token) = context.credential { try await services.accounts.signOut(session: token, caller: caller) }
        var response = Response.redirect(to: "/login")
        response.setCookie(SessionCookie.expired(secure: configuration.behindTLS))
        return response
    }

    // MARK: Search

    static var purposes: [[String: Any]] { Purpose.allCases.map { ["value": $0.rawValue, "label": $0.label] } }

    @Sendable func home(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        guard caller.account.role.allows(.search) else { return page("home", [:], context) }
        return page("search", ["purposes": Self.purposes], context)
    }

    @Sendable func search(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await signedInForm(request, context, limit: Limits.probeBytes)
        guard let photo = form.file("photo"), !photo.bytes.isEmpty else {
            throw GovernanceError.invalid(FieldErrors("photo", "choose or take a photo"))
        }
        return try await results(photo: photo.bytes, probeToken: nil, form: form, caller: caller, context: context)
    }

    @Sendable func searchAnotherFace(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await signedInForm(request, context)
        guard let token = form["probe"], let photo = probes.photo(token, for: caller.account.id) else {
            throw GovernanceError.notFound("that probe photo is no longer held (kept 10 minutes): search again with the photo")
        }
        return try await results(photo: photo, probeToken: token, form: form, caller: caller, context: context)
    }

    /// A search's page. A new probe (`probeToken` nil) is kept for another face only once the
    /// search was allowed and made: a refused one (role, account, justification) keeps nothing.
    func results(photo: [UInt8], probeToken: String?, form: FormBody, caller: Accounts.Caller,
                 context: AppRequestContext) async throws -> Response {
        let justification = try SearchJustification(caseNumber: form["case_number"], purpose: form["purpose"],
                                                    purposeText: form["purpose_text"], offence: form["offence"])
        let outcome = try await services.search.search(photo: photo, face: try form.integer("face", in: 0...99),
                                                       top: try form.integer("top", in: 1...100) ?? 12,
                                                       justification: justification, caller: caller)
        let probeToken = probeToken ?? probes.keep(photo, for: caller.account.id)
        // Crops of the probe's faces, so the user can see which face was searched and pick another.
        let probe = try? ImageCodec.decode(data: photo)
        let faces: [[String: Any]] = outcome.result.faces.enumerated().map { index, box in
            let crop = probe.flatMap {
                try? ImageCodec.jpeg(of: $0, left: box.left, top: box.top, width: box.width, height: box.height, maxSide: 96)
            }
            return ["index": index, "number": index + 1, "chosen": index == outcome.result.face,
                    "crop": crop.map { "data:image/jpeg;base64," + Data($0).base64EncodedString() } ?? ""]
        }
        return try await resultsPage(outcome, probeFaces: faces, probeToken: probeToken, context: context)
    }

    @Sendable func pivot(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await signedInForm(request, context)
        let justification = try SearchJustification(caseNumber: form["case_number"], purpose: form["purpose"],
                                                    purposeText: form["purpose_text"], offence: form["offence"])
        guard let face = form["face_id"].flatMap(Int64.init) else { throw GovernanceError.invalid(FieldErrors("face_id", "required")) }
        let outcome = try await services.search.search(fromFace: face, top: 12, justification: justification, caller: caller)
        return try await resultsPage(outcome, probeFaces: [], probeToken: nil, context: context, pivotFace: face)
    }

    func resultsPage(_ outcome: AccountableSearch.Outcome, probeFaces: [[String: Any]], probeToken: String?,
                     context: AppRequestContext, pivotFace: FaceID? = nil) async throws -> Response {
        var candidates: [[String: Any]] = []
        for match in outcome.result.matches {
            let others = try await store.imageDetails(match.image)?.faces.filter { $0.id != match.face }.map(\.id) ?? []
            let source = match.origin.sourceURL ?? match.origin.location
            // A local path is long and says little to a reviewer: its file name is shown, the whole path on hover.
            let isLink = source.hasPrefix("http://") || source.hasPrefix("https://")
            candidates.append([
                "rank": match.rank, "face_id": match.face, "image_id": match.image, "band": match.band.rawValue,
                "band_label": match.band.rawValue.capitalized, "similarity": String(format: "%.0f%%", match.similarity * 100),
                "distance": String(format: "%.3f", match.distance), "collection": match.collection,
                "source": source, "source_is_link": isLink,
                "source_name": isLink ? source : (source as NSString).lastPathComponent,
                "other_faces": others.map { ["face_id": $0] },
                "others_label": match.video == nil ? "Others in this image" : "Others seen in this video",
                // A face from a video: the moment, and the video ready to play from it.
                "video": match.video.map { [["clock": VideoAppearance.clock($0.time), "time": String(format: "%.1f", $0.time),
                                             "span": "\(VideoAppearance.clock($0.start))–\(VideoAppearance.clock($0.end))",
                                             "image_id": match.image]] } ?? [],
            ])
        }
        let j = outcome.justification
        return page("results", [
            "audit_entry": outcome.auditEntry, "case_number": j.caseNumber, "purpose": j.purpose.rawValue,
            "purpose_label": j.purpose.label, "purpose_text": j.purposeText ?? "", "offence": j.offence ?? "",
            "probe_token": probeToken ?? "", "probe_faces": probeFaces, "many_faces": probeFaces.count > 1,
            "pivot_face": pivotFace.map { [["face_id": $0]] } ?? [], "candidates": candidates,
            "no_candidates": candidates.isEmpty, "notice": Views.notice, "bands": bandRows,
            "warnings": outcome.result.warnings.map { ["text": $0] },
        ], context)
    }

    var bandRows: [[String: Any]] {
        let b = services.bands
        return [["band": "strong", "meaning": "distance ≤ \(String(format: "%.4f", b.strong))"],
                ["band": "possible", "meaning": "distance ≤ \(String(format: "%.4f", b.possible))"],
                ["band": "weak", "meaning": "farther: most likely a different person"]]
    }

    @Sendable func history(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.search)
        let entries = try await governance.auditEntries(actor: caller.account.id, action: AuditLog.Action.search.rawValue, limit: 200)
        return page("history", ["searches": entries.map(Self.auditRow), "empty": entries.isEmpty], context)
    }

    static func auditRow(_ e: AuditEntry) -> [String: Any] {
        [
            "id": e.id, "at": String(e.at.prefix(19)).replacingOccurrences(of: "T", with: " "), "actor": e.entry.actor,
            "action": e.entry.action, "outcome": e.entry.outcome, "case_number": e.entry.caseNumber ?? "",
            "purpose": e.entry.purpose ?? "", "offence": e.entry.offence ?? "", "candidates": e.entry.candidates.count,
            "top_band": e.entry.candidates.first?.band ?? "", "detail": e.entry.detail ?? "",
            "client_address": e.entry.clientAddress ?? "", "thumbnail": e.hasThumbnail,
        ]
    }

    // MARK: Collections

    @Sendable func collections(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCollections)
        let summaries = try await store.collections(in: caller.account.organization)
        return page("collections", ["collections": summaries.map { s in
            ["id": s.collection.id, "name": s.collection.name, "source": s.collection.source,
             "lawful_basis": s.collection.lawfulBasis, "jurisdiction": s.collection.jurisdiction,
             "retention": s.collection.retentionDays.map { "\($0) days" } ?? "until erased",
             "images": s.images, "faces": s.faces] as [String: Any]
        }, "empty": summaries.isEmpty], context)
    }

    @Sendable func createCollection(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await signedInForm(request, context)
        let record = try await CollectionRules.create(
            name: form["name"] ?? "", description: form["description"], source: form["source"] ?? "",
            lawfulBasis: form["lawful_basis"] ?? "", jurisdiction: form["jurisdiction"] ?? "",
            retentionDays: try form.integer("retention_days", in: 1...36_500), caller: caller, store: store,
            audit: services.accounts.audit)
        return .redirect(to: "/collections/\(record.id)")
    }

    @Sendable func collection(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCollections)
        let record = try await CollectionRules.owned(try context.id(), by: caller, store: store)
        let summary = try await store.collections(in: caller.account.organization).first { $0.collection.id == record.id }
        return page("collection", [
            "id": record.id, "name": record.name, "description": record.description ?? "", "source": record.source,
            "lawful_basis": record.lawfulBasis, "jurisdiction": record.jurisdiction,
            "retention": record.retentionDays.map { "\($0) days" } ?? "until erased",
            "images": summary?.images ?? 0, "faces": summary?.faces ?? 0,
        ], context)
    }

    // MARK: Accounts, settings and keys

    @Sendable func accountsPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageAccounts)
        let all = try await governance.accounts(in: caller.account.organization)
        let organization = try await governance.organization(caller.account.organization)
        return page("accounts", [
            "organization": organization?.name ?? "", "daily_search_limit": organization?.dailySearchLimit ?? 0,
            "jurisdictions": organization?.jurisdictions?.joined(separator: " ") ?? "",
            "accounts": all.map { a in
                ["id": a.id, "username": a.username, "display_name": a.displayName, "role": a.role.rawValue,
                 "status": a.status.rawValue, "pending": a.status == .pending, "is_self": a.id == caller.account.id,
                 "trial": a.trialExpiresAt.map { "until \(AuditEntry.timestamp($0).prefix(10)), \(a.trialSearchQuota ?? 0) searches" } ?? "",
                 "roles": Role.allCases.map { ["value": $0.rawValue, "label": $0.label, "selected": $0 == a.role] }] as [String: Any]
            },
        ], context)
    }

    @Sendable func changeAccount(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await signedInForm(request, context)
        let id = try context.id()
        var change = Accounts.Change()
        change.role = try form["role"].map { value throws(GovernanceError) in
            guard let role = Role(rawValue: value) else { throw .invalid(FieldErrors("role", "unknown role")) }
            return role
        }
        change.status = try form["status"].map { value throws(GovernanceError) in
            guard let status = Account.Status(rawValue: value) else { throw .invalid(FieldErrors("status", "unknown status")) }
            return status
        }
        if let days = try form.integer("trial_days", in: 1...365) {
            let quota = try form.integer("trial_search_quota", in: 0...100_000) ?? 20
            change.trial = (Date().addingTimeInterval(Double(days) * 86_400), quota)
        }
        change.endTrial = form["end_trial"] == "1"
        _ = try await services.accounts.change(id, change, caller: caller)
        return .redirect(to: "/accounts")
    }

    @Sendable func changeSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await signedInForm(request, context)
        guard let limit = try form.integer("daily_search_limit", in: 1...100_000) else {
            throw GovernanceError.invalid(FieldErrors("daily_search_limit", "required"))
        }
        try await OrganizationSettings.setDailySearchLimit(limit, caller: caller, governance: governance, audit: services.accounts.audit)
        let codes = (form["jurisdictions"] ?? "").split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        try await OrganizationSettings.setJurisdictions(codes, caller: caller, governance: governance, audit: services.accounts.audit)
        return .redirect(to: "/accounts")
    }

    @Sendable func keysPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        return try await keys(caller, context, newKey: nil)
    }

    func keys(_ caller: Accounts.Caller, _ context: AppRequestContext, newKey: String?) async throws -> Response {
        let keys = try await governance.apiKeys(of: caller.account.id)
        return page("keys", ["new_key": newKey ?? "", "keys": keys.map { k in
            ["id": k.id, "prefix": k.prefix, "label": k.label, "created": String(AuditEntry.timestamp(k.createdAt).prefix(10)),
             "revoked": k.revokedAt != nil] as [String: Any]
        }], context)
    }

    @Sendable func createKey(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await signedInForm(request, context)
        let (_, secret) = try await services.accounts.createAPIKey(label: form["label"] ?? "", caller: caller)
        return try await keys(caller, context, newKey: secret)
    }

    @Sendable func revokeKey(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, _) = try await signedInForm(request, context)
        try await services.accounts.revokeAPIKey(try context.id(), caller: caller)
        return .redirect(to: "/keys")
    }

    // MARK: Oversight

    @Sendable func auditPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readAudit)
        guard let organization = try await governance.organization(caller.account.organization) else {
            throw GovernanceError.notFound("organisation")
        }
        let day = try Query.date(request, "day") ?? Date()
        let counts = try await services.accounts.audit.dailySearchCounts(organization: organization.id, day: day)
        let alerts = try await services.accounts.audit.alerts(organization: organization, from: Date().addingTimeInterval(-30 * 86_400),
                                                              to: Date().addingTimeInterval(1))
        let entries = try await governance.latestAuditEntries(organization: organization.id, limit: 200)
        return page("audit", [
            "day": String(AuditEntry.timestamp(day).prefix(10)), "limit": organization.dailySearchLimit,
            "counts": counts.map { ["username": $0.username, "searches": $0.searches, "over": $0.searches > organization.dailySearchLimit] },
            "alerts": alerts.map { ["kind": $0.kind.rawValue, "username": $0.username, "day": $0.day, "entry": $0.auditEntry, "detail": $0.detail] },
            "no_alerts": alerts.isEmpty, "entries": entries.map(Self.auditRow),
        ], context)
    }

    @Sendable func transparencyPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readReports)
        guard let organization = try await governance.organization(caller.account.organization) else {
            throw GovernanceError.notFound("organisation")
        }
        let thisMonth = String(AuditEntry.timestamp(Date()).prefix(7))
        let from = Query.string(request, "from") ?? thisMonth
        let to = Query.string(request, "to") ?? thisMonth
        let report = try await TransparencyReport.build(organization: organization, from: from, to: to,
                                                        governance: governance, gallery: store)
        return page("transparency", [
            "organization": report.organization, "from": from, "to": to,
            "searches": report.searches.map { ["month": $0.month, "purpose": $0.purpose, "searches": $0.searches] },
            "no_searches": report.searches.isEmpty,
            "accounts": report.accounts.map { ["role": $0.role, "accounts": $0.accounts] },
            "collections": report.collections.map { ["collection": $0.collection, "jurisdiction": $0.jurisdiction,
                                                      "lawful_basis": $0.lawfulBasis, "images": $0.images, "faces": $0.faces] },
        ], context)
    }
}
