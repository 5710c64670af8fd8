import Foundation
import LikenessCore
import LikenessGallery
import LikenessStore
import LikenessStoreSQLite
import Testing
import TestSupport

/// Erasure is never half done: a crash after its transaction is finished on the next start,
/// and a restored backup forgets nobody erased after it was taken.
@Suite struct ErasureJournalTests {
    let samples = GalleryTests()

    /// A gallery of `count` synthetic faces whose first image is a held upload.
    func galleryWithHeldImage(count: Int) async throws -> (gallery: Gallery, layout: DataDirectory, organization: Organization) {
        let directory = try Fixtures.scratchDirectory()
        let layout = DataDirectory(directory)
        let gallery = try await TestGallery.openEmbedded(at: directory)
        let organization = try await gallery.store.createOrganization(name: "org")
        let collection = try await gallery.store.createCollection(.init(
            organization: organization.id, name: "c", source: "s", lawfulBasis: "b", jurisdiction: "GB", retentionDays: nil))
        try FileManager.default.createDirectory(at: layout.uploads, withIntermediateDirectories: true)
        let held = layout.uploads.appendingPathComponent("held.jpg")
        try Data("held copy".utf8).write(to: held)
        var batch = samples.batch(collection.id, 0..<count)
        batch[0].image.origin = ImageOrigin(location: held.path)
        _ = try await gallery.storeImages(batch)
        try await gallery.persistIndex()
        return (gallery, layout, organization)
    }

    func backUp(_ gallery: Gallery, _ layout: DataDirectory, into backups: URL, at time: Date = Date()) throws -> Backup {
        let store = try #require(gallery.store as? SQLiteGalleryStore)
        return try Backup.make(of: layout, into: backups, at: time) { try store.backup(to: $0.path) }
    }

    /// Every file under the data directory holding 16 consecutive bytes of the template.
    func filesHolding(_ template: FaceTemplate, under layout: DataDirectory) throws -> [String] {
        try Fixtures.filesWithContents(under: layout.root).filter { file in
            (0...(template.bytes.count - 16)).contains { offset in
                file.contents.range(of: Data(template.bytes[offset..<(offset + 16)])) != nil
            }
        }.map(\.url.lastPathComponent)
    }

    @Test func anErasureACrashLeftAfterItsTransactionIsFinishedOnTheNextStart() async throws {
        let (gallery, layout, _) = try await galleryWithHeldImage(count: 10)
        let erasedFace = try await gallery.store.templates(after: 0, limit: 1)[0]
        let log = try ErasureLog.load(in: layout)
        // The transaction commits, then the process dies: nothing past the database is done.
        let entry = ErasureLog.Entry(id: "crashed", at: Date(), faces: [log.digest(face: erasedFace.id, template: erasedFace.template)], request: nil, suppressions: [])
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let record = [UInt8](try encoder.encode(entry))
        _ = try await gallery.store.eraseFaces([erasedFace.id], ErasureOrder(prepare: { _ in (record, []) }) { _ in
            NewAuditEntry(organization: nil, actorID: nil, actor: "test", action: "erasure")
        })
        #expect(try await gallery.store.unfinishedErasures().count == 1)
        #expect(FileManager.default.fileExists(atPath: layout.uploads.appendingPathComponent("held.jpg").path))
        #expect(try log.entries().isEmpty)

        let restarted = try await TestGallery.openEmbedded(at: layout.root)
        #expect(try await restarted.store.unfinishedErasures().isEmpty)
        #expect(try await restarted.index.count == 9)
        #expect(try await restarted.index.nearest(to: erasedFace.template, k: 1, in: nil).first?.id != erasedFace.id)
        #expect(!FileManager.default.fileExists(atPath: layout.uploads.appendingPathComponent("held.jpg").path))
        #expect(try log.entries().map { [$0.id] + $0.faces } == [[entry.id] + entry.faces])
        #expect(try filesHolding(erasedFace.template, under: layout).isEmpty)
    }

