import Foundation
import LikenessStore

/// Who someone is and what they may do: sign-up (pending until an admin approves), sign-in
/// with throttling, sessions, API keys, role and trial changes. Every change is audited.
public struct Accounts: Sendable {
    public let store: any GovernanceStore
    public let audit: AuditLog
    let hasher: PasswordHasher
    let throttle: LoginThrottle
    let signUps: SignUpThrottle
    public static let sessionLifetime: TimeInterval = 12 * 3600

    public init(store: any GovernanceStore, hasher: PasswordHasher = PasswordHasher(), throttle: LoginThrottle = LoginThrottle(),
                signUps: SignUpThrottle = SignUpThrottle()) {
        self.store = store
        audit = AuditLog(store: store)
        self.hasher = hasher
        self.throttle = throttle
        self.signUps = signUps
    }

    /// The signed-in caller of a request: an account, and the address it came from.
    public struct Caller: Sendable {
        public var account: Account
        public var address: String?

        public init(account: Account, address: String?) {
            self.account = account
            self.address = address
        }

        public func require(_ permission: Permission) throws(GovernanceError) {
            guard account.role.allows(permission) else {
                throw .forbidden("the \(account.role.rawValue) role cannot do this (\(permission.rawValue))")
            }
        }
    }

    // MARK: Set-up

    /// A new organisation (the set-up path; its first accounts come from `createAccount`).
    public func createOrganization(name: String) async throws -> Organization {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard (1...100).contains(name.count) else { throw GovernanceError.invalid(FieldErrors("organization", "1 to 100 characters")) }
        let organization = try await store.createOrganization(name: name)
        try await audit.record(NewAuditEntry(organization: organization.id, actorID: nil, actor: "setup",
                                             action: AuditLog.Action.organizationCreated.rawValue, detail: "organisation \(name)"))
        return organization
    }

    /// An active account, approved by whoever holds the data directory (the set-up path:
    /// `serve`'s first start, `admin create`). A password printed for someone else to use is
    /// `oneTime`: the account must choose its own at its first sign-in.
    public func createAccount(in organization: Organization, username: String, password: String, role: Role,
                              oneTime: Bool = false) async throws -> Account {
        do { try PasswordHasher.check(password) } catch { throw GovernanceError.invalid(error) }
        try Self.checkUsername(username)
        if try await store.account(username: username) != nil {
            throw GovernanceError.conflict("the username '\(username)' is taken")
        }
        let admin = try await store.createAccount(NewAccount(
            organization: organization.id, username: username, displayName: username,
            passwordHash: await hasher.hash(password), role: role, status: .active, mustChangePassword: oneTime))
        try await audit.record(NewAuditEntry(organization: organization.id, actorID: nil, actor: "setup",
                                             action: AuditLog.Action.accountChange.rawValue,
                                             detail: "\(username): created as \(role.rawValue)" + (oneTime ? " with a one-time password" : "")))
        return admin
    }

    /// Every administrator of every organisation: none means nobody can approve an account yet.
    public func administrators() async throws -> [Account] {
        var found: [Account] = []
        for organization in try await store.organizations() {
            found += try await store.accounts(in: organization.id).filter { $0.role == .admin }
        }
        return found
    }

    /// With no administrator anywhere, makes `admin` with a one-time password and returns that
    /// password, for its caller to put where only the installer can read it; with one, returns
    /// nil. The account goes in the organisation named `organizationName` (made if new), or with
    /// none named, in the first organisation there is or a new one named "Likeness". Processes
    /// sharing one store may race here: the loser finds the winner's administrator and returns nil.
    public func createFirstAdministrator(organizationName: String?) async throws -> (organization: Organization, password: String)? {
        guard try await administrators().isEmpty else { return nil }
        let password = String(Secrets.token().prefix(20))
        do {
            let existing = try await store.organizations().first { $0.name == (organizationName ?? $0.name) }
            let organization = if let existing { existing } else { try await createOrganization(name: organizationName ?? "Likeness") }
            _ = try await createAccount(in: organization, username: "admin", password: password, role: .admin, oneTime: true)
            return (organization, password)
        } catch {
            if try await !administrators().isEmpty { return nil }
            throw error
        }
    }

    // MARK: Sign-up and sign-in

