import Foundation
import GRDB
import LikenessCore
import LikenessGallery
import LikenessGovernance
import LikenessSearch
import LikenessServer
import LikenessStore
import Logging
import ServiceLifecycle
import Testing
import TestSupport

@Suite struct BackgroundServiceTests {
    /// The sweep runs as the service group starts, and the group ends at once when shut down
    /// gracefully rather than after the hour the sweep would otherwise sleep. (Under a full
    /// parallel run on a loaded 2-core machine the test has needed over a minute of wall time.)
    @Test(.timeLimit(.minutes(3))) func retentionSweepsOnStartingAndStopsWithItsGroup() async throws {
        let rig = try await TestGallery(engine: .fake)
        let week = try await rig.gallery.store.createCollection(NewCollection(
            organization: rig.organization.id, name: "week", source: "s", lawfulBasis: "b", jurisdiction: "GB", retentionDays: 7))
        _ = try await rig.ingester.run(inputs: [Fixtures.face("img16.jpg")], into: week)
        let database = try DatabaseQueue(path: DataDirectory(rig.directory).database.path)
        try await database.write { db in
            try db.execute(sql: "UPDATE image SET ingested_at = ?", arguments: [Date().addingTimeInterval(-8 * 86_400)])
        }
        let audit = AuditLog(store: rig.gallery.store)
        let searcher = FaceSearcher(gallery: rig.gallery, pool: rig.pool, bands: .standard)
        let requests = SubjectRequests(governance: rig.gallery.store, rights: SubjectRights(
            searcher: searcher, gallery: rig.gallery, audit: audit))
        let logger = Logger(label: "test")
        let group = ServiceGroup(services: [PeriodicService.retention(Retention(gallery: rig.gallery, audit: audit),
                                                                      requests: requests, logger: logger)],
                                 logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while try await rig.gallery.store.counts().images > 0 { try await Task.sleep(for: .milliseconds(50)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let entry = try #require(try await rig.gallery.store.auditEntries(organization: nil, from: nil, to: nil, after: 0, limit: 10).last)
        #expect(entry.entry.actor == "retention" && entry.entry.action == "erasure")
        try await rig.close()
    }
}
