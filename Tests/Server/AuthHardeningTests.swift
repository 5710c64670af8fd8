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

/// Sign-in, sign-up, sessions and passwords against an attacker: throttles that hold under
/// parallel requests, CSRF however a path is spelt, and clients behind proxies (passwords: PasswordTests).
@Suite struct AuthHardeningTests {
    /// Signs in through the API: the session cookie ("likeness_session=…") and its CSRF token.
    static func signIn(_ client: some TestClientProtocol, _ username: String, _ password: String) async throws -> (cookie: String, csrf: String, account: [String: Any]) {
        let body = ByteBuffer(string: #"{"username": "\#(username)", "password": "\#(password)"}"#)
        return try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"], body: body) { response in
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            let cookie = String((response.headers[.setCookie] ?? "").split(separator: ";").first ?? "")
            let json = response.body.json
            return (cookie, json["csrf_token"] as? String ?? "", json["account"] as? [String: Any] ?? [:])
        }
    }

    static func session(_ cookie: String, csrf: String? = nil, json: Bool = true) -> HTTPFields {
        var fields: HTTPFields = [.cookie: cookie]
        if json { fields[.contentType] = "application/json" }
        if let csrf { fields[HTTPField.Name("X-CSRF-Token")!] = csrf }
        return fields
    }

    // MARK: Item 12: CSRF and content types

