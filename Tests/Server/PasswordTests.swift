import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessGovernance
@testable import LikenessServer
import LikenessStore
import NIOCore
import Testing
import TestSupport

/// One-time passwords, changing one's password and an admin's reset, over HTTP.
@Suite struct PasswordTests {
    @Test func aOneTimePasswordMustBeChangedBeforeAnythingElse() async throws {
        let rig = try await ServerRig(engine: .fake)
        _ = try await rig.services.accounts.createAccount(in: rig.rig.organization, username: "first-admin",
                                                          password: "one-time password", role: .admin, oneTime: true)
        try await rig.application.test(.router) { client in
            let (cookie, csrf, account) = try await AuthHardeningTests.signIn(client, "first-admin", "one-time password")
            #expect(account["must_change_password"] as? Bool == true)
            for path in ["/api/v1/accounts", "//api/v1/accounts", "/api/v1/collections"] {
                try await client.execute(uri: path, method: .get, headers: AuthHardeningTests.session(cookie)) { response in
                    #expect(response.status == .forbidden, "\(path)")
                    #expect(response.body.json["title"] as? String == "Password change required", "\(path)")
                }
            }
            for path in ["/accounts", "/", "//accounts"] {
                try await client.execute(uri: path, method: .get, headers: AuthHardeningTests.session(cookie, json: false)) { response in
                    #expect(response.status == .seeOther && response.headers[.location] == "/password", "\(path)")
                }
            }
            try await client.execute(uri: "/password", method: .get, headers: AuthHardeningTests.session(cookie, json: false)) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("id=\"must-change\""))
            }
            // The web form: the new password twice, with the session's CSRF token.
            let form = "csrf_token=\(csrf)&current_password=one-time+password&new_password=my+own+password&repeat_password=my+own+password"
            var headers = AuthHardeningTests.session(cookie, json: false)
            headers[.contentType] = "application/x-www-form-urlencoded"
            try await client.execute(uri: "/password", method: .post, headers: headers, body: ByteBuffer(string: form)) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/")
            }
            try await client.execute(uri: "/api/v1/accounts", method: .get, headers: AuthHardeningTests.session(cookie)) { response in
                #expect(response.status == .ok)
            }
        }
        let entries = try await rig.governance.auditEntries(organization: nil, from: nil, to: nil, after: 0, limit: 1000)
        #expect(entries.contains { $0.entry.actor == "first-admin" && $0.entry.detail?.contains("password changed") == true })
        try await rig.close()
    }

    @Test func changingOnesPasswordEndsTheOtherSessions() async throws {
        let rig = try await ServerRig(engine: .fake)
        try await rig.application.test(.router) { client in
            let (kept, csrf, _) = try await AuthHardeningTests.signIn(client, "a-supervisor", rig.password)
            let (other, _, _) = try await AuthHardeningTests.signIn(client, "a-supervisor", rig.password)
            let wrong = #"{"current_password": "not it at all", "new_password": "a brand new password"}"#
            try await client.execute(uri: "/api/v1/me/password", method: .post, headers: AuthHardeningTests.session(kept, csrf: csrf),
                                     body: ByteBuffer(string: wrong)) { response in
                #expect(response.status == .unprocessableContent)
                #expect((response.body.json["errors"] as? [[String: Any]])?.first?["field"] as? String == "current_password")
            }
            let change = #"{"current_password": "\#(rig.password)", "new_password": "a brand new password"}"#
            try await client.execute(uri: "/api/v1/me/password", method: .post, headers: AuthHardeningTests.session(kept, csrf: csrf),
                                     body: ByteBuffer(string: change)) { response in
                #expect(response.status == .noContent, "\(String(buffer: response.body))")
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: AuthHardeningTests.session(kept)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: AuthHardeningTests.session(other)) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"username": "a-supervisor", "password": "\#(rig.password)"}"#)) {
                #expect($0.status == .unauthorized)
            }
            _ = try await AuthHardeningTests.signIn(client, "a-supervisor", "a brand new password")
        }
        try await rig.close()
    }

    @Test func adminsResetAnotherAccountsPasswordToAOneTimeOne() async throws {
        let rig = try await ServerRig(engine: .fake)
        let investigator = try #require(rig.accounts["A.investigator"])
        try await rig.application.test(.router) { client in
            let (session, _, _) = try await AuthHardeningTests.signIn(client, "a-investigator", rig.password)
            for who in ["B.admin", "A.supervisor"] {
                try await client.execute(uri: "/api/v1/accounts/\(investigator.id)/password", method: .post, headers: rig.headers(who)) { response in
                    #expect(response.status == (who == "B.admin" ? .notFound : .forbidden), "\(who)")
                }
            }
            let admin = try #require(rig.accounts["A.admin"])
            try await client.execute(uri: "/api/v1/accounts/\(admin.id)/password", method: .post, headers: rig.headers("A.admin")) { response in
                #expect(response.status == .conflict)
            }
            let password = try await client.execute(uri: "/api/v1/accounts/\(investigator.id)/password", method: .post,
                                                    headers: rig.headers("A.admin")) { response in
                #expect(response.status == .ok)
                #expect((response.body.json["account"] as? [String: Any])?["must_change_password"] as? Bool == true)
                return response.body.json["password"] as? String ?? ""
            }
            try await client.execute(uri: "/api/v1/me", method: .get, headers: AuthHardeningTests.session(session)) { #expect($0.status == .unauthorized) }
            let (cookie, csrf, account) = try await AuthHardeningTests.signIn(client, "a-investigator", password)
            #expect(account["must_change_password"] as? Bool == true)
            let form = try Multipart.search()
            try await client.execute(uri: "/api/v1/searches", method: .post,
                                     headers: [.cookie: cookie, .contentType: form.contentType, HTTPField.Name("X-CSRF-Token")!: csrf],
                                     body: form.finished()) { #expect($0.status == .forbidden) }
            let change = #"{"current_password": "\#(password)", "new_password": "chosen by me at last"}"#
            try await client.execute(uri: "/api/v1/me/password", method: .post, headers: AuthHardeningTests.session(cookie, csrf: csrf),
                                     body: ByteBuffer(string: change)) { #expect($0.status == .noContent) }
            let again = try Multipart.search()
            try await client.execute(uri: "/api/v1/searches", method: .post,
                                     headers: [.cookie: cookie, .contentType: again.contentType, HTTPField.Name("X-CSRF-Token")!: csrf],
                                     body: again.finished()) { #expect($0.status == .created) }
        }
        let entries = try await rig.governance.auditEntries(organization: nil, from: nil, to: nil, after: 0, limit: 1000)
        #expect(entries.contains { $0.entry.actor == "a-admin" && $0.entry.detail?.contains("a-investigator: password reset") == true })
        try await rig.close()
    }
}
