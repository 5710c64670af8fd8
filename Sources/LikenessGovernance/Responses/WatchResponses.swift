import LikenessStore

/// A watch as the API shows it (the `Watch` schema): never its probe.
public struct WatchResponse: Encodable, Sendable {
    public var id: WatchID
    public var caseId: CaseID
    public var owner: AccountID
    /// The search whose probe it keeps.
    public var searchEntry: Int64
    @Nullable public var probeSha256: String?
    public var status: String
    public var openedAt: String
    public var expiresAt: String
    public var matchCount: Int
    /// The search entry of its latest match: its candidates are on the case's page.
    @Nullable public var lastMatchEntry: Int64?
    @Nullable public var endedAt: String?
    @Nullable public var endReason: String?

    public init(_ watch: Watch) {
        id = watch.id
        caseId = watch.caseID
        owner = watch.owner
        searchEntry = watch.searchEntry
        probeSha256 = watch.probeSHA256
        status = watch.isOpen ? "open" : "ended"
        openedAt = AuditEntry.timestamp(watch.openedAt)
        expiresAt = AuditEntry.timestamp(watch.expiresAt)
        matchCount = watch.matchCount
        lastMatchEntry = watch.lastMatchEntry
        endedAt = watch.endedAt.map(AuditEntry.timestamp)
        endReason = watch.endReason
    }
}

public struct WatchesResponse: Encodable, Sendable {
    public var watches: [WatchResponse]
    public init(_ watches: [Watch]) { self.watches = watches.map(WatchResponse.init) }
}
