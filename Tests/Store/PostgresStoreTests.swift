import Foundation
import LikenessCore
import LikenessStore
import LikenessStorePostgres
import Testing
import TestSupport

/// What only the PostgreSQL store has: its URL, and what `checkpoint()` does to erased rows.
@Suite struct PostgresStoreTests {
    typealias Samples = StoreSamples

    @Test func readsTheLocationFromAURL() throws {
        let full = try PostgresLocation(url: "postgres://likeness:s%40cret@db.internal:6543/gallery")
        #expect(full == PostgresLocation(host: "db.internal", port: 6543, username: "likeness", password: "s@cret", database: "gallery"))
        #expect(try PostgresLocation(url: full.url) == full)
        #expect(full.description == "postgres://likeness@db.internal:6543/gallery")

        let plain = try PostgresLocation(url: "postgresql://postgres@127.0.0.1/postgres")
        #expect(plain.port == 5432 && plain.password == nil && plain.database("lk_1").database == "lk_1")
    }

    @Test(arguments: ["mysql://u@h/db", "postgres://h/db", "postgres://u@h", "postgres://u@h/", "postgres://u:pw@h/db?sslmode=require",
                      "not a url"])
    func refusesWhatIsNotADatabaseURL(_ url: String) {
        let refusal = #expect(throws: StoreError.self) { try PostgresLocation(url: url) }
        #expect(refusal?.description.hasPrefix("not a PostgreSQL URL") == true)
        guard case .invalid = refusal else { Issue.record("a malformed URL is \(String(describing: refusal)), not invalid"); return }
        #expect(refusal?.description.contains("pw") == false)
    }

    @Test func aDatabaseThatCannotBeOpenedIsNamedWithTheReason() async throws {
        let missing = try TestDatabase.postgresServer().database("lk_missing")
        let refusal = await #expect(throws: StoreError.self) { try await PostgresGalleryStore(url: missing.url) }
        #expect(refusal == .unavailable("cannot open the PostgreSQL database \(missing): database \"lk_missing\" does not exist"))

        let nowhere = PostgresLocation(host: "127.0.0.1", port: 1, username: "likeness", password: "secret", database: "gallery")
        let unreachable = await #expect(throws: StoreError.self) { try await PostgresGalleryStore(url: nowhere.url) }
        #expect(unreachable?.description.hasPrefix("cannot open the PostgreSQL database postgres://likeness@127.0.0.1:1/gallery: ") == true)
        guard case .unavailable = unreachable else { Issue.record("an unreachable server is \(String(describing: unreachable)), not unavailable"); return }
    }

    /// Erased faces' row versions, and those of their second templates, stay in the tables'
    /// pages until VACUUM; after `checkpoint()` no row on the pages holds an erased template.
    @Test func checkpointRemovesErasedRowsFromThePages() async throws {
        try await TestDatabase.with(.postgres) { database in
            let store = try await database.open()
            let collection = try await Samples.collection(store)
            let job = try await store.beginJob(collection: collection.id, key: "group", inputs: ["/archive"])
            let stored = try await store.storeImage(Samples.image(in: collection.id, sha256: "group"),
                                                    faces: [Samples.face(1, withSFace: true), Samples.face(2, withSFace: true)],
                                                    job: job.id, item: "/archive/group.jpg", note: nil)
            try await database.executeDirectly("CREATE EXTENSION IF NOT EXISTS pageinspect")
            func rowsHolding(_ template: FaceTemplate, in table: String) async throws -> Int {
                let hex = template.bytes.map { String(format: "%02x", $0) }.joined()
                return try await database.integerDirectly("""
                    SELECT COUNT(*) FROM heap_page_items(get_raw_page('\(table)', 0))
                    WHERE t_data IS NOT NULL AND position(decode('\(hex)', 'hex') IN t_data) > 0
                    """)
            }

            _ = try await store.eraseFaces([stored.faces[0]], StoreSamples.erasure)
            #expect(try await rowsHolding(Samples.face(1).template, in: "face") == 1, "the deleted row version is still on the page")
            #expect(try await rowsHolding(Samples.sfaceTemplate(1), in: "face_template") == 1, "so is its second template's")
            try await store.checkpoint()
            #expect(try await rowsHolding(Samples.face(1).template, in: "face") == 0)
            #expect(try await rowsHolding(Samples.sfaceTemplate(1), in: "face_template") == 0)
            #expect(try await rowsHolding(Samples.face(2).template, in: "face") == 1)
            #expect(try await rowsHolding(Samples.sfaceTemplate(2), in: "face_template") == 1)
        }
    }
}
