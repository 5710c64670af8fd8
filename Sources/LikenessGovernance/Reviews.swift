import Crypto
import Foundation
import LikenessCore
import LikenessEngine
import LikenessStore

/// Examiners' reviews of a search's candidates, and the two-person rule that makes a lead
/// actionable (EU AI Act Art. 14(5)): a candidate one examiner calls a possible lead becomes a
/// verified lead only when a second, different examiner reaches the same decision blind, not
/// having seen the first's record until their own is saved. Two who disagree leave it disputed,
/// shown to the supervisors, until a third decides. Every review, verification and dispute is
/// an audit entry; a review's entry holds the digest of its record, not its conclusion, so
/// that reading the log does not unblind the next examiner.
public struct Reviews: Sendable {
    public let store: any GovernanceStore
    /// Where the candidates' crops and provenance are, for the comparison.
    let gallery: any GalleryStore
    public let audit: AuditLog
    let training: Training
    let now: @Sendable () -> Date

    public init(store: any GovernanceStore, gallery: any GalleryStore, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.gallery = gallery
        audit = AuditLog(store: store)
        training = Training(store: store, now: now)
        self.now = now
    }

    /// What the reviews of a candidate amount to.
    public enum LeadStatus: String, Sendable, Codable, CaseIterable {
        case unreviewed
        /// Excluded by its first examiner, or by two, or by the third after a dispute.
        case excluded
        /// One examiner's possible lead, waiting for a second's blind review.
        case awaitingVerification = "awaiting_verification"
        /// Two examiners found it a possible lead: an investigative lead, not an identification.
        case verified
        /// Two examiners disagree: a third decides.
        case disputed

        /// No further review is taken.
        public var isSettled: Bool { self == .excluded || self == .verified }

        /// From a candidate's reviews, oldest first.
        public init(_ reviews: [CandidateReview]) {
            guard let first = reviews.first else { self = .unreviewed; return }
            guard reviews.count > 1 else { self = first.decision == .possibleLead ? .awaitingVerification : .excluded; return }
            let second = reviews[1]
            // The third examiner's decision settles a dispute: it agrees with one of the two.
            let deciding = first.decision == second.decision ? second : reviews.count > 2 ? reviews[2] : nil
            switch deciding?.decision {
            case .possibleLead: self = .verified
            case .excluded: self = .excluded
            case nil: self = .disputed
            }
        }
    }

    /// A candidate's reviews as the caller may see them: others' records are withheld from
    /// whoever could still review it blind, until their own is saved or the candidate is settled.
    public struct CandidateReviews: Sendable {
        public var search: Int64
        public var face: FaceID
        public var caseNumber: String
        public var status: LeadStatus
        /// Oldest first.
        public var visible: [CandidateReview]
        /// How many records are withheld from the caller.
        public var withheld: Int
    }

    /// An examiner's record of a comparison, checked field by field.
    public struct Findings: Sendable {
        public var features: [CandidateReview.Feature: CandidateReview.Observation]
        public var notes: String?
        public var conclusion: CandidateReview.Conclusion

