import Foundation
import LikenessCore
import LikenessEngine
import LikenessStore

/// Requests from people without an account, filed on an organisation's privacy page with a
/// selfie and queued for its admins. A selfie proves nothing about who sent it, so nothing is
/// looked up until an admin has checked the requester's identity, seen the selfie beside the
/// request and recorded how; the look-up is then made once, audited, and its findings stored.
/// Answers go only to the verified contact. A request never verified expires. Every change of
/// state is audited with who made it; the selfie is deleted when the request ends.
public struct SubjectRequests: Sendable {
    let governance: any GovernanceStore
    let rights: SubjectRights
    let audit: AuditLog
    let limiter: RequestLimiter

    /// A request nobody verified within this long expires, and its selfie is deleted.
    public static let verificationDeadline: TimeInterval = 30 * 86_400
    /// The selfie is kept re-encoded at this long side: enough to find a face, little to keep.
    static let selfieSide = 1024
    /// A public upload may not make the server decode more than this.
    static let selfiePixelLimit = 50_000_000

    public init(governance: any GovernanceStore, rights: SubjectRights, limiter: RequestLimiter = RequestLimiter()) {
        self.governance = governance
        self.rights = rights
        audit = AuditLog(store: governance)
        self.limiter = limiter
    }

    /// Counts a filing from this address, or refuses it: called before the body is read.
    public func admit(address: String?) async throws {
        if let wait = await limiter.retryAfter(address: address) {
            throw GovernanceError.tooManyRequests("too many requests from this address; try again in \(wait) s", retryAfterSeconds: wait)
        }
    }

    /// Files a request (the caller has been `admit`ted); answers the reference the person
    /// quotes to follow it. The selfie is decoded and kept only as a small re-encoded JPEG.
    public func file(organization name: String, kind: String?, selfie: [UInt8]?, contact: String?, suppressionConsent: Bool,
                     address: String?) async throws -> SubjectRequest {
        guard let organization = try await governance.organization(named: name) else {
            throw GovernanceError.notFound("no organisation named '\(name)'")
        }
        var errors = FieldErrors()
        let parsedKind = kind.flatMap(SubjectRequest.Kind.init(rawValue:))
        if parsedKind == nil { errors.add("kind", "access or erasure") }
        var stored: [UInt8]?
        if let selfie, !selfie.isEmpty {
            do {
                stored = try Self.reencoded(selfie)
            } catch {
                errors.add("selfie", "not a readable photo (JPEG, PNG, WebP, HEIC or TIFF): \(error)")
            }
        } else {
            errors.add("selfie", "a photo of your face is needed to find it")
        }
        let contact = (contact ?? "").trimmingCharacters(in: .whitespaces)
        if contact.isEmpty || contact.count > 200 { errors.add("contact", "how the organisation can answer you (an email or postal address)") }
        guard errors.isEmpty, let parsedKind, let stored else { throw GovernanceError.invalid(errors) }
        let reference = "SR-" + Secrets.token().prefix(10).uppercased().filter { $0.isLetter || $0.isNumber }
        let request = try await governance.createSubjectRequest(NewSubjectRequest(
            organization: organization.id, reference: reference, kind: parsedKind, selfie: stored, contact: contact,
            suppressionConsent: parsedKind == .erasure && suppressionConsent))
        try await audit.record(NewAuditEntry(organization: organization.id, actorID: nil, actor: "public",
                                             action: AuditLog.Action.subjectRequest.rawValue, caseNumber: reference,
                                             clientAddress: address, detail: "\(parsedKind.rawValue) request filed; identity not yet verified"))
        return request
    }

    static func reencoded(_ photo: [UInt8]) throws -> [UInt8] {
        let image = try ImageCodec.decode(data: photo, pixelLimit: selfiePixelLimit)
        return try ImageCodec.jpeg(of: image, left: 0, top: 0, width: image.width, height: image.height, maxSide: selfieSide,
                                   quality: 90)
    }

    /// A request of the caller's organisation.
    public func request(_ id: Int64, caller: Accounts.Caller) async throws -> SubjectRequest {
        try caller.require(.handleSubjectRequests)
        guard let request = try await governance.subjectRequest(id), request.organization == caller.account.organization else {
            throw GovernanceError.notFound("no request \(id) in your organisation")
        }
        return request
    }

