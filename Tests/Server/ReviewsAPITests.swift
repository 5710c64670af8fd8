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

/// Examiners' reviews over the API: the two-person rule, blind, with its audit.
@Suite struct ReviewsAPITests {
    /// Every feature observed, as the API takes it.
    static func comparison(_ conclusion: String, notes: String = "ear lobes not visible") -> String {
        let features = CandidateReview.Feature.allCases.map { "\"\($0.rawValue)\": \"\($0 == .ears ? "not_visible" : "similar")\"" }
        return #"{"features": {\#(features.joined(separator: ", "))}, "notes": "\#(notes)", "conclusion": "\#(conclusion)"}"#
    }

    /// A rig with two more examiners of organisation A, trained, and one search of its candidates.
    struct Reviewing {
        let rig: ServerRig
        var keys: [String: String] = [:]
        let search: Int
        let face: Int

        init() async throws {
            rig = try await ServerRig(engine: .fake)
            for username in ["a-examiner-2", "a-examiner-3", "a-examiner-untrained"] {
                let account = try await rig.governance.createAccount(NewAccount(
                    organization: rig.rig.organization.id, username: username, displayName: username, passwordHash: "x",
                    role: .examiner, status: .active))
                if username != "a-examiner-untrained" { try await TestCases.train([account.id], store: rig.governance) }
                keys[username] = try await rig.services.accounts.createAPIKey(
                    label: "test", caller: Accounts.Caller(account: account, address: nil)).secret
            }
            let rig = self.rig
            let reply = try await rig.application.test(.router) { client in try await rig.search(client) }
            search = try #require(reply["audit_entry"] as? Int)
            face = try #require((reply["matches"] as? [[String: Any]])?.first?["face_id"] as? Int)
        }

        var path: String { "/api/v1/searches/\(search)/candidates/\(face)/reviews" }