        /// `features` names every feature of `CandidateReview.Feature` with its observation.
        public init(features: [String: String]?, notes: String?, conclusion: String?) throws(FieldErrors) {
            var errors = FieldErrors()
            var parsed: [CandidateReview.Feature: CandidateReview.Observation] = [:]
            let observations = CandidateReview.Observation.allCases.map(\.rawValue).joined(separator: ", ")
            for (name, value) in features ?? [:] {
                guard let feature = CandidateReview.Feature(rawValue: name) else {
                    errors.add("features", "no feature '\(name)': " + CandidateReview.Feature.allCases.map(\.rawValue).joined(separator: ", "))
                    continue
                }
                guard let observation = CandidateReview.Observation(rawValue: value) else {
                    errors.add("features.\(name)", "must be one of \(observations)")
                    continue
                }
                parsed[feature] = observation
            }
            let missing = CandidateReview.Feature.allCases.filter { parsed[$0] == nil && features?[$0.rawValue] == nil }
            if !missing.isEmpty {
                errors.add("features", "every feature needs an observation (\(observations)); missing: "
                           + missing.map(\.rawValue).joined(separator: ", "))
            }
            let notes = notes?.trimmingCharacters(in: .whitespacesAndNewlines)
            if (notes?.count ?? 0) > 4000 { errors.add("notes", "at most 4,000 characters") }
            let scale = CandidateReview.Conclusion.allCases.map(\.rawValue).joined(separator: ", ")
            let conclusion = conclusion.flatMap(CandidateReview.Conclusion.init(rawValue:))
            if conclusion == nil { errors.add("conclusion", "must be one of \(scale)") }
            guard errors.isEmpty, let conclusion else { throw errors }
            self.features = parsed
            self.notes = notes?.isEmpty == false ? notes : nil
            self.conclusion = conclusion
        }
    }

    /// Records the caller's comparison of candidate `face` of search `search`.
    public func review(search: Int64, face: FaceID, _ findings: Findings, caller: Accounts.Caller) async throws -> CandidateReviews {
        try caller.require(.reviewCandidates)
        if let refusal = Accounts.refusal(for: caller.account) { throw GovernanceError.forbidden(refusal) }
        guard let organization = try await store.organization(caller.account.organization) else {
            throw GovernanceError.forbidden("the account's organisation no longer exists")
        }
        if let untrained = try await training.refusal(for: caller.account, of: organization, doing: "reviewing") {
            throw GovernanceError.forbidden(untrained)
        }
        let (_, investigation) = try await candidate(face, of: search, caller: caller)
        guard investigation.status == .open else { throw GovernanceError.conflict("case \(investigation.number) is closed") }
        let earlier = try await store.reviews(ofSearch: search, face: face)
        if earlier.contains(where: { $0.reviewer == caller.account.id }) {
            throw GovernanceError.conflict("you have reviewed this candidate already: verifying a lead takes another examiner")
        }
        let before = LeadStatus(earlier)
        guard !before.isSettled else {
            throw GovernanceError.conflict("this candidate's reviews are settled: \(before.rawValue)")
        }
        let reviewedAt = now()
        let digest = Self.digest(search: search, face: face, reviewer: caller.account.id, findings, at: reviewedAt)
        let entry = try await record(.candidateReviewed, investigation, caller: caller,
                                     detail: "search \(search), face \(face): review \(earlier.count + 1), record sha256 \(digest)")
        guard let saved = try await store.addReview(NewCandidateReview(
            organization: caller.account.organization, search: search, face: face, reviewer: caller.account.id,
            features: findings.features, notes: findings.notes, conclusion: findings.conclusion, reviewedAt: reviewedAt,
            auditEntry: entry.id))
        else {
            throw GovernanceError.conflict("you have reviewed this candidate already: verifying a lead takes another examiner")
        }
        let reviews = earlier + [saved]
        let after = LeadStatus(reviews)
        switch after {
        case .verified:
            try await record(.leadVerified, investigation, caller: caller,
                             detail: "search \(search), face \(face): verified by reviews " + reviews.map { "\($0.auditEntry)" }.joined(separator: ", "))
        case .disputed:
            try await record(.leadDisputed, investigation, caller: caller,
                             detail: "search \(search), face \(face): examiners disagree (reviews "
                                 + reviews.map { "\($0.auditEntry)" }.joined(separator: ", ") + "); a third review decides")
        default: break
        }
        return CandidateReviews(search: search, face: face, caseNumber: investigation.number, status: after, visible: reviews, withheld: 0)
    }

    /// The reviews of candidate `face` of search `search`, as the caller may see them.
    public func reviews(search: Int64, face: FaceID, caller: Accounts.Caller) async throws -> CandidateReviews {
        try caller.require(.readCases)
        let (_, investigation) = try await candidate(face, of: search, caller: caller)
        return try await reviews(search: search, face: face, of: investigation, caller: caller)
    }