    /// The selfie, for the admin checking identity; gone once the request has ended.
    public func selfie(_ id: Int64, caller: Accounts.Caller) async throws -> [UInt8] {
        let request = try await request(id, caller: caller)
        guard request.status.isOpen, let selfie = try await governance.subjectRequestSelfie(id) else {
            throw GovernanceError.notFound("request \(request.reference) has ended: its selfie is deleted")
        }
        return selfie
    }

    /// Records how the admin checked the requester's identity, then looks the selfie up once
    /// (audited) and stores what it found.
    public func verify(_ id: Int64, method: IdentityVerification.Method, note: String, answerTo: String,
                       caller: Accounts.Caller) async throws -> [SubjectFinding] {
        let request = try await request(id, caller: caller)
        let note = note.trimmingCharacters(in: .whitespacesAndNewlines)
        let answerTo = answerTo.trimmingCharacters(in: .whitespaces)
        var errors = FieldErrors()
        if note.isEmpty || note.count > 500 {
            errors.add("note", "what was checked, e.g. which document type was seen (not its number); at most 500 characters")
        }
        if answerTo.isEmpty || answerTo.count > 200 { errors.add("answer_to", "the contact confirmed as the requester's") }
        guard errors.isEmpty else { throw GovernanceError.invalid(errors) }
        let verification = IdentityVerification(method: method, note: note, answerTo: answerTo, verifiedBy: caller.account.id,
                                                verifiedByName: caller.account.username, at: Date())
        guard request.status == .unverified, try await governance.verifySubjectRequest(id, verification: verification) else {
            throw GovernanceError.conflict("request \(request.reference) is \(request.status.rawValue), not awaiting verification")
        }
        try await record(request, caller, "identity verified (\(method.rawValue): \(note)); answers go to \(answerTo)")
        guard let selfie = try await governance.subjectRequestSelfie(id) else { return [] }
        let findings = try await rights.lookUp(selfie: selfie, reference: request.reference, caller: caller)
        try await governance.addSubjectFindings(findings, to: id)
        return findings
    }

    /// Looks up again from faces the admin confirmed are the person's, adding what they find
    /// (one audited look-up each): photos of the person too far from the selfie are found
    /// from their nearer photos.
    public func widen(_ id: Int64, from faces: [FaceID], caller: Accounts.Caller) async throws -> [SubjectFinding] {
        let request = try await request(id, caller: caller)
        guard request.status == .verified else {
            throw GovernanceError.conflict("request \(request.reference) is \(request.status.rawValue): only a verified request is searched")
        }
        let listed = Set(try await governance.subjectFindings(of: id).map(\.face))
        guard !faces.isEmpty, faces.allSatisfy(listed.contains) else {
            throw GovernanceError.invalid(FieldErrors("faces", "tick faces among the request's findings"))
        }
        let found = try await rights.lookUp(fromFaces: faces, reference: request.reference, caller: caller)
        try await governance.addSubjectFindings(found, to: id)
        return try await governance.subjectFindings(of: id)
    }

    /// The stored findings, with what the reviewer needs to judge them.
    public func findings(_ id: Int64, caller: Accounts.Caller) async throws -> [SubjectRights.HeldImage] {
        let request = try await request(id, caller: caller)
        guard request.status == .verified else { return [] }
        return try await rights.held(try await governance.subjectFindings(of: id), caller: caller)
    }

    /// Ends a request whose requester could not show who they are: nothing is looked up, and
    /// the selfie is deleted.
    public func reject(_ id: Int64, reason: String, caller: Accounts.Caller) async throws {
        let request = try await request(id, caller: caller)
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 500 else { throw GovernanceError.invalid(FieldErrors("reason", "1 to 500 characters")) }
        try await end(request, .rejected, decision: "rejected: \(reason)", caller: caller)
    }

