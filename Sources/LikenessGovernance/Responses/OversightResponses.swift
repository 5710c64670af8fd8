import Foundation
import LikenessCore
import LikenessStore

/// An audit entry as the API shows it and `audit export` writes it as JSONL (the `AuditEntry`
/// schema). Exports leave out whether it has a thumbnail: the probe's SHA-256 identifies it.
public struct AuditEntryResponse: Encodable, Sendable {
    public struct Candidate: Encodable, Sendable {
        public var faceID: FaceID
        public var distance: Double
        public var band: String
    }

    public var id: Int64
    public var at: String
    @Nullable public var organizationID: OrganizationID?
    @Nullable public var actorID: AccountID?
    public var actor: String
    public var action: String
    public var outcome: String
    @Nullable public var caseNumber: String?
    @Nullable public var purpose: String?
    @Nullable public var offence: String?
    @Nullable public var probeSHA256: String?
    public var collections: [CollectionID]
    public var candidates: [Candidate]
    /// The digest the chain holds for a candidate list kept apart from its entry; null for an
    /// entry whose list the chain hashes itself.
    @Nullable public var candidatesSHA256: String?
    /// The list was deleted (its case was stopped): `candidates` is empty, the digest stays.
    public var candidatesDeleted: Bool
    @Nullable public var clientAddress: String?
    @Nullable public var detail: String?
    public var previousHash: String
    public var hash: String
    public var hasThumbnail: Bool?

    /// `withThumbnailFlag` for the API, which links the thumbnail; exports leave it out.
    public init(_ audit: AuditEntry, withThumbnailFlag: Bool) {
        let e = audit.entry
        id = audit.id
        at = audit.at
        organizationID = e.organization
        actorID = e.actorID
        actor = e.actor
        action = e.action
        outcome = e.outcome
        caseNumber = e.caseNumber
        purpose = e.purpose
        offence = e.offence
        probeSHA256 = e.probeSHA256
        collections = e.collections
        candidates = e.candidates.map { Candidate(faceID: $0.face, distance: Double($0.distance), band: $0.band) }
        candidatesSHA256 = audit.candidatesSHA256
        candidatesDeleted = audit.candidatesDeleted
        clientAddress = e.clientAddress
        detail = e.detail
        previousHash = audit.previousHash
        hash = audit.hash
        hasThumbnail = withThumbnailFlag ? audit.hasThumbnail : nil
    }
}

/// The organisation's audit log, a page of it.
public struct AuditEntriesResponse: Encodable, Sendable {
    public var entries: [AuditEntryResponse]
    public init(_ entries: [AuditEntry]) { self.entries = entries.map { AuditEntryResponse($0, withThumbnailFlag: true) } }
}

/// The caller's own searches, as their audit entries.
public struct SearchHistoryResponse: Encodable, Sendable {
    public var searches: [AuditEntryResponse]
    public init(_ entries: [AuditEntry]) { searches = entries.map { AuditEntryResponse($0, withThumbnailFlag: true) } }
}

/// A day's searches per user, against the organisation's daily limit.
public struct DailyCountsResponse: Encodable, Sendable {
    public var day: String
    public var dailySearchLimit: Int
    public var users: [DailySearchCount]

    public init(day: Date, organization: Organization, counts: [DailySearchCount]) {
        self.day = String(AuditEntry.timestamp(day).prefix(10))
        dailySearchLimit = organization.dailySearchLimit
        users = counts
    }
}

public struct AlertsResponse: Encodable, Sendable {
    public var alerts: [Alert]
    public init(_ alerts: [Alert]) { self.alerts = alerts }
}

/// The organisation's limits (the `Settings` schema).
public struct SettingsResponse: Encodable, Sendable {
    public var organization: String
    public var dailySearchLimit: Int
    /// Null: any jurisdiction.
    @Nullable public var jurisdictions: [String]?
    public var caseAuthorisation: CaseAuthorisationPolicy
    public var trainingValidityMonths: Int

    public init(_ organization: Organization) {
        self.organization = organization.name
        dailySearchLimit = organization.dailySearchLimit
        jurisdictions = organization.jurisdictions
        caseAuthorisation = organization.caseAuthorisation
        trainingValidityMonths = organization.trainingValidityMonths
    }
}
