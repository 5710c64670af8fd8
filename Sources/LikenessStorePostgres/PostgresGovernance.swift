import Crypto
import Foundation
import LikenessStore
import LikenessCore
import PostgresNIO

/// Organisations, accounts, sessions, API keys and the audit log, in the gallery's database.
extension PostgresGalleryStore: GovernanceStore {
    // MARK: Organisations

    public func createOrganization(name: String) async throws -> Organization {
        guard let row = try await rows("""
            INSERT INTO organization (name) VALUES (\(name)) ON CONFLICT (name) DO NOTHING RETURNING *
            """).first else { throw StoreError.conflict("an organisation named '\(name)' already exists") }
        return try Self.organization(row)
    }

    public func organization(_ id: OrganizationID) async throws -> Organization? {
        try await rows("SELECT * FROM organization WHERE id = \(id)").first.map(Self.organization)
    }

    public func organization(named name: String) async throws -> Organization? {
        try await rows("SELECT * FROM organization WHERE name = \(name)").first.map(Self.organization)
    }

    public func organizations() async throws -> [Organization] {
        try await rows("SELECT * FROM organization ORDER BY name COLLATE \"C\"").map(Self.organization)
    }

    public func setDailySearchLimit(_ limit: Int, for organization: OrganizationID) async throws {
        try await run("UPDATE organization SET daily_search_limit = \(limit) WHERE id = \(organization)")
    }

    public func setJurisdictions(_ codes: [String]?, for organization: OrganizationID) async throws {
        let json = try codes.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try await run("UPDATE organization SET jurisdictions = \(json) WHERE id = \(organization)")
    }

    static func organization(_ row: PostgresRandomAccessRow) throws -> Organization {
        let jurisdictions = try row.value("jurisdictions", as: String?.self)
            .flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        return Organization(id: try row.value("id"), name: try row.value("name"), dailySearchLimit: try row.value("daily_search_limit"),
                            createdAt: try row.value("created_at"), jurisdictions: jurisdictions,
                            caseAuthorisation: CaseAuthorisationPolicy(rawValue: try row.value("case_authorisation", as: String.self)) ?? .required,
                            trainingValidityMonths: try row.value("training_validity_months"))
    }

    // MARK: Accounts

    public func createAccount(_ new: NewAccount) async throws -> Account {
        guard let row = try await rows("""
            INSERT INTO account (organization_id, username, display_name, password_hash, role, status, must_change_password)
            VALUES (\(new.organization), \(new.username), \(new.displayName), \(new.passwordHash), \(new.role.rawValue),
                    \(new.status.rawValue), \(new.mustChangePassword))
            ON CONFLICT ((lower(username))) DO NOTHING
            RETURNING *
            """).first else { throw StoreError.conflict("the username '\(new.username)' is taken") }
        return try Self.account(row)
    }

    public func account(_ id: AccountID) async throws -> Account? {
        try await rows("SELECT * FROM account WHERE id = \(id)").first.map(Self.account)
    }

    public func account(username: String) async throws -> (account: Account, passwordHash: String)? {
        try await rows("SELECT * FROM account WHERE lower(username) = lower(\(username))").first.map { row in
            (try Self.account(row), try row.value("password_hash"))
        }
    }

    public func accounts(in organization: OrganizationID) async throws -> [Account] {
        // Case-insensitive order, as SQLite's NOCASE column sorts.
        try await rows("""
            SELECT * FROM account WHERE organization_id = \(organization) ORDER BY lower(username) COLLATE "C", id
            """).map(Self.account)
    }

    public func updateAccount(_ account: Account) async throws {
        try await transaction { connection in
            try await connection.run("""
                UPDATE account SET display_name = \(account.displayName), role = \(account.role.rawValue),
                                   status = \(account.status.rawValue), trial_expires_at = \(account.trialExpiresAt),
                                   trial_search_quota = \(account.trialSearchQuota)
                WHERE id = \(account.id)
                """)
            if account.status != .active {
                try await connection.run("DELETE FROM session WHERE account_id = \(account.id)")
            }
        }
    }

    public func setPassword(of account: AccountID, hash: String, mustChange: Bool, keepingSession: String?) async throws {
        try await transaction { connection in
            try await connection.run("""
                UPDATE account SET password_hash = \(hash), must_change_password = \(mustChange) WHERE id = \(account)
                """)
            try await connection.run("""
                DELETE FROM session WHERE account_id = \(account) AND token_hash IS DISTINCT FROM \(keepingSession)
                """)
        }
    }