    /// The reviews of a candidate already found in `investigation`, as the caller may see them.
    private func reviews(search: Int64, face: FaceID, of investigation: InvestigationCase,
                         caller: Accounts.Caller) async throws -> CandidateReviews {
        let reviews = try await store.reviews(ofSearch: search, face: face)
        let status = LeadStatus(reviews)
        let ownSaved = reviews.contains { $0.reviewer == caller.account.id }
        let visible = status.isSettled || ownSaved ? reviews : []
        return CandidateReviews(search: search, face: face, caseNumber: investigation.number, status: status, visible: visible,
                                withheld: reviews.count - visible.count)
    }

    /// A candidate that waits for another examiner's review.
    public struct Awaiting: Sendable {
        public var search: Int64
        public var face: FaceID
        public var caseNumber: String
        public var status: LeadStatus
        public var since: Date
    }

    /// The organisation's possible leads awaiting verification and its disputes, in open cases,
    /// that the caller has not reviewed: where a second (or third) examiner is needed. Oldest first.
    public func awaiting(caller: Accounts.Caller) async throws -> [Awaiting] {
        try caller.require(.reviewCandidates)
        let organization = caller.account.organization
        let byCandidate = Dictionary(grouping: try await store.reviews(in: organization)) { "\($0.search) \($0.face)" }
        var cases: [String: InvestigationCase?] = [:]
        var found: [Awaiting] = []
        for reviews in byCandidate.values {
            let status = LeadStatus(reviews)
            guard !status.isSettled, !reviews.contains(where: { $0.reviewer == caller.account.id }) else { continue }
            let first = reviews[0]
            guard let number = try await store.auditEntry(first.search, organization: organization)?.entry.caseNumber else { continue }
            if cases[number] == nil { cases[number] = try await store.investigationCase(number: number, in: organization) }
            guard let investigation = cases[number] ?? nil, investigation.status == .open, investigation.blockedAt == nil else { continue }
            found.append(Awaiting(search: first.search, face: first.face, caseNumber: number, status: status,
                                  since: reviews.last!.reviewedAt))
        }
        return found.sorted { ($0.since, $0.search, $0.face) < ($1.since, $1.search, $1.face) }
    }

    /// What an examiner compares: the probe face and the candidate's, each an aligned chip of the
    /// same geometry (eyes on one line, at one scale) with where its own landmarks fall, the
    /// candidate's band, its image's provenance, and the reviews the caller may see.
    public struct Comparison: Sendable {
        public var caseID: CaseID
        public var reviews: CandidateReviews
        /// Nil when the search kept none (it found no candidates) or it was deleted with the
        /// search's thumbnail.
        public var probe: ProbeFace?
        /// Nil once the face is erased.
        public var candidate: ProbeFace?
        public var band: String
        public var distance: Float
        /// Nil once the face is erased.
        public var details: MatchDetails?
        /// The candidate's whole image, at most 640 px on its longer side, with its size in the
        /// held file's pixels (the face's box is in them); nil for a video, or an image not held
        /// as a file here.
        public var sourceImage: (jpeg: [UInt8], width: Int, height: Int)?
        public var collection: CollectionRecord?
        /// Whether the caller may record a review now.
        public var mayReview: Bool
    }

