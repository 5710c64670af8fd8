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

    public init(id: CaseID, organization: OrganizationID, number: String, title: String, offence: String?, status: Status,
                leadInvestigator: AccountID, authorisation: CaseAuthorisation?, openedBy: AccountID, openedAt: Date,
                closedAt: Date?) {
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
    }
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
}
