import Foundation
import LikenessStore
import PostgresNIO

/// Cases and their authorisation.
extension PostgresGalleryStore {
    static let caseColumns = """
        id, organization_id, number, title, offence, status, lead_investigator, opened_by, opened_at, closed_at,
        authorisation, authorisation_reference, authorisation_authority, authorisation_decided_at,
        authorisation_recorded_by, authorisation_recorded_at, urgent_since, urgent_entry, blocked_at, blocked_reason
        """

    public func createCase(_ new: NewCase) async throws -> InvestigationCase? {
        try await rows("""
            INSERT INTO investigation_case (organization_id, number, title, offence, status, lead_investigator, opened_by, opened_at)
            VALUES (\(new.organization), \(new.number), \(new.title), \(new.offence), 'open', \(new.leadInvestigator),
                    \(new.openedBy), \(new.openedAt))
            ON CONFLICT (organization_id, number) DO NOTHING
            RETURNING \(unescaped: Self.caseColumns)
            """).first.map(Self.investigationCase)
    }

    public func investigationCase(_ id: CaseID) async throws -> InvestigationCase? {
        try await rows("SELECT \(unescaped: Self.caseColumns) FROM investigation_case WHERE id = \(id)").first
            .map(Self.investigationCase)
    }

    public func investigationCase(number: String, in organization: OrganizationID) async throws -> InvestigationCase? {
        try await rows("""
            SELECT \(unescaped: Self.caseColumns) FROM investigation_case WHERE organization_id = \(organization) AND number = \(number)
            """).first.map(Self.investigationCase)
    }

    public func cases(in organization: OrganizationID, status: InvestigationCase.Status?) async throws -> [InvestigationCase] {
        try await rows("""
            SELECT \(unescaped: Self.caseColumns) FROM investigation_case
            WHERE organization_id = \(organization) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
            ORDER BY id DESC
            """).map(Self.investigationCase)
    }

    public func recordAuthorisation(_ a: CaseAuthorisation, of id: CaseID) async throws -> Bool {
        try await !rows("""
            UPDATE investigation_case SET authorisation = \(a.decision.rawValue), authorisation_reference = \(a.reference),
                   authorisation_authority = \(a.authority), authorisation_decided_at = \(a.decidedAt),
                   authorisation_recorded_by = \(a.recordedBy), authorisation_recorded_at = \(a.recordedAt)
            WHERE id = \(id) AND status = 'open' AND authorisation IS NULL
            RETURNING id
            """).isEmpty
    }

    public func closeCase(_ id: CaseID, at: Date) async throws -> Bool {
        try await !rows("""
            UPDATE investigation_case SET status = 'closed', closed_at = \(at) WHERE id = \(id) AND status = 'open' RETURNING id
            """).isEmpty
    }

    public func markUrgentSearch(of id: CaseID, at: Date, entry: Int64) async throws {
        try await run("""
            UPDATE investigation_case SET urgent_since = \(at), urgent_entry = \(entry) WHERE id = \(id) AND urgent_since IS NULL
            """)
    }

    public func blockCase(_ id: CaseID, at: Date, reason: String) async throws -> Bool {
        try await !rows("""
            UPDATE investigation_case SET blocked_at = \(at), blocked_reason = \(reason) WHERE id = \(id) AND blocked_at IS NULL
            RETURNING id
            """).isEmpty
    }

    public func overdueCases(urgentBefore cutoff: Date) async throws -> [InvestigationCase] {
        try await rows("""
            SELECT \(unescaped: Self.caseColumns) FROM investigation_case
            WHERE status = 'open' AND blocked_at IS NULL AND authorisation IS NULL AND urgent_since < \(cutoff) ORDER BY id
            """).map(Self.investigationCase)
    }

    public func setCaseAuthorisationPolicy(_ policy: CaseAuthorisationPolicy, for organization: OrganizationID) async throws {
        try await run("UPDATE organization SET case_authorisation = \(policy.rawValue) WHERE id = \(organization)")
    }

    public func deleteSearchResults(ofCase number: String, in organization: OrganizationID) async throws
        -> (thumbnails: Int, candidateLists: Int) {
        // One statement, so all of it goes or none.
        let deleted = try await rows("""
            WITH searches AS (
                SELECT id FROM audit_entry WHERE organization_id = \(organization) AND case_number = \(number) AND action = 'search'),
            probe_faces AS (DELETE FROM search_probe_face WHERE entry_id IN (SELECT id FROM searches)),
            thumbnails AS (
                UPDATE audit_thumbnail SET jpeg = NULL, redacted_at = now()
                WHERE jpeg IS NOT NULL AND entry_id IN (SELECT id FROM searches) RETURNING entry_id),
            lists AS (
                UPDATE audit_candidates SET candidates = NULL, deleted_at = now()
                WHERE candidates IS NOT NULL AND entry_id IN (SELECT id FROM searches) RETURNING entry_id)
            SELECT (SELECT COUNT(*) FROM thumbnails) AS thumbnails, (SELECT COUNT(*) FROM lists) AS lists
            """)[0]
        return (Int(try deleted.value("thumbnails", as: Int64.self)), Int(try deleted.value("lists", as: Int64.self)))
    }

    static func investigationCase(_ row: PostgresRandomAccessRow) throws -> InvestigationCase {
        var authorisation: CaseAuthorisation?
        if let decision = try row.value("authorisation", as: String?.self).flatMap(CaseAuthorisation.Decision.init(rawValue:)) {
            authorisation = CaseAuthorisation(
                decision: decision, reference: try row.value("authorisation_reference", as: String?.self) ?? "",
                authority: try row.value("authorisation_authority", as: String?.self) ?? "",
                decidedAt: try row.value("authorisation_decided_at", as: Date?.self) ?? .distantPast,
                recordedBy: try row.value("authorisation_recorded_by", as: Int64?.self) ?? 0,
                recordedAt: try row.value("authorisation_recorded_at", as: Date?.self) ?? .distantPast)
        }
        return InvestigationCase(id: try row.value("id"), organization: try row.value("organization_id"), number: try row.value("number"),
                                 title: try row.value("title"), offence: try row.value("offence"),
                                 status: InvestigationCase.Status(rawValue: try row.value("status")) ?? .closed,
                                 leadInvestigator: try row.value("lead_investigator"), authorisation: authorisation,
                                 openedBy: try row.value("opened_by"), openedAt: try row.value("opened_at"),
                                 closedAt: try row.value("closed_at"), urgentSince: try row.value("urgent_since"),
                                 urgentEntry: try row.value("urgent_entry"), blockedAt: try row.value("blocked_at"),
                                 blockedReason: try row.value("blocked_reason"))
    }
}