    @Test func aCrashBeforeTheTransactionCommitsLeavesEverythingAsItWas() async throws {
        let (gallery, layout, _) = try await galleryWithHeldImage(count: 3)
        struct Killed: Error {}
        await #expect(throws: Killed.self) {
            try await gallery.store.eraseFaces([1, 2], ErasureOrder(prepare: { _ in throw Killed() }) { _ in
                NewAuditEntry(organization: nil, actorID: nil, actor: "test", action: "erasure")
            })
        }
        let restarted = try await TestGallery.openEmbedded(at: layout.root)
        #expect(try await restarted.index.count == 3)
        #expect(try await restarted.store.counts().faces == 3)
        #expect(try await restarted.store.auditHead() == nil)
        #expect(FileManager.default.fileExists(atPath: layout.uploads.appendingPathComponent("held.jpg").path))
    }

    @Test func restoringABackupErasesAgainWhoeverWasErasedSinceItWasTaken() async throws {
        let made = try await galleryWithHeldImage(count: 20)
        var gallery = made.gallery
        let layout = made.layout, organization = made.organization
        let faces = try await gallery.store.templates(after: 0, limit: 20)
        let backup = try backUp(gallery, layout, into: try Fixtures.scratchDirectory("likeness-backups"))
        #expect(backup.manifest.files.map(\.path).contains("uploads/held.jpg"))

        // After the backup: the held image's face, and another, are erased; one is suppressed.
        _ = try await gallery.erase(.faces([faces[0].id]), request: "SAR-1", suppressFor: (organization.id, "SAR-1")) { _ in
            NewAuditEntry(organization: organization.id, actorID: nil, actor: "test", action: "erasure")
        }
        _ = try await gallery.erase(.faces([faces[7].id])) { _ in
            NewAuditEntry(organization: organization.id, actorID: nil, actor: "test", action: "erasure")
        }
        gallery = try await TestGallery.openEmbedded(at: Fixtures.scratchDirectory())  // lets go of the data directory

        try Backup.open(backup.folder).restore(into: layout)
        var restored = try await TestGallery.openEmbedded(at: layout.root)
        #expect(try await restored.store.counts().faces == 20)  // the backup, as taken
        #expect(try await restored.replayErasures(since: backup.manifest.takenAt, restored: "backup test") == 2)
        #expect(try await restored.store.counts().faces == 18)
        #expect(try await restored.store.suppressions(of: organization.id).map(\.reference) == ["SAR-1"])
        #expect(!FileManager.default.fileExists(atPath: layout.uploads.appendingPathComponent("held.jpg").path))
        for erased in [faces[0], faces[7]] {
            #expect(try await restored.index.nearest(to: erased.template, k: 1, in: nil).first?.distance != 0)
            #expect(try filesHolding(erased.template, under: layout).isEmpty)
        }
        // A second replay finds nobody left to erase, and adds no second suppression.
        #expect(try await restored.replayErasures(since: backup.manifest.takenAt, restored: "backup test") == 0)
        #expect(try await restored.store.suppressions(of: organization.id).count == 1)
        restored = try await TestGallery.openEmbedded(at: layout.root)
        #expect(try await restored.index.count == 18)
    }

    @Test func aDamagedBackupIsRefusedNamingTheFile() async throws {
        let (gallery, layout, _) = try await galleryWithHeldImage(count: 2)
        let backup = try backUp(gallery, layout, into: try Fixtures.scratchDirectory("likeness-backups"))
        let held = backup.folder.appendingPathComponent("uploads/held.jpg")
        try Data("changed".utf8).write(to: held)
        #expect(throws: StoreError.damaged("uploads/held.jpg in the backup does not match its manifest's SHA-256: the backup is damaged")) {
            try Backup.open(backup.folder)
        }
        try FileManager.default.removeItem(at: held)
        #expect(throws: StoreError.damaged("the backup lacks uploads/held.jpg, which its manifest lists")) {
            try Backup.open(backup.folder)
        }
    }

    @Test func backupsPastTheirRetentionArePruned() async throws {
        let (gallery, layout, _) = try await galleryWithHeldImage(count: 1)
        let backups = try Fixtures.scratchDirectory("likeness-backups")
        let now = Date()
        let old = try backUp(gallery, layout, into: backups, at: now.addingTimeInterval(-31 * 86_400))
        let recent = try backUp(gallery, layout, into: backups, at: now.addingTimeInterval(-29 * 86_400))
        let pruned = try Backup.prune(backups, olderThanDays: 30, now: now)
        #expect(pruned.map(\.lastPathComponent) == [old.folder.lastPathComponent], "\(pruned) \(old.folder)")
        #expect(!FileManager.default.fileExists(atPath: old.folder.path))
        #expect(FileManager.default.fileExists(atPath: recent.folder.path))
    }
}
