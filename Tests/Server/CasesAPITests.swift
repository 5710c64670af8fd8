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

/// Cases over the API: opening, the authority's decision, closing, and their audit.
@Suite struct CasesAPITests {
    @Test func aCaseIsOpenedGivenOneDecisionAndClosedByItsLeadAllAudited() async throws {
        let rig = try await ServerRig(engine: .fake)
        let investigator = try #require(rig.accounts["A.investigator"])
        let supervisor = try #require(rig.accounts["A.supervisor"])
        let otherInvestigator = try await rig.governance.createAccount(NewAccount(
            organization: rig.rig.organization.id, username: "a-investigator-2", displayName: "A second investigator",
            passwordHash: "x", role: .investigator, status: .active))
        let otherKey = try await rig.services.accounts.createAPIKey(
            label: "test", caller: Accounts.Caller(account: otherInvestigator, address: nil)).secret
        try await rig.application.test(.router) { client in
            func call(_ method: HTTPRequest.Method, _ path: String, as who: String, _ body: String? = nil,
                      key: String? = nil) async throws -> (HTTPResponse.Status, [String: Any]) {
                var headers = rig.headers(who, json: body != nil)
                if let key { headers[.authorization] = "Bearer \(key)" }
                return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) {
                    ($0.status, $0.body.json)
                }
            }
            // Opening: every field checked, the caller leads unless another lead is named.
            var (status, json) = try await call(.post, "/api/v1/cases", as: "A.investigator", #"{"number": " ", "title": ""}"#)
            #expect(status == .unprocessableContent)
            let problems = "\(json)"
            #expect(problems.contains("number") && problems.contains("title"), "\(json)")
            (status, json) = try await call(.post, "/api/v1/cases", as: "A.investigator",
                                            #"{"number": "C-2026-17", "title": "Robbery, High Street", "offence": "robbery"}"#)
            #expect(status == .created, "\(json)")
            let id = try #require(json["id"] as? Int)
            #expect(json["status"] as? String == "open" && json["lead_investigator"] as? Int == Int(investigator.id))
            #expect(json["authorisation"] is NSNull)
            (status, json) = try await call(.post, "/api/v1/cases", as: "A.supervisor", #"{"number": "C-2026-17", "title": "again"}"#)
            #expect(status == .conflict, "the number is taken")
            (status, _) = try await call(.post, "/api/v1/cases", as: "A.supervisor",
                                         #"{"number": "C-9", "title": "t", "lead_investigator": \#(rig.accounts["B.investigator"]!.id)}"#)
            #expect(status == .unprocessableContent, "a lead from another organisation")
            (status, json) = try await call(.post, "/api/v1/cases", as: "B.investigator", #"{"number": "C-2026-17", "title": "theirs"}"#)
            #expect(status == .created, "each organisation numbers its own cases")

            (status, json) = try await call(.get, "/api/v1/cases?status=open", as: "A.auditor")
            let numbers = (json["cases"] as? [[String: Any]])?.compactMap { $0["number"] as? String }
            #expect(status == .ok && numbers == ["C-2026-17"] + ServerRig.caseNumbers.reversed(), "newest first, A's only")
            (status, _) = try await call(.get, "/api/v1/cases/\(id)", as: "B.supervisor")
            #expect(status == .notFound)

            // The authority's decision: recorded by a supervisor, once, never dated in the future.
            let tomorrow = AuditEntry.timestamp(Date().addingTimeInterval(86_400))
            (status, json) = try await call(.post, "/api/v1/cases/\(id)/authorisation", as: "A.supervisor",
                                            #"{"decision": "granted", "reference": "W-1", "authority": "Leeds Magistrates", "decided_at": "\#(tomorrow)"}"#)
            #expect(status == .unprocessableContent && "\(json)".contains("decided_at"), "\(json)")
            (status, _) = try await call(.post, "/api/v1/cases/\(id)/authorisation", as: "A.investigator",
                                         #"{"decision": "granted", "reference": "W-1", "authority": "Leeds Magistrates", "decided_at": "2026-11-30"}"#)
            #expect(status == .forbidden, "investigators do not record decisions")
            (status, json) = try await call(.post, "/api/v1/cases/\(id)/authorisation", as: "A.supervisor",
                                            #"{"decision": "granted", "reference": "W-1", "authority": "Leeds Magistrates", "decided_at": "2026-11-30"}"#)
            #expect(status == .ok, "\(json)")
            let authorisation = try #require(json["authorisation"] as? [String: Any])
            #expect(authorisation["decision"] as? String == "granted" && authorisation["reference"] as? String == "W-1")
            #expect(authorisation["recorded_by"] as? Int == Int(supervisor.id))
            (status, _) = try await call(.post, "/api/v1/cases/\(id)/authorisation", as: "A.supervisor",
                                         #"{"decision": "refused", "reference": "W-2", "authority": "Leeds Magistrates", "decided_at": "2026-11-30"}"#)
            #expect(status == .conflict, "a decision is never replaced")

            // Closing: its lead or a supervisor, once.
            (status, _) = try await call(.post, "/api/v1/cases/\(id)/close", as: "A.investigator", key: otherKey)
            #expect(status == .forbidden, "an investigator who does not lead it")
            (status, json) = try await call(.post, "/api/v1/cases/\(id)/close", as: "A.investigator")
            #expect(status == .ok && json["status"] as? String == "closed" && json["closed_at"] is String, "\(json)")
            (status, _) = try await call(.post, "/api/v1/cases/\(id)/close", as: "A.supervisor")
            #expect(status == .conflict)
        }
        let entries = try await rig.governance.latestAuditEntries(organization: rig.rig.organization.id, limit: 20)
        let caseEntries = entries.filter { $0.entry.caseNumber == "C-2026-17" }.map { ($0.entry.action, $0.entry.actor) }
        #expect(caseEntries.map(\.0) == ["case_closed", "case_authorisation", "case_opened"], "\(caseEntries)")
        #expect(caseEntries.map(\.1) == ["a-investigator", "a-supervisor", "a-investigator"])
        try await rig.close()
    }

    @Test func theSearchPageOffersTheOpenCasesOnly() async throws {
        let rig = try await ServerRig(engine: .fake)
        let lead = Accounts.Caller(account: try #require(rig.accounts["A.investigator"]), address: nil)
        let closed = try await rig.services.cases.open(try Cases.Opening(number: "OLD-1", title: "closed", offence: nil,
                                                                         leadInvestigator: nil), caller: lead)
        _ = try await rig.services.cases.close(closed.id, caller: lead)
        try await rig.application.test(.router) { client in
            try await client.execute(uri: "/", method: .get, headers: rig.headers("A.investigator")) { response in
                let page = String(buffer: response.body)
                #expect(response.status == .ok && page.contains("<datalist id=\"open-cases\">"))
                #expect(page.contains("<option value=\"CASE-1\">") && !page.contains("OLD-1"), "\(page.prefix(3_000))")
            }
        }
        try await rig.close()
    }
}