    public func pendingAccountCount(in organization: OrganizationID) async throws -> Int {
        let rows = try await rows("""
            SELECT COUNT(*) AS n FROM account WHERE organization_id = \(organization) AND status = 'pending'
            """)
        return Int(try rows[0].value("n", as: Int64.self))
    }

    static func account(_ row: PostgresRandomAccessRow) throws -> Account {
        Account(id: try row.value("id"), organization: try row.value("organization_id"), username: try row.value("username"),
                displayName: try row.value("display_name"), role: Role(rawValue: try row.value("role")) ?? .investigator,
                status: Account.Status(rawValue: try row.value("status")) ?? .disabled,
                trialExpiresAt: try row.value("trial_expires_at"), trialSearchQuota: try row.value("trial_search_quota"),
                createdAt: try row.value("created_at"), mustChangePassword: try row.value("must_change_password"))
    }

    // MARK: Sessions and API keys

    // Expiry is the caller's (the server's) clock, as it set `expiresAt` by it.
    public func createSession(tokenHash: String, account: AccountID, csrfToken: String, expiresAt: Date) async throws {
        try await transaction { connection in
            try await connection.run("DELETE FROM session WHERE expires_at < \(Date())")
            try await connection.run("""
                INSERT INTO session (token_hash, account_id, csrf_token, expires_at)
                VALUES (\(tokenHash), \(account), \(csrfToken), \(expiresAt))
                """)
        }
    }

    public func session(tokenHash: String) async throws -> (account: Account, csrfToken: String)? {
        try await rows("""
            SELECT a.*, s.csrf_token FROM session s JOIN account a ON a.id = s.account_id
            WHERE s.token_hash = \(tokenHash) AND s.expires_at > \(Date())
            """).first.map { row in (try Self.account(row), try row.value("csrf_token")) }
    }

    public func deleteSession(tokenHash: String) async throws {
        try await run("DELETE FROM session WHERE token_hash = \(tokenHash)")
    }

    public func createAPIKey(account: AccountID, keyHash: String, prefix: String, label: String) async throws -> APIKey {
        try Self.apiKey(try await rows("""
            INSERT INTO api_key (account_id, key_hash, prefix, label) VALUES (\(account), \(keyHash), \(prefix), \(label))
            RETURNING *
            """)[0])
    }

    public func apiKeys(of account: AccountID) async throws -> [APIKey] {
        try await rows("SELECT * FROM api_key WHERE account_id = \(account) ORDER BY id").map(Self.apiKey)
    }

    public func account(apiKeyHash: String) async throws -> Account? {
        try await rows("""
            SELECT a.* FROM api_key k JOIN account a ON a.id = k.account_id
            WHERE k.key_hash = \(apiKeyHash) AND k.revoked_at IS NULL
            """).first.map(Self.account)
    }

    public func revokeAPIKey(_ id: Int64, of account: AccountID) async throws -> Bool {
        !(try await rows("""
            UPDATE api_key SET revoked_at = now() WHERE id = \(id) AND account_id = \(account) AND revoked_at IS NULL RETURNING id
            """).isEmpty)
    }

    static func apiKey(_ row: PostgresRandomAccessRow) throws -> APIKey {
        APIKey(id: try row.value("id"), account: try row.value("account_id"), prefix: try row.value("prefix"),
               label: try row.value("label"), createdAt: try row.value("created_at"), revokedAt: try row.value("revoked_at"))
    }

    // MARK: Audit

    public func appendAudit(_ new: NewAuditEntry) async throws -> AuditEntry {
        try await transaction { connection in try await Self.appendAudit(new, on: connection) }
    }

