import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessCore
import LikenessGovernance
import LikenessSearch
import LikenessServer
import LikenessStore
import NIOCore
import Testing
import TestSupport

/// The API through Hummingbird's test client, on a real gallery.
@Suite struct APITests {
    @Test func searchFindsTheIdentityWithinTheOrganisationOnlyAndAuditsIt() async throws {
        let rig = try await ServerRig()
        try await rig.application.test(.router) { client in
            let form = try Multipart.search(photo: "img5.jpg")
            var headers = rig.headers("A.investigator")
            headers[.contentType] = form.contentType
            let before = try await rig.governance.auditCount(actor: rig.accounts["A.investigator"]!.id, action: "search")
            let (reply, timing) = try await client.execute(uri: "/api/v1/searches", method: .post, headers: headers,
                                                           body: form.finished()) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
                return (response.body.json, response.headers[HTTPField.Name("Server-Timing")!])
            }
            // Where its time went, stage by stage in order (for `bench http`), and nothing else.
            let stages = SearchTimings(serverTiming: try #require(timing)).stages
            #expect(stages.map(\.name) == ["upload", "admission", "hash", "decode", "scope", "engine-wait", "detect",
                                            "templates", "chip", "index", "candidates", "thumbnail", "audit", "response"], "\(timing ?? "")")
            #expect(stages.allSatisfy { $0.milliseconds >= 0 } && stages.contains { $0.name == "detect" && $0.milliseconds > 0 })
            let matches = try #require(reply["matches"] as? [[String: Any]])
            let first = try #require(matches.first)
            // img5 is Angelina Jolie; A holds img10 and img11 of her, B holds img6.
            #expect(["img10.jpg", "img11.jpg"].contains(((first["location"] as? String) ?? "").components(separatedBy: "/").last ?? ""))
            #expect(first["band"] as? String == "strong")
            // Both models scored it: the fused distance is given beside dlib's.
            #expect(first["scored_by"] as? [String] == ["dlib-resnet-v1", "sface-2021dec"])
            #expect((first["fused_distance"] as? Double).map { $0 < Double(FusedBands.standard.thresholds.strong) } == true)
            #expect(matches.allSatisfy { $0["collection"] as? String == "press" })
            #expect((reply["notice"] as? String)?.contains("not identifications") == true)
            // Exactly one search entry, already written when the answer arrived, naming what was shown.
            let entryID = try #require(reply["audit_entry"] as? Int)
            let after = try await rig.governance.auditCount(actor: rig.accounts["A.investigator"]!.id, action: "search")
            #expect(after == before + 1)
            let entry = try #require(try await rig.governance.auditEntries(organization: nil, from: nil, to: nil, after: Int64(entryID - 1), limit: 1).first)
            #expect(entry.id == Int64(entryID) && entry.entry.caseNumber == "CASE-1" && entry.entry.purpose == "criminal_investigation")
            #expect(entry.entry.candidates.map(\.face) == matches.compactMap { ($0["face_id"] as? Int).map(Int64.init) })
            #expect(entry.entry.probeSHA256 == SHA256.hash(data: try Samples.bytes("img5.jpg")).hexString && entry.hasThumbnail)
            #expect(entry.entry.collections == [rig.rig.collection.id])
        }
        try await rig.close()
    }

    @Test func searchWithoutCaseOrPurposeIsRefusedNamingTheField() async throws {
        let rig = try await ServerRig(engine: .fake)
        try await rig.application.test(.router) { client in
            for (form, field) in [(try Multipart.search(caseNumber: nil), "case_number"), (try Multipart.search(purpose: nil), "purpose"),
                                  (try Multipart.search(purpose: "curiosity"), "purpose"), (try Multipart.search(purpose: "other"), "purpose_text")] {
                var headers = rig.headers("A.investigator")
                headers[.contentType] = form.contentType
                try await client.execute(uri: "/api/v1/searches", method: .post, headers: headers, body: form.finished()) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(response.headers[.contentType] == "application/problem+json")
                    let errors = response.body.json["errors"] as? [[String: Any]] ?? []
                    #expect(errors.contains { $0["field"] as? String == field }, "\(String(buffer: response.body))")
                }
            }
            // Not an image: named as the photo field; nothing stored changes.
            var form = Multipart()
            form.field("case_number", "C-2")
            form.field("purpose", "missing_person")
            form.file("photo", filename: "notes.jpg", Samples.notAnImage)
            var headers = rig.headers("A.investigator")
            headers[.contentType] = form.contentType
            try await client.execute(uri: "/api/v1/searches", method: .post, headers: headers, body: form.finished()) { response in
                #expect(response.status == .unprocessableContent)
                #expect((response.body.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "photo")
            }
            try await client.execute(uri: "/api/v1/collections", method: .post, headers: rig.headers("A.admin", json: true),
                                     body: ByteBuffer(string: "{not json")) { response in
                #expect(response.status == .unprocessableContent)
                #expect((response.body.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "body")
            }
        }
        try await rig.close()
    }

    @Test func sessionsNeedCSRFAndPendingAccountsCannotSignIn() async throws {
        let rig = try await ServerRig(engine: .fake)
        try await rig.application.test(.router) { client in
            // Sign-up makes a pending account that cannot sign in until an admin approves it.
            let signup = #"{"organization": "test", "username": "newcomer", "display_name": "New Comer", "password": "long enough password"}"#
            let account = try await client.execute(uri: "/api/v1/signup", method: .post, headers: rig.headers(nil, json: true),
                                                   body: ByteBuffer(string: signup)) { response -> [String: Any] in
                #expect(response.status == .created)
                return response.body.json
            }
            #expect(account["status"] as? String == "pending")
            let signIn = ByteBuffer(string: #"{"username": "newcomer", "password": "long enough password"}"#)
            try await client.execute(uri: "/api/v1/session", method: .post, headers: rig.headers(nil, json: true), body: signIn) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/accounts/\(account["id"] as! Int)", method: .patch, headers: rig.headers("A.admin", json: true),
                                     body: ByteBuffer(string: #"{"status": "active"}"#)) { response in
                #expect(response.status == .ok)
            }
            let (cookie, csrf) = try await client.execute(uri: "/api/v1/session", method: .post, headers: rig.headers(nil, json: true),
                                                          body: signIn) { response -> (String, String) in
                #expect(response.status == .ok)
                let setCookie = response.headers[.setCookie] ?? ""
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"))
                return (String(setCookie.split(separator: ";")[0]), response.body.json["csrf_token"] as? String ?? "")
            }
            var headers: HTTPFields = [.cookie: cookie, .contentType: "application/json"]
            try await client.execute(uri: "/api/v1/me", method: .get, headers: headers) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
                #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                // Plain HTTP: no Strict-Transport-Security, which browsers ignore there anyway.
                #expect(response.headers[.strictTransportSecurity] == nil)
            }
            // An unsafe call with the cookie but without the CSRF header is refused.
            try await client.execute(uri: "/api/v1/api-keys", method: .post, headers: headers, body: ByteBuffer(string: #"{"label": "x"}"#)) { response in
                #expect(response.status == .forbidden)
            }
            headers[HTTPField.Name("X-CSRF-Token")!] = csrf
            try await client.execute(uri: "/api/v1/api-keys", method: .post, headers: headers, body: ByteBuffer(string: #"{"label": "x"}"#)) { response in
                #expect(response.status == .created)
                #expect((response.body.json["key"] as? String)?.hasPrefix("lk_") == true)
            }
        }
        try await rig.close()
    }

    @Test func trialAccountsStopAtTheirQuotaAndExpiry() async throws {
        let rig = try await ServerRig(engine: .fake)
        let investigator = try #require(rig.accounts["A.investigator"])
        try await rig.application.test(.router) { client in
            let grant = #"{"trial_expires_at": "2099-01-01T00:00:00Z", "trial_search_quota": 1}"#
            try await client.execute(uri: "/api/v1/accounts/\(investigator.id)", method: .patch, headers: rig.headers("A.admin", json: true),
                                     body: ByteBuffer(string: grant)) { response in
                #expect(response.status == .ok)
                #expect(response.body.json["trial_search_quota"] as? Int == 1)
            }
            for expected in [HTTPResponse.Status.created, .forbidden] {
                let form = try Multipart.search()
                var headers = rig.headers("A.investigator")
                headers[.contentType] = form.contentType
                try await client.execute(uri: "/api/v1/searches", method: .post, headers: headers, body: form.finished()) { response in
                    #expect(response.status == expected, "\(String(buffer: response.body))")
                }
            }
            // An expired trial is refused outright, key and all.
            let expire = #"{"trial_expires_at": "2000-01-01T00:00:00Z", "trial_search_quota": 10}"#
            try await client.execute(uri: "/api/v1/accounts/\(investigator.id)", method: .patch, headers: rig.headers("A.admin", json: true),
                                     body: ByteBuffer(string: expire)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: rig.headers("A.investigator")) { response in
                #expect(response.status == .unauthorized)
            }
        }
        try await rig.close()
    }

    @Test func signInIsThrottledAfterRepeatedFailures() async throws {
        let rig = try await ServerRig(engine: .fake)
        try await rig.application.test(.router) { client in
            let wrong = ByteBuffer(string: #"{"username": "a-investigator", "password": "not the password"}"#)
            for _ in 0..<5 {
                try await client.execute(uri: "/api/v1/session", method: .post, headers: rig.headers(nil, json: true), body: wrong) { response in
                    #expect(response.status == .unauthorized)
                }
            }
            let right = ByteBuffer(string: #"{"username": "a-investigator", "password": "\#(rig.password)"}"#)
            try await client.execute(uri: "/api/v1/session", method: .post, headers: rig.headers(nil, json: true), body: right) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] != nil)
            }
        }
        let failures = try await rig.governance.auditEntries(organization: nil, from: nil, to: nil, after: 0, limit: 1000)
            .filter { $0.entry.action == "sign_in_failed" }
        #expect(failures.count == 5)
        try await rig.close()
    }

    @Test func uploadIngestsIntoTheCollectionAndRefusesOtherFiles() async throws {
        let rig = try await ServerRig(engine: .fake)
        try await rig.application.test(.router) { client in
            var form = Multipart()
            form.file("files", filename: "img53.jpg", try Samples.bytes("img53.jpg"))
            form.file("files", filename: "img55.jpg", try Samples.bytes("img55.jpg"))
            var headers = rig.headers("A.admin")
            headers[.contentType] = form.contentType
            let upload = try await client.execute(uri: "/api/v1/collections/\(rig.rig.collection.id)/uploads", method: .post,
                                                  headers: headers, body: form.finished()) { response in
                #expect(response.status == .accepted, "\(String(buffer: response.body))")
                return response.body.json
            }
            let id = try #require(upload["id"] as? String)
            try await rig.services.uploads.waitUntilSettled(id)
            try await client.execute(uri: "/api/v1/uploads/\(id)", method: .get, headers: rig.headers("A.admin")) { response in
                let status = response.body.json
                #expect(status["state"] as? String == "finished" && status["stored"] as? Int == 2 && status["faces"] as? Int == 2)
            }
            try await client.execute(uri: "/api/v1/uploads/\(id)", method: .get, headers: rig.headers("B.admin")) { response in
                #expect(response.status == .notFound)
            }
            var bad = Multipart()
            bad.file("files", filename: "minutes.txt", Samples.notAnImage, type: "text/plain")
            headers[.contentType] = bad.contentType
            try await client.execute(uri: "/api/v1/collections/\(rig.rig.collection.id)/uploads", method: .post,
                                     headers: headers, body: bad.finished()) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("minutes.txt"))
            }
        }
        try await rig.close()
    }

    /// Inputs schemathesis found that crashed the server or were wrongly accepted.
    @Test func hostileInputsAreRefusedNotFatal() async throws {
        let rig = try await ServerRig(engine: .fake)
        let admin = try #require(rig.accounts["A.admin"])
        try await rig.application.test(.router) { client in
            // A part-header byte ≥ 0x80 once crashed the multipart parser, even on the sign-in form.
            var hostile = ByteBuffer(string: "--XX\r\n")
            hostile.writeBytes([0xC2, 0x85])
            hostile.writeString(": x\r\n\r\nv\r\n--XX--\r\n")
            for (path, who) in [("/login", nil), ("/api/v1/searches", "A.investigator")] as [(String, String?)] {
                var headers = rig.headers(who)
                headers[.contentType] = "multipart/form-data; boundary=XX"
                try await client.execute(uri: path, method: .post, headers: headers, body: hostile) { response in
                    #expect([.unprocessableContent, .forbidden].contains(response.status), "\(path): \(response.status)")
                }
            }
            for body in ["--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nno end", "no boundary at all", "--XX--"] {
                var headers = rig.headers("A.investigator")
                headers[.contentType] = "multipart/form-data; boundary=XX"
                try await client.execute(uri: "/api/v1/searches", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .unprocessableContent, "\(body)")
                }
            }
            try await client.execute(uri: "/api/v1/audit/-9223372036854775808/thumbnail", method: .get, headers: rig.headers("A.auditor")) { response in
                #expect(response.status == .notFound)
            }
            for day in ["2024-02-31", "2024-01-01garbage", "2024-1-1", "2024-01-01T25:61:00Z"] {
                try await client.execute(uri: "/api/v1/audit/daily-counts?day=\(day)", method: .get, headers: rig.headers("A.auditor")) { response in
                    #expect(response.status == .unprocessableContent, "\(day)")
                }
            }
            try await client.execute(uri: "/api/v1/audit/daily-counts?day=2024-02-29", method: .get, headers: rig.headers("A.auditor")) { response in
                #expect(response.status == .ok && response.body.json["day"] as? String == "2024-02-29")
            }
            // Admins cannot time-limit, demote or disable themselves.
            try await client.execute(uri: "/api/v1/accounts/\(admin.id)", method: .patch, headers: rig.headers("A.admin", json: true),
                                     body: ByteBuffer(string: #"{"trial_expires_at": "2000-01-01T00:00:00Z", "trial_search_quota": 0}"#)) { response in
                #expect(response.status == .conflict)
            }
            // A stale key does not break public routes.
            var stale = HTTPFields()
            stale[.authorization] = "Bearer lk_revoked"
            try await client.execute(uri: "/healthz", method: .get, headers: stale) { response in #expect(response.status == .ok) }
            stale[.contentType] = "application/json"
            try await client.execute(uri: "/api/v1/session", method: .post, headers: stale,
                                     body: ByteBuffer(string: #"{"username": "a-auditor", "password": "\#(rig.password)"}"#)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: stale) { response in
                #expect(response.status == .unauthorized && String(buffer: response.body).contains("API key is not valid"))
            }
        }
        try await rig.close()
    }

    @Test func mediaIsServedWholeOrByRange() async throws {
        let rig = try await ServerRig(engine: .fake)
        try await rig.application.test(.router) { client in
            let form = try Multipart.search()
            var headers = rig.headers("A.investigator")
            headers[.contentType] = form.contentType
            let reply = try await client.execute(uri: "/api/v1/searches", method: .post, headers: headers, body: form.finished()) { $0.body.json }
            let search = try #require(reply["audit_entry"] as? Int)
            let image = try #require((reply["matches"] as? [[String: Any]])?.first?["image_id"] as? Int)
            let details = try #require(try await rig.rig.gallery.store.imageDetails(Int64(image)))
            let original = try Data(contentsOf: URL(fileURLWithPath: details.origin.location))
            let uri = "/api/v1/searches/\(search)/images/\(image)/media"
            try await client.execute(uri: uri, method: .get, headers: rig.headers("A.investigator")) { response in
                #expect(response.status == .ok && response.headers[.contentType] == "image/jpeg")
                #expect(Data(buffer: response.body) == original)
            }
            var ranged = rig.headers("A.investigator")
            ranged[.range] = "bytes=10-19"
            try await client.execute(uri: uri, method: .get, headers: ranged) { response in
                #expect(response.status == .partialContent)
                #expect(response.headers[.contentRange] == "bytes 10-19/\(original.count)")
                #expect(Data(buffer: response.body) == original[10...19])
            }
        }
        try await rig.close()
    }

    @Test func adminsSetTheOrganisationsJurisdictions() async throws {
        let rig = try await ServerRig(engine: .fake)
        try await rig.application.test(.router) { client in
            try await client.execute(uri: "/api/v1/settings", method: .put, headers: rig.headers("A.admin", json: true),
                                     body: ByteBuffer(string: #"{"jurisdictions": ["fr", "US-CA"]}"#)) { response in
                #expect(response.status == .ok)
                #expect(response.body.json["jurisdictions"] as? [String] == ["FR", "US-CA"])
            }
            // "press" is GB: outside the policy, searches skip it.
            let form = try Multipart.search()
            var headers = rig.headers("A.investigator")
            headers[.contentType] = form.contentType
            try await client.execute(uri: "/api/v1/searches", method: .post, headers: headers, body: form.finished()) { response in
                #expect(response.status == .created && (response.body.json["matches"] as? [Any])?.isEmpty == true)
            }
            try await client.execute(uri: "/api/v1/settings", method: .put, headers: rig.headers("A.admin", json: true),
                                     body: ByteBuffer(string: #"{"jurisdictions": ["Britain"]}"#)) { response in
                #expect(response.status == .unprocessableContent)
                #expect((response.body.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "jurisdictions")
            }
            try await client.execute(uri: "/api/v1/settings", method: .put, headers: rig.headers("A.admin", json: true),
                                     body: ByteBuffer(string: #"{"jurisdictions": []}"#)) { response in
                #expect(response.status == .ok && response.body.json["jurisdictions"] is NSNull)
            }
        }
        try await rig.close()
    }

    @Test func healthMetricsAndOpenAPIAreServed() async throws {
        let rig = try await ServerRig(engine: .fake)
        try await rig.application.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { response in
                #expect(response.status == .ok && response.body.json["status"] as? String == "ok")
            }
            try await client.execute(uri: "/api/v1/me", method: .get) { _ in }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(String(buffer: response.body).contains("likeness_http_requests_total"))
            }
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.body.json["openapi"] as? String == "3.1.0")
                #expect((response.body.json["paths"] as? [String: Any])?["/api/v1/searches"] != nil)
                // Every action the log records is one the document lists for an audit entry.
                let schemas = (response.body.json["components"] as? [String: Any])?["schemas"] as? [String: Any]
                let entry = (schemas?["AuditEntry"] as? [String: Any])?["properties"] as? [String: Any]
                let listed = (entry?["action"] as? [String: Any])?["enum"] as? [String]
                #expect(Set(listed ?? []) == Set(AuditLog.Action.allCases.map(\.rawValue)))
            }
        }
        try await rig.close()
    }
}
