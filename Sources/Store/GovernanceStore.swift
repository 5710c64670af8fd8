import Foundation
import LikenessCore

public typealias OrganizationID = Int64
public typealias AccountID = Int64

/// Who may do what, and the record of what they did: organisations, their accounts, sign-in
/// sessions, API keys, and the append-only audit log. The embedded implementation shares the
/// gallery's SQLite database (`SQLiteGalleryStore`).
public protocol GovernanceStore: Sendable {
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
    func subjectRequests(of organization: OrganizationID, status: SubjectRequest.Status?) async throws -> [SubjectRequest]
    func subjectRequest(_ id: Int64) async throws -> SubjectRequest?
    /// Closes a request with its decision and deletes its selfie.
    func closeSubjectRequest(_ id: Int64, decision: String) async throws

    // Audit
    /// Appends an entry, chained to the last one, in one transaction.
    func appendAudit(_ entry: NewAuditEntry) async throws -> AuditEntry
    /// Entries in order, optionally of one organisation and a time range [from, to).
    func auditEntries(organization: OrganizationID?, from: Date?, to: Date?, after: Int64, limit: Int) async throws -> [AuditEntry]
    /// How many entries of this action this account made (a trial's searches, say).
    func auditCount(actor: AccountID, action: String) async throws -> Int
    /// The organisation's newest entries, newest first: the audit page.
    func latestAuditEntries(organization: OrganizationID, limit: Int) async throws -> [AuditEntry]
    /// One account's entries of one action, newest first: a user's own search history.
    func auditEntries(actor: AccountID, action: String, limit: Int) async throws -> [AuditEntry]
}

public struct Organization: Sendable, Codable, Hashable {
    public var id: OrganizationID
    public var name: String
    public var dailySearchLimit: Int
    public var createdAt: Date
    /// The ISO 3166 codes it may ingest and search (a country admits its subdivisions); nil: any.
    public var jurisdictions: [String]?

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
}

public struct APIKey: Sendable, Codable, Hashable {
    public var id: Int64
    public var account: AccountID
    public var prefix: String
    public var label: String
    public var createdAt: Date
    public var revokedAt: Date?
}

public struct NewSubjectRequest: Sendable {
    public var organization: OrganizationID
    public var reference: String
    public var kind: SubjectRequest.Kind
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

public struct SubjectRequest: Sendable {
    public enum Kind: String, Sendable, CaseIterable { case access, erasure }
    public enum Status: String, Sendable { case open, closed }
    public var id: Int64
    public var organization: OrganizationID
    public var reference: String
    public var kind: Kind
    public var status: Status
    /// Nil once the request is closed.
    public var selfie: [UInt8]?
    public var contact: String
    public var suppressionConsent: Bool
    public var createdAt: Date
    public var closedAt: Date?
    public var decision: String?
}
