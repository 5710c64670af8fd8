import Foundation
import LikenessCore
import LikenessStore

/// A case's report, for the file, the defence and the court: the case and its authorisation,
/// every search (those that found nobody too), the probes kept on watch, every reviewed
/// candidate with its examiners' records, and the audit entries behind each, ending with the chain's head at export so that
/// `likeness audit verify --head` ties the report to the log. Generating it is audited, and
/// that entry is the head it names.
public struct CaseReports: Sendable {
    public let store: any GovernanceStore
    let gallery: any GalleryStore
    let cases: Cases
    let now: @Sendable () -> Date

    public init(store: any GovernanceStore, gallery: any GalleryStore, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.gallery = gallery
        cases = Cases(store: store, now: now)
        self.now = now
    }

    public struct Report: Sendable {
        public struct Search: Sendable {
            public var entry: AuditEntry
            public var collections: [String]
            /// The probe thumbnail as the log kept it; nil once deleted (its digest is in the entry).
            public var thumbnail: [UInt8]?
            /// Empty once the case was stopped: its results were deleted from view.
            public var candidates: [Candidate]
            public var resultsDeleted: Bool
        }

        public struct Candidate: Sendable {
            public var face: FaceID
            public var band: String
            public var distance: Float
            public var status: Reviews.LeadStatus
            /// Oldest first; for a candidate not yet settled, only who reviewed it and when (the
            /// next examiner must compare blind, and the report could reach them).
            public var reviews: [ReviewLine]
        }

        public struct ReviewLine: Sendable {
            public var reviewer: String
            public var review: CandidateReview
            public var shown: Bool
        }

        public var investigation: InvestigationCase
        public var usernames: [AccountID: String]
        public var searches: [Search]
        /// The probes kept on watch for the case, oldest first: their matches are among `searches`.
        public var watches: [Watch]
        /// What each band means: the thresholds in use and what they were measured on.
        public var bands: [(name: String, meaning: String)]
        public var generatedBy: String
        /// The report's own audit entry: the chain's head when it was made.
        public var head: AuditEntry

        public var verifiedLeads: [(search: Int64, candidate: Candidate)] {
            searches.flatMap { search in search.candidates.filter { $0.status == .verified }.map { (search.entry.id, $0) } }
        }
    }

    /// What the report says of face recognition's use, also when it found nobody (the 2024
    /// Detroit settlement asks that its use be disclosed whatever it found).
    public static func disclosure(_ report: Report) -> String {
        // A stopped case's searches that found someone keep that they did: their lists' digests.
        let found = report.searches.filter { !$0.entry.entry.candidates.isEmpty || $0.entry.candidatesDeleted }.count
        let none = report.searches.count - found
        return "Facial recognition technology was used in this case: \(report.searches.count) search"
            + (report.searches.count == 1 ? "" : "es") + " of the organisation's image collections, \(found) returning candidates and "
            + "\(none) returning none. Its results are investigative leads, not identifications; a lead verified by two examiners "
            + "still requires independent evidence before any action, and no arrest or photo line-up may rest on it alone."
    }

    /// The report of case `id`, for a supervisor or the case's lead investigator.
    public func report(of id: CaseID, bands: BandThresholds, fusedBands: FusedBands?, caller: Accounts.Caller) async throws -> Report {
        let refusal = GovernanceError.forbidden("only the case's lead investigator or a supervisor makes its report")
        // A role that can lead no case is refused before the case is looked up.
        guard caller.account.role.allows(.openCases) else { throw refusal }
        let investigation = try await cases.get(id, caller: caller)
        guard investigation.leadInvestigator == caller.account.id || caller.account.role.allows(.superviseCases) else { throw refusal }
        let organization = caller.account.organization
        var usernames: [AccountID: String] = [:]
        for account in try await store.accounts(in: organization) { usernames[account.id] = account.username }
        var collectionNames: [CollectionID: String] = [:]
        var searches: [Report.Search] = []
        for entry in try await store.auditEntries(organization: organization, caseNumber: investigation.number)
        where entry.entry.action == AuditLog.Action.search.rawValue {
            for id in entry.entry.collections where collectionNames[id] == nil {
                collectionNames[id] = try await gallery.collection(id)?.name ?? "#\(id) (deleted)"
            }
            let reviews = Dictionary(grouping: try await store.reviews(ofSearch: entry.id), by: \.face)
            searches.append(Report.Search(
                entry: entry, collections: entry.entry.collections.map { collectionNames[$0] ?? "#\($0)" },
                thumbnail: try await store.auditThumbnail(entry: entry.id, organization: organization)?.jpeg,
                candidates: investigation.blockedAt != nil ? [] : entry.entry.candidates.map { candidate in
                    let held = reviews[candidate.face] ?? []
                    let status = Reviews.LeadStatus(held)
                    return Report.Candidate(face: candidate.face, band: candidate.band, distance: candidate.distance, status: status,
                                            reviews: held.map { Report.ReviewLine(reviewer: usernames[$0.reviewer] ?? "#\($0.reviewer)",
                                                                                  review: $0, shown: status.isSettled) })
                }, resultsDeleted: investigation.blockedAt != nil))
        }
        var definitions = [("strong", "dlib distance ≤ \(bands.strong); fused distance ≤ \(fusedBands.map { "\($0.thresholds.strong)" } ?? "-")"),
                           ("possible", "dlib distance ≤ \(bands.possible); fused distance ≤ \(fusedBands.map { "\($0.thresholds.possible)" } ?? "-")"),
                           ("weak", "anything further: a different person is likely")]
        definitions.append(("measured on", fusedBands?.thresholds.measuredOn ?? bands.measuredOn))
        let reviewed = searches.flatMap(\.candidates).filter { !$0.reviews.isEmpty }.count
        let head = try await AuditLog(store: store).record(NewAuditEntry(
            organization: organization, actorID: caller.account.id, actor: caller.account.username,
            action: AuditLog.Action.caseReport.rawValue, caseNumber: investigation.number, offence: investigation.offence,
            clientAddress: caller.address,
            detail: "case \(investigation.id): report of \(searches.count) searches, \(reviewed) reviewed candidates"))
        let watches = try await store.watches(in: organization, openOnly: false).filter { $0.caseID == investigation.id }.reversed()
        return Report(investigation: investigation, usernames: usernames, searches: searches, watches: Array(watches),
                      bands: definitions, generatedBy: caller.account.username, head: head)
    }
}
