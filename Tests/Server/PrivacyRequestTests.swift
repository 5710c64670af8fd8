import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessEngine
import LikenessGovernance
import LikenessServer
import LikenessStore
import NIOCore
import Testing
import TestSupport

/// The public privacy page and the admins' queue. A selfie proves nothing about who sent it:
/// nothing is looked up until an admin has checked the requester's identity; the look-up is
/// made once, audited, and shown from its stored findings; answers go to the verified contact.
@Suite struct PrivacyRequestTests {
    /// Files a request on the public page as a member of the public; answers the response.
    static func file(_ client: some TestClientProtocol, kind: String = "erasure", selfie: [UInt8],
                     padding: Int = 0) async throws -> (status: HTTPResponse.Status, page: String) {
        let token = try await client.execute(uri: "/o/test/privacy", method: .get) { response -> String in
            String((response.headers[.setCookie] ?? "").split(separator: ";")[0].dropFirst("likeness_csrf=".count))
        }
        var form = Multipart()
        form.field("csrf_token", token)
        form.field("kind", kind)
        form.field("contact", "person@example.org")
        form.field("suppression_consent", "yes")
        form.file("selfie", filename: "me.jpg", selfie)
        if padding > 0 { form.file("padding", filename: "padding.bin", [UInt8](repeating: 0x41, count: padding)) }
        let headers: HTTPFields = [.contentType: form.contentType, .cookie: "likeness_csrf=\(token)"]
        return try await client.execute(uri: "/o/test/privacy", method: .post, headers: headers, body: form.finished()) { response in
            (response.status, String(buffer: response.body))
        }
    }

    /// The admin's session cookie and CSRF token.
    static func signIn(_ client: some TestClientProtocol, _ rig: ServerRig, as username: String = "a-admin") async throws -> (String, String) {
        try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                                 body: ByteBuffer(string: #"{"username": "\#(username)", "password": "\#(rig.password)"}"#)) { response in
            (String((response.headers[.setCookie] ?? "").split(separator: ";")[0]), response.body.json["csrf_token"] as? String ?? "")
        }
    }

    static func post(_ client: some TestClientProtocol, _ uri: String, _ session: (String, String), _ fields: [String: String]) async throws
        -> (status: HTTPResponse.Status, page: String) {
        let body = (["csrf_token": session.1].merging(fields) { $1 })
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return try await client.execute(uri: uri, method: .post,
                                        headers: [.contentType: "application/x-www-form-urlencoded", .cookie: session.0],
                                        body: ByteBuffer(string: body)) { response in (response.status, String(buffer: response.body)) }
    }

    static func page(_ client: some TestClientProtocol, _ uri: String, _ session: (String, String)) async throws -> String {
        try await client.execute(uri: uri, method: .get, headers: [.cookie: session.0]) { response in
            #expect(response.status == .ok, "\(uri)")
            return String(buffer: response.body)
        }
    }

    static func audit(_ rig: ServerRig) async throws -> [AuditEntry] {
        try await rig.governance.auditEntries(organization: rig.rig.organization.id, from: nil, to: nil, after: 0, limit: 1000)
    }

