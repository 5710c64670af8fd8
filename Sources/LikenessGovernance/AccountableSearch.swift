import Crypto
import Foundation
import LikenessCore
import LikenessEngine
import LikenessSearch
import LikenessStore

/// A face search that is answerable: made by a signed-in user allowed to search, for an open
/// case of their organisation that its authorisation lets be searched, with a stated purpose,
/// over their own organisation's collections only, and written to the audit log before anyone
/// sees the candidates.
public struct AccountableSearch: Sendable {
    let searcher: FaceSearcher
    let store: any GalleryStore
    let audit: AuditLog
    public let cases: Cases
    public let training: Training
    public let reviews: Reviews
    public let caseReports: CaseReports
    public let watches: Watches
    public let watchMatcher: WatchMatcher
    let trials = TrialSearchAdmission()

    /// The collections a caller may search: their organisation's, within its jurisdictions.
    func searchable(by caller: Accounts.Caller, within: Set<CollectionID>? = nil) async throws -> [CollectionID] {
        try await searchableCollections(for: caller, store: store, governance: audit.store).filter { within?.contains($0) ?? true }
    }

    /// The bands a candidate scored on both models falls in (nil: dlib's alone for every one).
    public var fusedBands: FusedBands? { searcher.fusedBands }

    /// `now` is the clock the cases' deadlines are read by (injectable for tests).
    public init(searcher: FaceSearcher, store: any GalleryStore, audit: AuditLog, now: @escaping @Sendable () -> Date = Date.init) {
        self.searcher = searcher
        self.store = store
        self.audit = audit
        cases = Cases(store: audit.store, now: now)
        training = Training(store: audit.store, now: now)
        reviews = Reviews(store: audit.store, gallery: store, now: now)
        caseReports = CaseReports(store: audit.store, gallery: store, now: now)
        watches = Watches(store: audit.store, now: now)
        watchMatcher = WatchMatcher(watches: watches, gallery: store, searcher: searcher)
    }

    public struct Outcome: Sendable {
        public var auditEntry: Int64
        public var justification: SearchJustification
        public var probeSHA256: String?
        public var result: ProbeResult
        /// Where the search's time went, from the decoding of the photo to its audit entry.
        public var timings: SearchTimings
        /// The watch its probe was kept on, when the search asked for one.
        public var watch: Watch? = nil
    }

    /// Searches with a probe photo's chosen face (largest by default), in the caller's
    /// organisation's collections, or only those of them in `within`. With `watchDays`, the
    /// probe is then kept on watch for its case for that many days (`Watches`).
    public func search(photo: [UInt8], name: String = "probe", face: Int?, top: Int, within: Set<CollectionID>? = nil,
                       watchDays: Int? = nil, justification: SearchJustification, caller: Accounts.Caller) async throws -> Outcome {
        let watchDays = try checkedWatch(days: watchDays, caller: caller)
        var timings = SearchTimings()
        let (admitted, investigation) = try await timings.measure("admission") { try await checkAllowed(caller, justification) }
        defer { admitted?.release() }
        let sha256 = timings.measure("hash") { SHA256.hash(data: photo).hexString }
        let probe: ProbePhoto
        do {
            probe = try timings.measure("decode") { try ProbePhoto.decoding(photo) }
        } catch {
            throw GovernanceError.invalid(FieldErrors("photo", "\(name) is not a readable image: \(error)"))
        }
        // Made beside the search, on another core when there is one: only the audit entry needs
        // it, and made first it held each search up 15 ms (a 1 MP photo) to 46 ms (12 MP).
        async let madeThumbnail = Self.auditThumbnail(of: probe.image)
        let collections = try await timings.measure("scope") { try await searchable(by: caller, within: within) }
        let result: ProbeResult
        do {
            result = try await searcher.search(probe: probe, name: name, face: face, top: top, collections: Set(collections))
            timings.append(result.timings)
        } catch let error as SearchError {
            // A search that found no usable face is still a search: it is audited, then refused.
            let thumbnail = await madeThumbnail
            let entry = try await record(caller, justification, sha256: sha256, thumbnail: thumbnail, collections: collections,
                                         matches: [], outcome: "failed", detail: error.description)
            try await cases.searched(investigation, entry: entry.id)
            throw GovernanceError.invalid(FieldErrors(face == nil ? "photo" : "face", error.description))
        }
        // What the search waited for the thumbnail, once it had its candidates.
        let waitStart = ContinuousClock.now
        let thumbnail = await madeThumbnail
        timings.record("thumbnail", since: waitStart)
        let entry = try await timings.measure("audit") {
            // The probe face is kept only for examiners to compare with candidates: none, none kept.
            try await record(caller, justification, sha256: sha256, thumbnail: thumbnail, collections: collections,
                             matches: result.matches, outcome: "ok", detail: "face \(result.face) of \(result.faces.count)",
                             probeFace: result.matches.isEmpty ? nil : result.probeFace)
        }
        try await cases.searched(investigation, entry: entry.id)
        var watch: Watch?
        if let watchDays, let templates = result.probeTemplates, let face = result.probeFace {
            watch = try await watches.open(after: entry, probe: WatchProbe(templates: templates, face: face), days: watchDays,
                                           investigation: investigation, caller: caller)
        }
        return Outcome(auditEntry: entry.id, justification: justification, probeSHA256: sha256,
                       result: result, timings: timings, watch: watch)
    }

