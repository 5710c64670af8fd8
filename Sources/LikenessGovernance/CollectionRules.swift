import Foundation
import LikenessCore
import LikenessStore

/// Collections record where their images came from, the lawful basis for holding them, the
/// jurisdiction (ISO 3166) and how long they are kept; they belong to one organisation.
public enum CollectionRules {
    public static func create(name: String, description: String?, source: String, lawfulBasis: String, jurisdiction: String,
                              retentionDays: Int?, caller: Accounts.Caller, store: any GalleryStore,
                              audit: AuditLog) async throws -> CollectionRecord {
        try caller.require(.manageCollections)
        let new = try validated(organization: caller.account.organization, name: name, description: description, source: source,
                                lawfulBasis: lawfulBasis, jurisdiction: jurisdiction, retentionDays: retentionDays)
        if try await store.collection(named: new.name, in: new.organization) != nil {
            throw GovernanceError.conflict("a collection named '\(new.name)' already exists")
        }
        let record = try await store.createCollection(new)
        try await audit.record(NewAuditEntry(
            organization: caller.account.organization, actorID: caller.account.id, actor: caller.account.username,
            action: AuditLog.Action.collectionCreated.rawValue, collections: [record.id], clientAddress: caller.address,
            detail: "\(record.name): source \(record.source); lawful basis \(record.lawfulBasis); \(record.jurisdiction); "
                + (record.retentionDays.map { "kept \($0) days" } ?? "kept until erased")))
        return record
    }

    /// The fields of a new collection, checked, with an error per wrong field.
    public static func validated(organization: OrganizationID, name: String, description: String?, source: String,
                                 lawfulBasis: String, jurisdiction: String, retentionDays: Int?) throws -> NewCollection {
        var errors = FieldErrors()
        let name = name.trimmingCharacters(in: .whitespaces)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._- "))
        if name.isEmpty || name.count > 100 || !name.unicodeScalars.allSatisfy(allowed.contains) {
            errors.add("name", "1 to 100 letters, digits, spaces or . _ -")
        }
        if source.trimmingCharacters(in: .whitespaces).isEmpty || source.count > 1000 {
            errors.add("source", "say where the images come from (provenance), up to 1000 characters")
        }
        if lawfulBasis.trimmingCharacters(in: .whitespaces).isEmpty || lawfulBasis.count > 500 {
            errors.add("lawful_basis", "the lawful basis for holding these images, up to 500 characters")
        }
        let jurisdiction = jurisdiction.trimmingCharacters(in: .whitespaces).uppercased()
        if !isISO3166(jurisdiction) {
            errors.add("jurisdiction", "an ISO 3166 code: two letters (GB) or a subdivision (US-CA)")
        }
        if let days = retentionDays, !(1...36_500).contains(days) { errors.add("retention_days", "1 to 36500 days, or none") }
        if (description?.count ?? 0) > 2000 { errors.add("description", "at most 2000 characters") }
        guard errors.isEmpty else { throw GovernanceError.invalid(errors) }
        return NewCollection(organization: organization, name: name, description: description?.isEmpty == true ? nil : description,
                             source: source, lawfulBasis: lawfulBasis, jurisdiction: jurisdiction, retentionDays: retentionDays)
    }

    /// A collection of the caller's organisation; another organisation's looks absent.
    public static func owned(_ id: CollectionID, by caller: Accounts.Caller, store: any GalleryStore) async throws -> CollectionRecord {
        guard let record = try await store.collection(id), record.organization == caller.account.organization else {
            throw GovernanceError.notFound("no collection \(id) in your organisation")
        }
        return record
    }

    /// Ingest into a collection outside the organisation's jurisdictions is refused.
    /// A consent collection takes images only by enrolment, which records the consent.
    public static func checkIngestAllowed(into collection: CollectionRecord, governance: any GovernanceStore,
                                          enrolling: Bool = false) async throws {
        if collection.requiresConsent, !enrolling {
            throw GovernanceError.forbidden("\(collection.name) holds only enrolled people: use `likeness consent enrol`")
        }
        guard let organization = try await governance.organization(collection.organization) else {
            throw GovernanceError.notFound("no organisation for collection \(collection.name)")
        }
        guard organization.allows(jurisdiction: collection.jurisdiction) else {
            throw GovernanceError.forbidden("\(collection.name) is in \(collection.jurisdiction), outside \(organization.name)'s "
                + "jurisdictions (\((organization.jurisdictions ?? []).joined(separator: ", "))): ingest refused")
        }
    }

    public static func isISO3166(_ code: String) -> Bool {
        let parts = code.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        let letters = CharacterSet.uppercaseLetters
        guard parts[0].count == 2, parts[0].unicodeScalars.allSatisfy({ $0.isASCII && letters.contains($0) }) else { return false }
        if parts.count == 2 {
            let alphanumerics = CharacterSet.uppercaseLetters.union(.decimalDigits)
            return (1...3).contains(parts[1].count) && parts[1].unicodeScalars.allSatisfy { $0.isASCII && alphanumerics.contains($0) }
        }
        return true
    }
}

public enum OrganizationSettings {
    /// The ISO 3166 codes the organisation may ingest and search; none means any.
    public static func setJurisdictions(_ codes: [String], caller: Accounts.Caller, governance: any GovernanceStore,
                                        audit: AuditLog) async throws {
        try caller.require(.manageSettings)
        let codes = codes.map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
        let wrong = codes.filter { !CollectionRules.isISO3166($0) }
        guard wrong.isEmpty, codes.count <= 300 else {
            throw GovernanceError.invalid(FieldErrors("jurisdictions",
                                                      "ISO 3166 codes such as GB or US-CA, not \(wrong.prefix(3).map { "'\($0)'" }.joined(separator: ", "))"))
        }
        try await governance.setJurisdictions(codes.isEmpty ? nil : codes, for: caller.account.organization)
        try await audit.record(NewAuditEntry(organization: caller.account.organization, actorID: caller.account.id,
                                             actor: caller.account.username, action: AuditLog.Action.settingsChange.rawValue,
                                             clientAddress: caller.address,
                                             detail: "jurisdictions: " + (codes.isEmpty ? "any" : codes.joined(separator: ", "))))
    }

    public static func setDailySearchLimit(_ limit: Int, caller: Accounts.Caller, governance: any GovernanceStore,
                                           audit: AuditLog) async throws {
        try caller.require(.manageSettings)
        guard (1...100_000).contains(limit) else {
            throw GovernanceError.invalid(FieldErrors("daily_search_limit", "an integer from 1 to 100000"))
        }
        try await governance.setDailySearchLimit(limit, for: caller.account.organization)
        try await audit.record(NewAuditEntry(organization: caller.account.organization, actorID: caller.account.id,
                                             actor: caller.account.username, action: AuditLog.Action.settingsChange.rawValue,
                                             clientAddress: caller.address, detail: "daily search limit \(limit) per user"))
    }

    /// Whether a case may be searched before the authority's decision (`urgent`) or not.
    public static func setCaseAuthorisation(_ policy: CaseAuthorisationPolicy, caller: Accounts.Caller, governance: any GovernanceStore,
                                            audit: AuditLog) async throws {
        try caller.require(.manageSettings)
        try await governance.setCaseAuthorisationPolicy(policy, for: caller.account.organization)
        try await audit.record(NewAuditEntry(organization: caller.account.organization, actorID: caller.account.id,
                                             actor: caller.account.username, action: AuditLog.Action.settingsChange.rawValue,
                                             clientAddress: caller.address, detail: "case authorisation: \(policy.rawValue)"))
    }
}
