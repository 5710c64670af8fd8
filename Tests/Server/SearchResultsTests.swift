import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessGovernance
import LikenessSearch
import LikenessServer
import LikenessStore
import NIOCore
import Testing
import TestSupport

/// Crops, image details and media are served only as part of a result the caller was shown:
/// nobody can walk the gallery's sequential IDs and download every face outside the audit.
@Suite struct SearchResultsTests {
    @Test func resultsOpenOnlyThroughTheSearchThatShowedThem() async throws {
        let rig = try await ServerRig(engine: .fake)  // organisation A holds img10, img11, img16, img47, img12
        try await rig.application.test(.router) { client in
            var form = try Multipart.search()
            form.field("top", "1")
            var headers = rig.headers("A.investigator")
            headers[.contentType] = form.contentType
            let reply = try await client.execute(uri: "/api/v1/searches", method: .post, headers: headers, body: form.finished()) { $0.body.json }
            let search = try #require(reply["audit_entry"] as? Int)
            let match = try #require((reply["matches"] as? [[String: Any]])?.first)
            let face = try #require(match["face_id"] as? Int)
            let image = try #require(match["image_id"] as? Int)
            #expect(match["crop_url"] as? String == "/api/v1/searches/\(search)/faces/\(face)/crop")

            // The candidate opens through its search, never cached.
            try await client.execute(uri: "/api/v1/searches/\(search)/faces/\(face)/crop", method: .get,
                                     headers: rig.headers("A.investigator")) { response in
                #expect(response.status == .ok && response.headers[.cacheControl] == "no-store")
            }
            try await client.execute(uri: "/api/v1/searches/\(search)/images/\(image)", method: .get,
                                     headers: rig.headers("A.investigator")) { response in
                #expect(response.status == .ok)
                let crops = (response.body.json["faces"] as? [[String: Any]] ?? []).compactMap { $0["crop_url"] as? String }
                #expect(!crops.isEmpty && crops.allSatisfy { $0.hasPrefix("/api/v1/searches/\(search)/faces/") })
            }
            // Every other face of the gallery, by ID: not through this search, and no route by ID alone.
            let all = try await rig.rig.gallery.store.templates(after: 0, limit: 100).filter { $0.collection == rig.rig.collection.id }
            let others = all.filter { $0.image != Int64(image) }
            try #require(!others.isEmpty)
            for other in others {
                try await client.execute(uri: "/api/v1/searches/\(search)/faces/\(other.id)/crop", method: .get,
                                         headers: rig.headers("A.investigator")) { response in
                    #expect(response.status == .notFound)
                }
                try await client.execute(uri: "/api/v1/searches/\(search)/images/\(other.image)/media", method: .get,
                                         headers: rig.headers("A.investigator")) { response in
                    #expect(response.status == .notFound)
                }
                for uri in ["/api/v1/faces/\(other.id)/crop", "/api/v1/images/\(other.image)", "/api/v1/images/\(other.image)/media"] {
                    try await client.execute(uri: uri, method: .get, headers: rig.headers("A.admin")) { response in
                        #expect(response.status == .notFound, "\(uri)")
                    }
                }
            }
            // Another searcher of the same organisation cannot open someone else's results.
            try await client.execute(uri: "/api/v1/searches/\(search)/faces/\(face)/crop", method: .get,
                                     headers: rig.headers("A.supervisor")) { response in
                #expect(response.status == .notFound)
            }
        }
        // Results close when a session would: a day later, the same search opens nothing.
        let caller = Accounts.Caller(account: try #require(rig.accounts["A.investigator"]), address: nil)
        let entry = try #require(try await rig.governance.latestAuditEntries(organization: rig.rig.organization.id, limit: 1).first)
        _ = try await ShownResult.of(entry.id, caller: caller, store: rig.rig.gallery.store, governance: rig.governance)
        await #expect(throws: GovernanceError.self) {
            try await ShownResult.of(entry.id, caller: caller, store: rig.rig.gallery.store, governance: rig.governance,
                                     now: Date().addingTimeInterval(ShownResult.lifetime + 60))
        }
        try await rig.close()
    }
}

