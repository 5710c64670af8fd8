import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessGovernance
import LikenessServer
import LikenessStore
import NIOCore
import Testing
import TestSupport

/// Every endpoint × every role × another organisation. The table below is the access policy:
/// who may call what, and what a caller from organisation B gets for organisation A's objects.
@Suite struct AccessMatrixTests {
    enum Rule {
        /// These roles may; others get 403. `scoped`: the path names an object of organisation A,
        /// so an allowed role of organisation B gets 404, as if it did not exist.
        case roles(Set<Role>, HTTPResponse.Status, scoped: Bool)
        /// Any signed-in caller, acting on their own things.
        case signedIn(HTTPResponse.Status)
        /// Only the account that owns the object (A's investigator); everyone else gets 404.
        case owner(String, HTTPResponse.Status)
        /// Part of a search's results: only the account that searched opens them; other roles
        /// that search get 404, roles that do not search 403.
        case searchOf(String, HTTPResponse.Status)
    }

    struct Row {
        var method: HTTPRequest.Method
        var path: String
        var body: (buffer: ByteBuffer, contentType: String)?
        var rule: Rule
        /// Web pages send anonymous callers to sign in; the API answers 401.
        var isPage: Bool { !path.hasPrefix("/api/") }
    }

    static let readers: Set<Role> = [.admin, .supervisor, .investigator]
    static let searchers: Set<Role> = [.investigator, .supervisor]
    static let overseers: Set<Role> = [.supervisor, .auditor]

    static func json(_ text: String) -> (ByteBuffer, String) { (ByteBuffer(string: text), "application/json") }

    static let caseReaders: Set<Role> = [.investigator, .supervisor, .auditor, .examiner]
    static let reviewers: Set<Role> = [.examiner, .supervisor]