    /// Opens candidate `face` of search `search` for comparison, audited as `comparison_opened`
    /// before anything is shown: the view discloses a candidate's image and provenance.
    public func comparison(search: Int64, face: FaceID, caller: Accounts.Caller) async throws -> Comparison {
        try caller.require(.reviewCandidates)
        let (entry, investigation) = try await candidate(face, of: search, caller: caller)
        let listed = try await reviews(search: search, face: face, of: investigation, caller: caller)
        try await record(.comparisonOpened, investigation, caller: caller, detail: "search \(search), face \(face)")
        let scored = entry.entry.candidates.first { $0.face == face }!
        var candidate: ProbeFace?
        if let crop = try await gallery.faceCrop(face), let detected = try await gallery.detectedFace(face) {
            candidate = ProbeFace(jpeg: crop.crop, landmarks: try DlibFaceEngine.chipLandmarks(of: detected))
        }
        let details = try await gallery.matchDetails(for: [face])[face]
        var collection: CollectionRecord?
        var sourceImage: (jpeg: [UInt8], width: Int, height: Int)?
        if let details {
            collection = try await gallery.collection(details.collectionID)
            if let image = try await gallery.imageDetails(details.image), image.videoDuration == nil,
               let jpeg = Self.preview(of: image.origin.location) {
                sourceImage = (jpeg, image.width, image.height)
            }
        }
        let reviewedByCaller = listed.visible.contains { $0.reviewer == caller.account.id }
        return Comparison(caseID: investigation.id, reviews: listed, probe: try await store.probeFace(entry: search, organization: caller.account.organization),
                          candidate: candidate, band: scored.band, distance: scored.distance, details: details,
                          sourceImage: sourceImage, collection: collection,
                          mayReview: investigation.status == .open && !listed.status.isSettled && !reviewedByCaller)
    }

    /// A held image file, decoded shrunk and re-encoded at most 640 px on its longer side; nil
    /// when it is not a file here (an archive's entry, a URL) or no longer readable.
    static func preview(of path: String) -> [UInt8]? {
        guard path.hasPrefix("/"), !path.contains("!/"), let data = FileManager.default.contents(atPath: path),
              let (image, _) = try? ImageCodec.decode(data: data, keepingLongSideAtLeast: 640) else { return nil }
        return try? ImageCodec.jpeg(of: image, left: 0, top: 0, width: image.width, height: image.height, maxSide: 640, quality: 80)
    }

    /// A successful search of the caller's organisation, with its case, and `face` among its
    /// candidates; anything else is not found.
    private func candidate(_ face: FaceID, of search: Int64, caller: Accounts.Caller) async throws -> (AuditEntry, InvestigationCase) {
        let organization = caller.account.organization
        guard let entry = try await store.auditEntry(search, organization: organization),
              entry.entry.action == AuditLog.Action.search.rawValue, entry.entry.outcome == "ok",
              let number = entry.entry.caseNumber,
              let investigation = try await store.investigationCase(number: number, in: organization)
        else { throw GovernanceError.notFound("no search \(search) in your organisation") }
        guard investigation.blockedAt == nil else {
            throw GovernanceError.notFound("search \(search)'s case \(number) was stopped: its results are deleted")
        }
        guard entry.entry.candidates.contains(where: { $0.face == face }) else {
            throw GovernanceError.notFound("face \(face) is not a candidate of search \(search)")
        }
        return (entry, investigation)
    }

    /// The SHA-256 of a review's record, as its audit entry keeps it: what was concluded, by
    /// whom, when, about which candidate, in a fixed encoding.
    static func digest(search: Int64, face: FaceID, reviewer: AccountID, _ findings: Findings, at: Date) -> String {
        let fields: [String] = [
            String(search), String(face), String(reviewer), AuditEntry.timestamp(at), findings.conclusion.rawValue,
            CandidateReview.encode(findings.features), findings.notes ?? "",
        ]
        // Strings only: serialising them cannot fail.
        let encoded = try! JSONSerialization.data(withJSONObject: fields, options: [.withoutEscapingSlashes])
        return SHA256.hash(data: encoded).hexString
    }

    @discardableResult
    private func record(_ action: AuditLog.Action, _ investigation: InvestigationCase, caller: Accounts.Caller,
                        detail: String) async throws -> AuditEntry {
        try await audit.record(NewAuditEntry(organization: investigation.organization, actorID: caller.account.id,
                                             actor: caller.account.username, action: action.rawValue,
                                             caseNumber: investigation.number, offence: investigation.offence,
                                             clientAddress: caller.address, detail: detail))
    }
}
