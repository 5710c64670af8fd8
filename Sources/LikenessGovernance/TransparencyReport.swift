import Foundation
import LikenessStore

/// The table an organisation can publish: searches per month and purpose, accounts by role,
/// and the size of each collection, for a period of whole months.
public struct TransparencyReport: Sendable, Codable {
    public struct MonthlySearches: Sendable, Codable, Hashable {
        public var month: String
        public var purpose: String
        public var searches: Int
    }
    public struct RoleCount: Sendable, Codable, Hashable {
        public var role: String
        public var accounts: Int
    }
    public struct CollectionSize: Sendable, Codable, Hashable {
        public var collection: String
        public var jurisdiction: String
        public var lawfulBasis: String
        public var images: Int
        public var faces: Int
    }

    public var organization: String
    /// Months as YYYY-MM, both included.
    public var from: String
    public var to: String
    public var searches: [MonthlySearches]
    public var accounts: [RoleCount]
    public var collections: [CollectionSize]

    /// Parses YYYY-MM; nil when the text is not a month.
    public static func month(_ text: String) -> Date? {
        let parts = text.split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let year = Int(parts[0]), let month = Int(parts[1]),
              (1...12).contains(month) else { return nil }
        return Calendar.utc.date(from: DateComponents(year: year, month: month, day: 1))
    }

    public static func build(organization: Organization, from: String, to: String, governance: any GovernanceStore,
                             gallery: any GalleryStore) async throws -> TransparencyReport {
        var errors = FieldErrors()
        let start = month(from)
        let last = month(to)
        if start == nil { errors.add("from", "a month as YYYY-MM") }
        if last == nil { errors.add("to", "a month as YYYY-MM") }
        guard let start, let last else { throw GovernanceError.invalid(errors) }
        guard start <= last else { throw GovernanceError.invalid(FieldErrors("to", "must not be before 'from'")) }
        let end = Calendar.utc.date(byAdding: .month, value: 1, to: last)!
        let entries = try await AuditLog(store: governance).entries(organization: organization.id, from: start, to: end)
        var counts: [String: [String: Int]] = [:]
        for entry in entries where entry.entry.action == AuditLog.Action.search.rawValue && entry.entry.outcome == "ok" {
            // "other: text" counts as "other": free text is not for publication.
            let purpose = entry.entry.purpose.map { $0.hasPrefix("other") ? "other" : $0 } ?? "unknown"
            counts[String(entry.at.prefix(7)), default: [:]][purpose, default: 0] += 1
        }
        let searches = counts.sorted { $0.key < $1.key }.flatMap { month, byPurpose in
            byPurpose.sorted { $0.key < $1.key }.map { MonthlySearches(month: month, purpose: $0.key, searches: $0.value) }
        }
        let accounts = try await governance.accounts(in: organization.id).filter { $0.status == .active }
        let roles = Role.allCases.map { role in RoleCount(role: role.rawValue, accounts: accounts.filter { $0.role == role }.count) }
        let collections = try await gallery.collections(in: organization.id).map {
            CollectionSize(collection: $0.collection.name, jurisdiction: $0.collection.jurisdiction,
                           lawfulBasis: $0.collection.lawfulBasis, images: $0.images, faces: $0.faces)
        }
        return TransparencyReport(organization: organization.name, from: from, to: to, searches: searches,
                                  accounts: roles, collections: collections)
    }

    /// One table: section, key, value columns, so that it opens in any spreadsheet.
    public var csv: String {
        var rows: [[String]] = searches.map { ["searches", $0.month, $0.purpose, String($0.searches)] }
        rows += accounts.map { ["accounts", "", $0.role, String($0.accounts)] }
        rows += collections.flatMap { c in
            [["collection_images", c.jurisdiction, c.collection, String(c.images)],
             ["collection_faces", c.jurisdiction, c.collection, String(c.faces)]]
        }
        return CSV.render(header: ["section", "period_or_jurisdiction", "item", "count"], rows: rows)
    }
}
