import Foundation
import LikenessCore
import LikenessStore

/// The organisation-wide record of who did what. Entries are only ever appended; each holds
/// the hash of the one before, so `verify` finds the first entry that was changed or removed.
public struct AuditLog: Sendable {
    public let store: any GovernanceStore

    public init(store: any GovernanceStore) { self.store = store }

    /// The actions the log records, as stored.
    public enum Action: String, Sendable, CaseIterable {
        case search, signIn = "sign_in", signInFailed = "sign_in_failed", signOut = "sign_out", signUp = "sign_up"
        case accountChange = "account_change", apiKeyCreated = "api_key_created", apiKeyRevoked = "api_key_revoked"
        case collectionCreated = "collection_created", ingest, export, erasure, settingsChange = "settings_change"
        case subjectAccess = "subject_access", subjectRequest = "subject_request", subjectLookup = "subject_lookup", consent
        case organizationCreated = "organization_created", backup, restore
        case caseOpened = "case_opened", caseAuthorisation = "case_authorisation", caseClosed = "case_closed"
        case caseBlocked = "case_blocked", trainingRecorded = "training_recorded"
        case candidateReviewed = "candidate_reviewed", leadVerified = "lead_verified", leadDisputed = "lead_disputed"
        case comparisonOpened = "comparison_opened", caseReport = "case_report"
        case watchOpened = "watch_opened", watchRenewed = "watch_renewed", watchEnded = "watch_ended", watchMatched = "watch_matched"
    }

    @discardableResult
    public func record(_ entry: NewAuditEntry) async throws -> AuditEntry {
        try await store.appendAudit(entry)
    }

    /// Walks the whole chain from the first entry, recomputing each hash, then holds it to the
    /// signed checkpoints given (`CheckpointEvidence.valid`): each says which hash its entry had
    /// when it was signed, so the newest entries removed, or entries rewritten up to a checkpoint
    /// with every hash recomputed, show. Entries after the newest checkpoint are held only by
    /// the chain.
    public func verify(against checkpoints: [AuditCheckpoint] = []) async throws -> AuditVerification {
        let checkpointed = Set(checkpoints.map(\.entryID))
        var hashes: [Int64: String] = [0: AuditEntry.genesisHash]
        var previous = AuditEntry.genesisHash
        var after: Int64 = 0
        var count = 0
        while true {
            let page = try await store.auditEntries(organization: nil, from: nil, to: nil, after: after, limit: 5000)
            guard !page.isEmpty else { break }
            for entry in page {
                count += 1
                if entry.id != after + 1 {
                    return AuditVerification(entries: count, firstBroken: (after + 1, "entry \(after + 1) is missing"))
                }
                if entry.previousHash != previous {
                    return AuditVerification(entries: count,
                                             firstBroken: (entry.id, "its link to entry \(entry.id - 1) does not match"))
                }
                if entry.computedHash != entry.hash {
                    return AuditVerification(entries: count,
                                             firstBroken: (entry.id, "its contents do not match its hash"))
                }
                if !entry.candidatesMatchTheirDigest {
                    return AuditVerification(entries: count,
                                             firstBroken: (entry.id, "its candidates do not match their digest"))
                }
                if checkpointed.contains(entry.id) { hashes[entry.id] = entry.hash }
                previous = entry.hash
                after = entry.id
            }
        }
        return Self.hold(lastEntry: after, hashes: hashes, entries: count, to: checkpoints)
    }

    /// The first checkpoint the walked chain disagrees with, oldest first: an entry it covers
    /// that now hashes otherwise (rewritten), else the newest one covering entries past the
    /// last (removed).
    private static func hold(lastEntry: Int64, hashes: [Int64: String], entries: Int,
                             to checkpoints: [AuditCheckpoint]) -> AuditVerification {
        var verification = AuditVerification(entries: entries, firstBroken: nil)
        let ordered = checkpoints.sorted { ($0.entryID, $0.number) < ($1.entryID, $1.number) }
        for checkpoint in ordered {
            if checkpoint.entryID > lastEntry {
                let newest = ordered.last!
                verification.firstBroken = (lastEntry + 1, """
                    the log ends at entry \(lastEntry) but checkpoint \(newest.number) (signed \(newest.at)) covers entry \
                    \(newest.entryID) with head hash \(newest.entryHash): entries were removed
                    """)
                return verification
            }
            let hash = hashes[checkpoint.entryID] ?? "nothing"
            if hash != checkpoint.entryHash {
                let since = verification.anchor.map { ", after entry \($0.entryID), which checkpoint \($0.number) confirms" } ?? ""
                verification.firstBroken = (checkpoint.entryID, """
                    checkpoint \(checkpoint.number) (signed \(checkpoint.at)) covers entry \(checkpoint.entryID) with head hash \
                    \(checkpoint.entryHash), but that entry now hashes to \(hash): entries were rewritten at or before \
                    entry \(checkpoint.entryID)\(since)
                    """)
                return verification
            }
            verification.anchor = checkpoint
        }
        return verification
    }

