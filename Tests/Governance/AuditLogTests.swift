import Foundation
import GRDB
import LikenessGovernance
import LikenessStore
import LikenessStoreSQLite
import Testing
import TestSupport

@Suite struct AuditLogTests {
    func makeStore() throws -> (SQLiteGalleryStore, String) {
        let path = try Fixtures.scratchDirectory().appendingPathComponent("audit.sqlite").path
        return (try SQLiteGalleryStore(path: path), path)
    }

    func fill(_ store: SQLiteGalleryStore, count: Int) async throws -> [AuditEntry] {
        let organization = try await store.createOrganization(name: "org")
        var entries: [AuditEntry] = []
        for n in 0..<count {
            entries.append(try await store.appendAudit(NewAuditEntry(
                organization: organization.id, actorID: 1, actor: "inv", action: "search", caseNumber: "C-\(n)",
                purpose: "missing_person", probeSHA256: String(repeating: "a", count: 64), probeThumbnail: [1, 2, 3],
                collections: [1, 2], candidates: [AuditCandidate(face: 7, distance: 0.41, band: "strong")],
                clientAddress: "10.0.0.\(n)")))
        }
        return entries
    }

    @Test func entriesChainEachToThePrevious() async throws {
        let (store, _) = try makeStore()
        let entries = try await fill(store, count: 4)
        #expect(entries[0].previousHash == AuditEntry.genesisHash)
        for (previous, entry) in zip(entries, entries.dropFirst()) { #expect(entry.previousHash == previous.hash) }
        let verification = try await AuditLog(store: store).verify()
        #expect(verification.entries == 4 && verification.firstBroken == nil)
    }

    @Test func editingAnyFieldOfAnyEntryBreaksTheChainAtThatEntry() async throws {
        // The probe thumbnail and the candidate list live apart (so that they can be deleted); the
        // chain holds their digests, and a list still there is held to its digest.
        let forgedList = #"'[{"face":8,"distance":0.41,"band":"strong"}]'"#
        for (table, column, value) in [("audit_entry", "case_number", "'C-forged'"), ("audit_entry", "purpose", "'identity_fraud'"),
                                       ("audit_candidates", "candidates", forgedList), ("audit_candidates", "sha256", "'00'"),
                                       ("audit_entry", "actor", "'someone'"),
                                       ("audit_entry", "at", "'2020-01-01T00:00:00.000Z'"), ("audit_thumbnail", "sha256", "'00'"),
                                       ("audit_entry", "client_address", "NULL")] {
            let (store, path) = try makeStore()
            _ = try await fill(store, count: 5)
            // Someone with the database file in hand: the triggers stop the application, not them.
            let database = try DatabaseQueue(path: path)
            try await database.write { db in
                try db.execute(sql: "DROP TRIGGER audit_entry_no_update")
                try db.execute(sql: "DROP TRIGGER audit_thumbnail_only_redacted")
                try db.execute(sql: "DROP TRIGGER audit_candidates_only_deleted")
                try db.execute(sql: "UPDATE \(table) SET \(column) = \(value) WHERE \(table == "audit_entry" ? "id" : "entry_id") = 3")
            }
            let verification = try await AuditLog(store: store).verify()
            #expect(verification.firstBroken?.id == 3, "editing \(table).\(column)")
        }
    }

    @Test func aCandidateListKeptApartIsHeldToItsDigestUntilDeleted() {
        let candidates = [AuditCandidate(face: 7, distance: 0.41, band: "strong")]
        let entry = NewAuditEntry(organization: 1, actorID: 1, actor: "inv", action: "search", caseNumber: "C-1", candidates: candidates)
        let digest = AuditEntry.candidatesDigest(candidates)
        let hash = AuditEntry.chainHash(id: 1, at: "2026-12-01T00:00:00.000Z", entry: entry, thumbnailSHA256: nil,
                                        candidatesSHA256: digest, previousHash: AuditEntry.genesisHash)
        var kept = AuditEntry(id: 1, at: "2026-12-01T00:00:00.000Z", entry: entry, thumbnailSHA256: nil, candidatesSHA256: digest,
                              previousHash: AuditEntry.genesisHash, hash: hash)
        #expect(kept.computedHash == hash && kept.candidatesMatchTheirDigest)
        kept.entry.candidates[0].face = 8
        #expect(!kept.candidatesMatchTheirDigest, "a changed list shows")
        kept.entry.candidates = []
        kept.candidatesDeletedAt = Date()
        #expect(kept.computedHash == hash && kept.candidatesMatchTheirDigest, "a deleted list's digest stands for it")
        // An entry from before lists were kept apart hashes its list itself.
        let inline = AuditEntry.chainHash(id: 1, at: "2026-12-01T00:00:00.000Z", entry: entry, thumbnailSHA256: nil,
                                          previousHash: AuditEntry.genesisHash)
        #expect(inline != hash && AuditEntry(id: 1, at: "2026-12-01T00:00:00.000Z", entry: entry, thumbnailSHA256: nil,
                                             previousHash: AuditEntry.genesisHash, hash: inline).computedHash == inline)
    }

    @Test func deletingAnEntryIsFoundAndTheApplicationCannotEditOrDelete() async throws {
        let (store, path) = try makeStore()
        _ = try await fill(store, count: 5)
        let database = try DatabaseQueue(path: path)
        await #expect(throws: DatabaseError.self) {
            try await database.write { db in try db.execute(sql: "UPDATE audit_entry SET actor = 'x' WHERE id = 2") }
        }
        await #expect(throws: DatabaseError.self) {
            try await database.write { db in try db.execute(sql: "DELETE FROM audit_entry WHERE id = 2") }
        }
        try await database.write { db in
            try db.execute(sql: "DROP TRIGGER audit_entry_no_delete")
            try db.execute(sql: "DROP TRIGGER audit_thumbnail_no_delete")
            try db.execute(sql: "DROP TRIGGER audit_candidates_no_delete")
            try db.execute(sql: "DELETE FROM audit_thumbnail WHERE entry_id = 4")
            try db.execute(sql: "DELETE FROM audit_candidates WHERE entry_id = 4")
            try db.execute(sql: "DELETE FROM audit_entry WHERE id = 4")
        }
        let verification = try await AuditLog(store: store).verify()
        #expect(verification.firstBroken?.id == 4)
    }

    @Test func exportsAsJSONLAndCSV() async throws {
        let (store, _) = try makeStore()
        let entries = try await fill(store, count: 2)
        let jsonl = AuditExport.render(entries, as: .jsonl).split(separator: "\n")
        #expect(jsonl.count == 2)
        let first = try JSONSerialization.jsonObject(with: Data(jsonl[0].utf8)) as? [String: Any]
        #expect(first?["case_number"] as? String == "C-0" && first?["hash"] as? String == entries[0].hash)
        let csv = AuditExport.render(entries, as: .csv)
        #expect(csv.hasPrefix("id,at,organization_id,actor,action"))
        #expect(csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 3)
        #expect(CSV.render(header: ["a"], rows: [["=cmd()"], ["x,y"]]) == "a\r\n'=cmd()\r\n\"x,y\"\r\n")
    }

    @Test func csvCellsStartingWithTabOrCarriageReturnAreNeutralised() {
        #expect(CSV.render(header: ["a"], rows: [["\t=cmd()"]]) == "a\r\n'\t=cmd()\r\n")
        #expect(CSV.render(header: ["a"], rows: [["\r=cmd()"]]) == "a\r\n\"'\r=cmd()\"\r\n")
        #expect(CSV.render(header: ["a"], rows: [["\r\n=cmd()"]]) == "a\r\n\"'\r\n=cmd()\"\r\n")
    }

    @Test func alertsForDailyLimitAndPurposesOutsideTheList() async throws {
        let (store, _) = try makeStore()
        let organization = try await store.createOrganization(name: "org")
        try await store.setDailySearchLimit(3, for: organization.id)
        for n in 0..<4 {
            _ = try await store.appendAudit(NewAuditEntry(organization: organization.id, actorID: 1, actor: "busy", action: "search",
                                                          caseNumber: "C-\(n)", purpose: "missing_person"))
        }
        _ = try await store.appendAudit(NewAuditEntry(organization: organization.id, actorID: 2, actor: "odd", action: "search",
                                                      caseNumber: "C-9", purpose: "other: checking my neighbour"))
        let log = AuditLog(store: store)
        let current = try #require(try await store.organization(organization.id))
        let alerts = try await log.alerts(organization: current, from: Date().addingTimeInterval(-3600), to: Date().addingTimeInterval(60))
        #expect(alerts.contains { $0.kind == .dailyLimitExceeded && $0.username == "busy" && $0.auditEntry == 4 })
        #expect(alerts.contains { $0.kind == .purposeOutsideList && $0.username == "odd" })
        #expect(alerts.count == 2)
        let counts = try await log.dailySearchCounts(organization: organization.id, day: Date())
        #expect(counts == [DailySearchCount(username: "busy", searches: 4), DailySearchCount(username: "odd", searches: 1)])
    }
}