/// A pivot search's thumbnail is the gallery face's crop: once that face is erased, the audit
/// answers 410 for it, while the entry and its digest stay.
@Suite struct RedactedThumbnailTests {
    @Test func anErasedFacesPivotThumbnailAnswersGone() async throws {
        let rig = try await ServerRig(engine: .fake)
        let face = try #require(try await rig.rig.gallery.store.templates(after: 0, limit: 1).first).id
        try await rig.application.test(.router) { client in
            let entry = try await client.execute(
                uri: "/api/v1/searches/pivot", method: .post, headers: rig.headers("A.investigator", json: true),
                body: ByteBuffer(string: #"{"face_id": \#(face), "case_number": "C-1", "purpose": "missing_person"}"#)) { response in
                #expect(response.status == .created)
                return response.body.json["audit_entry"] as? Int ?? 0
            }
            try await client.execute(uri: "/api/v1/audit/\(entry)/thumbnail", method: .get, headers: rig.headers("A.auditor")) { response in
                #expect(response.status == .ok)
            }
            let admin = Accounts.Caller(account: try #require(rig.accounts["A.admin"]), address: nil)
            let rights = SubjectRights(searcher: FaceSearcher(gallery: rig.rig.gallery, pool: rig.rig.pool, bands: .standard),
                                       gallery: rig.rig.gallery, audit: AuditLog(store: rig.governance))
            _ = try await rights.erase(faces: [face], reference: "SR-T", caller: admin)
            try await client.execute(uri: "/api/v1/audit/\(entry)/thumbnail", method: .get, headers: rig.headers("A.auditor")) { response in
                #expect(response.status == .gone && String(buffer: response.body).contains("redacted"))
            }
            try await client.execute(uri: "/api/v1/audit?limit=1000", method: .get, headers: rig.headers("A.auditor")) { response in
                let entries = response.body.json["entries"] as? [[String: Any]] ?? []
                #expect(entries.contains { $0["id"] as? Int == entry && $0["has_thumbnail"] as? Bool == true })
            }
        }
        #expect(try await AuditLog(store: rig.governance).verify().firstBroken == nil)
        try await rig.close()
    }

    /// A crowd photo's result card shows five of its other faces and counts the rest, rather
    /// than a hundred thumbnails burying the candidates.
    @Test func aCardShowsAHandfulOfItsImagesOtherFacesAndCountsTheRest() async throws {
        let rig = try await ServerRig()
        let crowd = try await rig.rig.ingest([Fixtures.face("mosaic-100-faces.jpg")])
        try #require(crowd.progress.faces > 50)
        let (_, token, csrf) = try await rig.services.accounts.signIn(username: "a-investigator", password: rig.password, address: nil)
        var form = try Multipart.search(photo: "mosaic-100-faces.jpg", caseNumber: "CROWD-1")
        form.field("csrf_token", csrf)
        let headers: HTTPFields = [.cookie: "likeness_session=\(token)", .contentType: form.contentType]
        let body = form.finished()
        try await rig.application.test(.router) { client in
            try await client.execute(uri: "/search", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .ok)
                let page = String(buffer: response.body)
                let rows = page.components(separatedBy: #"<div class="others">"#).dropFirst().map { $0.components(separatedBy: "</div>")[0] }
                #expect(!rows.isEmpty)
                #expect(rows.allSatisfy { $0.components(separatedBy: #"class="thumb""#).count - 1 <= 5 }, "\(rows)")
                let more = "and \(crowd.progress.faces - 6) more"
                #expect(rows.contains { $0.components(separatedBy: #"class="thumb""#).count - 1 == 5 && $0.contains(more) }, "\(rows)")
            }
        }
        try await rig.close()
    }
}