        func call(_ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, as who: String,
                  _ body: String? = nil) async throws -> (HTTPResponse.Status, [String: Any], String) {
            var headers = rig.headers(who, json: body != nil)
            if let key = keys[who] { headers[.authorization] = "Bearer \(key)" }
            return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) {
                ($0.status, $0.body.json, String(buffer: $0.body))
            }
        }
    }

    @Test func aLeadIsVerifiedOnlyByASecondExaminerWhoComparedBlind() async throws {
        let reviewing = try await Reviewing()
        let rig = reviewing.rig
        let path = reviewing.path
        try await rig.application.test(.router) { client in
            var (status, json, text) = try await reviewing.call(client, .get, path, as: "A.examiner")
            #expect(status == .ok && json["status"] as? String == "unreviewed" && json["withheld"] as? Int == 0, "\(text)")

            // Who may review, and what a review must say.
            (status, _, _) = try await reviewing.call(client, .post, path, as: "A.investigator", Self.comparison("strong_support_same"))
            #expect(status == .forbidden, "investigators search; examiners review")
            (status, _, text) = try await reviewing.call(client, .post, path, as: "a-examiner-untrained", Self.comparison("strong_support_same"))
            #expect(status == .forbidden && text.contains("no training is recorded"), "\(text)")
            (status, _, text) = try await reviewing.call(client, .post, path, as: "A.examiner",
                                                         #"{"features": {"nose": "similar", "gills": "similar"}, "conclusion": "sure"}"#)
            #expect(status == .unprocessableContent, "\(text)")
            #expect(text.contains("gills") && text.contains("missing: face_shape") && text.contains("conclusion"), "\(text)")
            (status, _, _) = try await reviewing.call(client, .post, path, as: "B.examiner", Self.comparison("strong_support_same"))
            #expect(status == .notFound, "another organisation's search")
            (status, _, _) = try await reviewing.call(client, .post, "/api/v1/searches/\(reviewing.search)/candidates/999999/reviews",
                                                      as: "A.examiner", Self.comparison("strong_support_same"))
            #expect(status == .notFound, "not a candidate of the search")

            // The first examiner's possible lead waits for a second examiner.
            (status, json, text) = try await reviewing.call(client, .post, path, as: "A.examiner", Self.comparison("moderate_support_same"))
            #expect(status == .created && json["status"] as? String == "awaiting_verification", "\(text)")
            #expect((json["reviews"] as? [[String: Any]])?.first?["decision"] as? String == "possible_lead")
            (status, _, text) = try await reviewing.call(client, .post, path, as: "A.examiner", Self.comparison("strong_support_same"))
            #expect(status == .conflict && text.contains("another examiner"), "nobody verifies their own lead: \(text)")

            // The lead waits for another examiner: in their queue, not in its first examiner's.
            func awaiting(_ who: String) async throws -> [[String: Any]] {
                let (status, json, text) = try await reviewing.call(client, .get, "/api/v1/reviews/awaiting", as: who)
                #expect(status == .ok, "\(text)")
                return json["candidates"] as? [[String: Any]] ?? []
            }
            let queued = try await awaiting("a-examiner-2")
            #expect(queued.count == 1 && queued.first?["face"] as? Int == reviewing.face && queued.first?["search"] as? Int == reviewing.search)
            #expect(queued.first?["status"] as? String == "awaiting_verification" && queued.first?["case_number"] as? String == "CASE-1")
            let (first, otherOrganisation) = (try await awaiting("A.examiner"), try await awaiting("B.examiner"))
            #expect(first.isEmpty && otherOrganisation.isEmpty)

            // Blind: the second examiner, and anyone else, sees that a review exists, not what it says.
            for who in ["a-examiner-2", "A.supervisor", "A.investigator"] {
                (status, json, text) = try await reviewing.call(client, .get, path, as: who)
                #expect(status == .ok && json["status"] as? String == "awaiting_verification", "\(who): \(text)")
                #expect((json["reviews"] as? [Any])?.isEmpty == true && json["withheld"] as? Int == 1, "\(who): \(text)")
                #expect(!text.contains("moderate_support_same") && !text.contains("ear lobes"), "\(who) must not see it: \(text)")
            }

            // The second examiner's own comparison verifies the lead, and then shows both.
            (status, json, text) = try await reviewing.call(client, .post, path, as: "a-examiner-2", Self.comparison("strong_support_same"))
            #expect(status == .created && json["status"] as? String == "verified", "\(text)")
            #expect((json["reviews"] as? [[String: Any]])?.compactMap { $0["conclusion"] as? String }
                    == ["moderate_support_same", "strong_support_same"])
            #expect((json["notice"] as? String)?.contains("not an identification") == true)
            let third = try await awaiting("a-examiner-3")
            #expect(third.isEmpty, "a verified lead waits for nobody")
            (status, json, _) = try await reviewing.call(client, .get, path, as: "A.auditor")
            #expect(status == .ok && (json["reviews"] as? [Any])?.count == 2, "a settled candidate's records are open to case readers")
            (status, _, text) = try await reviewing.call(client, .post, path, as: "a-examiner-3", Self.comparison("strong_support_different"))
            #expect(status == .conflict && text.contains("settled"), "\(text)")
        }
        // Audited: each review by the digest of its record (not its conclusion), then the verification.
        let entries = try await rig.governance.latestAuditEntries(organization: rig.rig.organization.id, limit: 3).reversed()
        #expect(entries.map(\.entry.action) == ["candidate_reviewed", "candidate_reviewed", "lead_verified"])
        #expect(entries.map(\.entry.actor) == ["a-examiner", "a-examiner-2", "a-examiner-2"])
        let reviewed = Array(entries.prefix(2))
        #expect(reviewed.allSatisfy { ($0.entry.detail ?? "").contains("record sha256 ") && !($0.entry.detail ?? "").contains("support") })
        #expect(entries.last?.entry.detail?.contains("\(reviewed[0].id), \(reviewed[1].id)") == true)
        #expect(entries.allSatisfy { $0.entry.caseNumber == "CASE-1" })
        try await rig.close()
    }

    @Test func examinersWhoDisagreeLeaveTheLeadDisputedForTheSupervisorUntilAThirdDecides() async throws {
        let reviewing = try await Reviewing()
        let rig = reviewing.rig
        let path = reviewing.path
        try await rig.application.test(.router) { client in
            var (status, json, text) = try await reviewing.call(client, .post, path, as: "A.examiner", Self.comparison("limited_support_same"))
            #expect(status == .created)
            (status, json, text) = try await reviewing.call(client, .post, path, as: "a-examiner-2", Self.comparison("strong_support_different"))
            #expect(status == .created && json["status"] as? String == "disputed", "\(text)")
            (status, json, text) = try await reviewing.call(client, .get, "/api/v1/alerts", as: "A.supervisor")
            let alerts = json["alerts"] as? [[String: Any]] ?? []
            #expect(alerts.contains { $0["kind"] as? String == "lead_disputed" }, "\(text)")
            // The supervisor decides as a third examiner: blind too, until their review is saved.
            (status, json, text) = try await reviewing.call(client, .get, path, as: "A.supervisor")
            #expect(json["withheld"] as? Int == 2 && !text.contains("limited_support_same"), "\(text)")
            (status, json, text) = try await reviewing.call(client, .post, path, as: "A.supervisor", Self.comparison("moderate_support_different"))
            #expect(status == .created && json["status"] as? String == "excluded", "\(text)")
            #expect((json["reviews"] as? [Any])?.count == 3 && json["notice"] is NSNull)
        }
        let actions = try await rig.governance.latestAuditEntries(organization: rig.rig.organization.id, limit: 4).reversed().map(\.entry.action)
        #expect(actions == ["candidate_reviewed", "candidate_reviewed", "lead_disputed", "candidate_reviewed"], "\(actions)")
        try await rig.close()
    }
}
