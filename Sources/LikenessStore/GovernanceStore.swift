import Foundation
import LikenessCore

public typealias OrganizationID = Int64
public typealias AccountID = Int64

/// Who may do what, and the record of what they did: organisations, their accounts, sign-in
/// sessions, API keys, and the append-only audit log. The embedded implementation shares the
/// gallery's SQLite database (`SQLiteGalleryStore`).
public protocol GovernanceStore: CaseStore, TrainingStore, ReviewStore, WatchStore {
    // Organisations
    func createOrganization(name: String) async throws -> Organization
    func organization(_ id: OrganizationID) async throws -> Organization?
    func organization(named name: String) async throws -> Organization?
    func organizations() async throws -> [Organization]
    func setDailySearchLimit(_ limit: Int, for organization: OrganizationID) async throws
    /// The ISO 3166 codes whose collections the organisation may ingest and search; nil: any.
    func setJurisdictions(_ codes: [String]?, for organization: OrganizationID) async throws

    // Accounts
    func createAccount(_ account: NewAccount) async throws -> Account
    func account(_ id: AccountID) async throws -> Account?
    func account(username: String) async throws -> (account: Account, passwordHash: String)?
    func accounts(in organization: OrganizationID) async throws -> [Account]
    func updateAccount(_ account: Account) async throws
    /// A new password hash, and whether it must be changed at the next sign-in. Ends every
    /// session of the account but `keepingSession` (the one that changed it), in one transaction.
    func setPassword(of account: AccountID, hash: String, mustChange: Bool, keepingSession: String?) async throws
    /// How many accounts of the organisation wait for approval.
    func pendingAccountCount(in organization: OrganizationID) async throws -> Int

    // Sessions and API keys, stored by the SHA-256 of their secret
    func createSession(tokenHash: String, account: AccountID, csrfToken: String, expiresAt: Date) async throws
    func session(tokenHash: String) async throws -> (account: Account, csrfToken: String)?
    func deleteSession(tokenHash: String) async throws
    func createAPIKey(account: AccountID, keyHash: String, prefix: String, label: String) async throws -> APIKey
    func apiKeys(of account: AccountID) async throws -> [APIKey]
    func account(apiKeyHash: String) async throws -> Account?
    func revokeAPIKey(_ id: Int64, of account: AccountID) async throws -> Bool

    // Access and erasure requests from the public
    func createSubjectRequest(_ request: NewSubjectRequest) async throws -> SubjectRequest
    /// Newest first, without their selfies.
    func subjectRequests(of organization: OrganizationID, status: SubjectRequest.Status?) async throws -> [SubjectRequest]
    func subjectRequest(_ id: Int64) async throws -> SubjectRequest?
    /// The request's selfie, while the request is open.
    func subjectRequestSelfie(_ id: Int64) async throws -> [UInt8]?
    /// Records how the requester's identity was checked. False when the request was not
    /// awaiting that (already verified or ended): the change is atomic, so two admins cannot
    /// both verify it.
    func verifySubjectRequest(_ id: Int64, verification: IdentityVerification) async throws -> Bool
    /// Adds faces found for an open request; a face already listed keeps its first finding.
    func addSubjectFindings(_ findings: [SubjectFinding], to request: Int64) async throws
    /// The faces found for a request, nearest first.
    func subjectFindings(of request: Int64) async throws -> [SubjectFinding]
    /// Ends an open request (`closed`, `rejected` or `expired`) with its decision, and deletes
    /// its selfie and findings. False when it had already ended.
    func endSubjectRequest(_ id: Int64, status: SubjectRequest.Status, decision: String) async throws -> Bool

    // Audit
    /// Appends an entry, chained to the last one, in one transaction.
    func appendAudit(_ entry: NewAuditEntry) async throws -> AuditEntry
    /// Entries in order, optionally of one organisation and a time range [from, to).
    func auditEntries(organization: OrganizationID?, from: Date?, to: Date?, after: Int64, limit: Int) async throws -> [AuditEntry]
    /// How many entries of this action this account made (a trial's searches, say).
    func auditCount(actor: AccountID, action: String) async throws -> Int
    /// The organisation's newest entries, newest first: the audit page.
    func latestAuditEntries(organization: OrganizationID, limit: Int) async throws -> [AuditEntry]
    /// The organisation's entries of one case, oldest first: its searches, reviews and decisions.
    func auditEntries(organization: OrganizationID, caseNumber: String) async throws -> [AuditEntry]
    /// One account's entries of one action, newest first: a user's own search history.
    func auditEntries(actor: AccountID, action: String, limit: Int) async throws -> [AuditEntry]
    /// The probe thumbnail of an entry of the organisation.
    func auditThumbnail(entry: Int64, organization: OrganizationID) async throws -> AuditThumbnail?
    /// A search entry's probe face, while its thumbnail is held (`NewAuditEntry.probeFace`).
    func probeFace(entry: Int64, organization: OrganizationID) async throws -> ProbeFace?
    /// Redacts the thumbnails of a privacy request's selfie (erasing faces redacts theirs),
    /// and deletes their entries' probe faces.
    func redactAuditThumbnails(of subject: ThumbnailSubject) async throws
    /// The newest entry's ID and hash: the head a checkpoint signs. Nil while the log is empty.
    func auditHead() async throws -> (id: Int64, hash: String)?

