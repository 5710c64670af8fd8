import Foundation
import LikenessCore
import LikenessStore
import Testing
import TestSupport

/// What every `GovernanceStore` does, tested on each backend.
@Suite struct GovernanceStoreContractTests {
    typealias Samples = StoreSamples

    func account(_ store: any DataStore, _ username: String, in organization: OrganizationID,
                 role: Role = .investigator) async throws -> Account {
        try await store.createAccount(NewAccount(organization: organization, username: username, displayName: "\(username) (display)",
                                                 passwordHash: "$2b$12$hash-of-\(username)", role: role, status: .active))
    }

    func search(_ organization: OrganizationID?, by actor: AccountID?, case caseNumber: String, outcome: String = "ok") -> NewAuditEntry {
        NewAuditEntry(organization: organization, actorID: actor, actor: "inv", action: "search", outcome: outcome,
                      caseNumber: caseNumber, purpose: "missing_person", offence: "none", probeSHA256: String(repeating: "a", count: 64),
                      probeThumbnail: [1, 2, 3], collections: [1, 2],
                      candidates: [AuditCandidate(face: 7, distance: 0.41, band: "strong"),
                                   AuditCandidate(face: 9, distance: 0.5309, band: "possible")],
                      clientAddress: "10.0.0.1", detail: "top 10")
    }

    /// Whether the entries, in order, form one unbroken chain from the first entry.
    func isOneChain(_ entries: [AuditEntry]) -> Bool {
        var previous = AuditEntry.genesisHash
        for (position, entry) in entries.enumerated() {
            guard entry.id == Int64(position + 1), entry.previousHash == previous, entry.computedHash == entry.hash,
                  entry.candidatesMatchTheirDigest else { return false }
            previous = entry.hash
        }
        return true
    }