    /// Closes a verified request with the faces the admin confirmed among its findings
    /// (lookalikes left out): an access request once they are sent to the verified contact, an
    /// erasure request by erasing them. The selfie is deleted either way.
    public func close(_ id: Int64, erasing faces: [FaceID], caller: Accounts.Caller) async throws -> String {
        let request = try await request(id, caller: caller)
        guard request.status == .verified, let verification = request.verification else {
            throw GovernanceError.conflict("request \(request.reference) is \(request.status.rawValue): verify the requester's identity first")
        }
        // The faces the admin confirmed as the person's: lookalikes are left out of the answer
        // and of the erasure alike.
        let listed = Set(try await governance.subjectFindings(of: id).map(\.face))
        guard faces.allSatisfy(listed.contains) else {
            throw GovernanceError.invalid(FieldErrors("faces", "only faces among the request's findings can be reported or erased"))
        }
        let decision: String
        switch request.kind {
        case .access:
            let found = faces.count
            try await rights.recordAccess(reference: request.reference, found: found, answeredTo: verification.answerTo, caller: caller)
            decision = "answered: \(found) images reported to \(verification.answerTo)"
        case .erasure:
            // The request closes in the erasure's transaction: a crash cannot leave the person
            // erased and their request open with its selfie, or the reverse.
            let suppressed = request.suppressionConsent, answerTo = verification.answerTo
            @Sendable func decision(faces: Int, imagesDeleted: Int) -> String {
                "erased \(faces) faces (\(imagesDeleted) images deleted)"
                    + (suppressed ? "; on the suppression list" : "") + "; confirmed to \(answerTo)"
            }
            let closing = ClosingRequest(id: request.id, reference: request.reference) { erased in
                let recorded = decision(faces: erased.faces.count, imagesDeleted: erased.deletedImages.count)
                return (recorded, Self.auditEntry(request, caller, "\(SubjectRequest.Status.closed.rawValue): \(recorded)"))
            }
            let erasure: SubjectRights.Erasure
            do {
                erasure = try await rights.erase(faces: faces, reference: request.reference, suppress: suppressed, closing: closing,
                                                 caller: caller)
            } catch StoreError.conflict {
                throw GovernanceError.conflict("request \(request.reference) has already ended")
            }
            return decision(faces: erasure.faces, imagesDeleted: erasure.imagesDeleted)
        }
        try await end(request, .closed, decision: decision, caller: caller)
        return decision
    }

    /// Expires requests nobody verified in time, deleting their selfies.
    @discardableResult
    public func expireUnverified(now: Date = Date()) async throws -> Int {
        var expired = 0
        for organization in try await governance.organizations() {
            for request in try await governance.subjectRequests(of: organization.id, status: .unverified)
            where now.timeIntervalSince(request.createdAt) > Self.verificationDeadline {
                let decision = "expired: identity not verified within \(Int(Self.verificationDeadline / 86_400)) days"
                guard try await governance.endSubjectRequest(request.id, status: .expired, decision: decision) else { continue }
                try await audit.record(NewAuditEntry(organization: organization.id, actorID: nil, actor: "system",
                                                     action: AuditLog.Action.subjectRequest.rawValue, caseNumber: request.reference,
                                                     detail: decision))
                expired += 1
            }
        }
        if expired > 0 { try await rights.gallery.store.checkpoint() }
        return expired
    }

    private func end(_ request: SubjectRequest, _ status: SubjectRequest.Status, decision: String, caller: Accounts.Caller) async throws {
        guard try await governance.endSubjectRequest(request.id, status: status, decision: decision) else {
            throw GovernanceError.conflict("request \(request.reference) has already ended")
        }
        try await rights.gallery.store.checkpoint()  // the selfie's bytes leave the write-ahead log too
        try await record(request, caller, "\(status.rawValue): \(decision)")
    }

    private func record(_ request: SubjectRequest, _ caller: Accounts.Caller, _ detail: String) async throws {
        try await audit.record(Self.auditEntry(request, caller, detail))
    }

    static func auditEntry(_ request: SubjectRequest, _ caller: Accounts.Caller, _ detail: String) -> NewAuditEntry {
        NewAuditEntry(organization: caller.account.organization, actorID: caller.account.id,
                      actor: caller.account.username, action: AuditLog.Action.subjectRequest.rawValue,
                      caseNumber: request.reference, clientAddress: caller.address, detail: detail)
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