@Suite struct RulesTests {
    @Test func searchJustificationNamesEachMissingField() {
        #expect(throws: FieldErrors.self) { try SearchJustification(caseNumber: " ", purpose: "missing_person", purposeText: nil, offence: nil) }
        do {
            _ = try SearchJustification(caseNumber: nil, purpose: "other", purposeText: "", offence: nil)
            Issue.record("accepted")
        } catch {
            #expect(error.fields.map(\.field) == ["case_number", "purpose_text"])
        }
        let ok = try? SearchJustification(caseNumber: " 24/1187 ", purpose: "other", purposeText: "court order 5", offence: "")
        #expect(ok?.caseNumber == "24/1187" && ok?.auditedPurpose == "other: court order 5" && ok?.offence == nil)
    }

    @Test func rolesAllowOnlyTheirDuties() {
        #expect(Role.investigator.allows(.search) && !Role.investigator.allows(.readAudit))
        #expect(Role.auditor.allows(.readAudit) && !Role.auditor.allows(.search) && !Role.auditor.allows(.manageAccounts))
        #expect(Role.admin.allows(.manageAccounts) && !Role.admin.allows(.search) && !Role.admin.allows(.readAudit))
        #expect(Role.supervisor.allows(.readAudit) && Role.supervisor.allows(.search) && !Role.supervisor.allows(.manageCollections))
    }

