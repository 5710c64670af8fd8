import Foundation
import HTTPTypes
import Hummingbird
import LikenessCore
import LikenessGovernance
import LikenessSearch
import LikenessStore

/// `/api/v1`: the same operations as the web UI, as JSON. Every query is scoped to the
/// caller's organisation; another organisation's objects answer 404, as if absent.
struct APIRoutes {
    let services: ServerServices
    let configuration: ServerConfiguration

    var accounts: Accounts { services.accounts }
    var store: any GalleryStore { services.gallery.store }
    var governance: any GovernanceStore { services.governance }

    func register(on api: RouterGroup<AppRequestContext>) {
        // Sessions
        api.post("session", use: signIn)
        api.delete("session", use: signOut)
        api.post("signup", use: signUp)
        api.get("me", use: me)
        // Search
        api.post("searches", use: search)
        api.post("searches/pivot", use: pivot)
        api.get("searches", use: history)
        // Collections and what they hold
        api.get("collections", use: collections)
        api.post("collections", use: createCollection)
        api.get("collections/:id", use: collection)
        api.post("collections/:id/uploads", use: upload)
        api.get("uploads/:upload", use: uploadStatus)
        // Accounts and keys
        api.get("accounts", use: listAccounts)
        api.patch("accounts/:id", use: changeAccount)
        api.get("api-keys", use: listKeys)
        api.post("api-keys", use: createKey)
        api.delete("api-keys/:id", use: revokeKey)
        // Oversight
        api.get("audit", use: audit)
        api.get("audit/:id/thumbnail", use: auditThumbnail)
        api.get("audit/daily-counts", use: dailyCounts)
        api.get("alerts", use: alerts)
        api.get("reports/transparency", use: transparency)
        api.get("settings", use: settings)
        api.put("settings", use: changeSettings)
        PasswordRoutes(services: services).registerAPI(on: api)
    }

    // MARK: Sessions

    struct SignInBody: Decodable { var username: String; var password: String }