    @Test(arguments: StoreBackend.allCases)
    func organisationsAreUniqueAndKeepTheirSettings(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let start = Date()
            let police = try await store.createOrganization(name: "police")
            _ = try await store.createOrganization(name: "Archive")
            let refusal = await #expect(throws: StoreError.self) { try await store.createOrganization(name: "police") }
            #expect(refusal == .conflict("an organisation named 'police' already exists"))
            #expect(police.dailySearchLimit == 50 && police.jurisdictions == nil && Samples.isStamped(police.createdAt, since: start))
            #expect(Samples.same(try await store.organization(police.id), police, createdAt: \.createdAt))
            #expect(Samples.same(try await store.organization(named: "police"), police, createdAt: \.createdAt))
            #expect(try await store.organizations().map(\.name) == ["Archive", "police"])

            try await store.setDailySearchLimit(20, for: police.id)
            try await store.setJurisdictions(["GB", "FR"], for: police.id)
            var changed = try #require(try await store.organization(police.id))
            #expect(changed.dailySearchLimit == 20 && changed.jurisdictions == ["GB", "FR"])
            try await store.setJurisdictions(nil, for: police.id)
            changed = try #require(try await store.organization(police.id))
            #expect(changed.jurisdictions == nil)
            #expect(try await store.organization(999_999) == nil)
            #expect(try await store.organization(named: "nobody") == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func accountsHaveUsernamesUniqueRegardlessOfCase(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let organization = try await Samples.organization(store)
            let alice = try await account(store, "alice", in: organization.id, role: .admin)
            _ = try await account(store, "Bob", in: organization.id)
            _ = try await account(store, "carol", in: organization.id)
            let refusal = await #expect(throws: StoreError.self) { try await account(store, "ALICE", in: organization.id) }
            #expect(refusal == .conflict("the username 'ALICE' is taken"))

            #expect(alice.role == .admin && alice.status == .active && alice.trialExpiresAt == nil)
            #expect(Samples.same(try await store.account(alice.id), alice, createdAt: \.createdAt))
            let signIn = try #require(try await store.account(username: "Alice"))
            #expect(Samples.same(signIn.account, alice, createdAt: \.createdAt) && signIn.passwordHash == "$2b$12$hash-of-alice")
            #expect(try await store.accounts(in: organization.id).map(\.username) == ["alice", "Bob", "carol"])

            var trial = alice
            trial.displayName = "Alice A."
            trial.role = .supervisor
            trial.trialExpiresAt = Date(timeIntervalSince1970: 1_900_000_000)
            trial.trialSearchQuota = 25
            try await store.updateAccount(trial)
            #expect(Samples.same(try await store.account(alice.id), trial, createdAt: \.createdAt))
            #expect(try await store.account(username: "nobody") == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func sessionsExpireAndEndWithTheirAccount(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let organization = try await Samples.organization(store)
            var alice = try await account(store, "alice", in: organization.id)
            try await store.createSession(tokenHash: "live", account: alice.id, csrfToken: "csrf-1", expiresAt: Date().addingTimeInterval(3600))
            try await store.createSession(tokenHash: "stale", account: alice.id, csrfToken: "csrf-2", expiresAt: Date().addingTimeInterval(-1))
            let session = try #require(try await store.session(tokenHash: "live"))
            #expect(Samples.same(session.account, alice, createdAt: \.createdAt) && session.csrfToken == "csrf-1")
            #expect(try await store.session(tokenHash: "stale") == nil)

            try await store.createSession(tokenHash: "other", account: alice.id, csrfToken: "csrf-3", expiresAt: Date().addingTimeInterval(3600))
            try await store.deleteSession(tokenHash: "other")
            #expect(try await store.session(tokenHash: "other") == nil)
            #expect(try await store.session(tokenHash: "live") != nil)

            alice.status = .disabled
            try await store.updateAccount(alice)
            #expect(try await store.session(tokenHash: "live") == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func aNewPasswordEndsEverySessionButTheOneThatSetIt(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let organization = try await Samples.organization(store)
            let alice = try await account(store, "alice", in: organization.id)
            let bob = try await account(store, "bob", in: organization.id)
            #expect(!alice.mustChangePassword)
            let oneTime = try await store.createAccount(NewAccount(organization: organization.id, username: "admin", displayName: "Admin",
                                                                   passwordHash: "$2b$12$first", role: .admin, status: .active,
                                                                   mustChangePassword: true))
            #expect(oneTime.mustChangePassword)
            #expect(try await store.account(oneTime.id)?.mustChangePassword == true)
            for token in ["alice-1", "alice-2", "alice-3"] {
                try await store.createSession(tokenHash: token, account: alice.id, csrfToken: "c", expiresAt: Date().addingTimeInterval(3600))
            }
            try await store.createSession(tokenHash: "bob-1", account: bob.id, csrfToken: "c", expiresAt: Date().addingTimeInterval(3600))

            try await store.setPassword(of: alice.id, hash: "$2b$12$new", mustChange: false, keepingSession: "alice-2")
            #expect(try await store.session(tokenHash: "alice-1") == nil)
            #expect(try await store.session(tokenHash: "alice-3") == nil)
            #expect(try await store.session(tokenHash: "alice-2") != nil)
            #expect(try await store.session(tokenHash: "bob-1") != nil)
            #expect(try await store.account(username: "alice")?.passwordHash == "$2b$12$new")

            // A reset: a one-time password, and no session kept.
            try await store.setPassword(of: alice.id, hash: "$2b$12$reset", mustChange: true, keepingSession: nil)
            #expect(try await store.session(tokenHash: "alice-2") == nil)
            let reset = try #require(try await store.account(username: "alice"))
            #expect(reset.passwordHash == "$2b$12$reset" && reset.account.mustChangePassword)
            #expect(try await store.session(tokenHash: "bob-1") != nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func pendingAccountsAreCountedPerOrganisation(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let organization = try await Samples.organization(store)
            let other = try await store.createOrganization(name: "other")
            for (name, org) in [("p1", organization.id), ("p2", organization.id), ("p3", other.id)] {
                _ = try await store.createAccount(NewAccount(organization: org, username: name, displayName: name, passwordHash: "x",
                                                             role: .investigator, status: .pending))
            }
            _ = try await account(store, "active", in: organization.id)
            #expect(try await store.pendingAccountCount(in: organization.id) == 2)
            #expect(try await store.pendingAccountCount(in: other.id) == 1)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func apiKeysAreFoundByTheirHashUntilRevoked(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let organization = try await Samples.organization(store)
            let alice = try await account(store, "alice", in: organization.id)
            let bob = try await account(store, "bob", in: organization.id)
            let key = try await store.createAPIKey(account: alice.id, keyHash: "digest-1", prefix: "lk_ab12", label: "laptop")
            let spare = try await store.createAPIKey(account: alice.id, keyHash: "digest-2", prefix: "lk_cd34", label: "script")
            #expect(key.account == alice.id && key.prefix == "lk_ab12" && key.label == "laptop" && key.revokedAt == nil)
            let keys = try await store.apiKeys(of: alice.id)
            #expect(keys.count == 2 && zip(keys, [key, spare]).allSatisfy { Samples.same($0, $1, createdAt: \.createdAt) })
            #expect(Samples.same(try await store.account(apiKeyHash: "digest-1"), alice, createdAt: \.createdAt))

            #expect(try await !store.revokeAPIKey(key.id, of: bob.id))
            #expect(try await store.revokeAPIKey(key.id, of: alice.id))
            #expect(try await !store.revokeAPIKey(key.id, of: alice.id))
            #expect(try await store.account(apiKeyHash: "digest-1") == nil)
            #expect(try await store.apiKeys(of: alice.id).map { $0.revokedAt != nil } == [true, false])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func subjectRequestsAreVerifiedOnceAndLoseTheirSelfieAndFindingsWhenTheyEnd(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let organization = try await Samples.organization(store)
            let admin = try await account(store, "privacy", in: organization.id, role: .admin)
            let access = try await store.createSubjectRequest(NewSubjectRequest(
                organization: organization.id, reference: "SR-A", kind: .access, selfie: [0xFF, 0xD8, 1], contact: "a@example.org",
                suppressionConsent: false))
            let erasure = try await store.createSubjectRequest(NewSubjectRequest(
                organization: organization.id, reference: "SR-B", kind: .erasure, selfie: [0xFF, 0xD8, 2], contact: "b@example.org",
                suppressionConsent: true))
            #expect(access.status == .unverified && access.verification == nil && access.closedAt == nil)
            #expect(try await store.subjectRequestSelfie(access.id) == [0xFF, 0xD8, 1])
            #expect(try await store.subjectRequests(of: organization.id, status: nil).map(\.reference) == ["SR-B", "SR-A"])

            let verification = IdentityVerification(method: .documentSeen, note: "passport", answerTo: "a@example.org",
                                                    verifiedBy: admin.id, verifiedByName: admin.username, at: Date())
            #expect(try await store.verifySubjectRequest(access.id, verification: verification))
            // Verified once only: a second admin's verification, or one after the end, changes nothing.
            #expect(try await !store.verifySubjectRequest(access.id, verification: verification))
            let verified = try #require(try await store.subjectRequest(access.id))
            #expect(verified.status == .verified && verified.verification?.method == .documentSeen
                    && verified.verification?.verifiedBy == admin.id && verified.verification?.answerTo == "a@example.org")