    // Signed checkpoints of the audit chain's head, append-only like the entries
    /// Records a checkpoint, numbered after every one before it.
    func appendAuditCheckpoint(_ checkpoint: NewAuditCheckpoint) async throws -> AuditCheckpoint
    /// Checkpoints numbered above `after`, oldest first.
    func auditCheckpoints(after: Int64, limit: Int) async throws -> [AuditCheckpoint]
    /// The checkpoint recorded last.
    func latestAuditCheckpoint() async throws -> AuditCheckpoint?
}

extension GovernanceStore {
    /// The entry numbered `id`, if the log holds it (and, with `organization`, it is that organisation's).
    public func auditEntry(_ id: Int64, organization: OrganizationID?) async throws -> AuditEntry? {
        guard id > 0 else { return nil }
        let next = try await auditEntries(organization: organization, from: nil, to: nil, after: id - 1, limit: 1).first
        return next?.id == id ? next : nil
    }
}

public struct Organization: Sendable, Codable, Hashable {
    public var id: OrganizationID
    public var name: String
    public var dailySearchLimit: Int
    public var createdAt: Date
    /// The ISO 3166 codes it may ingest and search (a country admits its subdivisions); nil: any.
    public var jurisdictions: [String]?
    public var caseAuthorisation: CaseAuthorisationPolicy
    /// How old a training record may be for its account to search.
    public var trainingValidityMonths: Int

    public init(id: OrganizationID, name: String, dailySearchLimit: Int, createdAt: Date,
                jurisdictions: [String]? = nil, caseAuthorisation: CaseAuthorisationPolicy = .required,
                trainingValidityMonths: Int = 12) {
        self.id = id
        self.name = name
        self.dailySearchLimit = dailySearchLimit
        self.createdAt = createdAt
        self.jurisdictions = jurisdictions
        self.caseAuthorisation = caseAuthorisation
        self.trainingValidityMonths = trainingValidityMonths
    }

    /// Whether a collection in `code` is within the organisation's jurisdictions.
    public func allows(jurisdiction code: String) -> Bool {
        guard let jurisdictions else { return true }
        return jurisdictions.contains { code == $0 || code.hasPrefix($0 + "-") }
    }
}

public enum Role: String, Sendable, Codable, CaseIterable {
    /// Users, roles, collections, settings.
    case admin
    /// Reads every search and the audit of the organisation; sees alerts.
    case supervisor
    /// Searches.
    case investigator
    /// Reads the audit and reports; changes nothing.
    case auditor
    /// Compares a search's candidates with its probe, and verifies another examiner's lead.
    case examiner
}

public struct NewAccount: Sendable {
    public var organization: OrganizationID
    public var username: String
    public var displayName: String
    public var passwordHash: String
    public var role: Role
    public var status: Account.Status
    /// Its password was handed to it (a one-time password): it must choose its own first.
    public var mustChangePassword: Bool

    public init(organization: OrganizationID, username: String, displayName: String, passwordHash: String,
                role: Role, status: Account.Status, mustChangePassword: Bool = false) {
        self.organization = organization
        self.username = username
        self.displayName = displayName
        self.passwordHash = passwordHash
        self.role = role
        self.status = status
        self.mustChangePassword = mustChangePassword
    }
}

