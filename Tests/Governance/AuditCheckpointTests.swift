import Foundation
import LikenessGallery
import LikenessGovernance
import LikenessStore
import Testing
import TestSupport

/// Signed checkpoints anchor the audit chain: what the chain alone cannot show (its newest
/// entries removed, or entries rewritten with every hash recomputed) shows against them.
@Suite struct AuditCheckpointTests {
    func entry(_ n: Int, actor: String = "inv") -> NewAuditEntry {
        NewAuditEntry(organization: 1, actorID: 10, actor: actor, action: "search", caseNumber: "C-\(n)", purpose: "missing_person")
    }

    func append(_ store: any DataStore, _ numbers: Range<Int>, actor: String = "inv") async throws {
        for n in numbers { _ = try await store.appendAudit(entry(n, actor: actor)) }
    }

    /// Checkpoints with a key and a file in a data directory of their own.
    func checkpoints(_ store: any DataStore) throws -> (AuditCheckpoints, DataDirectory) {
        let directory = DataDirectory(try Fixtures.scratchDirectory("likeness-checkpoints"))
        return (try AuditCheckpoints(store: store, directory: directory), directory)
    }

    func evidence(_ store: any DataStore, _ directory: DataDirectory) async throws -> CheckpointEvidence {
        try await CheckpointEvidence.gather(store: store, files: [directory.auditCheckpoints],
                                            key: try AuditCheckpointKey.publicKey(in: directory))
    }

    /// Someone with the database in hand: the trigger stops the application, not them.
    func deleteEntries(from id: Int, in database: TestDatabase) async throws {
        let dropTrigger = database.backend == .sqlite ? "DROP TRIGGER audit_entry_no_delete"
            : "DROP TRIGGER audit_entry_no_delete ON audit_entry"
        try await database.executeDirectly(dropTrigger)
        try await database.executeDirectly("DELETE FROM audit_entry WHERE id >= \(id)")
    }