    @Test func csrfIsCheckedHoweverTheAPIPathIsSpelt() async throws {
        let rig = try await ServerRig(engine: .fake)
        try await rig.application.test(.router) { client in
            let (cookie, _, _) = try await Self.signIn(client, "a-investigator", rig.password)
            for path in ["/api/v1/api-keys", "//api/v1/api-keys", "/api//v1/api-keys"] {
                try await client.execute(uri: path, method: .post, headers: Self.session(cookie),
                                         body: ByteBuffer(string: #"{"label": "csrf"}"#)) { response in
                    #expect(response.status != .created, "\(path) made a key without the CSRF token")
                }
            }
        }
        let keys = try await rig.governance.apiKeys(of: try #require(rig.accounts["A.investigator"]).id)
        #expect(keys.count == 1)  // the rig's own
        try await rig.close()
    }

    @Test func jsonEndpointsTakeOnlyJSON() async throws {
        let rig = try await ServerRig(engine: .fake)
        try await rig.application.test(.router) { client in
            // A cross-site form can post text/plain or a URL-encoded body without a preflight.
            let signIn = #"{"username": "a-investigator", "password": "\#(rig.password)"}"#
            for type in ["text/plain", "application/x-www-form-urlencoded", nil] as [String?] {
                var headers = HTTPFields()
                if let type { headers[.contentType] = type }
                try await client.execute(uri: "/api/v1/session", method: .post, headers: headers, body: ByteBuffer(string: signIn)) { response in
                    #expect(response.status == .unsupportedMediaType, "\(type ?? "no type"): \(response.status)")
                    #expect(response.headers[.setCookie] == nil)
                    #expect(response.headers[.contentType] == "application/problem+json")
                }
            }
            var headers = rig.headers("A.investigator")
            headers[.contentType] = "text/plain"
            try await client.execute(uri: "/api/v1/api-keys", method: .post, headers: headers, body: ByteBuffer(string: #"{"label": "x"}"#)) { response in
                #expect(response.status == .unsupportedMediaType)
            }
            headers[.contentType] = "application/json; charset=utf-8"
            try await client.execute(uri: "/api/v1/api-keys", method: .post, headers: headers, body: ByteBuffer(string: #"{"label": "x"}"#)) { response in
                #expect(response.status == .created)
            }
        }
        try await rig.close()
    }

    // MARK: Low: caching of biometric images

    @Test func cropsMediaAndThumbnailsAreNotCached() async throws {
        let rig = try await ServerRig(engine: .fake)
        try await rig.application.test(.router) { client in
            let form = try Multipart.search()
            var headers = rig.headers("A.investigator")
            headers[.contentType] = form.contentType
            let reply = try await client.execute(uri: "/api/v1/searches", method: .post, headers: headers, body: form.finished()) {
                $0.body.json
            }
            let entry = try #require(reply["audit_entry"] as? Int)
            let match = try #require((reply["matches"] as? [[String: Any]])?.first)
            let (face, image) = (try #require(match["face_id"] as? Int), try #require(match["image_id"] as? Int))
            for (path, who) in [("/api/v1/searches/\(entry)/faces/\(face)/crop", "A.investigator"),
                                ("/api/v1/searches/\(entry)/images/\(image)/media", "A.investigator"),
                                ("/api/v1/searches/\(entry)/probe", "A.investigator"),
                                ("/api/v1/audit/\(entry)/thumbnail", "A.auditor")] {
                try await client.execute(uri: path, method: .get, headers: rig.headers(who)) { response in
                    #expect(response.status == .ok, "\(path)")
                    #expect(response.headers[.cacheControl] == "no-store", "\(path): \(response.headers[.cacheControl] ?? "none")")
                }
            }
        }
        try await rig.close()
    }

    // MARK: Item 10: check-then-act races

    @Test func parallelWrongSignInsStopAtTheLimit() async throws {
        let rig = try await ServerRig(engine: .fake)
        try await rig.application.test(.router) { client in
            let wrong = ByteBuffer(string: #"{"username": "a-supervisor", "password": "not the password"}"#)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                                                 body: wrong) { $0.status }
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count == 5, "\(statuses)")
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 11, "\(statuses)")
        }
        let failures = try await rig.governance.auditEntries(organization: nil, from: nil, to: nil, after: 0, limit: 1000)
            .filter { $0.entry.action == "sign_in_failed" }
        #expect(failures.count == 5)
        try await rig.close()
    }

    @Test func parallelSearchesStopAtTheTrialQuota() async throws {
        let rig = try await ServerRig(engine: .fake)
        let investigator = try #require(rig.accounts["A.investigator"])
        try await rig.application.test(.router) { client in
            let grant = #"{"trial_expires_at": "2099-01-01T00:00:00Z", "trial_search_quota": 2}"#
            try await client.execute(uri: "/api/v1/accounts/\(investigator.id)", method: .patch, headers: rig.headers("A.admin", json: true),
                                     body: ByteBuffer(string: grant)) { response in
                #expect(response.status == .ok)
            }
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let form = try Multipart.search()
                        var headers = rig.headers("A.investigator")
                        headers[.contentType] = form.contentType
                        return try await client.execute(uri: "/api/v1/searches", method: .post, headers: headers, body: form.finished()) { $0.status }
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            let created = statuses.filter { $0 == .created }.count
            #expect(created >= 1 && created <= 2, "\(statuses)")
            #expect(statuses.allSatisfy { $0 == .created || $0 == .forbidden }, "\(statuses)")
            // Once the parallel ones are over, the rest of the quota (if a parallel refusal left any) can be used, and no more.
            for _ in 0..<3 {
                let form = try Multipart.search()
                var headers = rig.headers("A.investigator")
                headers[.contentType] = form.contentType
                _ = try await client.execute(uri: "/api/v1/searches", method: .post, headers: headers, body: form.finished()) { $0.status }
            }
        }
        #expect(try await rig.governance.auditCount(actor: investigator.id, action: "search") == 2)
        try await rig.close()
    }

    // MARK: Item 6: sign-up

    @Test func signUpsAreLimitedPerAddress() async throws {
        let rig = try await ServerRig(engine: .fake)
        try await rig.application(ServerConfiguration()).test(.live) { client in
            var statuses: [HTTPResponse.Status] = []
            var retryAfter: String?
            for n in 0..<6 {
                let body = #"{"organization": "test", "username": "flood\#(n)", "display_name": "Flood", "password": "long enough password"}"#
                try await client.execute(uri: "/api/v1/signup", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(string: body)) { response in
                    statuses.append(response.status)
                    retryAfter = response.headers[.retryAfter]
                }
            }
            #expect(statuses == Array(repeating: .created, count: 5) + [.tooManyRequests], "\(statuses)")
            #expect(retryAfter.flatMap(Int.init).map { $0 > 0 } == true)
        }
        #expect(try await rig.governance.pendingAccountCount(in: rig.rig.organization.id) == 5)
        try await rig.close()
    }

    @Test func signUpsStopAtTheOrganisationsLimitsOfNewAndPendingAccounts() async throws {
        let rig = try await ServerRig(engine: .fake)
        let accounts = Accounts(store: rig.governance, hasher: PasswordHasher(cost: 4),
                                signUps: SignUpThrottle(limits: .init(perAddress: 100, perOrganization: 3, pendingPerOrganization: 2)))
        func signUp(_ name: String, address: String) async throws {
            _ = try await accounts.signUp(organization: "test", username: name, displayName: name, password: "long enough password",
                                          address: address)
        }
        try await signUp("pending1", address: "192.0.2.1")
        try await signUp("pending2", address: "192.0.2.2")
        // Two wait for approval: a third is refused until an admin deals with them.
        await #expect(throws: GovernanceError.self) { try await signUp("pending3", address: "192.0.2.3") }
        var approved = try #require(try await rig.governance.account(username: "pending1")?.account)
        approved.status = .active
        try await rig.governance.updateAccount(approved)
        // The hour's third sign-up into the organisation was counted even though refused; a fourth is over the limit.
        await #expect(throws: GovernanceError.self) { try await signUp("pending4", address: "192.0.2.4") }
        #expect(try await rig.governance.account(username: "pending4") == nil)
        try await rig.close()
    }

    // MARK: Item 8: behind a reverse proxy

    @Test func trustedProxiesNameTheClientAndOthersCannot() throws {
        let proxies = try #require(TrustedProxies(["10.0.0.0/8", "::1", "fd00::/8"]))
        func client(_ peer: String, _ xff: [String]) -> String? {
            var headers = HTTPFields()
            for value in xff { headers.append(HTTPField(name: .xForwardedFor, value: value)) }
            return proxies.client(peer: peer, headers: headers)
        }
        #expect(client("203.0.113.5", ["198.51.100.1"]) == "203.0.113.5")  // not a proxy: its claim is ignored
        #expect(client("10.1.2.3", ["198.51.100.1"]) == "198.51.100.1")
        // A client's own X-Forwarded-For is on the left: the rightmost untrusted hop is the client.
        #expect(client("10.1.2.3", ["6.6.6.6, 198.51.100.1, 10.9.9.9"]) == "198.51.100.1")
        #expect(client("10.1.2.3", ["6.6.6.6", "198.51.100.1"]) == "198.51.100.1")
        #expect(client("::1", ["[2001:db8::7]:4711"]) == "2001:db8::7")
        #expect(client("::ffff:10.0.0.1", ["198.51.100.1:80"]) == "198.51.100.1")
        #expect(client("10.1.2.3", ["not-an-address"]) == "10.1.2.3")
        #expect(client("10.1.2.3", []) == "10.1.2.3")
        #expect(client("10.1.2.3", ["10.0.0.9"]) == "10.0.0.9")
        let forwarded = try #require(TrustedProxies(["10.0.0.0/8"], header: .forwarded))
        var headers: HTTPFields = [.forwarded: #"for=6.6.6.6, for="[2001:db8::9]:80";proto=https"#]
        headers[.xForwardedFor] = "7.7.7.7"
        #expect(forwarded.client(peer: "10.0.0.2", headers: headers) == "2001:db8::9")
        #expect(TrustedProxies(["10.0.0.0/33"]) == nil && TrustedProxies(["proxy"]) == nil)
    }

    @Test func behindATrustedProxyTheAuditAndThrottlesSeeTheClient() async throws {
        let rig = try await ServerRig(engine: .fake)
        let proxies = try #require(TrustedProxies(["127.0.0.0/8", "::1"]))
        try await rig.application(ServerConfiguration(trustedProxies: proxies)).test(.live) { client in
            let wrong = ByteBuffer(string: #"{"username": "a-auditor", "password": "not the password"}"#)
            for address in ["198.51.100.7", "198.51.100.8"] {
                try await client.execute(uri: "/api/v1/session", method: .post,
                                         headers: [.contentType: "application/json", .xForwardedFor: "6.6.6.6, \(address)"],
                                         body: wrong) { response in
                    #expect(response.status == .unauthorized)
                }
            }
        }
        // Without trusted proxies the header is the client's to write, and ignored.
        try await rig.application.test(.live) { client in
            let wrong = ByteBuffer(string: #"{"username": "a-auditor", "password": "not the password"}"#)
            try await client.execute(uri: "/api/v1/session", method: .post,
                                     headers: [.contentType: "application/json", .xForwardedFor: "198.51.100.9"], body: wrong) { _ in }
        }
        let addresses = try await rig.governance.auditEntries(organization: nil, from: nil, to: nil, after: 0, limit: 1000)
            .filter { $0.entry.action == "sign_in_failed" }.map { $0.entry.clientAddress ?? "" }
        #expect(addresses.count == 3)
        #expect(Array(addresses.prefix(2)) == ["198.51.100.7", "198.51.100.8"])
        #expect(addresses.last.map { ["127.0.0.1", "::1"].contains($0) } == true, "\(addresses)")
        try await rig.close()
    }

    // MARK: Item 11: the probe cache

    @Test func probeCacheIsCappedPerAccountAndInBytes() {
        let cache = ProbeCache(maxBytes: 1000, maxPerAccount: 2)
        let now = Date()
        let first = cache.keep([UInt8](repeating: 1, count: 100), for: 1, now: now)
        let second = cache.keep([UInt8](repeating: 2, count: 100), for: 1, now: now.addingTimeInterval(1))
        let third = cache.keep([UInt8](repeating: 3, count: 100), for: 1, now: now.addingTimeInterval(2))
        #expect(first.flatMap { cache.photo($0, for: 1, now: now.addingTimeInterval(3)) } == nil)
        #expect(second.flatMap { cache.photo($0, for: 1, now: now.addingTimeInterval(3)) } != nil)
        #expect(third.flatMap { cache.photo($0, for: 1, now: now.addingTimeInterval(3)) } != nil)
        // Another account's large photo pushes out the oldest, whoever's.
        let large = cache.keep([UInt8](repeating: 4, count: 850), for: 2, now: now.addingTimeInterval(4))
        #expect(cache.usage.bytes <= 1000)
        #expect(second.flatMap { cache.photo($0, for: 1, now: now.addingTimeInterval(5)) } == nil)
        #expect(large.flatMap { cache.photo($0, for: 2, now: now.addingTimeInterval(5)) } != nil)
        #expect(cache.keep([UInt8](repeating: 5, count: 1001), for: 3, now: now) == nil)
    }

    @Test func probeCacheKeepsOnlyAllowedSearchesPhotos() async throws {
        let rig = try await ServerRig(engine: .fake)
        let web = SearchWebController(services: rig.services)
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: ProblemMiddleware(pages: rig.services.pages))
        router.add(middleware: AuthenticationMiddleware(accounts: rig.services.accounts))
        router.addRoutes(web.endpoints)
        try await Application(router: router).test(.router) { client in
            for (username, caseNumber, expected) in [("a-auditor", "C-1", HTTPResponse.Status.forbidden),
                                                     ("a-investigator", nil, .unprocessableContent),
                                                     ("a-investigator", "C-2", .ok)] {
                let (_, token, csrf) = try await rig.services.accounts.signIn(username: username, password: rig.password, address: nil)
                var form = try Multipart.search(caseNumber: caseNumber)
                form.field("csrf_token", csrf)
                let headers: HTTPFields = [.cookie: "likeness_session=\(token)", .contentType: form.contentType]
                try await client.execute(uri: "/search", method: .post, headers: headers, body: form.finished()) { response in
                    #expect(response.status == expected, "\(username) \(caseNumber ?? "no case")")
                }
                #expect(web.probes.usage.photos == (expected == .ok ? 1 : 0), "\(username) \(caseNumber ?? "no case")")
            }
        }
        try await rig.close()
    }
}