    /// A watch's days, checked before the search runs; trial accounts keep no watch.
    private func checkedWatch(days: Int?, caller: Accounts.Caller) throws -> Int? {
        guard let days else { return nil }
        if caller.account.trialSearchQuota != nil { throw GovernanceError.forbidden("a trial account cannot keep a probe on watch") }
        do { return try Watches.checkedDays(days, field: "watch_days") } catch { throw GovernanceError.invalid(error) }
    }

    /// The probe photo as the audit log keeps it: 128 px on its longer side.
    private static func auditThumbnail(of image: RGBImage) -> [UInt8]? {
        try? ImageCodec.jpeg(of: image, left: 0, top: 0, width: image.width, height: image.height, maxSide: 128, quality: 70)
    }

    /// Searches with a face already in the gallery (a pivot from a candidate).
    public func search(fromFace id: FaceID, top: Int, justification: SearchJustification,
                       caller: Accounts.Caller) async throws -> Outcome {
        let (admitted, investigation) = try await checkAllowed(caller, justification)
        defer { admitted?.release() }
        guard let crop = try await store.faceCrop(id),
              let collection = try await store.collection(crop.collection),
              collection.organization == caller.account.organization,
              let templates = try await searcher.storedTemplates(of: id) else {
            throw GovernanceError.notFound("no face \(id) in your organisation")
        }
        let collections = try await searchable(by: caller)
        let matches = try await searcher.nearest(to: templates, top: top, collections: Set(collections))
        // The probe face is the gallery face's own chip: erasing that face deletes it with the thumbnail.
        let probeFace = try await store.detectedFace(id).map {
            ProbeFace(jpeg: crop.crop, landmarks: (try? DlibFaceEngine.chipLandmarks(of: $0)) ?? [])
        }
        let entry = try await record(caller, justification, sha256: nil, thumbnail: crop.crop, collections: collections,
                                     matches: matches, outcome: "ok", detail: "pivot from face \(id)", thumbnailShows: .face(id),
                                     probeFace: matches.isEmpty ? nil : probeFace)
        try await cases.searched(investigation, entry: entry.id)
        return Outcome(auditEntry: entry.id, justification: justification, probeSHA256: nil,
                       result: ProbeResult(probe: "face \(id)", faces: [], face: 0, matches: matches), timings: SearchTimings())
    }

    /// Role, account state, training, the case and its authorisation, and a trial's quota. A trial
    /// account's search holds its place until released, after its audit entry is written (see
    /// `TrialSearchAdmission`).
    func checkAllowed(_ caller: Accounts.Caller,
                      _ justification: SearchJustification) async throws -> (TrialSearchAdmission.Place?, InvestigationCase) {
        let investigation = try await admitSearch(by: caller.account, caseNumber: justification.caseNumber,
                                                  training: training, cases: cases)
        return (try await takeTrialPlace(caller), investigation)
    }

    private func takeTrialPlace(_ caller: Accounts.Caller) async throws -> TrialSearchAdmission.Place? {
        guard let quota = caller.account.trialSearchQuota else { return nil }
        let place = trials.take(caller.account.id)
        do {
            let used = try await audit.store.auditCount(actor: caller.account.id, action: AuditLog.Action.search.rawValue)
            if used + place.heldWhenTaken > quota { throw GovernanceError.forbidden("the trial's \(quota) searches are used up") }
        } catch {
            place.release()
            throw error
        }
        return place
    }

