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

/// Training on the accounts page: an administrator records a course; the page shows it and when
/// it stops letting the account search; the API lists it.
@Suite struct TrainingWebTests {
    @Test func anAdministratorRecordsTrainingOnTheAccountsPage() async throws {
        let rig = try await ServerRig(engine: .fake)
        // An account without the rig's training.
        let auditor = try await rig.governance.createAccount(NewAccount(
            organization: rig.rig.organization.id, username: "a-newcomer", displayName: "A newcomer", passwordHash: "x",
            role: .investigator, status: .active))
        let today = Date()
        let completed = String(AuditEntry.timestamp(today).prefix(10))
        let until = String(AuditEntry.timestamp(try #require(Calendar.utc.date(byAdding: .year, value: 1, to: today))).prefix(10))
        try await rig.application.test(.router) { client in
            let (cookie, csrf, _) = try await AuthHardeningTests.signIn(client, "a-admin", rig.password)
            var headers = AuthHardeningTests.session(cookie, json: false)
            headers[.contentType] = "application/x-www-form-urlencoded"
            let form = "csrf_token=\(csrf)&course=FISWG+facial+comparison&completed_on=\(completed)"
            try await client.execute(uri: "/accounts/\(auditor.id)/training", method: .post, headers: headers,
                                     body: ByteBuffer(string: form)) { response in
                #expect(response.status == .seeOther && response.headers[.location] == "/accounts")
            }
            try await client.execute(uri: "/accounts", method: .get, headers: AuthHardeningTests.session(cookie, json: false)) { response in
                #expect(String(buffer: response.body).contains("FISWG facial comparison, \(completed); valid until \(until)"))
            }
            try await client.execute(uri: "/api/v1/accounts/\(auditor.id)/training", method: .get, headers: rig.headers("A.admin")) { response in
                let records = response.body.json["records"] as? [[String: Any]]
                #expect(records?.first?["course"] as? String == "FISWG facial comparison" && records?.first?["valid_until"] as? String == until,
                        "\(String(buffer: response.body))")
            }
            let future = "csrf_token=\(csrf)&course=later&completed_on=2099-01-01"
            try await client.execute(uri: "/accounts/\(auditor.id)/training", method: .post, headers: headers,
                                     body: ByteBuffer(string: future)) { response in
                #expect(response.status == .unprocessableContent && String(buffer: response.body).contains("is in the future"))
            }
        }
        try await rig.close()
    }
}
