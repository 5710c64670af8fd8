import HTTPTypes
import Hummingbird
import LikenessGovernance
import LikenessStore
import NIOCore

/// Per request: where it came from and who, if anyone, is signed in.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's address, or behind a trusted proxy the client's (`ClientAddressMiddleware`).
    public var clientAddress: String?
    public var caller: Accounts.Caller?
    /// How the caller proved who they are: a browser session needs CSRF tokens, a key does not.
    public var credential: Credential?
    /// The session's CSRF token, which every form and unsafe API call with the cookie carries.
    public var csrfToken: String?
    /// Why credentials that came with the request were not accepted.
    public var credentialProblem: String?

    public enum Credential: Sendable { case session(String), apiKey }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress
    }

    public var maxUploadSize: Int { Limits.formBytes }

    /// The caller, or 401.
    public func requireCaller() throws -> Accounts.Caller {
        guard let caller else {
            throw GovernanceError.unauthenticated(credentialProblem ?? "sign in, or send an API key as 'Authorization: Bearer …'")
        }
        return caller
    }

    public func require(_ permission: Permission) throws -> Accounts.Caller {
        let caller = try requireCaller()
        try caller.require(permission)
        return caller
    }

    /// The browser session's token when the caller came with the cookie; nil with an API key.
    public var sessionToken: String? {
        if case .session(let token) = credential { token } else { nil }
    }

    /// The caller's organisation, for routes that show or change it. An account always belongs
    /// to one, so a missing one is reported as anything absent is: 404.
    func organization(in governance: any GovernanceStore) async throws -> Organization {
        let caller = try requireCaller()
        guard let organization = try await governance.organization(caller.account.organization) else {
            throw GovernanceError.notFound("organisation")
        }
        return organization
    }
}