    /// Appends within a transaction of the caller's, so that the entry commits with what it records.
    static func appendAudit(_ new: NewAuditEntry, on connection: PostgresConnection) async throws -> AuditEntry {
        let collections = try Self.json(new.collections)
        // One append at a time, whichever server or worker appends: EXCLUSIVE mode conflicts
        // with itself and with the lock every insert takes, while reads go on. So the last
        // entry read below is the one this entry follows, and the chain never forks.
        try await connection.run("LOCK TABLE audit_entry IN EXCLUSIVE MODE")
        let last = try await connection.rows("SELECT id, hash FROM audit_entry ORDER BY id DESC LIMIT 1").first
        let id = (try last?.value("id", as: Int64.self) ?? 0) + 1
        let previous = try last?.value("hash", as: String.self) ?? AuditEntry.genesisHash
        // The database's clock, read under the lock: entries from several servers are in
        // time order as they are in ID order. Stored as the exact text that is hashed.
        let now: Date = try await connection.rows("SELECT clock_timestamp() AS now")[0].value("now")
        let at = AuditEntry.timestamp(now)
        let thumbnailSHA256 = new.probeThumbnail.map { SHA256.hash(data: $0).hexString }
        // A candidate list is kept apart, so that it can be deleted with the chain intact.
        let candidatesSHA256 = new.candidates.isEmpty ? nil : AuditEntry.candidatesDigest(new.candidates)
        let hash = AuditEntry.chainHash(id: id, at: at, entry: new, thumbnailSHA256: thumbnailSHA256,
                                        candidatesSHA256: candidatesSHA256, previousHash: previous)
        try await connection.run("""
            INSERT INTO audit_entry (id, at, organization_id, actor_id, actor, action, outcome, case_number, purpose,
                                     offence, probe_sha256, collections, candidates, client_address,
                                     detail, previous_hash, hash)
            VALUES (\(id), \(at), \(new.organization), \(new.actorID), \(new.actor), \(new.action), \(new.outcome),
                    \(new.caseNumber), \(new.purpose), \(new.offence), \(new.probeSHA256),
                    \(collections), '[]', \(new.clientAddress), \(new.detail), \(previous), \(hash))
            """)
        if let candidatesSHA256 {
            try await connection.run("""
                INSERT INTO audit_candidates (entry_id, sha256, candidates) VALUES (\(id), \(candidatesSHA256), \(try Self.json(new.candidates)))
                """)
        }
        if let thumbnail = new.probeThumbnail, let thumbnailSHA256 {
            let (face, request) = new.thumbnailShows.columns
            try await connection.run("""
                INSERT INTO audit_thumbnail (entry_id, sha256, jpeg, face_id, request_reference)
                VALUES (\(id), \(thumbnailSHA256), \(ByteBuffer(bytes: thumbnail)), \(face), \(request))
                """)
            // The probe face goes with the thumbnail (every redaction deletes both), so only beside one.
            if let probeFace = new.probeFace {
                try await connection.run("""
                    INSERT INTO search_probe_face (entry_id, jpeg, landmarks)
                    VALUES (\(id), \(ByteBuffer(bytes: probeFace.jpeg)), \(probeFace.storedLandmarks))
                    """)
            }
        }
        return AuditEntry(id: id, at: at, entry: new, thumbnailSHA256: thumbnailSHA256, candidatesSHA256: candidatesSHA256,
                          previousHash: previous, hash: hash)
    }

    public func auditEntries(organization: OrganizationID?, from: Date?, to: Date?, after: Int64,
                             limit: Int) async throws -> [AuditEntry] {
        // `at` is ISO 8601 text in byte order (COLLATE "C"), so text order is time order.
        let from = from.map(AuditEntry.timestamp), to = to.map(AuditEntry.timestamp)
        return try await rows("""
            SELECT \(unescaped: Self.auditColumns) FROM \(unescaped: Self.auditSource)
            WHERE id > \(after) AND (\(organization)::bigint IS NULL OR organization_id = \(organization))
              AND (\(from)::text IS NULL OR at >= \(from)) AND (\(to)::text IS NULL OR at < \(to))
            ORDER BY id LIMIT \(limit)
            """).map(Self.auditEntry)
    }

    public func auditCount(actor: AccountID, action: String) async throws -> Int {
        try await rows("""
            SELECT COUNT(*) AS entries FROM audit_entry WHERE actor_id = \(actor) AND action = \(action) AND outcome = 'ok'
            """)[0].value("entries")
    }

    public func latestAuditEntries(organization: OrganizationID, limit: Int) async throws -> [AuditEntry] {
        try await rows("SELECT \(unescaped: Self.auditColumns) FROM \(unescaped: Self.auditSource) WHERE organization_id = \(organization) ORDER BY id DESC LIMIT \(limit)")
            .map(Self.auditEntry)
    }

    public func auditEntries(organization: OrganizationID, caseNumber: String) async throws -> [AuditEntry] {
        try await rows("""
            SELECT \(unescaped: Self.auditColumns) FROM \(unescaped: Self.auditSource)
            WHERE organization_id = \(organization) AND case_number = \(caseNumber) ORDER BY id
            """).map(Self.auditEntry)
    }

    public func auditEntries(actor: AccountID, action: String, limit: Int) async throws -> [AuditEntry] {
        try await rows("""
            SELECT \(unescaped: Self.auditColumns) FROM \(unescaped: Self.auditSource) WHERE actor_id = \(actor) AND action = \(action) ORDER BY id DESC LIMIT \(limit)
            """).map(Self.auditEntry)
    }