    static func table(_ rig: ServerRig, upload: String, auditEntry: Int, spareKey: Int64, spareAccount: Int64,
                      openCase: Int64, closedCase: Int64, watch: Int64, endedWatch: Int64) async throws -> [Row] {
        let collection = rig.rig.collection.id
        let faceA = try #require(try await rig.rig.gallery.store.templates(after: 0, limit: 100).first { $0.collection == collection }).id
        let imageA = try #require(try await rig.rig.gallery.store.matchDetails(for: [faceA])[faceA]).image
        let investigator = try #require(rig.accounts["A.investigator"]).id
        let searched = try #require(try await rig.governance.auditEntries(organization: rig.rig.organization.id, from: nil, to: nil,
                                                                          after: Int64(auditEntry) - 1, limit: 1).first)
        let candidate = try #require(searched.entry.candidates.first).face
        let search = try Multipart.search(photo: "img5.jpg")
        var upload1 = Multipart()
        upload1.file("files", filename: "img53.jpg", try Samples.bytes("img53.jpg"))
        return [
            // Sessions and identity
            Row(method: .get, path: "/api/v1/me", rule: .signedIn(.ok)),
            Row(method: .delete, path: "/api/v1/session", rule: .signedIn(.noContent)),
            Row(method: .post, path: "/api/v1/me/password",
                body: json(#"{"current_password": "not the password", "new_password": "a new long password"}"#),
                rule: .signedIn(.unprocessableContent)),
            // Search
            Row(method: .post, path: "/api/v1/searches", body: (search.finished(), search.contentType),
                rule: .roles(searchers, .created, scoped: false)),
            Row(method: .post, path: "/api/v1/searches/pivot",
                body: json(#"{"face_id": \#(faceA), "case_number": "C-9", "purpose": "missing_person"}"#),
                rule: .roles(searchers, .created, scoped: true)),
            Row(method: .get, path: "/api/v1/searches", rule: .roles(searchers, .ok, scoped: false)),
            // Collections, images, faces, uploads
            Row(method: .get, path: "/api/v1/collections", rule: .roles(readers, .ok, scoped: false)),
            Row(method: .post, path: "/api/v1/collections",
                body: json(#"{"name": "matrix", "source": "s", "lawful_basis": "b", "jurisdiction": "GB"}"#),
                rule: .roles([.admin], .created, scoped: false)),
            Row(method: .get, path: "/api/v1/collections/\(collection)", rule: .roles(readers, .ok, scoped: true)),
            Row(method: .post, path: "/api/v1/collections/\(collection)/uploads", body: (upload1.finished(), upload1.contentType),
                rule: .roles([.admin], .accepted, scoped: true)),
            Row(method: .get, path: "/api/v1/uploads/\(upload)", rule: .roles([.admin], .ok, scoped: true)),
            // What a search showed, opened through that search only
            Row(method: .get, path: "/api/v1/searches/\(auditEntry)/images/\(imageA)", rule: .searchOf("A.investigator", .ok)),
            Row(method: .get, path: "/api/v1/searches/\(auditEntry)/faces/\(faceA)/crop", rule: .searchOf("A.investigator", .ok)),
            Row(method: .get, path: "/api/v1/searches/\(auditEntry)/images/\(imageA)/media", rule: .searchOf("A.investigator", .ok)),
            Row(method: .get, path: "/api/v1/searches/\(auditEntry)/probe", rule: .searchOf("A.investigator", .ok)),
            // Accounts, keys, settings
            Row(method: .get, path: "/api/v1/accounts", rule: .roles([.admin], .ok, scoped: false)),
            Row(method: .patch, path: "/api/v1/accounts/\(investigator)", body: json(#"{"role": "investigator"}"#),
                rule: .roles([.admin], .ok, scoped: true)),
            Row(method: .post, path: "/api/v1/accounts/\(spareAccount)/password", rule: .roles([.admin], .ok, scoped: true)),
            Row(method: .get, path: "/api/v1/accounts/\(investigator)/training", rule: .roles([.admin], .ok, scoped: true)),
            Row(method: .post, path: "/api/v1/accounts/\(investigator)/training",
                body: json(#"{"course": "matrix", "completed_on": "2026-11-01"}"#), rule: .roles([.admin], .created, scoped: true)),
            Row(method: .get, path: "/api/v1/api-keys", rule: .signedIn(.ok)),
            Row(method: .post, path: "/api/v1/api-keys", body: json(#"{"label": "matrix"}"#), rule: .signedIn(.created)),
            Row(method: .delete, path: "/api/v1/api-keys/\(spareKey)", rule: .owner("A.investigator", .noContent)),
            Row(method: .get, path: "/api/v1/settings", rule: .signedIn(.ok)),
            Row(method: .put, path: "/api/v1/settings", body: json(#"{"daily_search_limit": 60}"#),
                rule: .roles([.admin], .ok, scoped: false)),
            // Oversight
            Row(method: .get, path: "/api/v1/audit", rule: .roles(overseers, .ok, scoped: false)),
            Row(method: .get, path: "/api/v1/audit/\(auditEntry)/thumbnail", rule: .roles(overseers, .ok, scoped: true)),
            Row(method: .get, path: "/api/v1/audit/daily-counts", rule: .roles(overseers, .ok, scoped: false)),
            Row(method: .get, path: "/api/v1/alerts", rule: .roles(overseers, .ok, scoped: false)),
            Row(method: .get, path: "/api/v1/reports/transparency", rule: .roles([.admin, .supervisor, .auditor], .ok, scoped: false)),
            Row(method: .get, path: "/api/v1/reports/transparency?format=csv", rule: .roles([.admin, .supervisor, .auditor], .ok, scoped: false)),
            // Cases (bodies that fail validation, checked after the role and the case's organisation)
            Row(method: .get, path: "/api/v1/cases", rule: .roles(caseReaders, .ok, scoped: false)),
            Row(method: .post, path: "/api/v1/cases", body: json(#"{"number": "", "title": "matrix"}"#),
                rule: .roles(searchers, .unprocessableContent, scoped: false)),
            Row(method: .get, path: "/api/v1/cases/\(openCase)", rule: .roles(caseReaders, .ok, scoped: true)),
            Row(method: .post, path: "/api/v1/cases/\(openCase)/authorisation", body: json(#"{"decision": "maybe"}"#),
                rule: .roles([.supervisor], .unprocessableContent, scoped: true)),
            Row(method: .post, path: "/api/v1/cases/\(closedCase)/close", rule: .roles(searchers, .conflict, scoped: true)),
            // Reviews of a search's candidates (the body fails validation, checked after the search's organisation)
            Row(method: .get, path: "/api/v1/reviews/awaiting", rule: .roles(reviewers, .ok, scoped: false)),
            Row(method: .get, path: "/api/v1/searches/\(auditEntry)/candidates/\(candidate)/reviews",
                rule: .roles(caseReaders, .ok, scoped: true)),
            Row(method: .post, path: "/api/v1/searches/\(auditEntry)/candidates/\(candidate)/reviews",
                body: json(#"{"conclusion": "certain"}"#), rule: .roles(reviewers, .unprocessableContent, scoped: true)),
            // Watches of A's investigator, one open, one ended (the renewal fails validation, checked after the organisation)
            Row(method: .get, path: "/api/v1/watches", rule: .roles(caseReaders, .ok, scoped: false)),
            Row(method: .get, path: "/api/v1/watches/\(watch)", rule: .roles(caseReaders, .ok, scoped: true)),
            Row(method: .post, path: "/api/v1/watches/\(watch)/renewal", body: json(#"{"days": 0}"#),
                rule: .roles(caseReaders, .unprocessableContent, scoped: true)),
            Row(method: .post, path: "/api/v1/watches/\(endedWatch)/end", rule: .roles(caseReaders, .conflict, scoped: true)),
            // Pages (their forms need a session's CSRF token: the browser test drives them)
            Row(method: .get, path: "/", rule: .signedIn(.ok)),
            Row(method: .get, path: "/history", rule: .roles(searchers, .ok, scoped: false)),
            Row(method: .get, path: "/collections", rule: .roles(readers, .ok, scoped: false)),
            Row(method: .get, path: "/collections/\(collection)", rule: .roles(readers, .ok, scoped: true)),
            Row(method: .get, path: "/accounts", rule: .roles([.admin], .ok, scoped: false)),
            Row(method: .get, path: "/requests", rule: .roles([.admin], .ok, scoped: false)),
            Row(method: .get, path: "/keys", rule: .signedIn(.ok)),
            Row(method: .get, path: "/password", rule: .signedIn(.ok)),
            Row(method: .get, path: "/audit", rule: .roles(overseers, .ok, scoped: false)),
            Row(method: .get, path: "/cases", rule: .roles(caseReaders, .ok, scoped: false)),
            Row(method: .get, path: "/cases/\(openCase)", rule: .roles(caseReaders, .ok, scoped: true)),
            // A's investigator leads the case: the lead or a supervisor makes its report.
            Row(method: .get, path: "/cases/\(openCase)/report", rule: .roles([.investigator, .supervisor], .ok, scoped: true)),
            Row(method: .get, path: "/api/v1/cases/\(openCase)/report", rule: .roles([.investigator, .supervisor], .ok, scoped: true)),
            Row(method: .get, path: "/searches/\(auditEntry)/candidates/\(candidate)", rule: .roles(reviewers, .ok, scoped: true)),
            Row(method: .get, path: "/reports/transparency", rule: .roles([.admin, .supervisor, .auditor], .ok, scoped: false)),
        ]
    }

    static func expected(_ rule: Rule, organization: String, role: Role) -> HTTPResponse.Status {
        switch rule {
        case .roles(let roles, let success, let scoped):
            guard roles.contains(role) else { return .forbidden }
            return scoped && organization == "B" ? .notFound : success
        case .signedIn(let success):
            return success
        case .owner(let owner, let success):
            return owner == "\(organization).\(role.rawValue)" ? success : .notFound
        case .searchOf(let owner, let success):
            guard searchers.contains(role) else { return .forbidden }
            return owner == "\(organization).\(role.rawValue)" ? success : .notFound
        }
    }

    @Test func everyEndpointByRoleAndOrganisation() async throws {
        let rig = try await ServerRig(engine: .fake)
        let uploads = try await rig.application.test(.router) { client -> [String] in
            // Objects of organisation A for the table to name: an upload, an audited search, a spare key.
            var form = Multipart()
            form.file("files", filename: "img55.jpg", try Samples.bytes("img55.jpg"))
            var headers = rig.headers("A.admin")
            headers[.contentType] = form.contentType
            let upload = try await client.execute(uri: "/api/v1/collections/\(rig.rig.collection.id)/uploads", method: .post,
                                                  headers: headers, body: form.finished()) { $0.body.json["id"] as? String ?? "" }
            var uploads = [upload]
            let search = try Multipart.search()
            headers = rig.headers("A.investigator")
            headers[.contentType] = search.contentType
            let entry = try await client.execute(uri: "/api/v1/searches", method: .post, headers: headers,
                                                 body: search.finished()) { $0.body.json["audit_entry"] as? Int ?? 0 }
            let spare = try await client.execute(uri: "/api/v1/api-keys", method: .post, headers: rig.headers("A.investigator", json: true),
                                                 body: ByteBuffer(string: #"{"label": "spare"}"#)) { response in
                ((response.body.json["api_key"] as? [String: Any])?["id"] as? Int).map(Int64.init) ?? 0
            }
            // An account of A whose password the admins reset (the others keep theirs for the rows after).
            let spareAccount = try await rig.governance.createAccount(NewAccount(
                organization: rig.rig.organization.id, username: "a-spare", displayName: "A spare", passwordHash: "x",
                role: .investigator, status: .active)).id
            // Cases of A, led by A's investigator: one open, one closed.
            let lead = Accounts.Caller(account: try #require(rig.accounts["A.investigator"]), address: nil)
            let openCase = try await rig.services.cases.open(try Cases.Opening(number: "M-1", title: "matrix", offence: nil,
                                                                               leadInvestigator: nil), caller: lead)
            let closedCase = try await rig.services.cases.open(try Cases.Opening(number: "M-2", title: "matrix", offence: nil,
                                                                                 leadInvestigator: nil), caller: lead)
            _ = try await rig.services.cases.close(closedCase.id, caller: lead)
            // Watches of A's investigator: one open, one ended.
            func watched() async throws -> Int64 {
                let justification = try SearchJustification(caseNumber: "CASE-1", purpose: "criminal_investigation", purposeText: nil,
                                                            offence: nil)
                return try #require(try await rig.services.search.search(photo: try Samples.bytes("img5.jpg"), face: nil, top: 3, watchDays: 30,
                                                                         justification: justification, caller: lead).watch).id
            }
            let watch = try await watched(), endedWatch = try await watched()
            _ = try await rig.services.search.watches.end(endedWatch, caller: lead)
            let rows = try await Self.table(rig, upload: upload, auditEntry: entry, spareKey: spare, spareAccount: spareAccount,
                                            openCase: openCase.id, closedCase: closedCase.id, watch: watch, endedWatch: endedWatch)

            for row in rows {
                let label = "\(row.method) \(row.path)"
                var anonymous = HTTPFields()
                if let body = row.body { anonymous[.contentType] = body.contentType }
                try await client.execute(uri: row.path, method: row.method, headers: anonymous, body: row.body?.buffer) { response in
                    if row.isPage {
                        #expect(response.status == .seeOther && response.headers[.location] == "/login", "\(label) anonymous")
                    } else {
                        #expect(response.status == .unauthorized, "\(label) anonymous")
                        #expect(response.headers[.contentType] == "application/problem+json", "\(label) anonymous")
                    }
                }
                for role in Role.allCases {
                    for organization in ["A", "B"] {
                        let who = "\(organization).\(role.rawValue)"
                        var headers = rig.headers(who)
                        if let body = row.body { headers[.contentType] = body.contentType }
                        let expected = Self.expected(row.rule, organization: organization, role: role)
                        let started = try await client.execute(uri: row.path, method: row.method, headers: headers,
                                                               body: row.body?.buffer) { response -> String? in
                            let text = String(buffer: response.body)
                            #expect(response.status == expected, "\(label) as \(who): \(text.prefix(300))")
                            if organization == "B" {
                                // Nothing of organisation A shows through to B, whatever the status.
                                #expect(!text.contains("\"press\"") && !text.contains(">press<") && !text.contains("a-investigator"),
                                        "\(label) as \(who) shows organisation A's data")
                            }
                            return response.status == .accepted ? response.body.json["id"] as? String : nil
                        }
                        if let started { uploads.append(started) }
                    }
                }
            }
            return uploads
        }
        for upload in uploads { try await rig.services.uploads.waitUntilSettled(upload) }
        try await rig.close()
    }
}
