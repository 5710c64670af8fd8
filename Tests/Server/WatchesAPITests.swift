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

/// Standing searches over the API and on the case's page, with the real models: a search with
/// `watch_days` keeps its probe on watch, a later ingest of the same person matches it, and its
/// owner renews it with a reason or ends it.
@Suite struct WatchesAPITests {
    func call(_ rig: ServerRig, _ client: some TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, as who: String,
              _ body: String? = nil) async throws -> (HTTPResponse.Status, [String: Any], String) {
        try await client.execute(uri: path, method: method, headers: rig.headers(who, json: body != nil),
                                 body: body.map { ByteBuffer(string: $0) }) { ($0.status, $0.body.json, String(buffer: $0.body)) }
    }

    func search(_ rig: ServerRig, _ client: some TestClientProtocol, watchDays: String) async throws -> (HTTPResponse.Status, [String: Any], String) {
        var form = try Multipart.search(photo: "img5.jpg")
        form.field("watch_days", watchDays)
        var headers = rig.headers("A.investigator")
        headers[.contentType] = form.contentType
        return try await client.execute(uri: "/api/v1/searches", method: .post, headers: headers, body: form.finished()) {
            ($0.status, $0.body.json, String(buffer: $0.body))
        }
    }

    @Test func aWatchedProbeMatchesALaterIngestAndIsRenewedWithAReason() async throws {
        let rig = try await ServerRig()
        try await rig.application.test(.router) { client in
            var (status, json, text) = try await search(rig, client, watchDays: "91")
            #expect(status == .unprocessableContent && text.contains("watch_days"), "\(text)")
            (status, json, text) = try await search(rig, client, watchDays: "30")
            #expect(status == .created, "\(text)")
            let watch = try #require(json["watch"] as? [String: Any], "\(text)")
            let id = try #require(watch["id"] as? Int)
            #expect(watch["status"] as? String == "open" && watch["match_count"] as? Int == 0 && watch["search_entry"] as? Int == json["audit_entry"] as? Int)
            #expect(watch["probe_sha256"] as? String != nil && watch["dlib_template"] == nil, "never its probe")

            // Angelina Jolie again, ingested after the watch opened.
            _ = try await rig.rig.ingest([Fixtures.face("img6.jpg")])
            #expect(try await rig.services.search.watchMatcher.matchNewFaces() == 1)
            (status, json, text) = try await call(rig, client, .get, "/api/v1/watches/\(id)", as: "A.supervisor")
            let match = try #require(json["last_match_entry"] as? Int, "\(text)")
            #expect(status == .ok && json["match_count"] as? Int == 1)
            (status, json, text) = try await call(rig, client, .get, "/api/v1/watches?status=all", as: "A.examiner")
            #expect(status == .ok && (json["watches"] as? [[String: Any]])?.map { $0["id"] as? Int } == [id], "\(text)")
            (status, _, text) = try await call(rig, client, .get, "/api/v1/watches?status=ended", as: "A.examiner")
            #expect(status == .unprocessableContent && text.contains("status"), "\(text)")
            (status, _, _) = try await call(rig, client, .get, "/api/v1/watches/\(id)", as: "B.supervisor")
            #expect(status == .notFound, "another organisation's watch")

            // The match is a search of the case, on its page with its candidates, for examiners to compare.
            let caseID = try #require(json["watches"] as? [[String: Any]])[0]["case_id"] as? Int
            (status, _, text) = try await call(rig, client, .get, "/cases/\(caseID ?? 0)", as: "A.examiner")
            #expect(status == .ok && text.contains("id=\"search-\(match)\"") && text.contains("Watch \(id)</strong>"), "\(text.prefix(300))")
            #expect(text.contains("/searches/\(match)/candidates/"), "its candidates open in the comparison view")

            // The owner or a supervisor renews it, for a reason; an examiner cannot.
            let renewal = #"{"days": 60, "reason": "the person is still missing"}"#
            (status, _, text) = try await call(rig, client, .post, "/api/v1/watches/\(id)/renewal", as: "A.examiner", renewal)
            #expect(status == .forbidden, "\(text)")
            (status, _, text) = try await call(rig, client, .post, "/api/v1/watches/\(id)/renewal", as: "A.investigator",
                                               #"{"days": 60, "reason": ""}"#)
            #expect(status == .unprocessableContent && text.contains("reason"), "\(text)")
            (status, json, text) = try await call(rig, client, .post, "/api/v1/watches/\(id)/renewal", as: "A.investigator", renewal)
            #expect(status == .ok && json["status"] as? String == "open", "\(text)")
            let entries = try await rig.governance.latestAuditEntries(organization: rig.rig.organization.id, limit: 5)
            #expect(entries.first?.entry.action == "watch_renewed" && entries.first?.entry.detail?.hasSuffix("the person is still missing") == true)

            (status, json, text) = try await call(rig, client, .post, "/api/v1/watches/\(id)/end", as: "A.investigator")
            #expect(status == .ok && json["status"] as? String == "ended" && json["end_reason"] as? String == "ended by a-investigator", "\(text)")
            #expect(try await rig.governance.watchProbe(Int64(id)) == nil)
            (status, _, _) = try await call(rig, client, .post, "/api/v1/watches/\(id)/end", as: "A.investigator")
            #expect(status == .conflict)

            // The case's report names the watch, how long it ran and what it found.
            (status, _, text) = try await call(rig, client, .get, "/api/v1/cases/\(caseID ?? 0)/report", as: "A.investigator")
            #expect(status == .ok && text.contains("Watch \(id): the probe of search"), "\(text.suffix(1500))")
            #expect(text.contains("(ended by a-investigator); 1 match(es) in the strong band"))
        }
        try await rig.close()
    }
}
