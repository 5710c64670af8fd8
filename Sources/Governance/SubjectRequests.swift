import Foundation
import LikenessCore
import LikenessStore

/// Requests from people without an account, filed on an organisation's privacy page with a
/// selfie, queued for its admins, and closed by them through `SubjectRights`. The selfie is
/// deleted when the request closes; the audit keeps the reference, counts and decision.
public struct SubjectRequests: Sendable {
    let governance: any GovernanceStore
    let rights: SubjectRights
    let audit: AuditLog
    let limiter: RequestLimiter

    public init(governance: any GovernanceStore, rights: SubjectRights, limiter: RequestLimiter = RequestLimiter()) {
        self.governance = governance
        self.rights = rights
        audit = AuditLog(store: governance)
        self.limiter = limiter
    }

    /// Files a request; answers the reference the person quotes to follow it.
    public func file(organization name: String, kind: String?, selfie: [UInt8]?, contact: String?, suppressionConsent: Bool,
                     address: String?) async throws -> SubjectRequest {
        guard let organization = try await governance.organization(named: name) else {
            throw GovernanceError.notFound("no organisation named '\(name)'")
        }
        var errors = FieldErrors()
        let parsedKind = kind.flatMap(SubjectRequest.Kind.init(rawValue:))
        if parsedKind == nil { errors.add("kind", "access or erasure") }
        if (selfie ?? []).isEmpty { errors.add("selfie", "a photo of your face is needed to find it") }
        let contact = (contact ?? "").trimmingCharacters(in: .whitespaces)
        if contact.isEmpty || contact.count > 200 { errors.add("contact", "how the organisation can answer you (an email or postal address)") }
        guard errors.isEmpty, let parsedKind, let selfie else { throw GovernanceError.invalid(errors) }
        if let wait = await limiter.retryAfter(address: address) {
            throw GovernanceError.tooManyRequests("too many requests from this address; try again in \(wait) s", retryAfterSeconds: wait)
        }
        let reference = "SR-" + Secrets.token().prefix(10).uppercased().filter { $0.isLetter || $0.isNumber }
        let request = try await governance.createSubjectRequest(NewSubjectRequest(
            organization: organization.id, reference: reference, kind: parsedKind, selfie: selfie, contact: contact,
            suppressionConsent: parsedKind == .erasure && suppressionConsent))
        try await audit.record(NewAuditEntry(organization: organization.id, actorID: nil, actor: "public",
                                             action: AuditLog.Action.subjectRequest.rawValue, caseNumber: reference,
                                             clientAddress: address, detail: "\(parsedKind.rawValue) request filed"))
        return request
    }

    /// An open or closed request of the caller's organisation.
    public func request(_ id: Int64, caller: Accounts.Caller) async throws -> SubjectRequest {
        try caller.require(.handleSubjectRequests)
        guard let request = try await governance.subjectRequest(id), request.organization == caller.account.organization else {
            throw GovernanceError.notFound("no request \(id) in your organisation")
        }
        return request
    }

    /// What the organisation holds that matches the request's selfie.
    public func findings(_ id: Int64, caller: Accounts.Caller) async throws -> [SubjectRights.HeldImage] {
        let request = try await request(id, caller: caller)
        guard let selfie = request.selfie else { throw GovernanceError.conflict("request \(request.reference) is closed") }
        return try await rights.access(selfie: selfie, caller: caller)
    }

    /// Closes the request: an access request once its findings are sent to the person, an
    /// erasure request by erasing the faces the admin confirmed (lookalikes left out). The
    /// selfie is deleted either way.
    public func close(_ id: Int64, erasing faces: [FaceID], caller: Accounts.Caller) async throws -> String {
        let request = try await request(id, caller: caller)
        guard request.status == .open else { throw GovernanceError.conflict("request \(request.reference) is already closed") }
        let decision: String
        switch request.kind {
        case .access:
            let found = try await findings(id, caller: caller).count
            try await rights.recordAccess(reference: request.reference, found: found, caller: caller)
            decision = "answered: \(found) images reported to \(request.contact)"
        case .erasure:
            let erasure = try await rights.erase(faces: faces, reference: request.reference, suppress: request.suppressionConsent,
                                                 caller: caller)
            decision = "erased \(erasure.faces) faces (\(erasure.imagesDeleted) images deleted)"
                + (request.suppressionConsent ? "; on the suppression list" : "")
        }
        try await governance.closeSubjectRequest(id, decision: decision)
        try await rights.gallery.store.checkpoint()  // the selfie's bytes leave the write-ahead log too
        try await audit.record(NewAuditEntry(organization: caller.account.organization, actorID: caller.account.id,
                                             actor: caller.account.username, action: AuditLog.Action.subjectRequest.rawValue,
                                             caseNumber: request.reference, clientAddress: caller.address, detail: "closed: \(decision)"))
        return decision
    }
}

/// At most `limit` requests per address in `window`: the privacy page is public.
public actor RequestLimiter {
    let limit: Int
    let window: TimeInterval
    private var seen: [String: [Date]] = [:]

    public init(limit: Int = 5, window: TimeInterval = 3600) {
        self.limit = limit
        self.window = window
    }

    /// Seconds to wait, or nil (and the request counted) when it may go ahead.
    public func retryAfter(address: String?, now: Date = Date()) -> Int? {
        let key = address ?? "unknown"
        let recent = (seen[key] ?? []).filter { now.timeIntervalSince($0) < window }
        if recent.count >= limit, let oldest = recent.first {
            seen[key] = recent
            return max(1, Int(oldest.addingTimeInterval(window).timeIntervalSince(now).rounded(.up)))
        }
        seen[key] = recent + [now]
        return nil
    }
}
