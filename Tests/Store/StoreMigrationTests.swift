import Foundation
import LikenessCore
import LikenessStore
import LikenessStorePostgres
import LikenessStoreSQLite
import Testing
import TestSupport

/// `likeness migrate`'s copy of an embedded store into PostgreSQL.
@Suite struct StoreMigrationTests {
    typealias Samples = StoreSamples

    @Test func secondTemplatesMoveWithTheirFaces() async throws {
        try await TestDatabase.with(.sqlite) { embedded in
            try await TestDatabase.with(.postgres) { scaleOut in
                let source = try #require(try await embedded.open() as? SQLiteGalleryStore)
                let collection = try await Samples.collection(source)
                let stored = try await source.storeImages([
                    (Samples.image(in: collection.id, sha256: "pair"), [Samples.face(1, withSFace: true), Samples.face(2)]),
                ])[0]
                let target = try #require(try await scaleOut.open() as? PostgresGalleryStore)

                let report = try await StoreMigration.copy(from: source.database, to: target)
                #expect(report.rows.first { $0.table == "face_template" }?.count == 1)
                let counts = try await StoreMigration.counts(of: source.database, and: target)
                #expect(counts.contains { $0.table == "face_template" && $0.source == 1 && $0.target == 1 })
                #expect(counts.allSatisfy { $0.source == $0.target })
                let moved = try await target.templates(of: stored.faces, model: .sface2021dec)
                #expect(moved.mapValues(\.bytes) == [stored.faces[0]: Samples.sfaceTemplate(1).bytes])
                #expect(try await target.templates(of: stored.faces, model: .dlibResNetV1)
                        == [stored.faces[0]: Samples.face(1).template, stored.faces[1]: Samples.face(2).template])
                #expect(try await target.templateModels() == [.dlibResNetV1: 2, .sface2021dec: 1])
            }
        }
    }
}
