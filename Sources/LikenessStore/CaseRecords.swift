import Foundation

public typealias CaseID = Int64

/// An investigation of an organisation, to which its searches belong: what it is about, who
/// leads it, and the judicial or administrative authority's decision on searching for it.
public struct InvestigationCase: Sendable, Codable, Hashable {
    public enum Status: String, Sendable, Codable, CaseIterable { case open, closed }

    public var id: CaseID
    public var organization: OrganizationID
    /// The organisation's own reference for it, unique within the organisation.
    public var number: String
    public var title: String
    public var offence: String?
    public var status: Status
    public var leadInvestigator: AccountID
    /// The authority's decision; nil until one is recorded.
    public var authorisation: CaseAuthorisation?
    public var openedBy: AccountID
    public var openedAt: Date
    public var closedAt: Date?
    /// An urgent case's first search made without the authority's decision, and its audit
    /// entry: the decision is due 48 hours after it.
    public var urgentSince: Date?
    public var urgentEntry: Int64?
    /// When its searches were stopped (the authority refused, or its 48 hours passed without a
    /// decision), and why.
    public var blockedAt: Date?
    public var blockedReason: String?

    public init(id: CaseID, organization: OrganizationID, number: String, title: String, offence: String?, status: Status,
                leadInvestigator: AccountID, authorisation: CaseAuthorisation?, openedBy: AccountID, openedAt: Date,
                closedAt: Date?, urgentSince: Date? = nil, urgentEntry: Int64? = nil, blockedAt: Date? = nil,
                blockedReason: String? = nil) {
        self.id = id
        self.organization = organization
        self.number = number
        self.title = title
        self.offence = offence
        self.status = status
        self.leadInvestigator = leadInvestigator
        self.authorisation = authorisation
        self.openedBy = openedBy
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.urgentSince = urgentSince
        self.urgentEntry = urgentEntry
        self.blockedAt = blockedAt
        self.blockedReason = blockedReason
    }
}

/// An organisation's rule for searching before the authority has decided on a case.
public enum CaseAuthorisationPolicy: String, Sendable, Codable, CaseIterable {
    /// A case's searches wait for the authority's decision, granted.
    case required
    /// Searches may start before it; it is due within 48 hours of the first (EU AI Act
    /// Art. 26(10)), or the case's searches stop.
    case urgent
}

/// A judicial or administrative authority's decision on a case's searches (EU AI Act
/// Art. 26(10)), as recorded by someone of the organisation.
public struct CaseAuthorisation: Sendable, Codable, Hashable {
    public enum Decision: String, Sendable, Codable, CaseIterable { case granted, refused }

    public var decision: Decision
    /// The authority's own reference for its decision (a warrant or order number).
    public var reference: String
    /// Who decided: a court, a magistrate, an administrative authority.
    public var authority: String
    /// When the authority decided.
    public var decidedAt: Date
    public var recordedBy: AccountID
    public var recordedAt: Date

    public init(decision: Decision, reference: String, authority: String, decidedAt: Date, recordedBy: AccountID,
                recordedAt: Date) {
        self.decision = decision
        self.reference = reference
        self.authority = authority
        self.decidedAt = decidedAt
        self.recordedBy = recordedBy
        self.recordedAt = recordedAt
    }
}

public struct NewCase: Sendable {
    public var organization: OrganizationID
    public var number: String
    public var title: String
    public var offence: String?
    public var leadInvestigator: AccountID
    public var openedBy: AccountID
    public var openedAt: Date

    public init(organization: OrganizationID, number: String, title: String, offence: String?, leadInvestigator: AccountID,
                openedBy: AccountID, openedAt: Date) {
        self.organization = organization
        self.number = number
        self.title = title
        self.offence = offence
        self.leadInvestigator = leadInvestigator
        self.openedBy = openedBy
        self.openedAt = openedAt
    }
}

/// Where cases are kept: part of every governance store.
public protocol CaseStore: Sendable {
    /// The new case; nil when the organisation already has a case of that number.
    func createCase(_ new: NewCase) async throws -> InvestigationCase?
    func investigationCase(_ id: CaseID) async throws -> InvestigationCase?
    func investigationCase(number: String, in organization: OrganizationID) async throws -> InvestigationCase?
    /// Newest first; `status` nil: every case.
    func cases(in organization: OrganizationID, status: InvestigationCase.Status?) async throws -> [InvestigationCase]
    /// Records the authority's decision on an open case that has none yet; false otherwise
    /// (a decision, once recorded, is never replaced).
    func recordAuthorisation(_ authorisation: CaseAuthorisation, of id: CaseID) async throws -> Bool
    /// Closes an open case; false if it was not open.
    func closeCase(_ id: CaseID, at: Date) async throws -> Bool
    /// Starts an urgent case's 48 hours, unless they have started already.
    func markUrgentSearch(of id: CaseID, at: Date, entry: Int64) async throws
    /// Stops a case's searches; false if they were stopped already.
    func blockCase(_ id: CaseID, at: Date, reason: String) async throws -> Bool
    /// Open cases of every organisation, not blocked, without a decision, whose urgent searches
    /// began before `cutoff`.
    func overdueCases(urgentBefore cutoff: Date) async throws -> [InvestigationCase]
    func setCaseAuthorisationPolicy(_ policy: CaseAuthorisationPolicy, for organization: OrganizationID) async throws
    /// Deletes what the case's searches left to be seen: their probe thumbnails, probe faces and
    /// candidate lists (the log keeps the thumbnails' and lists' digests); returns how many
    /// thumbnails and lists it deleted. Lists appended before they were kept apart from their
    /// entries stay: the chain hashes them.
    func deleteSearchResults(ofCase number: String, in organization: OrganizationID) async throws
        -> (thumbnails: Int, candidateLists: Int)
}