    @Test func nothingIsLookedUpUntilAnAdminHasVerifiedTheRequestersIdentity() async throws {
        let rig = try await ServerRig()  // organisation "test" holds img10, img11, img16, img47, img12
        let selfie = try Samples.bytes("img61.jpg")
        try await rig.application.test(.router) { client in
            let filed = try await Self.file(client, selfie: selfie)
            #expect(filed.status == .created)
            let reference = String(try #require(filed.page.firstMatch(of: /SR-[A-Z0-9]+/)).0)
            let request = try #require(try await rig.governance.subjectRequests(of: rig.rig.organization.id, status: .unverified).first)
            #expect(request.reference == reference)

            // The selfie is kept decoded and re-encoded small, never as sent.
            let stored = try #require(try await rig.governance.subjectRequestSelfie(request.id))
            let image = try ImageCodec.decode(data: stored)
            #expect(stored != selfie && max(image.width, image.height) <= 1024)

            // Another organisation's admin cannot see it; an investigator may not.
            try await client.execute(uri: "/requests/\(request.id)", method: .get, headers: rig.headers("B.admin")) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/requests/\(request.id)/selfie", method: .get, headers: rig.headers("A.investigator")) { response in
                #expect(response.status == .forbidden)
            }

            // The admin sees the selfie beside the request, and nothing found: nothing was looked up.
            let admin = try await Self.signIn(client, rig)
            let before = try await Self.audit(rig).count
            for _ in 0..<2 {
                let page = try await Self.page(client, "/requests/\(request.id)", admin)
                #expect(page.contains("/requests/\(request.id)/selfie") && page.contains("id=\"verify-request\""))
                #expect(page.firstMatch(of: /name="face_\d+"/) == nil)
            }
            try await client.execute(uri: "/requests/\(request.id)/selfie", method: .get, headers: [.cookie: admin.0]) { response in
                #expect(response.status == .ok && Array(response.body.readableBytesView) == stored)
                #expect(response.headers[.cacheControl] == "no-store")
            }
            // Nor can it be erased or answered before verification.
            let early = try await Self.post(client, "/requests/\(request.id)/close", admin, ["face_1": "on"])
            #expect(early.status == .conflict && early.page.contains("verify the requester"))
            #expect(try await Self.audit(rig).count == before)

            // Verification is recorded, then the selfie is looked up once, audited with its digest,
            // thumbnail and candidates.
            let verified = try await Self.post(client, "/requests/\(request.id)/verify", admin,
                                               ["method": "document_seen", "note": "passport seen at the desk",
                                                "answer_to": "verified@example.org"])
            #expect(verified.status == .seeOther)
            let afterVerify = try await Self.audit(rig)
            let lookups = afterVerify.filter { $0.entry.action == "subject_lookup" }
            let lookup = try #require(lookups.first)
            #expect(lookups.count == 1 && lookup.entry.caseNumber == reference && lookup.entry.actor == "a-admin")
            #expect(lookup.entry.probeSHA256 != nil && lookup.hasThumbnail && !lookup.entry.candidates.isEmpty)
            #expect(afterVerify.contains { $0.entry.action == "subject_request" && $0.entry.detail?.contains("identity verified (document_seen") == true
                                           && $0.entry.actor == "a-admin" })
            // A second verification is refused.
            let again = try await Self.post(client, "/requests/\(request.id)/verify", admin,
                                            ["method": "in_person", "note": "again", "answer_to": "x@example.org"])
            #expect(again.status == .conflict)

            // Page views show the stored findings and look nothing up again.
            var page = ""
            for _ in 0..<2 { page = try await Self.page(client, "/requests/\(request.id)", admin) }
            #expect(try await Self.audit(rig).count == afterVerify.count)
            #expect(page.contains("verified@example.org") && page.contains("img16.jpg"))
            let ticked = page.matches(of: /name="face_(\d+)" value="on" checked/).map { String($0.1) }
            #expect(ticked.count == 1, "\(page)")

            // Looking up again from a confirmed face is one more audited look-up per face.
            let widened = try await Self.post(client, "/requests/\(request.id)/widen", admin,
                                              Dictionary(uniqueKeysWithValues: ticked.map { ("face_\($0)", "on") }))
            #expect(widened.status == .seeOther)
            #expect(try await Self.audit(rig).filter { $0.entry.action == "subject_lookup" }.count == 2)

