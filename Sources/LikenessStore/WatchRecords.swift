import Foundation
import LikenessCore

public typealias WatchID = Int64

/// A probe kept on watch for its case: faces ingested after it opened are matched against it
/// until it expires, is ended, or its case closes or is stopped.
public struct Watch: Sendable, Codable, Hashable {
    public var id: WatchID
    public var organization: OrganizationID
    public var caseID: CaseID
    /// Who opened it: the later matches are searches made on their behalf.
    public var owner: AccountID
    /// The search whose probe it keeps.
    public var searchEntry: Int64
    public var probeSHA256: String?
    public var openedAt: Date
    public var expiresAt: Date
    /// The index change log's sequence it has matched up to: faces added after it are new.
    public var cursor: Int64
    public var matchCount: Int
    /// The search entry of its latest match.
    public var lastMatchEntry: Int64?
    /// When it ended and why (expired, ended by someone, its case closed or stopped). Its
    /// probe's templates and face are deleted then.
    public var endedAt: Date?
    public var endReason: String?

    public init(id: WatchID, organization: OrganizationID, caseID: CaseID, owner: AccountID, searchEntry: Int64,
                probeSHA256: String?, openedAt: Date, expiresAt: Date, cursor: Int64, matchCount: Int = 0,
                lastMatchEntry: Int64? = nil, endedAt: Date? = nil, endReason: String? = nil) {
        self.id = id
        self.organization = organization
        self.caseID = caseID
        self.owner = owner
        self.searchEntry = searchEntry
        self.probeSHA256 = probeSHA256
        self.openedAt = openedAt
        self.expiresAt = expiresAt
        self.cursor = cursor
        self.matchCount = matchCount
        self.lastMatchEntry = lastMatchEntry
        self.endedAt = endedAt
        self.endReason = endReason
    }

    public var isOpen: Bool { endedAt == nil }
}

/// What a watch matches with and shows examiners: the probe's templates and its aligned face.
/// Held only while the watch is open.
public struct WatchProbe: Sendable, Hashable {
    public var templates: FaceTemplates
    public var face: ProbeFace

    public init(templates: FaceTemplates, face: ProbeFace) {
        self.templates = templates
        self.face = face
    }
}

public struct NewWatch: Sendable {
    public var organization: OrganizationID
    public var caseID: CaseID
    public var owner: AccountID
    public var searchEntry: Int64
    public var probeSHA256: String?
    public var openedAt: Date
    public var expiresAt: Date
    public var probe: WatchProbe

    public init(organization: OrganizationID, caseID: CaseID, owner: AccountID, searchEntry: Int64, probeSHA256: String?,
                openedAt: Date, expiresAt: Date, probe: WatchProbe) {
        self.organization = organization
        self.caseID = caseID
        self.owner = owner
        self.searchEntry = searchEntry
        self.probeSHA256 = probeSHA256
        self.openedAt = openedAt
        self.expiresAt = expiresAt
        self.probe = probe
    }
}

/// Where watches are kept: part of every governance store.
public protocol WatchStore: Sendable {
    /// Opens a watch whose cursor is the index change log's latest sequence, read in the same
    /// transaction: only faces added after it are new to it.
    func createWatch(_ new: NewWatch) async throws -> Watch
    func watch(_ id: WatchID) async throws -> Watch?
    /// The organisation's watches, newest first; `openOnly` leaves out those that ended.
    func watches(in organization: OrganizationID, openOnly: Bool) async throws -> [Watch]
    /// Every organisation's open watches, oldest first: what the matcher works through.
    func openWatches() async throws -> [Watch]
    /// An open watch's probe; nil once it has ended.
    func watchProbe(_ id: WatchID) async throws -> WatchProbe?
    /// A new expiry for an open watch; false when it had ended.
    func renewWatch(_ id: WatchID, until: Date) async throws -> Bool
    /// Moves an open watch's cursor from `from` to `to`, counting a match when `matchEntry` is
    /// given; false when another matcher moved it first, or it ended.
    func advanceWatch(_ id: WatchID, from: Int64, to: Int64, matchEntry: Int64?) async throws -> Bool
    /// Ends an open watch and deletes its probe; false when it had ended.
    func endWatch(_ id: WatchID, at: Date, reason: String) async throws -> Bool
    /// Ends the case's open watches and deletes their probes; returns those it ended.
    func endWatches(ofCase id: CaseID, at: Date, reason: String) async throws -> [WatchID]
}