    /// Every entry in [from, to), oldest first, optionally of one organisation.
    public func entries(organization: OrganizationID?, from: Date?, to: Date?) async throws -> [AuditEntry] {
        var all: [AuditEntry] = []
        var after: Int64 = 0
        while true {
            let page = try await store.auditEntries(organization: organization, from: from, to: to, after: after, limit: 5000)
            guard let last = page.last else { return all }
            all += page
            after = last.id
        }
    }

    /// Searches per user per day, for supervisors.
    public func dailySearchCounts(organization: OrganizationID, day: Date) async throws -> [DailySearchCount] {
        let start = Calendar.utc.startOfDay(for: day)
        let end = start.addingTimeInterval(86_400)
        let searches = try await entries(organization: organization, from: start, to: end)
            .filter { $0.entry.action == Action.search.rawValue && $0.entry.outcome == "ok" }
        let byUser = Dictionary(grouping: searches, by: { $0.entry.actor })
        return byUser.map { DailySearchCount(username: $0.key, searches: $0.value.count) }
            .sorted { ($0.searches, $1.username) > ($1.searches, $0.username) }
    }

    /// What a supervisor must look at: users over the daily limit, searches whose purpose is
    /// outside the fixed list ("other"), cases whose searches were stopped, leads two examiners
    /// disagree on, and watches that matched a later face, in [from, to).
    public func alerts(organization: Organization, from: Date, to: Date) async throws -> [Alert] {
        let all = try await entries(organization: organization.id, from: from, to: to)
        let searches = all.filter { $0.entry.action == Action.search.rawValue && $0.entry.outcome == "ok" }
        var alerts: [Alert] = []
        let byUserDay = Dictionary(grouping: searches) { "\($0.entry.actor) \($0.at.prefix(10))" }
        for (_, group) in byUserDay where group.count > organization.dailySearchLimit {
            let first = group[0]
            alerts.append(Alert(kind: .dailyLimitExceeded, username: first.entry.actor, day: String(first.at.prefix(10)),
                                auditEntry: group[organization.dailySearchLimit].id,
                                detail: "\(group.count) searches, over the daily limit of \(organization.dailySearchLimit)"))
        }
        for entry in searches where entry.entry.purpose?.hasPrefix("other") == true {
            alerts.append(Alert(kind: .purposeOutsideList, username: entry.entry.actor, day: String(entry.at.prefix(10)),
                                auditEntry: entry.id,
                                detail: "purpose outside the list: \(entry.entry.purpose ?? "") (case \(entry.entry.caseNumber ?? "-"))"))
        }
        for entry in all {
            let kind: Alert.Kind
            switch entry.entry.action {
            case Action.caseBlocked.rawValue: kind = .caseBlocked
            case Action.leadDisputed.rawValue: kind = .leadDisputed
            case Action.watchMatched.rawValue: kind = .watchMatched
            default: continue
            }
            alerts.append(Alert(kind: kind, username: entry.entry.actor, day: String(entry.at.prefix(10)),
                                auditEntry: entry.id, detail: "case \(entry.entry.caseNumber ?? "-"): " + (entry.entry.detail ?? "")))
        }
        return alerts.sorted { $0.auditEntry > $1.auditEntry }
    }
}

/// The outcome of walking the chain: the first entry whose hash or link does not hold, or
/// that a checkpoint contradicts.
public struct AuditVerification: Sendable {
    public var entries: Int
    public var firstBroken: (id: Int64, reason: String)?
    /// The newest checkpoint the log agrees with: the entries up to it are as they were signed.
    public var anchor: AuditCheckpoint?
}

public struct DailySearchCount: Sendable, Codable, Hashable {
    public var username: String
    public var searches: Int

    public init(username: String, searches: Int) {
        self.username = username
        self.searches = searches
    }
}

public struct Alert: Sendable, Codable, Hashable {
    public enum Kind: String, Sendable, Codable {
        case dailyLimitExceeded = "daily_limit_exceeded", purposeOutsideList = "purpose_outside_list", caseBlocked = "case_blocked"
        case leadDisputed = "lead_disputed", watchMatched = "watch_matched"
    }
    public var kind: Kind
    public var username: String
    public var day: String
    /// The entry that raised it: the first search over the limit, or the search itself.
    public var auditEntry: Int64
    public var detail: String
}

extension Calendar {
    public static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