    @Sendable func signIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(SignInBody.self)
        let (account, token, csrf) = try await accounts.signIn(username: body.username, password: body.password,
                                                               address: context.clientAddress)
        var response = Response.json(["account": Views.account(account), "csrf_token": csrf])
        response.setCookie(SessionCookie.make(token, secure: configuration.behindTLS))
        return response
    }

    @Sendable func signOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        if case .session(let token) = context.credential { try await accounts.signOut(session: token, caller: caller) }
        var response = Response(status: .noContent)
        response.setCookie(SessionCookie.expired(secure: configuration.behindTLS))
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
        return Response.json(Views.account(account), status: .created)
    }

    @Sendable func me(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let organization = try await governance.organization(caller.account.organization)
        return Response.json(["account": Views.account(caller.account), "organization": organization?.name ?? ""])
    }

    // MARK: Search

    @Sendable func search(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.search)
        let form = try await request.form(limit: Limits.probeBytes)
        let justification = try SearchJustification(caseNumber: form["case_number"], purpose: form["purpose"],
                                                    purposeText: form["purpose_text"], offence: form["offence"])
        guard let photo = form.file("photo"), !photo.bytes.isEmpty else {
            throw GovernanceError.invalid(FieldErrors("photo", "attach the probe photo as a file field named 'photo'"))
        }
        let outcome = try await services.search.search(
            photo: photo.bytes, face: try form.integer("face", in: 0...99), top: try form.integer("top", in: 1...100) ?? 10,
            justification: justification, caller: caller)
        return Response.json(Views.search(outcome), status: .created)
    }

    struct PivotBody: Decodable {
        var faceID: Int64
        var caseNumber: String?
        var purpose: String?
        var purposeText: String?
        var offence: String?
        var top: Int?
        enum CodingKeys: String, CodingKey {
            case faceID = "face_id", caseNumber = "case_number", purpose, purposeText = "purpose_text", offence, top
        }
    }

    @Sendable func pivot(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.search)
        let body = try await request.decodeJSON(PivotBody.self)
        let justification = try SearchJustification(caseNumber: body.caseNumber, purpose: body.purpose,
                                                    purposeText: body.purposeText, offence: body.offence)
        let top = body.top ?? 10
        guard (1...100).contains(top) else { throw GovernanceError.invalid(FieldErrors("top", "an integer from 1 to 100")) }
        let outcome = try await services.search.search(fromFace: body.faceID, top: top, justification: justification,
                                                       caller: caller)
        return Response.json(Views.search(outcome), status: .created)
    }

    @Sendable func history(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.search)
        let limit = try Query.integer(request, "limit", in: 1...1000) ?? 100
        let entries = try await governance.auditEntries(actor: caller.account.id, action: AuditLog.Action.search.rawValue,
                                                        limit: limit)
        return Response.json(["searches": entries.map(Views.auditEntry)])
    }

    // MARK: Collections

    @Sendable func collections(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCollections)
        let summaries = try await store.collections(in: caller.account.organization)
        return Response.json(["collections": summaries.map { Views.collection($0.collection, images: $0.images, faces: $0.faces) }])
    }

    struct CollectionBody: Decodable {
        var name: String
        var description: String?
        var source: String
        var lawfulBasis: String
        var jurisdiction: String
        var retentionDays: Int?
        enum CodingKeys: String, CodingKey {
            case name, description, source, lawfulBasis = "lawful_basis", jurisdiction, retentionDays = "retention_days"
        }
    }

    @Sendable func createCollection(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageCollections)
        let body = try await request.decodeJSON(CollectionBody.self)
        let record = try await CollectionRules.create(
            name: body.name, description: body.description, source: body.source, lawfulBasis: body.lawfulBasis,
            jurisdiction: body.jurisdiction, retentionDays: body.retentionDays, caller: caller, store: store, audit: accounts.audit)
        return Response.json(Views.collection(record, images: 0, faces: 0), status: .created)
    }

    @Sendable func collection(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCollections)
        let record = try await CollectionRules.owned(try context.id(), by: caller, store: store)
        let summary = try await store.collections(in: caller.account.organization).first { $0.collection.id == record.id }
        return Response.json(Views.collection(record, images: summary?.images ?? 0, faces: summary?.faces ?? 0))
    }

    @Sendable func upload(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageCollections)
        let record = try await CollectionRules.owned(try context.id(), by: caller, store: store)
        let form = try await request.form(limit: Limits.uploadBytes)
        let status = try await services.uploads.start(form.files, into: record, caller: caller)
        var response = Response.json(status.json, status: .accepted)
        response.headers[.location] = "/api/v1/uploads/\(status.id)"
        return response
    }

    @Sendable func uploadStatus(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageCollections)
        let id = context.parameters.get("upload") ?? ""
        guard let status = services.uploads.status(id, organization: caller.account.organization) else {
            throw GovernanceError.notFound("no upload \(id) in your organisation")
        }
        return Response.json(status.json)
    }

    // MARK: Accounts and keys

    @Sendable func listAccounts(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageAccounts)
        let all = try await governance.accounts(in: caller.account.organization)
        return Response.json(["accounts": all.map(Views.account)])
    }

    struct AccountChangeBody: Decodable {
        var role: Role?
        var status: Account.Status?
        var trialExpiresAt: Date?
        var trialSearchQuota: Int?
        var endTrial: Bool?
        enum CodingKeys: String, CodingKey {
            case role, status, trialExpiresAt = "trial_expires_at", trialSearchQuota = "trial_search_quota", endTrial = "end_trial"
        }
    }

    @Sendable func changeAccount(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageAccounts)
        let id = try context.id()
        _ = try await accounts.account(id, caller: caller)
        let body = try await request.decodeJSON(AccountChangeBody.self)
        let trial: (Date, Int)?
        switch (body.trialExpiresAt, body.trialSearchQuota) {
        case (let expiry?, let quota?): trial = (expiry, quota)
        case (nil, nil): trial = nil
        default:
            throw GovernanceError.invalid(FieldErrors("trial_expires_at", "give trial_expires_at and trial_search_quota together"))
        }
        let account = try await accounts.change(id, Accounts.Change(role: body.role, status: body.status, trial: trial,
                                                                    endTrial: body.endTrial ?? false), caller: caller)
        return Response.json(Views.account(account))
    }

    @Sendable func listKeys(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        return Response.json(["api_keys": try await governance.apiKeys(of: caller.account.id).map(Views.apiKey)])
    }

    struct KeyBody: Decodable { var label: String }

    @Sendable func createKey(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        let body = try await request.decodeJSON(KeyBody.self)
        let (key, secret) = try await accounts.createAPIKey(label: body.label, caller: caller)
        return Response.json(["api_key": Views.apiKey(key), "key": secret], status: .created)
    }

    @Sendable func revokeKey(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        try await accounts.revokeAPIKey(try context.id(), caller: caller)
        return Response(status: .noContent)
    }

    // MARK: Oversight

    @Sendable func audit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readAudit)
        let entries = try await governance.auditEntries(
            organization: caller.account.organization, from: try Query.date(request, "from"), to: try Query.date(request, "to"),
            after: Int64(try Query.integer(request, "after", in: 0...Int.max) ?? 0),
            limit: try Query.integer(request, "limit", in: 1...1000) ?? 100)
        return Response.json(["entries": entries.map(Views.auditEntry)])
    }

    @Sendable func auditThumbnail(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readAudit)
        let id = try context.id()
        guard let thumbnail = try await governance.auditThumbnail(entry: id, organization: caller.account.organization) else {
            throw GovernanceError.notFound("no probe thumbnail for audit entry \(id) in your organisation")
        }
        guard let jpeg = thumbnail.jpeg else {
            throw HTTPError(.gone, message: "the thumbnail of audit entry \(id) was redacted when the face it showed was erased; "
                + "the log keeps its SHA-256, \(thumbnail.sha256)")
        }
        return Response.bytes(jpeg, contentType: "image/jpeg")
    }

    @Sendable func dailyCounts(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readAudit)
        let day = try Query.date(request, "day") ?? Date()
        guard let organization = try await governance.organization(caller.account.organization) else {
            throw GovernanceError.notFound("organisation")
        }
        let counts = try await accounts.audit.dailySearchCounts(organization: organization.id, day: day)
        return Response.json([
            "day": String(AuditEntry.timestamp(day).prefix(10)), "daily_search_limit": organization.dailySearchLimit,
            "users": counts.map { ["username": $0.username, "searches": $0.searches] as [String: Any] },
        ])
    }

    @Sendable func alerts(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readAudit)
        guard let organization = try await governance.organization(caller.account.organization) else {
            throw GovernanceError.notFound("organisation")
        }
        let to = try Query.date(request, "to") ?? Date().addingTimeInterval(1)
        let from = try Query.date(request, "from") ?? to.addingTimeInterval(-30 * 86_400)
        let alerts = try await accounts.audit.alerts(organization: organization, from: from, to: to)
        return Response.json(["alerts": alerts.map {
            ["kind": $0.kind.rawValue, "username": $0.username, "day": $0.day, "audit_entry": $0.auditEntry, "detail": $0.detail]
                as [String: Any]
        }])
    }

    @Sendable func transparency(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readReports)
        guard let organization = try await governance.organization(caller.account.organization) else {
            throw GovernanceError.notFound("organisation")
        }
        let thisMonth = String(AuditEntry.timestamp(Date()).prefix(7))
        let report = try await TransparencyReport.build(
            organization: organization, from: Query.string(request, "from") ?? thisMonth,
            to: Query.string(request, "to") ?? thisMonth, governance: governance, gallery: store)
        switch Query.string(request, "format") ?? "json" {
        case "csv":
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                                   .contentDisposition: "attachment; filename=\"transparency-\(report.from)-\(report.to).csv\""],
                            body: .init(byteBuffer: ByteBuffer(string: report.csv)))
        case "json":
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = .sortedKeys
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(report))))
        default:
            throw GovernanceError.invalid(FieldErrors("format", "json or csv"))
        }
    }

    @Sendable func settings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        guard let organization = try await governance.organization(caller.account.organization) else {
            throw GovernanceError.notFound("organisation")
        }
        return Response.json(["organization": organization.name, "daily_search_limit": organization.dailySearchLimit,
                              "jurisdictions": organization.jurisdictions ?? NSNull()])
    }

    struct SettingsBody: Decodable {
        var dailySearchLimit: Int?
        /// ISO 3166 codes; an empty list allows any jurisdiction.
        var jurisdictions: [String]?
        enum CodingKeys: String, CodingKey { case dailySearchLimit = "daily_search_limit", jurisdictions }
    }

    @Sendable func changeSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageSettings)
        let body = try await request.decodeJSON(SettingsBody.self)
        guard body.dailySearchLimit != nil || body.jurisdictions != nil else {
            throw GovernanceError.invalid(FieldErrors("body", "give daily_search_limit, jurisdictions or both"))
        }
        if let limit = body.dailySearchLimit {
            try await OrganizationSettings.setDailySearchLimit(limit, caller: caller, governance: governance, audit: accounts.audit)
        }
        if let codes = body.jurisdictions {
            try await OrganizationSettings.setJurisdictions(codes, caller: caller, governance: governance, audit: accounts.audit)
        }
        return try await settings(request, context: context)
    }
}

/// One `Range: bytes=a-b` (or `a-`, or `-n`) within a file of `size` bytes; nil for anything
/// else, which is then answered with the whole file.
func byteRange(_ header: String, size: Int) -> ClosedRange<Int>? {
    guard size > 0, header.hasPrefix("bytes="), !header.contains(",") else { return nil }
    let parts = header.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 2 else { return nil }
    switch (Int(parts[0]), Int(parts[1])) {
    case (let start?, let end?) where start <= end && start < size: return start...min(end, size - 1)
    case (let start?, nil) where parts[1].isEmpty && start < size: return start...(size - 1)
    case (nil, let suffix?) where parts[0].isEmpty && suffix > 0: return max(0, size - suffix)...(size - 1)
    default: return nil
    }
}
