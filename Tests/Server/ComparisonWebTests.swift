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

/// The comparison view: the probe face and the candidate's side by side, opened by examiners
/// only, audited before it shows anything, with the review form that keeps the second blind.
@Suite struct ComparisonWebTests {
    @Test func examinersCompareTheAlignedFacesAndReviewBlindFromTheCasePage() async throws {
        let rig = try await ServerRig(engine: .fake)
        let caseID = try #require(try await rig.governance.investigationCase(number: "CASE-1", in: rig.rig.organization.id)).id
        try await rig.application.test(.router) { client in
            let reply = try await rig.search(client)
            let search = try #require(reply["audit_entry"] as? Int)
            let face = try #require((reply["matches"] as? [[String: Any]])?.first?["face_id"] as? Int)
            let probe = try #require(try await rig.governance.probeFace(entry: Int64(search), organization: rig.rig.organization.id))
            #expect(probe.jpeg.starts(with: [0xFF, 0xD8]) && probe.landmarks.count == 10)
            let page = "/searches/\(search)/candidates/\(face)"

            let examiner = try await PrivacyRequestTests.signIn(client, rig, as: "a-examiner")
            let casePage = try await PrivacyRequestTests.page(client, "/cases/\(caseID)", examiner)
            #expect(casePage.contains("Search \(search)") && casePage.contains("href=\"\(page)\""), "\(casePage.suffix(2_000))")

            var compared = try await PrivacyRequestTests.page(client, page, examiner)
            #expect(compared.contains("id=\"probe-chip\" ") || compared.contains("id=\"probe-chip\""))
            #expect(compared.contains("data:image/jpeg;base64,") && compared.contains("id=\"candidate-chip\""))
            #expect(compared.components(separatedBy: "<circle ").count - 1 == 10, "5 landmarks on each face")
            #expect(compared.contains("id=\"review-form\"") && compared.contains("press"), "the form and the candidate's collection")
            #expect(compared.contains("id=\"source-image\"") && compared.contains("<rect "), "the candidate's image, its face boxed")
            let opened = try #require(try await rig.governance.latestAuditEntries(organization: rig.rig.organization.id, limit: 1).first)
            #expect(opened.entry.action == "comparison_opened" && opened.entry.actor == "a-examiner")
            #expect(opened.entry.detail == "search \(search), face \(face)" && opened.entry.caseNumber == "CASE-1")

            var fields = ["conclusion": "moderate_support_same", "notes": "matching scar"]
            for feature in CandidateReview.Feature.allCases { fields["feature_\(feature.rawValue)"] = "similar" }
            let (status, _) = try await PrivacyRequestTests.post(client, "\(page)/reviews", examiner, fields)
            #expect(status == .seeOther)
            compared = try await PrivacyRequestTests.page(client, page, examiner)
            #expect(compared.contains("awaiting a second examiner") && compared.contains("moderate support same (possible lead)"))
            #expect(!compared.contains("id=\"review-form\""), "one review each")

            // The supervisor, a possible second examiner, sees that a review exists, not what it says.
            let supervisor = try await PrivacyRequestTests.signIn(client, rig, as: "a-supervisor")
            let blind = try await PrivacyRequestTests.page(client, page, supervisor)
            #expect(blind.contains("1 review(s) withheld"), "\(blind.suffix(3_000))")
            #expect(!blind.contains("moderate support same (") && !blind.contains("matching scar"))
            #expect(blind.contains("id=\"review-form\""))

            for (who, expected) in [("A.investigator", HTTPResponse.Status.forbidden), ("B.examiner", .notFound)] {
                try await client.execute(uri: page, method: .get, headers: rig.headers(who)) { response in
                    #expect(response.status == expected, "\(who)")
                    #expect(!String(buffer: response.body).contains("data:image/jpeg"), "\(who)")
                }
            }
        }
        try await rig.close()
    }

    /// The report names every search and review by its audit entry, and ends with the head of
    /// the chain, its own entry.
    @Test func theCaseReportDisclosesTheSearchesAndEndsWithTheAuditHead() async throws {
        let rig = try await ServerRig(engine: .fake)
        let caseID = try #require(try await rig.governance.investigationCase(number: "CASE-1", in: rig.rig.organization.id)).id
        try await rig.application.test(.router) { client in
            let entry = try #require(try await rig.search(client, top: 2)["audit_entry"] as? Int)
            try await client.execute(uri: "/cases/\(caseID)/report", method: .get, headers: rig.headers("A.examiner")) { response in
                #expect(response.status == .forbidden, "an examiner who neither leads the case nor supervises")
            }
            let report = try await client.execute(uri: "/cases/\(caseID)/report", method: .get, headers: rig.headers("A.supervisor")) {
                response -> String in
                #expect(response.status == .ok && response.headers[.cacheControl] == "no-store")
                return String(buffer: response.body)
            }
            let head = try #require(try await rig.governance.auditHead())
            #expect(report.contains("Facial recognition technology was used in this case: 1 search"), "\(report.prefix(2_000))")
            #expect(report.contains("<h3>Search \(entry)</h3>") && report.contains("ORDER-CASE-1"))
            #expect(report.contains("Audit chain head at export: entry \(head.id), hash <span class=\"source\">\(head.hash)</span>"))
            let last = try #require(try await rig.governance.latestAuditEntries(organization: rig.rig.organization.id, limit: 1).first)
            #expect(last.id == head.id && last.entry.action == "case_report" && last.entry.actor == "a-supervisor")
        }
        try await rig.close()
    }

    /// A stopped case's results are deleted from view: its page and its report list its searches,
    /// not their candidates.
    @Test func aStoppedCasesPageAndReportShowNoCandidates() async throws {
        let rig = try await ServerRig(engine: .fake)
        let investigation = try #require(try await rig.governance.investigationCase(number: "CASE-1", in: rig.rig.organization.id))
        try await rig.application.test(.router) { client in
            let reply = try await rig.search(client)
            let search = try #require(reply["audit_entry"] as? Int)
            let face = try #require((reply["matches"] as? [[String: Any]])?.first?["face_id"] as? Int)
            #expect(try await rig.governance.blockCase(investigation.id, at: Date(), reason: "the authority refused its searches"))
            for path in ["/cases/\(investigation.id)", "/cases/\(investigation.id)/report"] {
                let page = try await client.execute(uri: path, method: .get, headers: rig.headers("A.supervisor")) { response -> String in
                    #expect(response.status == .ok, "\(path)")
                    return String(buffer: response.body)
                }
                #expect(page.contains("Search \(search)") && page.contains("Its results were deleted when the case was stopped"), "\(path)")
                #expect(!page.contains("Face \(face)") && !page.contains("face \(face)<") && !page.contains("candidates/\(face)"), "\(path)")
            }
        }
        try await rig.close()
    }
}