    @Test(arguments: StoreBackend.allCases)
    func removingTheNewestEntriesShowsAgainstACheckpoint(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let (checkpoints, directory) = try checkpoints(store)
            try await append(store, 0..<6)
            let signed = try await checkpoints.make()
            #expect(signed.entryID == 6)
            let before = try await AuditLog(store: store).verify(against: try await evidence(store, directory).valid)
            #expect(before.firstBroken == nil && before.anchor == signed)

            try await deleteEntries(from: 5, in: database)
            #expect(try await AuditLog(store: store).verify().firstBroken == nil, "the chain alone cannot tell")
            let after = try await AuditLog(store: store).verify(against: try await evidence(store, directory).valid)
            #expect(after.firstBroken?.id == 5)
            #expect(after.firstBroken?.reason == """
                the log ends at entry 4 but checkpoint \(signed.number) (signed \(signed.at)) covers entry 6 with head hash \
                \(signed.entryHash): entries were removed
                """)
        }
    }

    @Test(arguments: StoreBackend.allCases)
    func rewritingFromAnEntryWithRecomputedHashesShows(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let (checkpoints, directory) = try checkpoints(store)
            try await append(store, 0..<4)
            let early = try await checkpoints.make()
            try await append(store, 4..<8)
            let late = try await checkpoints.make()

            // Entries 6 to 8 replaced by others, each chained and hashed as the application would.
            try await deleteEntries(from: 6, in: database)
            try await append(store, 5..<8, actor: "someone else")
            #expect(try await AuditLog(store: store).verify().firstBroken == nil, "the chain alone cannot tell")
            let verification = try await AuditLog(store: store).verify(against: try await evidence(store, directory).valid)
            let rewritten = try #require(try await store.auditHead())
            #expect(verification.firstBroken?.id == 8 && verification.anchor == early)
            #expect(verification.firstBroken?.reason == """
                checkpoint \(late.number) (signed \(late.at)) covers entry 8 with head hash \(late.entryHash), but that entry now \
                hashes to \(rewritten.hash): entries were rewritten at or before entry 8, after entry 4, which checkpoint \
                \(early.number) confirms
                """)
        }
    }

    /// A checkpoint the key did not sign is ignored and reported, whether it was added to the
    /// database or to the file, or is a real one whose fields were changed.
    @Test(arguments: StoreBackend.allCases)
    func checkpointsTheKeyDidNotSignAreRejected(_ backend: StoreBackend) async throws {
        try await TestDatabase.with(backend) { database in
            let store = try await database.open()
            let (checkpoints, directory) = try checkpoints(store)
            try await append(store, 0..<5)
            let real = try await checkpoints.make()

            // Entries 4 and 5 removed, and checkpoints of what is left signed with another key.
            try await deleteEntries(from: 4, in: database)
            let (forger, _) = try self.checkpoints(store)
            let forged = try await forger.make()
            try AuditCheckpointFile.append(forged, to: directory.auditCheckpoints)
            var claimed = real
            claimed.checkpoint.entryID = 3
            claimed.checkpoint.entryHash = forged.entryHash
            _ = try await store.appendAuditCheckpoint(claimed.checkpoint)

            let gathered = try await evidence(store, directory)
            #expect(gathered.valid == [real])
            #expect(Set(gathered.rejected.map(\.checkpoint)) == [forged.checkpoint, claimed.checkpoint])
            let verification = try await AuditLog(store: store).verify(against: gathered.valid)
            #expect(verification.firstBroken?.id == 4 && verification.anchor == nil)
        }
    }

    /// Deleting checkpoints from the database leaves them in the data directory's file: the log
    /// is still held to them, and their absence is reported.
    @Test func checkpointsRemovedFromTheDatabaseRemainInTheFile() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let store = try await database.open()
            let (checkpoints, directory) = try checkpoints(store)
            try await append(store, 0..<3)
            let signed = try await checkpoints.make()
            try await database.executeDirectly("DROP TRIGGER audit_checkpoint_no_delete")
            try await database.executeDirectly("DELETE FROM audit_checkpoint")
            try await deleteEntries(from: 3, in: database)

            let gathered = try await evidence(store, directory)
            #expect(gathered.valid == [signed] && gathered.missingFromDatabase == [signed])
            #expect(try await AuditLog(store: store).verify(against: gathered.valid).firstBroken?.id == 3)
        }
    }

    @Test func theServerSignsOnlyWhenTheHeadMoved() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let store = try await database.open()
            let (checkpoints, directory) = try checkpoints(store)
            #expect(try await checkpoints.makeIfHeadMoved() == nil)
            try await append(store, 0..<2)
            let first = try #require(try await checkpoints.makeIfHeadMoved())
            #expect(first.entryID == 2)
            #expect(try await checkpoints.makeIfHeadMoved() == nil)
            try await append(store, 2..<3)
            #expect(try await checkpoints.makeIfHeadMoved()?.entryID == 3)
            #expect(try AuditCheckpointFile.read(directory.auditCheckpoints).map(\.entryID) == [2, 3])
        }
    }

    @Test func theKeyIsAFileOfItsOwnMadeOnce() throws {
        let directory = DataDirectory(try Fixtures.scratchDirectory("likeness-checkpoints"))
        #expect(try AuditCheckpointKey.publicKey(in: directory) == nil)
        let key = try AuditCheckpointKey.load(in: directory)
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.auditCheckpointKey.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try AuditCheckpointKey.load(in: directory).publicKey == key.publicKey)
        #expect(try AuditCheckpointKey.publicKey(in: directory) == key.publicKey)
        #expect(AuditPublicKey(hex: key.publicKey.description) == key.publicKey)

        let message = NewAuditCheckpoint.signedMessage(entryID: 7, entryHash: AuditEntry.genesisHash, at: "2026-01-01T00:00:00.000Z")
        let signature = try key.sign(message)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        let other = NewAuditCheckpoint.signedMessage(entryID: 8, entryHash: AuditEntry.genesisHash, at: "2026-01-01T00:00:00.000Z")
        #expect(!key.publicKey.isValidSignature(signature, for: other))
    }

    @Test func anExportEndsWithItsCheckpoint() async throws {
        try await TestDatabase.with(.sqlite) { database in
            let store = try await database.open()
            let (checkpoints, directory) = try checkpoints(store)
            try await append(store, 0..<2)
            let signed = try await checkpoints.make()
            let entries = try await AuditLog(store: store).entries(organization: nil, from: nil, to: nil)
            let jsonl = AuditExport.render(entries, checkpoint: signed, as: .jsonl)
            let export = directory.root.appendingPathComponent("export.jsonl")
            try Data(jsonl.utf8).write(to: export)
            #expect(jsonl.split(separator: "\n").count == 3)
            #expect(try AuditCheckpointFile.read(export) == [signed])
            let csv = AuditExport.render(entries, checkpoint: signed, as: .csv).components(separatedBy: "\r\n")
            #expect(csv[3].hasPrefix("checkpoint,\(signed.at),,,audit_checkpoint,ok,") && csv[3].hasSuffix(",\(signed.entryHash)"))
        }
    }
}
