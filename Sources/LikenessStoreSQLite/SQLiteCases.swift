import Foundation
import GRDB
import LikenessStore

/// Cases and their authorisation.
extension SQLiteGalleryStore {
    static let caseColumns = """
        id, organization_id, number, title, offence, status, lead_investigator, opened_by, opened_at, closed_at,
        authorisation, authorisation_reference, authorisation_authority, authorisation_decided_at,
        authorisation_recorded_by, authorisation_recorded_at, urgent_since, urgent_entry, blocked_at, blocked_reason
        """

    public func createCase(_ new: NewCase) async throws -> InvestigationCase? {
        try await database.write { db in
            try db.execute(sql: """
                INSERT INTO investigation_case (organization_id, number, title, offence, status, lead_investigator, opened_by, opened_at)
                VALUES (?, ?, ?, ?, 'open', ?, ?, ?)
                ON CONFLICT (organization_id, number) DO NOTHING
                """, arguments: [new.organization, new.number, new.title, new.offence, new.leadInvestigator, new.openedBy,
                                 new.openedAt])
            guard db.changesCount > 0 else { return nil }
            return InvestigationCase(id: db.lastInsertedRowID, organization: new.organization, number: new.number, title: new.title,
                                     offence: new.offence, status: .open, leadInvestigator: new.leadInvestigator,
                                     authorisation: nil, openedBy: new.openedBy, openedAt: new.openedAt, closedAt: nil)
        }
    }

    public func investigationCase(_ id: CaseID) async throws -> InvestigationCase? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.caseColumns) FROM investigation_case WHERE id = ?", arguments: [id])
                .map(Self.investigationCase)
        }
    }

    public func investigationCase(number: String, in organization: OrganizationID) async throws -> InvestigationCase? {
        try await database.read { db in
            try Row.fetchOne(db, sql: """
                SELECT \(Self.caseColumns) FROM investigation_case WHERE organization_id = ? AND number = ?
                """, arguments: [organization, number]).map(Self.investigationCase)
        }
    }

    public func cases(in organization: OrganizationID, status: InvestigationCase.Status?) async throws -> [InvestigationCase] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.caseColumns) FROM investigation_case
                WHERE organization_id = ?1 AND (?2 IS NULL OR status = ?2) ORDER BY id DESC
                """, arguments: [organization, status?.rawValue]).map(Self.investigationCase)
        }
    }

    public func recordAuthorisation(_ a: CaseAuthorisation, of id: CaseID) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: """
                UPDATE investigation_case SET authorisation = ?, authorisation_reference = ?, authorisation_authority = ?,
                       authorisation_decided_at = ?, authorisation_recorded_by = ?, authorisation_recorded_at = ?
                WHERE id = ? AND status = 'open' AND authorisation IS NULL
                """, arguments: [a.decision.rawValue, a.reference, a.authority, a.decidedAt, a.recordedBy, a.recordedAt, id])
            return db.changesCount > 0
        }
    }

    public func closeCase(_ id: CaseID, at: Date) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "UPDATE investigation_case SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'",
                           arguments: [at, id])
            return db.changesCount > 0
        }
    }

    public func markUrgentSearch(of id: CaseID, at: Date, entry: Int64) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE investigation_case SET urgent_since = ?, urgent_entry = ? WHERE id = ? AND urgent_since IS NULL",
                           arguments: [at, entry, id])
        }
    }

    public func blockCase(_ id: CaseID, at: Date, reason: String) async throws -> Bool {
        try await database.write { db in
            try db.execute(sql: "UPDATE investigation_case SET blocked_at = ?, blocked_reason = ? WHERE id = ? AND blocked_at IS NULL",
                           arguments: [at, reason, id])
            return db.changesCount > 0
        }
    }

    public func overdueCases(urgentBefore cutoff: Date) async throws -> [InvestigationCase] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.caseColumns) FROM investigation_case
                WHERE status = 'open' AND blocked_at IS NULL AND authorisation IS NULL AND urgent_since < ? ORDER BY id
                """, arguments: [cutoff]).map(Self.investigationCase)
        }
    }

    public func setCaseAuthorisationPolicy(_ policy: CaseAuthorisationPolicy, for organization: OrganizationID) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE organization SET case_authorisation = ? WHERE id = ?", arguments: [policy.rawValue, organization])
        }
    }

    public func deleteSearchResults(ofCase number: String, in organization: OrganizationID) async throws
        -> (thumbnails: Int, candidateLists: Int) {
        try await database.write { db in
            let searches = "SELECT id FROM audit_entry WHERE organization_id = ? AND case_number = ? AND action = 'search'"
            try db.execute(sql: "DELETE FROM search_probe_face WHERE entry_id IN (\(searches))", arguments: [organization, number])
            try db.execute(sql: """
                UPDATE audit_thumbnail SET jpeg = NULL, redacted_at = ? WHERE jpeg IS NOT NULL AND entry_id IN (\(searches))
                """, arguments: [Date(), organization, number])
            let thumbnails = db.changesCount
            try db.execute(sql: """
                UPDATE audit_candidates SET candidates = NULL, deleted_at = ? WHERE candidates IS NOT NULL AND entry_id IN (\(searches))
                """, arguments: [Date(), organization, number])
            return (thumbnails, db.changesCount)
        }
    }

    static func investigationCase(_ row: Row) -> InvestigationCase {
        var authorisation: CaseAuthorisation?
        if let decision = (row["authorisation"] as String?).flatMap(CaseAuthorisation.Decision.init(rawValue:)) {
            authorisation = CaseAuthorisation(decision: decision, reference: row["authorisation_reference"] ?? "",
                                              authority: row["authorisation_authority"] ?? "",
                                              decidedAt: row["authorisation_decided_at"] ?? .distantPast,
                                              recordedBy: row["authorisation_recorded_by"] ?? 0,
                                              recordedAt: row["authorisation_recorded_at"] ?? .distantPast)
        }
        return InvestigationCase(id: row["id"], organization: row["organization_id"], number: row["number"], title: row["title"],
                                 offence: row["offence"], status: InvestigationCase.Status(rawValue: row["status"]) ?? .closed,
                                 leadInvestigator: row["lead_investigator"], authorisation: authorisation,
                                 openedBy: row["opened_by"], openedAt: row["opened_at"], closedAt: row["closed_at"],
                                 urgentSince: row["urgent_since"], urgentEntry: row["urgent_entry"], blockedAt: row["blocked_at"],
                                 blockedReason: row["blocked_reason"])
    }
}
