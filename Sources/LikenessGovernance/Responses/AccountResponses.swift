import Foundation
import LikenessStore

/// An account as the API shows it (the `Account` schema).
public struct AccountResponse: Encodable, Sendable {
    public var id: AccountID
    public var organizationID: OrganizationID
    public var username: String
    public var displayName: String
    public var role: Role
    public var status: Account.Status
    @Nullable public var trialExpiresAt: String?
    @Nullable public var trialSearchQuota: Int?
    public var createdAt: String
    public var mustChangePassword: Bool

    public init(_ account: Account) {
        id = account.id
        organizationID = account.organization
        username = account.username
        displayName = account.displayName
        role = account.role
        status = account.status
        trialExpiresAt = account.trialExpiresAt.map(AuditEntry.timestamp)
        trialSearchQuota = account.trialSearchQuota
        createdAt = AuditEntry.timestamp(account.createdAt)
        mustChangePassword = account.mustChangePassword
    }
}

public struct AccountsResponse: Encodable, Sendable {
    public var accounts: [AccountResponse]
    public init(_ accounts: [Account]) { self.accounts = accounts.map(AccountResponse.init) }
}

/// A sign-in: the account, and the CSRF token the session's unsafe calls carry.
public struct SessionResponse: Encodable, Sendable {
    public var account: AccountResponse
    public var csrfToken: String
    public init(account: Account, csrfToken: String) {
        self.account = AccountResponse(account)
        self.csrfToken = csrfToken
    }
}

/// Who the caller is, and the name of their organisation.
public struct CallerResponse: Encodable, Sendable {
    public var account: AccountResponse
    public var organization: String
    public init(account: Account, organization: String) {
        self.account = AccountResponse(account)
        self.organization = organization
    }
}

/// An admin's reset: the account and its one-time password, shown this once.
public struct PasswordResetResponse: Encodable, Sendable {
    public var account: AccountResponse
    public var password: String
    public init(account: Account, password: String) {
        self.account = AccountResponse(account)
        self.password = password
    }
}

/// An API key without its secret (the `APIKey` schema).
public struct APIKeyResponse: Encodable, Sendable {
    public var id: Int64
    public var prefix: String
    public var label: String
    public var createdAt: String
    @Nullable public var revokedAt: String?

    public init(_ key: APIKey) {
        id = key.id
        prefix = key.prefix
        label = key.label
        createdAt = AuditEntry.timestamp(key.createdAt)
        revokedAt = key.revokedAt.map(AuditEntry.timestamp)
    }
}

public struct APIKeysResponse: Encodable, Sendable {
    public var apiKeys: [APIKeyResponse]
    public init(_ keys: [APIKey]) { apiKeys = keys.map(APIKeyResponse.init) }
}

/// A key just made, with its secret, which is shown this once.
public struct NewAPIKeyResponse: Encodable, Sendable {
    public var apiKey: APIKeyResponse
    public var key: String
    public init(_ key: APIKey, secret: String) {
        apiKey = APIKeyResponse(key)
        self.key = secret
    }
}
