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

/// A person files an erasure request on the public privacy page; an admin of the organisation
/// reviews the findings and erases; another organisation's admin never sees it.
@Suite struct PrivacyRequestTests {
    @Test func filedPubliclyHandledByTheOrganisationsAdmin() async throws {
        let rig = try await ServerRig()  // organisation "test" holds img10, img11, img16, img47, img12
        try await rig.application.test(.router) { client in
            // The page sets the pre-session CSRF cookie its form must echo.
            let token = try await client.execute(uri: "/o/test/privacy", method: .get) { response -> String in
                #expect(response.status == .ok)
                let cookie = response.headers[.setCookie] ?? ""
                return String(cookie.split(separator: ";")[0].dropFirst("likeness_csrf=".count))
            }
            var form = Multipart()
            form.field("csrf_token", token)
            form.field("kind", "erasure")
            form.field("contact", "person@example.org")
            form.field("suppression_consent", "yes")
            form.file("selfie", filename: "me.jpg", try Samples.bytes("img61.jpg"))
            var headers: HTTPFields = [.contentType: form.contentType, .cookie: "likeness_csrf=\(token)"]
            let page = try await client.execute(uri: "/o/test/privacy", method: .post, headers: headers, body: form.finished()) { response in
                #expect(response.status == .created)
                return String(buffer: response.body)
            }
            let reference = try #require(page.firstMatch(of: /SR-[A-Z0-9]+/)).0
            let request = try #require(try await rig.governance.subjectRequests(of: rig.rig.organization.id, status: .open).first)
            #expect(request.reference == String(reference) && request.selfie != nil)

            // Another organisation's admin cannot see or act on it.
            try await client.execute(uri: "/requests/\(request.id)", method: .get, headers: rig.headers("B.admin")) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/requests/\(request.id)", method: .get, headers: rig.headers("A.investigator")) { response in
                #expect(response.status == .forbidden)
            }
            // The admin sees the person's face among the findings, as a crop, ticked for erasure.
            let (cookie, csrf) = try await client.execute(
                uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"username": "a-admin", "password": "\#(rig.password)"}"#)) { response -> (String, String) in
                (String((response.headers[.setCookie] ?? "").split(separator: ";")[0]), response.body.json["csrf_token"] as? String ?? "")
            }
            let details = try await client.execute(uri: "/requests/\(request.id)", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
            let ticked = details.matches(of: /name="face_(\d+)"/).map { String($0.1) }
            #expect(ticked.count == 1 && details.contains("img16.jpg"), "\(details)")
            headers = [.contentType: "application/x-www-form-urlencoded", .cookie: cookie]
            let body = "csrf_token=\(csrf)&" + ticked.map { "face_\($0)=on" }.joined(separator: "&")
            try await client.execute(uri: "/requests/\(request.id)/close", method: .post, headers: headers,
                                     body: ByteBuffer(string: body)) { response in
                #expect(response.status == .seeOther)
            }
        }
        let closedID = try #require(try await rig.governance.subjectRequests(of: rig.rig.organization.id, status: .closed).first).id
        let closed = try #require(try await rig.governance.subjectRequest(closedID))
        #expect(closed.selfie == nil && closed.decision?.contains("erased 1 faces") == true)
        #expect(try await rig.governance.suppressions(of: rig.rig.organization.id).count == 1)
        let audit = try await rig.governance.auditEntries(organization: rig.rig.organization.id, from: nil, to: nil, after: 0, limit: 1000)
        #expect(audit.contains { $0.entry.action == "erasure" && $0.entry.caseNumber == closed.reference })
        #expect(audit.filter { $0.entry.action == "subject_request" }.count == 2)
        try await rig.close()
    }
}