    /// A pending account that an admin of the organisation must approve before it can sign in.
    public func signUp(organization name: String, username: String, displayName: String, password: String,
                       address: String?) async throws -> Account {
        var errors = FieldErrors()
        if name.isEmpty { errors.add("organization", "required") }
        do { try Self.checkUsername(username) } catch GovernanceError.invalid(let e) { errors.fields += e.fields }
        if displayName.trimmingCharacters(in: .whitespaces).isEmpty || displayName.count > 100 {
            errors.add("display_name", "1 to 100 characters")
        }
        do { try PasswordHasher.check(password) } catch { errors.fields += error.fields }
        guard errors.isEmpty else { throw GovernanceError.invalid(errors) }
        guard let organization = try await store.organization(named: name) else {
            throw GovernanceError.invalid(FieldErrors("organization", "no organisation named '\(name)'"))
        }
        // Counted before the hash is paid for, so a flood costs its sender and not the server.
        if let wait = await signUps.reserve(organization: organization.id, address: address) {
            throw GovernanceError.tooManyRequests("too many sign-ups; try again in \(wait) s", retryAfterSeconds: wait)
        }
        if try await store.pendingAccountCount(in: organization.id) >= signUps.limits.pendingPerOrganization {
            throw GovernanceError.tooManyRequests(
                "\(organization.name) has too many accounts waiting for approval; try again later", retryAfterSeconds: 3600)
        }
        if try await store.account(username: username) != nil {
            throw GovernanceError.conflict("the username '\(username)' is taken")
        }
        let account = try await store.createAccount(NewAccount(
            organization: organization.id, username: username, displayName: displayName,
            passwordHash: await hasher.hash(password), role: .investigator, status: .pending))
        try await audit.record(NewAuditEntry(organization: organization.id, actorID: account.id, actor: username,
                                             action: AuditLog.Action.signUp.rawValue, clientAddress: address,
                                             detail: "pending approval"))
        return account
    }

    /// A new session for the right password of an active account. Failures are audited and
    /// throttled; the message does not say whether the username exists, nor does the time taken.
    public func signIn(username: String, password: String, address: String?) async throws -> (Account, session: String, csrf: String) {
        let reservation: LoginThrottle.Reservation
        switch await throttle.reserve(username: username, address: address) {
        case .success(let held): reservation = held
        case .failure(let wait):
            throw GovernanceError.tooManyRequests("too many failed sign-ins; try again in \(wait.seconds) s",
                                                  retryAfterSeconds: wait.seconds)
        }
        let found = try await store.account(username: username)
        let verified: Bool
        if let found {
            verified = await hasher.verify(password, against: found.passwordHash)
        } else {
            await hasher.verifyDecoy(password)
            verified = false
        }
        guard let found, verified else {
            try await audit.record(NewAuditEntry(organization: found?.account.organization, actorID: found?.account.id,
                                                 actor: String(username.prefix(64)), action: AuditLog.Action.signInFailed.rawValue,
                                                 outcome: "denied", clientAddress: address, detail: "wrong username or password"))
            throw GovernanceError.unauthenticated("wrong username or password")
        }
        await throttle.succeeded(reservation)
        let account = found.account
        if let refusal = Self.refusal(for: account) {
            try await audit.record(NewAuditEntry(organization: account.organization, actorID: account.id, actor: account.username,
                                                 action: AuditLog.Action.signInFailed.rawValue, outcome: "denied",
                                                 clientAddress: address, detail: refusal))
            throw GovernanceError.forbidden(refusal)
        }
        let token = Secrets.token()
        let csrf = Secrets.token()
        try await store.createSession(tokenHash: Secrets.digest(token), account: account.id, csrfToken: csrf,
                                      expiresAt: Date().addingTimeInterval(Self.sessionLifetime))
        try await audit.record(NewAuditEntry(organization: account.organization, actorID: account.id, actor: account.username,
                                             action: AuditLog.Action.signIn.rawValue, clientAddress: address,
                                             detail: account.mustChangePassword ? "must change its one-time password" : nil))
        return (account, token, csrf)
    }

    public func signOut(session token: String, caller: Caller) async throws {
        try await store.deleteSession(tokenHash: Secrets.digest(token))
        try await audit.record(NewAuditEntry(organization: caller.account.organization, actorID: caller.account.id,
                                             actor: caller.account.username, action: AuditLog.Action.signOut.rawValue,
                                             clientAddress: caller.address))
    }