            // Only faces among the findings can be erased: not, say, another organisation's.
            let stranger = try #require(try await rig.rig.gallery.store.templates(after: 0, limit: 100)
                .first { $0.collection == rig.otherCollection.id }).id
            let refused = try await Self.post(client, "/requests/\(request.id)/close", admin, ["face_\(stranger)": "on"])
            #expect(refused.status == .unprocessableContent)
            let closed = try await Self.post(client, "/requests/\(request.id)/close", admin,
                                             Dictionary(uniqueKeysWithValues: ticked.map { ("face_\($0)", "on") }))
            #expect(closed.status == .seeOther)
        }
        let closed = try #require(try await rig.governance.subjectRequests(of: rig.rig.organization.id, status: .closed).first)
        #expect(closed.decision?.contains("erased 1 faces") == true && closed.decision?.contains("verified@example.org") == true)
        #expect(try await rig.governance.subjectRequestSelfie(closed.id) == nil)
        #expect(try await rig.governance.suppressions(of: rig.rig.organization.id).count == 1)
        // The look-ups' thumbnails showed the person: redacted with the erasure; the chain still holds.
        let audit = try await Self.audit(rig)
        for lookup in audit where lookup.entry.action == "subject_lookup" {
            #expect(try await rig.governance.auditThumbnail(entry: lookup.id, organization: rig.rig.organization.id)?.jpeg == nil)
        }
        #expect(audit.contains { $0.entry.action == "erasure" && $0.entry.caseNumber == closed.reference })
        #expect(try await AuditLog(store: rig.governance).verify().firstBroken == nil)
        try await rig.close()
    }

    /// Findings respect the organisation's jurisdictions, as searches do.
    @Test func findingsLeaveOutCollectionsOutsideTheJurisdictions() async throws {
        let rig = try await ServerRig()  // its collection is in GB
        try await rig.governance.setJurisdictions(["FR"], for: rig.rig.organization.id)
        try await rig.application.test(.router) { client in
            #expect(try await Self.file(client, kind: "access", selfie: try Samples.bytes("img61.jpg")).status == .created)
            let request = try #require(try await rig.governance.subjectRequests(of: rig.rig.organization.id, status: .unverified).first)
            let admin = try await Self.signIn(client, rig)
            let verified = try await Self.post(client, "/requests/\(request.id)/verify", admin,
                                               ["method": "in_person", "note": "came to the office", "answer_to": "person@example.org"])
            #expect(verified.status == .seeOther)
            #expect(try await rig.governance.subjectFindings(of: request.id).isEmpty)
            let lookup = try #require(try await Self.audit(rig).last { $0.entry.action == "subject_lookup" })
            #expect(lookup.entry.collections.isEmpty && lookup.entry.candidates.isEmpty)
            // An access request is answered to the verified contact.
            #expect(try await Self.post(client, "/requests/\(request.id)/close", admin, [:]).status == .seeOther)
        }
        let closed = try #require(try await rig.governance.subjectRequests(of: rig.rig.organization.id, status: .closed).first)
        #expect(closed.decision == "answered: 0 images reported to person@example.org")
        try await rig.close()
    }

    /// A request whose requester cannot show who they are ends without any look-up; one
    /// nobody verifies expires; both lose the selfie, and both are audited.
    @Test func rejectedAndExpiredRequestsAreNeverLookedUp() async throws {
        let rig = try await ServerRig()
        try await rig.application.test(.router) { client in
            for _ in 0..<2 { #expect(try await Self.file(client, selfie: try Samples.bytes("img61.jpg")).status == .created) }
            let filed = try await rig.governance.subjectRequests(of: rig.rig.organization.id, status: .unverified)
            let admin = try await Self.signIn(client, rig)
            let rejected = try await Self.post(client, "/requests/\(filed[0].id)/reject", admin, ["reason": "no identity document"])
            #expect(rejected.status == .seeOther)
            // Not yet due.
            #expect(try await rig.services.requests.expireUnverified(now: Date().addingTimeInterval(29 * 86_400)) == 0)
            #expect(try await rig.services.requests.expireUnverified(now: Date().addingTimeInterval(31 * 86_400)) == 1)
            let ended = try await [filed[0].id, filed[1].id].asyncMap { try await rig.governance.subjectRequest($0) }
            #expect(ended.map { $0?.status } == [.rejected, .expired])
            for request in filed { #expect(try await rig.governance.subjectRequestSelfie(request.id) == nil) }
            // A rejected request cannot be verified afterwards.
            let late = try await Self.post(client, "/requests/\(filed[0].id)/verify", admin,
                                           ["method": "in_person", "note": "late", "answer_to": "person@example.org"])
            #expect(late.status == .conflict)
        }
        let audit = try await Self.audit(rig)
        #expect(!audit.contains { $0.entry.action == "subject_lookup" })
        #expect(audit.contains { $0.entry.actor == "a-admin" && $0.entry.detail?.hasPrefix("rejected") == true })
        #expect(audit.contains { $0.entry.actor == "system" && $0.entry.detail?.hasPrefix("expired") == true })
        try await rig.close()
    }

    /// The public form is hostile input: capped at 10 MB, refused by the address's rate before
    /// its body is read; a selfie that is not a photo is refused, naming it.
    @Test func thePublicFormIsLimitedBeforeItsBodyIsRead() async throws {
        let rig = try await ServerRig()
        try await rig.application.test(.router) { client in
            let huge = try await Self.file(client, selfie: try Samples.bytes("img61.jpg"), padding: 11 << 20)
            #expect(huge.status == .unprocessableContent && huge.page.contains("larger than the limit"))
            let notAPhoto = try await Self.file(client, selfie: Array("%PDF-1.4 not a photo".utf8))
            #expect(notAPhoto.status == .unprocessableContent && notAPhoto.page.contains("not a readable photo"))
            // Five an hour from one address, counted before anything is read: the sixth is refused
            // for its rate, not for its size, so its body was never read.
            for _ in 0..<3 { _ = try await Self.file(client, selfie: try Samples.bytes("img61.jpg")) }
            let sixth = try await Self.file(client, selfie: try Samples.bytes("img61.jpg"), padding: 11 << 20)
            #expect(sixth.status == .tooManyRequests)
        }
        #expect(try await rig.governance.subjectRequests(of: rig.rig.organization.id, status: nil).count == 3)
        try await rig.close()
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