public struct Account: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable, CaseIterable { case pending, active, disabled }
    public var id: AccountID
    public var organization: OrganizationID
    public var username: String
    public var displayName: String
    public var role: Role
    public var status: Status
    /// A trial account works until this time, for at most `trialSearchQuota` searches.
    public var trialExpiresAt: Date?
    public var trialSearchQuota: Int?
    public var createdAt: Date
    /// Set for a one-time password (first start, `admin create`, an admin's reset): until the
    /// account chooses its own, it can do nothing else.
    public var mustChangePassword = false

    public init(id: AccountID, organization: OrganizationID, username: String, displayName: String, role: Role,
                status: Status, trialExpiresAt: Date? = nil, trialSearchQuota: Int? = nil, createdAt: Date,
                mustChangePassword: Bool = false) {
        self.id = id
        self.organization = organization
        self.username = username
        self.displayName = displayName
        self.role = role
        self.status = status
        self.trialExpiresAt = trialExpiresAt
        self.trialSearchQuota = trialSearchQuota
        self.createdAt = createdAt
        self.mustChangePassword = mustChangePassword
    }
}

public struct APIKey: Sendable, Codable, Hashable {
    public var id: Int64
    public var account: AccountID
    public var prefix: String
    public var label: String
    public var createdAt: Date
    public var revokedAt: Date?

    public init(id: Int64, account: AccountID, prefix: String, label: String, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.account = account
        self.prefix = prefix
        self.label = label
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

public struct NewSubjectRequest: Sendable {
    public var organization: OrganizationID
    public var reference: String
    public var kind: SubjectRequest.Kind
    /// Re-encoded small by whoever filed it: never the bytes a member of the public sent.
    public var selfie: [UInt8]
    public var contact: String
    public var suppressionConsent: Bool

    public init(organization: OrganizationID, reference: String, kind: SubjectRequest.Kind, selfie: [UInt8], contact: String,
                suppressionConsent: Bool) {
        self.organization = organization
        self.reference = reference
        self.kind = kind
        self.selfie = selfie
        self.contact = contact
        self.suppressionConsent = suppressionConsent
    }
}

/// A privacy request. Nothing is looked up for it until an admin has checked the requester's
/// identity (`verified`); it ends `closed` (answered or erased), `rejected` (identity not
/// shown) or `expired` (never verified).
public struct SubjectRequest: Sendable {
    public enum Kind: String, Sendable, CaseIterable { case access, erasure }
    public enum Status: String, Sendable, CaseIterable {
        case unverified, verified, closed, rejected, expired
        public var isOpen: Bool { self == .unverified || self == .verified }
    }
    public var id: Int64
    public var organization: OrganizationID
    public var reference: String
    public var kind: Kind
    public var status: Status
    /// As the requester gave it; answers go only to the verified contact.
    public var contact: String
    public var suppressionConsent: Bool
    public var createdAt: Date
    public var closedAt: Date?
    public var decision: String?
    public var verification: IdentityVerification?

    public init(id: Int64, organization: OrganizationID, reference: String, kind: Kind, status: Status, contact: String,
                suppressionConsent: Bool, createdAt: Date, closedAt: Date?, decision: String?, verification: IdentityVerification?) {
        self.id = id
        self.organization = organization
        self.reference = reference
        self.kind = kind
        self.status = status
        self.contact = contact
        self.suppressionConsent = suppressionConsent
        self.createdAt = createdAt
        self.closedAt = closedAt
        self.decision = decision
        self.verification = verification
    }
}

/// How an admin satisfied themselves that the requester is the person in the selfie. The
/// document itself is never stored.
public struct IdentityVerification: Sendable {
    public enum Method: String, Sendable, CaseIterable {
        case documentSeen = "document_seen", inPerson = "in_person", knownContact = "known_contact"
    }
    public var method: Method
    public var note: String
    /// Where the answer goes: a contact the admin has confirmed belongs to the requester.
    public var answerTo: String
    public var verifiedBy: AccountID
    public var verifiedByName: String
    public var at: Date

    public init(method: Method, note: String, answerTo: String, verifiedBy: AccountID, verifiedByName: String, at: Date) {
        self.method = method
        self.note = note
        self.answerTo = answerTo
        self.verifiedBy = verifiedBy
        self.verifiedByName = verifiedByName
        self.at = at
    }
}

/// A gallery face found for a privacy request, by which probe and in which audited lookup.
public struct SubjectFinding: Sendable, Hashable {
    public var face: FaceID
    public var distance: Float
    public var band: String
    /// "selfie", or "face N" when a face the admin confirmed was used as a further probe.
    public var foundBy: String
    public var auditEntry: Int64

    public init(face: FaceID, distance: Float, band: String, foundBy: String, auditEntry: Int64) {
        self.face = face
        self.distance = distance
        self.band = band
        self.foundBy = foundBy
        self.auditEntry = auditEntry
    }
}