    @Test func loginThrottleCountsFailuresPerUserWithinTheWindow() async {
        let throttle = LoginThrottle(limit: 3, window: 60)
        let start = Date()
        for n in 0..<3 {
            guard case .success = await throttle.reserve(username: "u", address: "1.2.3.4", now: start.addingTimeInterval(Double(n))) else {
                Issue.record("attempt \(n) refused")
                return
            }
        }
        #expect(await throttle.reserve(username: "U", address: nil, now: start.addingTimeInterval(5)).wait == 55)
        #expect(await throttle.reserve(username: "other", address: nil, now: start.addingTimeInterval(5)).wait == nil)
        #expect(await throttle.reserve(username: "u", address: nil, now: start.addingTimeInterval(61)).wait == nil)
    }

    @Test func loginThrottleGivesBackTheAttemptsOfRightPasswords() async throws {
        let throttle = LoginThrottle(limit: 2, window: 60)
        let start = Date()
        // Right passwords do not use up the address's attempts, nor the username's.
        for n in 0..<20 {
            let reservation = try await throttle.reserve(username: "u\(n % 2)", address: "1.2.3.4", now: start).get()
            await throttle.succeeded(reservation)
        }
        let held = try await throttle.reserve(username: "u0", address: nil, now: start).get()
        _ = try await throttle.reserve(username: "u0", address: nil, now: start).get()
        // Two attempts in flight: a third is refused before either password is known.
        #expect(await throttle.reserve(username: "u0", address: nil, now: start).wait == 60)
        await throttle.succeeded(held)
        #expect(await throttle.reserve(username: "u0", address: nil, now: start).wait == nil)
    }

    @Test func collectionsNeedProvenanceBasisAndAnISOJurisdiction() {
        #expect(throws: GovernanceError.self) {
            try CollectionRules.validated(organization: 1, name: "ok", description: nil, source: "", lawfulBasis: "b",
                                          jurisdiction: "Britain", retentionDays: 0)
        }
        let valid = try? CollectionRules.validated(organization: 1, name: "press 2024", description: nil, source: "archive",
                                                   lawfulBasis: "licence", jurisdiction: "us-ca", retentionDays: 30)
        #expect(valid?.jurisdiction == "US-CA")
    }
}

extension Result where Failure == LoginThrottle.Wait {
    var wait: Int? { if case .failure(let wait) = self { wait.seconds } else { nil } }
}