    /// Why an account may not act now, if it may not.
    public static func refusal(for account: Account, now: Date = Date()) -> String? {
        switch account.status {
        case .pending: return "the account is waiting for an administrator's approval"
        case .disabled: return "the account is disabled"
        case .active:
            if let expiry = account.trialExpiresAt, expiry <= now { return "the trial ended on \(AuditEntry.timestamp(expiry))" }
            return nil
        }
    }

    /// The account behind a session cookie, with the session's CSRF token.
    public func account(session token: String) async throws -> (Account, csrf: String)? {
        guard let found = try await store.session(tokenHash: Secrets.digest(token)),
              Self.refusal(for: found.account) == nil else { return nil }
        return (found.account, found.csrfToken)
    }

    /// The account behind an API key.
    public func account(apiKey: String) async throws -> Account? {
        guard let account = try await store.account(apiKeyHash: Secrets.digest(apiKey)),
              Self.refusal(for: account) == nil else { return nil }
        return account
    }

    // MARK: Passwords

    /// The caller's own new password, given the current one (a stolen session alone cannot
    /// change it). Ends the account's other sessions; `keepingSession` is the one asking.
    public func changePassword(current: String, new: String, keepingSession: String?, caller: Caller) async throws {
        guard let found = try await store.account(username: caller.account.username), found.account.id == caller.account.id else {
            throw GovernanceError.notFound("no account \(caller.account.id)")
        }
        // Guesses at the current password, with a stolen session, count as failed sign-ins.
        let reservation: LoginThrottle.Reservation
        switch await throttle.reserve(username: caller.account.username, address: caller.address) {
        case .success(let held): reservation = held
        case .failure(let wait):
            throw GovernanceError.tooManyRequests("too many wrong passwords; try again in \(wait.seconds) s",
                                                  retryAfterSeconds: wait.seconds)
        }
        guard await hasher.verify(current, against: found.passwordHash) else {
            throw GovernanceError.invalid(FieldErrors("current_password", "is not your current password"))
        }
        await throttle.succeeded(reservation)
        do { try PasswordHasher.check(new) } catch {
            throw GovernanceError.invalid(FieldErrors("new_password", error.fields.map(\.detail).joined(separator: "; ")))
        }
        if new == current { throw GovernanceError.invalid(FieldErrors("new_password", "must differ from the current one")) }
        try await store.setPassword(of: caller.account.id, hash: await hasher.hash(new), mustChange: false,
                                    keepingSession: keepingSession.map(Secrets.digest))
        try await audit.record(NewAuditEntry(organization: caller.account.organization, actorID: caller.account.id,
                                             actor: caller.account.username, action: AuditLog.Action.accountChange.rawValue,
                                             clientAddress: caller.address,
                                             detail: "\(caller.account.username): password changed; other sessions ended"))
    }

    /// An admin gives another account of the organisation a one-time password, returned once,
    /// which it must change at its next sign-in. Ends all of its sessions.
    public func resetPassword(_ id: AccountID, caller: Caller) async throws -> String {
        try caller.require(.manageAccounts)
        let account = try await account(id, caller: caller)
        guard account.id != caller.account.id else {
            throw GovernanceError.conflict("change your own password with your current one, not a reset")
        }
        let password = String(Secrets.token().prefix(20))
        try await store.setPassword(of: account.id, hash: await hasher.hash(password), mustChange: true, keepingSession: nil)
        try await audit.record(NewAuditEntry(organization: caller.account.organization, actorID: caller.account.id,
                                             actor: caller.account.username, action: AuditLog.Action.accountChange.rawValue,
                                             clientAddress: caller.address,
                                             detail: "\(account.username): password reset to a one-time password; sessions ended"))
        return password
    }

    /// The set-up path's reset, by whoever holds the data directory (`likeness admin reset-password`).
    public func resetPassword(username: String, by actor: String) async throws -> String {
        guard let account = try await store.account(username: username)?.account else {
            throw GovernanceError.notFound("no account '\(username)'")
        }
        let password = String(Secrets.token().prefix(20))
        try await store.setPassword(of: account.id, hash: await hasher.hash(password), mustChange: true, keepingSession: nil)
        try await audit.record(NewAuditEntry(organization: account.organization, actorID: nil, actor: actor,
                                             action: AuditLog.Action.accountChange.rawValue,
                                             detail: "\(account.username): password reset to a one-time password; sessions ended"))
        return password
    }

    // MARK: API keys