    public func auditThumbnail(entry: Int64, organization: OrganizationID) async throws -> AuditThumbnail? {
        try await rows("""
            SELECT t.sha256, t.jpeg, t.redacted_at FROM audit_thumbnail t JOIN audit_entry a ON a.id = t.entry_id
            WHERE t.entry_id = \(entry) AND a.organization_id = \(organization)
            """).first.map { row in
            AuditThumbnail(sha256: try row.value("sha256"), jpeg: try row.value("jpeg", as: ByteBuffer?.self).map { Array($0.readableBytesView) },
                           redactedAt: try row.value("redacted_at"))
        }
    }

    public func probeFace(entry: Int64, organization: OrganizationID) async throws -> ProbeFace? {
        try await rows("""
            SELECT p.jpeg, p.landmarks FROM search_probe_face p JOIN audit_entry a ON a.id = p.entry_id
            WHERE p.entry_id = \(entry) AND a.organization_id = \(organization)
            """).first.map { row in
            ProbeFace(jpeg: Array(try row.value("jpeg", as: ByteBuffer.self).readableBytesView),
                      landmarks: ProbeFace.landmarks(stored: try row.value("landmarks")))
        }
    }

    public func redactAuditThumbnails(of subject: ThumbnailSubject) async throws {
        let (face, request) = subject.columns
        // One statement, so both go or neither.
        try await run("""
            WITH probe_faces AS (
                DELETE FROM search_probe_face WHERE entry_id IN (
                    SELECT entry_id FROM audit_thumbnail WHERE face_id = \(face) OR request_reference = \(request)))
            UPDATE audit_thumbnail SET jpeg = NULL, redacted_at = now()
            WHERE jpeg IS NOT NULL AND (face_id = \(face) OR request_reference = \(request))
            """)
    }

    /// A pivot search's audit thumbnail is a gallery face's crop: it goes with the face, in the
    /// erasure's own transaction, and its probe face with it.
    static func redactAuditThumbnails(showing faces: [FaceID], on connection: PostgresConnection) async throws {
        try await connection.run("""
            DELETE FROM search_probe_face WHERE entry_id IN (SELECT entry_id FROM audit_thumbnail WHERE face_id = ANY(\(faces)))
            """)
        try await connection.run("""
            UPDATE audit_thumbnail SET jpeg = NULL, redacted_at = now() WHERE jpeg IS NOT NULL AND face_id = ANY(\(faces))
            """)
    }

    /// The entry's columns, its thumbnail's digest (never the thumbnail's bytes), and its
    /// candidate list kept apart, with the list's digest and deletion.
    static let auditColumns = """
        audit_entry.*, (SELECT sha256 FROM audit_thumbnail t WHERE t.entry_id = audit_entry.id) AS thumbnail_sha256,
        c.sha256 AS candidates_sha256, c.candidates AS kept_candidates, c.deleted_at AS candidates_deleted_at
        """

    /// What `auditColumns` reads from: each entry with its candidate list kept apart, if any.
    static let auditSource = "audit_entry LEFT JOIN audit_candidates c ON c.entry_id = audit_entry.id"

    static func auditEntry(_ row: PostgresRandomAccessRow) throws -> AuditEntry {
        let collections = (try? JSONDecoder().decode([CollectionID].self, from: Data(try row.value("collections", as: String.self).utf8))) ?? []
        let candidatesSHA256 = try row.value("candidates_sha256", as: String?.self)
        let listed = candidatesSHA256 == nil ? try row.value("candidates", as: String.self)
                                             : try row.value("kept_candidates", as: String?.self) ?? "[]"
        let candidates = (try? JSONDecoder().decode([AuditCandidate].self, from: Data(listed.utf8))) ?? []
        let entry = NewAuditEntry(
            organization: try row.value("organization_id"), actorID: try row.value("actor_id"), actor: try row.value("actor"),
            action: try row.value("action"), outcome: try row.value("outcome"), caseNumber: try row.value("case_number"),
            purpose: try row.value("purpose"), offence: try row.value("offence"), probeSHA256: try row.value("probe_sha256"),
            collections: collections, candidates: candidates, clientAddress: try row.value("client_address"),
            detail: try row.value("detail"))
        return AuditEntry(id: try row.value("id"), at: try row.value("at"), entry: entry,
                          thumbnailSHA256: try row.value("thumbnail_sha256"), candidatesSHA256: candidatesSHA256,
                          candidatesDeletedAt: try row.value("candidates_deleted_at"), previousHash: try row.value("previous_hash"),
                          hash: try row.value("hash"))
    }

    private static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
}
