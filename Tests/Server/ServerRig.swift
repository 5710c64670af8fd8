import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessGovernance
import LikenessSearch
import LikenessServer
import LikenessStore
import NIOCore
import TestSupport

/// A real server over a real gallery: organisation A ("test") with a collection of fixture
/// photos and one account per role, organisation B ("other") with its own collection and
/// accounts, and an API key for every account.
final class ServerRig: @unchecked Sendable {  // Sendable: immutable after init.
    let rig: TestGallery
    let services: ServerServices
    let governance: any DataStore
    let otherOrganization: Organization
    let otherCollection: CollectionRecord
    /// API keys by "A.admin", "A.investigator", …, "B.admin", "B.investigator".
    var keys: [String: String] = [:]
    var accounts: [String: Account] = [:]
    let password = "correct horse battery"

    /// Closes the gallery's engines and HTTP client when the rest of the set-up fails.
    convenience init(engine: TestGallery.Engine = .dlib) async throws {
        let gallery = try await TestGallery(engine: engine)
        do {
            try await self.init(gallery)
        } catch {
            try? await gallery.close()
            throw error
        }
    }

    private init(_ gallery: TestGallery) async throws {
        rig = gallery
        _ = try await rig.ingest(["img10.jpg", "img11.jpg", "img16.jpg", "img47.jpg", "img12.jpg"].map(Fixtures.face))
        governance = rig.gallery.store
        // bcrypt's lowest cost keeps sign-ins fast here; the service uses 12.
        let accountsService = Accounts(store: governance, hasher: PasswordHasher(cost: 4))
        otherOrganization = try await accountsService.createOrganization(name: "other")
        otherCollection = try await rig.gallery.store.createCollection(NewCollection(
            organization: otherOrganization.id, name: "other-press", source: "s", lawfulBasis: "b", jurisdiction: "FR", retentionDays: nil))
        _ = try await rig.ingester.run(inputs: [Fixtures.face("img6.jpg")], into: otherCollection)
        let uploads = Uploads(gallery: rig.gallery, pool: rig.pool, fetcher: rig.fetcher,
                              directory: rig.directory.appendingPathComponent("uploads"), audit: accountsService.audit)
        let searcher = FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard)
        services = try await ServerServices(
            gallery: rig.gallery, accounts: accountsService,
            search: AccountableSearch(searcher: searcher, store: governance, audit: accountsService.audit),
            requests: SubjectRequests(governance: governance, rights: SubjectRights(
                searcher: searcher, gallery: rig.gallery, audit: accountsService.audit)),
            uploads: uploads, bands: .standard)
        for (label, organization) in [("A", rig.organization), ("B", otherOrganization)] {
            for role in Role.allCases {
                let account = try await governance.createAccount(NewAccount(
                    organization: organization.id, username: "\(label.lowercased())-\(role.rawValue)", displayName: "\(label) \(role.rawValue)",
                    passwordHash: await PasswordHasher(cost: 4).hash(password), role: role, status: .active))
                let caller = Accounts.Caller(account: account, address: nil)
                try await TestCases.train([account.id], store: governance)
                keys["\(label).\(role.rawValue)"] = try await accountsService.createAPIKey(label: "test", caller: caller).secret
                accounts["\(label).\(role.rawValue)"] = account
            }
            // The cases the tests search for, authorised, in both organisations.
            try await TestCases.openAuthorised(Self.caseNumbers, in: organization.id, lead: accounts["\(label).investigator"]!.id,
                                               store: governance)
        }
    }

    /// Open, authorised cases of both organisations.
    static let caseNumbers = ["CASE-1", "C-1", "C-2", "C-9", "CROWD-1", "LOG-1"]

    var application: some ApplicationProtocol { application(ServerConfiguration()) }

    func application(_ configuration: ServerConfiguration) -> some ApplicationProtocol {
        Application(router: LikenessServer.router(services: services, configuration: configuration))
    }

    func headers(_ who: String?, json: Bool = false) -> HTTPFields {
        var fields = HTTPFields()
        if let who, let key = keys[who] { fields[.authorization] = "Bearer \(key)" }
        if json { fields[.contentType] = "application/json" }
        return fields
    }

    /// A search for CASE-1 with the probe img5.jpg through the API, as `who`: its reply.
    func search(_ client: some TestClientProtocol, as who: String = "A.investigator", top: Int = 3) async throws -> [String: Any] {
        var form = try Multipart.search()
        form.field("top", "\(top)")
        var headers = headers(who)
        headers[.contentType] = form.contentType
        return try await client.execute(uri: "/api/v1/searches", method: .post, headers: headers, body: form.finished()) { $0.body.json }
    }

    func close() async throws { try await rig.close() }
}

/// A multipart/form-data body with text fields and files.
struct Multipart {
    let boundary = "likeness-test-boundary-7d1"
    var body = ByteBuffer()

    mutating func field(_ name: String, _ value: String) {
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
    }

    mutating func file(_ name: String, filename: String, _ bytes: [UInt8], type: String = "image/jpeg") {
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n")
        body.writeBytes(bytes)
        body.writeString("\r\n")
    }

    func finished() -> ByteBuffer {
        var done = body
        done.writeString("--\(boundary)--\r\n")
        return done
    }

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    static func search(photo: String = "img5.jpg", caseNumber: String? = "CASE-1", purpose: String? = "criminal_investigation") throws -> Multipart {
        var form = Multipart()
        if let caseNumber { form.field("case_number", caseNumber) }
        if let purpose { form.field("purpose", purpose) }
        form.file("photo", filename: photo, try Samples.bytes(photo))
        return form
    }
}

extension ByteBuffer {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: self))) as? [String: Any] ?? [:]
    }
}