    @discardableResult
    func record(_ caller: Accounts.Caller, _ justification: SearchJustification, sha256: String?, thumbnail: [UInt8]?,
                collections: [CollectionID], matches: [Match], outcome: String, detail: String,
                thumbnailShows: ThumbnailSubject? = nil, probeFace: ProbeFace? = nil) async throws -> AuditEntry {
        try await audit.record(NewAuditEntry(
            organization: caller.account.organization, actorID: caller.account.id, actor: caller.account.username,
            action: AuditLog.Action.search.rawValue, outcome: outcome, caseNumber: justification.caseNumber,
            purpose: justification.auditedPurpose, offence: justification.offence, probeSHA256: sha256,
            probeThumbnail: thumbnail, collections: collections,
            candidates: matches.map { AuditCandidate(face: $0.face, distance: $0.distance, band: $0.band.rawValue) },
            clientAddress: caller.address, detail: matches.isEmpty ? detail : detail + "; scored by " + Match.modelsNamed(matches),
            thumbnailShows: thumbnailShows, probeFace: probeFace))
    }
}

/// The case numbered `number`, if `account` may search it now: its role and state, its
/// training, and the case's authorisation (`Cases.admitSearch`). A watch's matches are admitted
/// the same way, for its owner.
func admitSearch(by account: Account, caseNumber number: String, training: Training, cases: Cases) async throws -> InvestigationCase {
    try Accounts.Caller(account: account, address: nil).require(.search)
    if let refusal = Accounts.refusal(for: account) { throw GovernanceError.forbidden(refusal) }
    // Read once: training and the case both follow the organisation's settings.
    guard let organization = try await cases.store.organization(account.organization) else {
        throw GovernanceError.forbidden("the account's organisation no longer exists")
    }
    if let untrained = try await training.refusal(for: account, of: organization) { throw GovernanceError.forbidden(untrained) }
    return try await cases.admitSearch(caseNumber: number, of: organization)
}

/// What a search showed the person who made it: its candidates' faces and images, and the
/// other faces of those images. Crops, image details and media are served only through this,
/// for a while after the search, so that nobody can walk the gallery's IDs and download every
/// face outside the audit.
public struct ShownResult: Sendable {
    public let auditEntry: Int64
    public let organization: OrganizationID
    /// The candidates, as the audit entry lists them.
    let faces: Set<FaceID>
    let store: any GalleryStore

    /// Results can be opened for as long as a session lasts.
    public static let lifetime: TimeInterval = Accounts.sessionLifetime

    /// The caller's own successful search (or privacy look-up) `id`, if it is recent enough.
    public static func of(_ id: Int64, caller: Accounts.Caller, store: any GalleryStore, governance: any GovernanceStore,
                          now: Date = Date()) async throws -> ShownResult {
        let looks = [AuditLog.Action.search.rawValue, AuditLog.Action.subjectLookup.rawValue]
        guard let entry = try await governance.auditEntry(id, organization: caller.account.organization),
              entry.entry.actorID == caller.account.id, looks.contains(entry.entry.action), entry.entry.outcome == "ok"
        else {
            throw GovernanceError.notFound("no search \(id) of yours")
        }
        guard now.timeIntervalSince(entry.date) <= lifetime else {
            throw GovernanceError.notFound("search \(id) is more than \(Int(lifetime / 3600)) hours old: its results are closed")
        }
        if entry.entry.action == AuditLog.Action.search.rawValue, let number = entry.entry.caseNumber,
           try await governance.investigationCase(number: number, in: caller.account.organization)?.blockedAt != nil {
            throw GovernanceError.notFound("search \(id)'s case \(number) was stopped: its results are deleted")
        }
        return ShownResult(auditEntry: id, organization: caller.account.organization,
                           faces: Set(entry.entry.candidates.map(\.face)), store: store)
    }

    /// A face the search showed: a candidate (no query: a results page asks for each), or
    /// another face of a candidate's image.
    public func check(face: FaceID) async throws {
        if faces.contains(face) { return }
        let details = try await store.matchDetails(for: Array(faces) + [face])
        guard let image = details[face]?.image, faces.contains(where: { details[$0]?.image == image }) else {
            throw GovernanceError.notFound("face \(face) is not in search \(auditEntry)'s results")
        }
    }

    /// An image the search showed: a candidate's.
    public func check(image: ImageID) async throws {
        guard try await store.matchDetails(for: Array(faces)).values.contains(where: { $0.image == image }) else {
            throw GovernanceError.notFound("image \(image) is not in search \(auditEntry)'s results")
        }
    }
}