    /// A new key for the caller: the secret is returned once and only its digest is kept.
    public func createAPIKey(label: String, caller: Caller) async throws -> (APIKey, secret: String) {
        let label = label.trimmingCharacters(in: .whitespaces)
        guard !label.isEmpty, label.count <= 100 else { throw GovernanceError.invalid(FieldErrors("label", "1 to 100 characters")) }
        let secret = Secrets.token(prefix: "lk_")
        let key = try await store.createAPIKey(account: caller.account.id, keyHash: Secrets.digest(secret),
                                               prefix: String(secret.prefix(9)), label: label)
        try await audit.record(NewAuditEntry(organization: caller.account.organization, actorID: caller.account.id,
                                             actor: caller.account.username, action: AuditLog.Action.apiKeyCreated.rawValue,
                                             clientAddress: caller.address, detail: "key \(key.prefix)… (\(label))"))
        return (key, secret)
    }

    public func revokeAPIKey(_ id: Int64, caller: Caller) async throws {
        guard try await store.revokeAPIKey(id, of: caller.account.id) else {
            throw GovernanceError.notFound("no active API key \(id) of yours")
        }
        try await audit.record(NewAuditEntry(organization: caller.account.organization, actorID: caller.account.id,
                                             actor: caller.account.username, action: AuditLog.Action.apiKeyRevoked.rawValue,
                                             clientAddress: caller.address, detail: "key \(id)"))
    }

    // MARK: Administration

    /// An account of the caller's organisation; others look absent.
    public func account(_ id: AccountID, caller: Caller) async throws -> Account {
        guard let account = try await store.account(id), account.organization == caller.account.organization else {
            throw GovernanceError.notFound("no account \(id) in your organisation")
        }
        return account
    }

    /// What an admin may change about an account.
    public struct Change: Sendable {
        public var role: Role?
        public var status: Account.Status?
        /// Makes it a trial account until this time with this many searches; both or neither.
        public var trial: (expiresAt: Date, searchQuota: Int)?
        public var endTrial = false

        public init(role: Role? = nil, status: Account.Status? = nil, trial: (expiresAt: Date, searchQuota: Int)? = nil,
                    endTrial: Bool = false) {
            self.role = role
            self.status = status
            self.trial = trial
            self.endTrial = endTrial
        }
    }

    public func change(_ id: AccountID, _ change: Change, caller: Caller) async throws -> Account {
        try caller.require(.manageAccounts)
        var account = try await account(id, caller: caller)
        // An admin who could demote, disable or time-limit themselves could lock the organisation out.
        if account.id == caller.account.id,
           change.role.map({ $0 != account.role }) == true || change.status.map({ $0 != account.status }) == true
            || change.trial != nil || change.endTrial {
            throw GovernanceError.conflict("admins cannot change their own role, status or trial: another admin must")
        }
        var described: [String] = []
        if let role = change.role, role != account.role { described.append("role \(account.role.rawValue) → \(role.rawValue)"); account.role = role }
        if let status = change.status, status != account.status {
            described.append("status \(account.status.rawValue) → \(status.rawValue)")
            account.status = status
        }
        if let trial = change.trial {
            guard trial.searchQuota >= 0 else { throw GovernanceError.invalid(FieldErrors("trial_search_quota", "must be 0 or more")) }
            account.trialExpiresAt = trial.expiresAt
            account.trialSearchQuota = trial.searchQuota
            described.append("trial until \(AuditEntry.timestamp(trial.expiresAt)), \(trial.searchQuota) searches")
        } else if change.endTrial, account.trialExpiresAt != nil {
            account.trialExpiresAt = nil
            account.trialSearchQuota = nil
            described.append("trial ended")
        }
        guard !described.isEmpty else { return account }
        try await store.updateAccount(account)
        try await audit.record(NewAuditEntry(organization: caller.account.organization, actorID: caller.account.id,
                                             actor: caller.account.username, action: AuditLog.Action.accountChange.rawValue,
                                             clientAddress: caller.address,
                                             detail: "\(account.username): " + described.joined(separator: ", ")))
        return account
    }

    static func checkUsername(_ username: String) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._-@"))
        guard (3...64).contains(username.count), username.unicodeScalars.allSatisfy(allowed.contains) else {
            throw GovernanceError.invalid(FieldErrors("username", "3 to 64 letters, digits or . _ - @"))
        }
    }
}
