import Crypto
import Foundation
import LikenessStore
import GRDB
import LikenessCore

/// Organisations, accounts, sessions, API keys and the audit log, in the gallery's database.
extension SQLiteGalleryStore: GovernanceStore {
    // MARK: Organisations

    public func createOrganization(name: String) async throws -> Organization {
        try await database.write { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM organization WHERE name = ?", arguments: [name]) != nil {
                throw StoreError.conflict("an organisation named '\(name)' already exists")
            }
            let now = Date()
            try db.execute(sql: "INSERT INTO organization (name, created_at) VALUES (?, ?)", arguments: [name, now])
            return Organization(id: db.lastInsertedRowID, name: name, dailySearchLimit: 50, createdAt: now, jurisdictions: nil)
        }
    }

    public func organization(_ id: OrganizationID) async throws -> Organization? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM organization WHERE id = ?", arguments: [id]).map(Self.organization)
        }
    }

    public func organization(named name: String) async throws -> Organization? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM organization WHERE name = ?", arguments: [name]).map(Self.organization)
        }
    }

    public func organizations() async throws -> [Organization] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM organization ORDER BY name").map(Self.organization)
        }
    }

    public func setDailySearchLimit(_ limit: Int, for organization: OrganizationID) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE organization SET daily_search_limit = ? WHERE id = ?", arguments: [limit, organization])
        }
    }

    public func setJurisdictions(_ codes: [String]?, for organization: OrganizationID) async throws {
        let json = try codes.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
        try await database.write { db in
            try db.execute(sql: "UPDATE organization SET jurisdictions = ? WHERE id = ?", arguments: [json, organization])
        }
    }

    static func organization(_ row: Row) -> Organization {
        let jurisdictions = (row["jurisdictions"] as String?).flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        return Organization(id: row["id"], name: row["name"], dailySearchLimit: row["daily_search_limit"], createdAt: row["created_at"],
                            jurisdictions: jurisdictions,
                            caseAuthorisation: CaseAuthorisationPolicy(rawValue: row["case_authorisation"] ?? "") ?? .required,
                            trainingValidityMonths: row["training_validity_months"] ?? 12)
    }

    // MARK: Accounts

    public func createAccount(_ new: NewAccount) async throws -> Account {
        try await database.write { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM account WHERE username = ?", arguments: [new.username]) != nil {
                throw StoreError.conflict("the username '\(new.username)' is taken")
            }
            let now = Date()
            try db.execute(sql: """
                INSERT INTO account (organization_id, username, display_name, password_hash, role, status, created_at,
                                     must_change_password)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [new.organization, new.username, new.displayName, new.passwordHash, new.role.rawValue,
                                 new.status.rawValue, now, new.mustChangePassword])
            return Account(id: db.lastInsertedRowID, organization: new.organization, username: new.username,
                           displayName: new.displayName, role: new.role, status: new.status, createdAt: now,
                           mustChangePassword: new.mustChangePassword)
        }
    }

    public func account(_ id: AccountID) async throws -> Account? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM account WHERE id = ?", arguments: [id]).map(Self.account)
        }
    }

    public func account(username: String) async throws -> (account: Account, passwordHash: String)? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM account WHERE username = ?", arguments: [username]).map { row in
                (Self.account(row), row["password_hash"])
            }
        }
    }

    public func accounts(in organization: OrganizationID) async throws -> [Account] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM account WHERE organization_id = ? ORDER BY username",
                             arguments: [organization]).map(Self.account)
        }
    }

    public func updateAccount(_ account: Account) async throws {
        try await database.write { db in
            try db.execute(sql: """
                UPDATE account SET display_name = ?, role = ?, status = ?, trial_expires_at = ?, trial_search_quota = ?
                WHERE id = ?
                """, arguments: [account.displayName, account.role.rawValue, account.status.rawValue,
                                 account.trialExpiresAt, account.trialSearchQuota, account.id])
            if account.status != .active {
                try db.execute(sql: "DELETE FROM session WHERE account_id = ?", arguments: [account.id])
            }
        }
    }

    public func setPassword(of account: AccountID, hash: String, mustChange: Bool, keepingSession: String?) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE account SET password_hash = ?, must_change_password = ? WHERE id = ?",
                           arguments: [hash, mustChange, account])
            try db.execute(sql: "DELETE FROM session WHERE account_id = ? AND token_hash IS NOT ?",
                           arguments: [account, keepingSession])
        }
    }

    public func pendingAccountCount(in organization: OrganizationID) async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account WHERE organization_id = ? AND status = 'pending'",
                             arguments: [organization]) ?? 0
        }
    }

    static func account(_ row: Row) -> Account {
        Account(id: row["id"], organization: row["organization_id"], username: row["username"],
                displayName: row["display_name"], role: Role(rawValue: row["role"]) ?? .investigator,
                status: Account.Status(rawValue: row["status"]) ?? .disabled, trialExpiresAt: row["trial_expires_at"],
                trialSearchQuota: row["trial_search_quota"], createdAt: row["created_at"],
                mustChangePassword: row["must_change_password"])
    }

    // MARK: Sessions and API keys

    public func createSession(tokenHash: String, account: AccountID, csrfToken: String, expiresAt: Date) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM session WHERE expires_at < ?", arguments: [Date()])
            try db.execute(sql: "INSERT INTO session (token_hash, account_id, csrf_token, expires_at) VALUES (?, ?, ?, ?)",
                           arguments: [tokenHash, account, csrfToken, expiresAt])
        }
    }

    public func session(tokenHash: String) async throws -> (account: Account, csrfToken: String)? {
        try await database.read { db in
            try Row.fetchOne(db, sql: """
                SELECT a.*, s.csrf_token FROM session s JOIN account a ON a.id = s.account_id
                WHERE s.token_hash = ? AND s.expires_at > ?
                """, arguments: [tokenHash, Date()]).map { row in (Self.account(row), row["csrf_token"]) }
        }
    }

    public func deleteSession(tokenHash: String) async throws {
        try await database.write { db in
            try db.execute(sql: "DELETE FROM session WHERE token_hash = ?", arguments: [tokenHash])
        }
    }

    public func createAPIKey(account: AccountID, keyHash: String, prefix: String, label: String) async throws -> APIKey {
        try await database.write { db in
            let now = Date()
            try db.execute(sql: "INSERT INTO api_key (account_id, key_hash, prefix, label, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [account, keyHash, prefix, label, now])
            return APIKey(id: db.lastInsertedRowID, account: account, prefix: prefix, label: label, createdAt: now)
        }
    }

    public func apiKeys(of account: AccountID) async throws -> [APIKey] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_key WHERE account_id = ? ORDER BY id", arguments: [account]).map { row in
                APIKey(id: row["id"], account: row["account_id"], prefix: row["prefix"], label: row["label"],
                       createdAt: row["created_at"], revokedAt: row["revoked_at"])
            }
        }
    }

    public func account(apiKeyHash: String) async throws -> Account? {
        try await database.read { db in
            try Row.fetchOne(db, sql: """
                SELECT a.* FROM api_key k JOIN account a ON a.id = k.account_id
                WHERE k.key_hash = ? AND k.revoked_at IS NULL
                """, arguments: [apiKeyHash]).map(Self.account)
        }
    }

    public func revokeAPIKey(_ id: Int64, of account: AccountID) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "UPDATE api_key SET revoked_at = ? WHERE id = ? AND account_id = ? AND revoked_at IS NULL",
                           arguments: [Date(), id, account])
            return db.changesCount > 0
        }
    }

    // MARK: Audit

    public func appendAudit(_ new: NewAuditEntry) async throws -> AuditEntry {
        try await database.write { db in try Self.appendAudit(new, db) }
    }

    /// Appends within a transaction of the caller's, so that the entry commits with what it records.
    static func appendAudit(_ new: NewAuditEntry, _ db: Database) throws -> AuditEntry {
        // Writes are serialised, so the last hash read here is the one this entry follows.
        let last = try Row.fetchOne(db, sql: "SELECT id, hash FROM audit_entry ORDER BY id DESC LIMIT 1")
        let id: Int64 = (last?["id"] ?? 0) + 1
        let previous: String = last?["hash"] ?? AuditEntry.genesisHash
        let at = AuditEntry.timestamp(Date())
        let thumbnailSHA256 = new.probeThumbnail.map { SHA256.hash(data: $0).hexString }
        // A candidate list is kept apart, so that it can be deleted with the chain intact.
        let candidatesSHA256 = new.candidates.isEmpty ? nil : AuditEntry.candidatesDigest(new.candidates)
        let hash = AuditEntry.chainHash(id: id, at: at, entry: new, thumbnailSHA256: thumbnailSHA256,
                                        candidatesSHA256: candidatesSHA256, previousHash: previous)
        try db.execute(sql: """
            INSERT INTO audit_entry (id, at, organization_id, actor_id, actor, action, outcome, case_number, purpose,
                                     offence, probe_sha256, collections, candidates, client_address,
                                     detail, previous_hash, hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, ?, ?, ?)
            """, arguments: [id, at, new.organization, new.actorID, new.actor, new.action, new.outcome,
                             new.caseNumber, new.purpose, new.offence, new.probeSHA256,
                             try Self.json(new.collections), new.clientAddress, new.detail, previous, hash])
        if let candidatesSHA256 {
            try db.execute(sql: "INSERT INTO audit_candidates (entry_id, sha256, candidates) VALUES (?, ?, ?)",
                           arguments: [id, candidatesSHA256, try Self.json(new.candidates)])
        }
        if let thumbnail = new.probeThumbnail, let thumbnailSHA256 {
            let (face, request) = new.thumbnailShows.columns
            try db.execute(sql: """
                INSERT INTO audit_thumbnail (entry_id, sha256, jpeg, face_id, request_reference) VALUES (?, ?, ?, ?, ?)
                """, arguments: [id, thumbnailSHA256, Data(thumbnail), face, request])
            // The probe face goes with the thumbnail (every redaction deletes both), so only beside one.
            if let probeFace = new.probeFace {
                try db.execute(sql: "INSERT INTO search_probe_face (entry_id, jpeg, landmarks) VALUES (?, ?, ?)",
                               arguments: [id, Data(probeFace.jpeg), probeFace.storedLandmarks])
            }
        }
        return AuditEntry(id: id, at: at, entry: new, thumbnailSHA256: thumbnailSHA256, candidatesSHA256: candidatesSHA256,
                          previousHash: previous, hash: hash)
    }

    public func auditEntries(organization: OrganizationID?, from: Date?, to: Date?, after: Int64,
                             limit: Int) async throws -> [AuditEntry] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.auditColumns) FROM \(Self.auditSource)
                WHERE id > ? AND (?2 IS NULL OR organization_id = ?2) AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4)
                ORDER BY id LIMIT ?5
                """, arguments: [after, organization, from.map(AuditEntry.timestamp), to.map(AuditEntry.timestamp), limit])
                .map(Self.auditEntry)
        }
    }

    public func auditCount(actor: AccountID, action: String) async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit_entry WHERE actor_id = ? AND action = ? AND outcome = 'ok'",
                             arguments: [actor, action]) ?? 0
        }
    }

    public func latestAuditEntries(organization: OrganizationID, limit: Int) async throws -> [AuditEntry] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.auditColumns) FROM \(Self.auditSource) WHERE organization_id = ? ORDER BY id DESC LIMIT ?",
                             arguments: [organization, limit]).map(Self.auditEntry)
        }
    }

    public func auditEntries(organization: OrganizationID, caseNumber: String) async throws -> [AuditEntry] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.auditColumns) FROM \(Self.auditSource) WHERE organization_id = ? AND case_number = ? ORDER BY id",
                             arguments: [organization, caseNumber]).map(Self.auditEntry)
        }
    }

    public func auditEntries(actor: AccountID, action: String, limit: Int) async throws -> [AuditEntry] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.auditColumns) FROM \(Self.auditSource) WHERE actor_id = ? AND action = ? ORDER BY id DESC LIMIT ?",
                             arguments: [actor, action, limit]).map(Self.auditEntry)
        }
    }

    public func auditThumbnail(entry: Int64, organization: OrganizationID) async throws -> AuditThumbnail? {
        try await database.read { db in
            try Row.fetchOne(db, sql: """
                SELECT t.sha256, t.jpeg, t.redacted_at FROM audit_thumbnail t JOIN audit_entry a ON a.id = t.entry_id
                WHERE t.entry_id = ? AND a.organization_id = ?
                """, arguments: [entry, organization]).map { row in
                AuditThumbnail(sha256: row["sha256"], jpeg: (row["jpeg"] as Data?).map { [UInt8]($0) }, redactedAt: row["redacted_at"])
            }
        }
    }

    public func probeFace(entry: Int64, organization: OrganizationID) async throws -> ProbeFace? {
        try await database.read { db in
            try Row.fetchOne(db, sql: """
                SELECT p.jpeg, p.landmarks FROM search_probe_face p JOIN audit_entry a ON a.id = p.entry_id
                WHERE p.entry_id = ? AND a.organization_id = ?
                """, arguments: [entry, organization]).map { row in
                ProbeFace(jpeg: [UInt8](row["jpeg"] as Data), landmarks: ProbeFace.landmarks(stored: row["landmarks"]))
            }
        }
    }

    public func redactAuditThumbnails(of subject: ThumbnailSubject) async throws {
        let (face, request) = subject.columns
        try await database.write { db in
            try db.execute(sql: """
                DELETE FROM search_probe_face WHERE entry_id IN (
                    SELECT entry_id FROM audit_thumbnail WHERE face_id = ? OR request_reference = ?)
                """, arguments: [face, request])
            try db.execute(sql: """
                UPDATE audit_thumbnail SET jpeg = NULL, redacted_at = ?
                WHERE jpeg IS NOT NULL AND (face_id = ? OR request_reference = ?)
                """, arguments: [Date(), face, request])
        }
    }

    /// A pivot search's audit thumbnail is a gallery face's crop: it goes with the face, in the
    /// erasure's own transaction (secure_delete overwrites the bytes), and its probe face with it.
    static func redactAuditThumbnails(showing faces: [FaceID], _ db: Database) throws {
        try db.execute(sql: """
            DELETE FROM search_probe_face WHERE entry_id IN (
                SELECT entry_id FROM audit_thumbnail WHERE face_id IN (SELECT value FROM json_each(?)))
            """, arguments: [jsonArray(faces)])
        try db.execute(sql: """
            UPDATE audit_thumbnail SET jpeg = NULL, redacted_at = ?
            WHERE jpeg IS NOT NULL AND face_id IN (SELECT value FROM json_each(?))
            """, arguments: [Date(), jsonArray(faces)])
    }

    /// The entry's columns, its thumbnail's digest (never the thumbnail's bytes), and its
    /// candidate list kept apart, with the list's digest and deletion.
    static let auditColumns = """
        audit_entry.*, (SELECT sha256 FROM audit_thumbnail t WHERE t.entry_id = audit_entry.id) AS thumbnail_sha256,
        c.sha256 AS candidates_sha256, c.candidates AS kept_candidates, c.deleted_at AS candidates_deleted_at
        """

    /// What `auditColumns` reads from: each entry with its candidate list kept apart, if any.
    static let auditSource = "audit_entry LEFT JOIN audit_candidates c ON c.entry_id = audit_entry.id"

    static func auditEntry(_ row: Row) -> AuditEntry {
        let collections = (try? JSONDecoder().decode([CollectionID].self, from: Data((row["collections"] as String).utf8))) ?? []
        let candidatesSHA256: String? = row["candidates_sha256"]
        let listed: String = candidatesSHA256 == nil ? row["candidates"] : (row["kept_candidates"] ?? "[]")
        let candidates = (try? JSONDecoder().decode([AuditCandidate].self, from: Data(listed.utf8))) ?? []
        let entry = NewAuditEntry(
            organization: row["organization_id"], actorID: row["actor_id"], actor: row["actor"], action: row["action"],
            outcome: row["outcome"], caseNumber: row["case_number"], purpose: row["purpose"], offence: row["offence"],
            probeSHA256: row["probe_sha256"], collections: collections, candidates: candidates, clientAddress: row["client_address"], detail: row["detail"])
        return AuditEntry(id: row["id"], at: row["at"], entry: entry, thumbnailSHA256: row["thumbnail_sha256"],
                          candidatesSHA256: candidatesSHA256, candidatesDeletedAt: row["candidates_deleted_at"],
                          previousHash: row["previous_hash"], hash: row["hash"])
    }

    private static func json(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
}
