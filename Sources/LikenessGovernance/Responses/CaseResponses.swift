import Foundation
import LikenessStore

/// A case as the API shows it (the `Case` schema).
public struct CaseResponse: Encodable, Sendable {
    public struct Authorisation: Encodable, Sendable {
        public var decision: CaseAuthorisation.Decision
        public var reference: String
        public var authority: String
        public var decidedAt: String
        public var recordedBy: AccountID
        public var recordedAt: String
    }

    public var id: CaseID
    public var number: String
    public var title: String
    @Nullable public var offence: String?
    public var status: InvestigationCase.Status
    public var leadInvestigator: AccountID
    @Nullable public var authorisation: Authorisation?
    public var openedBy: AccountID
    public var openedAt: String
    @Nullable public var closedAt: String?

    public init(_ investigation: InvestigationCase) {
        id = investigation.id
        number = investigation.number
        title = investigation.title
        offence = investigation.offence
        status = investigation.status
        leadInvestigator = investigation.leadInvestigator
        authorisation = investigation.authorisation.map { a in
            Authorisation(decision: a.decision, reference: a.reference, authority: a.authority,
                          decidedAt: AuditEntry.timestamp(a.decidedAt), recordedBy: a.recordedBy,
                          recordedAt: AuditEntry.timestamp(a.recordedAt))
        }
        openedBy = investigation.openedBy
        openedAt = AuditEntry.timestamp(investigation.openedAt)
        closedAt = investigation.closedAt.map(AuditEntry.timestamp)
    }
}

public struct CasesResponse: Encodable, Sendable {
    public var cases: [CaseResponse]
    public init(_ cases: [InvestigationCase]) { self.cases = cases.map(CaseResponse.init) }
}