            let findings = [SubjectFinding(face: 7, distance: 0.41, band: "strong", foundBy: "selfie", auditEntry: 3),
                            SubjectFinding(face: 9, distance: 0.58, band: "weak", foundBy: "selfie", auditEntry: 3)]
            try await store.addSubjectFindings(findings, to: access.id)
            // A face found again keeps its first finding.
            try await store.addSubjectFindings([SubjectFinding(face: 9, distance: 0.30, band: "strong", foundBy: "face 7", auditEntry: 4)],
                                               to: access.id)
            #expect(try await store.subjectFindings(of: access.id) == findings)

            #expect(try await store.endSubjectRequest(access.id, status: .closed, decision: "sent 3 images"))
            #expect(try await !store.endSubjectRequest(access.id, status: .expired, decision: "again"))
            let closed = try #require(try await store.subjectRequest(access.id))
            #expect(closed.status == .closed && closed.decision == "sent 3 images" && closed.closedAt != nil)
            #expect(try await store.subjectRequestSelfie(access.id) == nil)
            #expect(try await store.subjectFindings(of: access.id).isEmpty)
            #expect(try await !store.verifySubjectRequest(access.id, verification: verification))
            #expect(try await store.subjectRequests(of: organization.id, status: .unverified).map(\.id) == [erasure.id])
            #expect(try await store.subjectRequests(of: organization.id, status: .closed).map(\.id) == [access.id])
            let open = try #require(try await store.subjectRequest(erasure.id))
            #expect(open.kind == .erasure && open.suppressionConsent && open.contact == "b@example.org")
        }
    }

    /// A probe thumbnail is kept apart from its entry: the chain holds its digest, so redacting
    /// the bytes (when the face it shows is erased) leaves the chain whole.
    @Test(arguments: StoreBackend.allCases)
    func auditThumbnailsAreRedactedWithoutBreakingTheChain(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            var pivot = search(1, by: 10, case: "C-pivot")
            pivot.probeThumbnail = [9, 9, 9]
            pivot.thumbnailShows = .face(42)
            var lookup = search(1, by: 10, case: "SR-X")
            lookup.probeThumbnail = [8, 8]
            lookup.thumbnailShows = .privacyRequest("SR-X")
            for entry in [search(1, by: 10, case: "C-1"), pivot, lookup] { _ = try await store.appendAudit(entry) }
            #expect(try await store.auditThumbnail(entry: 1, organization: 1)?.jpeg == [1, 2, 3])
            #expect(try await store.auditThumbnail(entry: 1, organization: 2) == nil)

            try await store.redactAuditThumbnails(of: .face(42))
            try await store.redactAuditThumbnails(of: .privacyRequest("SR-X"))
            var redacted: [AuditThumbnail?] = []
            for id: Int64 in [1, 2, 3] { redacted.append(try await store.auditThumbnail(entry: id, organization: 1)) }
            #expect(redacted.map { $0?.jpeg } == [[1, 2, 3], nil, nil])
            let entries = try await store.auditEntries(organization: nil, from: nil, to: nil, after: 0, limit: 10)
            #expect(redacted[1]?.redactedAt != nil && redacted[1]?.sha256 == entries[1].thumbnailSHA256)
            #expect(isOneChain(entries) && entries.allSatisfy(\.hasThumbnail))
            // Only redaction: the bytes cannot be swapped, nor the row deleted.
            for attempt in ["UPDATE audit_thumbnail SET jpeg = NULL, sha256 = 'forged' WHERE entry_id = 1",
                            "UPDATE audit_thumbnail SET jpeg = '\\x00' WHERE entry_id = 1", "DELETE FROM audit_thumbnail WHERE entry_id = 1"] {
                await #expect(throws: (any Error).self, "\(attempt)") { try await database.executeDirectly(attempt) }
            }
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func auditEntriesChainAndAreFoundByOrganisationTimeAndActor(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let start = Date().addingTimeInterval(-1)
            var appended: [AuditEntry] = []
            for n in 0..<3 { appended.append(try await store.appendAudit(search(1, by: 10, case: "C-\(n)"))) }
            appended.append(try await store.appendAudit(search(2, by: 20, case: "C-other")))
            appended.append(try await store.appendAudit(search(1, by: 10, case: "C-denied", outcome: "denied")))
            appended.append(try await store.appendAudit(NewAuditEntry(organization: nil, actorID: nil, actor: "10.0.0.9",
                                                                      action: "sign_in", outcome: "failed")))

            let all = try await store.auditEntries(organization: nil, from: nil, to: nil, after: 0, limit: 100)
            #expect(isOneChain(all))
            #expect(all.map(\.hash) == appended.map(\.hash) && all.map(\.at) == appended.map(\.at))
            let first = all[0]
            #expect(first.hasThumbnail && first.entry.candidates == search(1, by: 10, case: "").candidates)
            #expect(first.entry.collections == [1, 2] && first.entry.offence == "none" && first.entry.detail == "top 10")
            #expect(AuditEntry.timestamp(first.date) == first.at && first.date >= start && first.date <= Date().addingTimeInterval(1))
            #expect(all[5].entry.organization == nil && all[5].entry.actorID == nil && !all[5].hasThumbnail)

            #expect(try await store.auditEntries(organization: 1, from: nil, to: nil, after: 0, limit: 100).map(\.id) == [1, 2, 3, 5])
            #expect(try await store.auditEntries(organization: 1, from: nil, to: nil, after: 2, limit: 1).map(\.id) == [3])
            #expect(try await store.auditEntries(organization: nil, from: start, to: Date().addingTimeInterval(1), after: 0,
                                                 limit: 100).count == 6)
            #expect(try await store.auditEntries(organization: nil, from: Date().addingTimeInterval(60), to: nil, after: 0,
                                                 limit: 100).isEmpty)
            #expect(try await store.auditEntries(organization: nil, from: nil, to: start, after: 0, limit: 100).isEmpty)

            #expect(try await store.auditCount(actor: 10, action: "search") == 3)
            #expect(try await store.latestAuditEntries(organization: 1, limit: 2).map(\.id) == [5, 3])
            #expect(try await store.auditEntries(actor: 10, action: "search", limit: 10).map(\.id) == [5, 3, 2, 1])
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func theApplicationCannotChangeOrDeleteAuditEntries(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            for n in 0..<3 { _ = try await store.appendAudit(search(1, by: 10, case: "C-\(n)")) }
            var attempts = ["UPDATE audit_entry SET case_number = 'C-forged' WHERE id = 2", "DELETE FROM audit_entry WHERE id = 2",
                            // A candidate list kept apart can only be deleted, never swapped, nor its digest changed.
                            #"UPDATE audit_candidates SET candidates = '[{"face":1,"distance":0.1,"band":"strong"}]' WHERE entry_id = 2"#,
                            "UPDATE audit_candidates SET candidates = NULL, sha256 = 'forged' WHERE entry_id = 2",
                            "DELETE FROM audit_candidates WHERE entry_id = 2"]
            if backend == .postgres { attempts += ["TRUNCATE audit_entry", "TRUNCATE audit_candidates"] }
            for attempt in attempts {
                await #expect(throws: (any Error).self, "\(attempt)") { try await database.executeDirectly(attempt) }
            }
            let entries = try await store.auditEntries(organization: nil, from: nil, to: nil, after: 0, limit: 10)
            #expect(entries.count == 3 && isOneChain(entries) && entries[1].entry.caseNumber == "C-1")
        }
    }

    func checkpoint(of head: (id: Int64, hash: String), signed signature: String) -> NewAuditCheckpoint {
        NewAuditCheckpoint(entryID: head.id, entryHash: head.hash, at: AuditEntry.timestamp(Date()),
                           publicKey: String(repeating: "ab", count: 32), signature: signature)
    }

    @Test(arguments: StoreBackend.allCases)
    func auditCheckpointsRecordTheHeadInOrder(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            #expect(try await store.auditHead() == nil)
            #expect(try await store.latestAuditCheckpoint() == nil)
            for n in 0..<3 { _ = try await store.appendAudit(search(1, by: 10, case: "C-\(n)")) }
            let head = try #require(try await store.auditHead())
            let third = try await store.auditEntries(organization: nil, from: nil, to: nil, after: 2, limit: 1)
            #expect(head.id == 3 && head.hash == third.first?.hash)

            let signed = checkpoint(of: head, signed: "01")
            let first = try await store.appendAuditCheckpoint(signed)
            _ = try await store.appendAudit(search(1, by: 10, case: "C-3"))
            let moved = try #require(try await store.auditHead())
            let second = try await store.appendAuditCheckpoint(checkpoint(of: moved, signed: "02"))
            #expect(first.number < second.number && first.entryID == 3 && second.entryID == 4)
            #expect(first.checkpoint == signed)
            #expect(try await store.auditCheckpoints(after: 0, limit: 10) == [first, second])
            #expect(try await store.auditCheckpoints(after: first.number, limit: 10) == [second])
            #expect(try await store.auditCheckpoints(after: 0, limit: 1) == [first])
            #expect(try await store.latestAuditCheckpoint() == second)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func theApplicationCannotChangeOrDeleteAuditCheckpoints(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            _ = try await store.appendAudit(search(1, by: 10, case: "C-0"))
            let recorded = try await store.appendAuditCheckpoint(checkpoint(of: try #require(try await store.auditHead()), signed: "01"))
            var attempts = ["UPDATE audit_checkpoint SET entry_hash = 'forged'", "DELETE FROM audit_checkpoint"]
            if backend == .postgres { attempts.append("TRUNCATE audit_checkpoint") }
            for attempt in attempts {
                await #expect(throws: (any Error).self, "\(attempt)") { try await database.executeDirectly(attempt) }
            }
            #expect(try await store.auditCheckpoints(after: 0, limit: 10) == [recorded])
        }
    }

    /// Servers and workers appending at once, through separate stores on one database: one
    /// chain, no entry lost, none chained to the same predecessor as another.
    @Test(arguments: StoreBackend.allCases)
    func concurrentAppendsFromSeveralServersFormOneChain(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let servers: [any DataStore] = [try await database.open(), try await database.open()]
            let appended = try await withThrowingTaskGroup(of: AuditEntry.self) { group in
                for n in 0..<60 {
                    group.addTask { try await servers[n % servers.count].appendAudit(search(1, by: 10, case: "C-\(n)")) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let chain = try await servers[0].auditEntries(organization: nil, from: nil, to: nil, after: 0, limit: 100)
            #expect(chain.count == 60 && isOneChain(chain))
            #expect(Set(chain.map(\.hash)) == Set(appended.map(\.hash)))
            #expect(Set(chain.compactMap(\.entry.caseNumber)).count == 60)
            #expect(zip(chain, chain.dropFirst()).allSatisfy { $0.at <= $1.at })
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func casesAreUniquePerOrganisationAndTakeOneDecision(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let police = try await store.createOrganization(name: "police")
            let archive = try await store.createOrganization(name: "archive")
            let lead = try await account(store, "lead", in: police.id)
            let other = try await account(store, "other", in: archive.id)
            // Whole seconds: both backends keep them exactly.
            let opened = Date(timeIntervalSince1970: 1_790_000_000)
            let new = NewCase(organization: police.id, number: "C-1", title: "Robbery at the station", offence: "robbery",
                              leadInvestigator: lead.id, openedBy: lead.id, openedAt: opened)
            let created = try #require(try await store.createCase(new))
            #expect(created.status == .open && created.authorisation == nil && created.closedAt == nil && created.openedAt == opened)
            #expect(try await store.investigationCase(created.id) == created)
            #expect(try await store.investigationCase(number: "C-1", in: police.id) == created)
            #expect(try await store.createCase(new) == nil, "a second C-1 in the same organisation")
            var elsewhere = new
            (elsewhere.organization, elsewhere.leadInvestigator, elsewhere.openedBy) = (archive.id, other.id, other.id)
            let archived = try #require(try await store.createCase(elsewhere), "C-1 of another organisation")
            #expect(try await store.investigationCase(number: "C-1", in: archive.id)?.id == archived.id)
            var second = new
            (second.number, second.offence) = ("C-2", nil)
            let later = try #require(try await store.createCase(second))
            #expect(later.offence == nil)
            #expect(try await store.cases(in: police.id, status: nil).map(\.id) == [later.id, created.id])

            let granted = CaseAuthorisation(decision: .granted, reference: "W-77", authority: "Crown Court at Leeds",
                                            decidedAt: opened.addingTimeInterval(3_600), recordedBy: lead.id,
                                            recordedAt: opened.addingTimeInterval(7_200))
            #expect(try await store.recordAuthorisation(granted, of: created.id))
            var refused = granted
            refused.decision = .refused
            #expect(try await !store.recordAuthorisation(refused, of: created.id), "a decision is never replaced")
            #expect(try await store.investigationCase(created.id)?.authorisation == granted)

            #expect(try await store.closeCase(later.id, at: opened.addingTimeInterval(60)))
            #expect(try await !store.closeCase(later.id, at: opened.addingTimeInterval(120)), "closed once")
            let closed = try #require(try await store.investigationCase(later.id))
            #expect(closed.status == .closed && closed.closedAt == opened.addingTimeInterval(60))
            #expect(try await !store.recordAuthorisation(granted, of: later.id), "no decision on a closed case")
            #expect(try await store.cases(in: police.id, status: .open).map(\.id) == [created.id])
            #expect(try await store.cases(in: police.id, status: .closed).map(\.id) == [later.id])
            #expect(try await store.investigationCase(999_999) == nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func urgentCasesAreFoundOverdueAndBlockedCasesLoseTheirThumbnails(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let police = try await store.createOrganization(name: "police")
            #expect(police.caseAuthorisation == .required)
            try await store.setCaseAuthorisationPolicy(.urgent, for: police.id)
            #expect(try await store.organization(police.id)?.caseAuthorisation == .urgent)
            let lead = try await account(store, "lead", in: police.id)
            let start = Date(timeIntervalSince1970: 1_790_000_000)
            func open(_ number: String) async throws -> InvestigationCase {
                try #require(try await store.createCase(NewCase(organization: police.id, number: number, title: "t", offence: nil,
                                                                leadInvestigator: lead.id, openedBy: lead.id, openedAt: start)))
            }
            let early = try await open("U-1"), late = try await open("U-2"), never = try await open("U-3")
            let searchOfEarly = try await store.appendAudit(search(police.id, by: lead.id, case: "U-1"))
            let searchOfLate = try await store.appendAudit(search(police.id, by: lead.id, case: "U-2"))
            try await store.markUrgentSearch(of: early.id, at: start, entry: searchOfEarly.id)
            try await store.markUrgentSearch(of: early.id, at: start.addingTimeInterval(60), entry: 999)  // the first stays
            try await store.markUrgentSearch(of: late.id, at: start.addingTimeInterval(7_200), entry: searchOfLate.id)
            let marked = try #require(try await store.investigationCase(early.id))
            #expect(marked.urgentSince == start && marked.urgentEntry == searchOfEarly.id)
            #expect(try await store.overdueCases(urgentBefore: start.addingTimeInterval(3_600)).map(\.id) == [early.id])
            #expect(try await store.overdueCases(urgentBefore: start.addingTimeInterval(9_000)).map(\.id) == [early.id, late.id])
            _ = never

            #expect(try await store.blockCase(early.id, at: start.addingTimeInterval(10), reason: "overdue"))
            #expect(try await !store.blockCase(early.id, at: start.addingTimeInterval(20), reason: "again"))
            let blocked = try #require(try await store.investigationCase(early.id))
            #expect(blocked.blockedAt == start.addingTimeInterval(10) && blocked.blockedReason == "overdue")
            #expect(try await store.overdueCases(urgentBefore: start.addingTimeInterval(9_000)).map(\.id) == [late.id])

            #expect(try await store.deleteSearchResults(ofCase: "U-1", in: police.id) == (1, 1))
            #expect(try await store.auditThumbnail(entry: searchOfEarly.id, organization: police.id)?.jpeg == nil)
            #expect(try await store.auditThumbnail(entry: searchOfLate.id, organization: police.id)?.jpeg != nil, "another case's")
            #expect(try await store.deleteSearchResults(ofCase: "U-1", in: police.id) == (0, 0))
            // The candidate list is gone; the log keeps its digest, and the chain holds.
            let entries = try await store.auditEntries(organization: nil, from: nil, to: nil, after: 0, limit: 10)
            let deleted = try #require(entries.first { $0.id == searchOfEarly.id }), kept = try #require(entries.first { $0.id == searchOfLate.id })
            #expect(deleted.entry.candidates.isEmpty && deleted.candidatesDeleted && deleted.candidatesSHA256 == searchOfEarly.candidatesSHA256)
            #expect(kept.entry.candidates.count == 2 && !kept.candidatesDeleted, "another case's")
            #expect(isOneChain(entries))
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func reviewsAreOnePerReviewerPerCandidateAndExaminersAreAccounts(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let police = try await store.createOrganization(name: "police")
            let first = try await account(store, "examiner-1", in: police.id, role: .examiner)
            let second = try await account(store, "examiner-2", in: police.id, role: .examiner)
            #expect(try await store.account(first.id)?.role == .examiner)
            let searched = try await store.appendAudit(search(police.id, by: first.id, case: "C-1"))
            let other = try await store.appendAudit(search(police.id, by: first.id, case: "C-1"))
            let reviewedAt = Date(timeIntervalSince1970: 1_790_000_000)
            let features: [CandidateReview.Feature: CandidateReview.Observation] = Dictionary(
                uniqueKeysWithValues: CandidateReview.Feature.allCases.map { ($0, $0 == .ears ? .notVisible : .similar) })
            func review(by reviewer: Account, face: FaceID = 7, in entry: AuditEntry = searched,
                        _ conclusion: CandidateReview.Conclusion) -> NewCandidateReview {
                NewCandidateReview(organization: police.id, search: entry.id, face: face, reviewer: reviewer.id, features: features,
                                   notes: "scar above the left eyebrow", conclusion: conclusion, reviewedAt: reviewedAt,
                                   auditEntry: entry.id)
            }
            let saved = try #require(try await store.addReview(review(by: first, .moderateSupportSame)))
            #expect(saved.decision == .possibleLead && saved.features[.ears] == .notVisible && saved.reviewedAt == reviewedAt)
            #expect(try await store.addReview(review(by: first, .strongSupportDifferent)) == nil, "one review per reviewer")
            let verifying = try #require(try await store.addReview(review(by: second, .strongSupportSame)))
            _ = try #require(try await store.addReview(review(by: first, face: 9, .inconclusive)))
            _ = try #require(try await store.addReview(review(by: first, in: other, .limitedSupportSame)), "another search")
            #expect(try await store.reviews(ofSearch: searched.id, face: 7) == [saved, verifying])
            #expect(try await store.reviews(ofSearch: searched.id).map(\.face) == [7, 7, 9])
            #expect(try await store.reviews(ofSearch: searched.id, face: 8).isEmpty)
            #expect(try await store.reviews(in: police.id).count == 4)
            #expect(try await store.reviews(in: police.id + 1).isEmpty)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func probeFacesGoWithTheirSearchesThumbnails(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let police = try await store.createOrganization(name: "police")
            let archive = try await store.createOrganization(name: "archive")
            let face = ProbeFace(jpeg: [0xFF, 0xD8, 1, 2, 3], landmarks: [50.26, 60, 100, 60.5, 75, 90, 55, 110, 95, 110])
            func searched(_ caseNumber: String, pivotFrom: FaceID? = nil) async throws -> AuditEntry {
                var entry = search(police.id, by: 10, case: caseNumber)
                entry.probeFace = face
                entry.thumbnailShows = pivotFrom.map(ThumbnailSubject.face)
                return try await store.appendAudit(entry)
            }
            let blocked = try await searched("C-stopped"), kept = try await searched("C-open"), pivot = try await searched("C-open", pivotFrom: 42)
            let stored = try #require(try await store.probeFace(entry: kept.id, organization: police.id))
            #expect(stored.jpeg == face.jpeg && stored.landmarks == [50.3, 60, 100, 60.5, 75, 90, 55, 110, 95, 110], "to a tenth of a pixel")
            #expect(try await store.probeFace(entry: kept.id, organization: archive.id) == nil, "another organisation's")
            #expect(try await store.auditEntries(organization: police.id, caseNumber: "C-open").map(\.id) == [kept.id, pivot.id])

            #expect(try await store.deleteSearchResults(ofCase: "C-stopped", in: police.id).thumbnails == 1)
            #expect(try await store.probeFace(entry: blocked.id, organization: police.id) == nil, "a stopped case's")
            try await store.redactAuditThumbnails(of: .face(42))
            #expect(try await store.probeFace(entry: pivot.id, organization: police.id) == nil, "an erased face's")
            #expect(try await store.probeFace(entry: kept.id, organization: police.id) != nil)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func watchesStartAtTheIndexLogsHeadAndLoseTheirProbeWhenTheyEnd(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let collection = try await Samples.collection(store)
            let police = collection.organization
            let owner = try await account(store, "owner", in: police)
            let firstCase = try #require(try await store.createCase(NewCase(organization: police, number: "C-1", title: "t", offence: nil,
                                                                            leadInvestigator: owner.id, openedBy: owner.id, openedAt: Date())))
            let otherCase = try #require(try await store.createCase(NewCase(organization: police, number: "C-2", title: "t", offence: nil,
                                                                            leadInvestigator: owner.id, openedBy: owner.id, openedAt: Date())))
            _ = try await Samples.store(store, in: collection.id, sha256: "before", seeds: [1, 2])
            let searched = try await store.appendAudit(search(police, by: owner.id, case: "C-1"))
            let probe = WatchProbe(templates: FaceTemplates(dlib: FaceTemplate((0..<128).map { Float($0) / 128 }), sface: Samples.sfaceTemplate(3)),
                                   face: ProbeFace(jpeg: [0xFF, 0xD8, 9], landmarks: [50, 60, 100, 60, 75, 90, 55, 110, 95, 110]))
            let opened = Date(timeIntervalSince1970: 1_790_000_000)
            func watch(_ investigation: InvestigationCase) async throws -> Watch {
                try await store.createWatch(NewWatch(organization: police, caseID: investigation.id, owner: owner.id,
                                                     searchEntry: searched.id, probeSHA256: "abc", openedAt: opened,
                                                     expiresAt: opened.addingTimeInterval(86_400), probe: probe))
            }
            let first = try await watch(firstCase)
            #expect(first.cursor == (try await store.latestIndexSequence()) && first.cursor > 0, "faces stored before it are not new")
            #expect(first.isOpen && first.matchCount == 0 && first.expiresAt == opened.addingTimeInterval(86_400))
            #expect(try await store.watchProbe(first.id) == probe)
            _ = try await Samples.store(store, in: collection.id, sha256: "after", seeds: [3])
            let head = try await store.latestIndexSequence()
            #expect(try await store.indexChanges(after: first.cursor, limit: 10).map(\.sequence) == [head])

            // The cursor moves only from where the matcher read it.
            #expect(try await store.advanceWatch(first.id, from: first.cursor, to: head, matchEntry: searched.id))
            #expect(try await !store.advanceWatch(first.id, from: first.cursor, to: head + 1, matchEntry: nil), "moved already")
            let moved = try #require(try await store.watch(first.id))
            #expect(moved.cursor == head && moved.matchCount == 1 && moved.lastMatchEntry == searched.id)
            #expect(try await store.renewWatch(first.id, until: opened.addingTimeInterval(9 * 86_400)))
            #expect(try await store.watch(first.id)?.expiresAt == opened.addingTimeInterval(9 * 86_400))

            let second = try await watch(firstCase), third = try await watch(otherCase)
            #expect(try await store.openWatches().map(\.id) == [first.id, second.id, third.id])
            #expect(try await store.endWatch(second.id, at: opened, reason: "ended by owner"))
            #expect(try await !store.endWatch(second.id, at: opened, reason: "again"))
            #expect(try await store.watchProbe(second.id) == nil)
            #expect(try await store.endWatches(ofCase: firstCase.id, at: opened, reason: "its case closed") == [first.id])
            let ended = try #require(try await store.watch(first.id))
            #expect(ended.endReason == "its case closed" && ended.endedAt == opened && !ended.isOpen)
            #expect(try await !store.renewWatch(first.id, until: opened))
            #expect(try await !store.advanceWatch(first.id, from: head, to: head, matchEntry: nil))
            #expect(try await store.watches(in: police, openOnly: true).map(\.id) == [third.id])
            #expect(try await store.watches(in: police, openOnly: false).map(\.id) == [third.id, second.id, first.id])
            #expect(try await store.watches(in: police + 1, openOnly: false).isEmpty)
        }
    }
}
