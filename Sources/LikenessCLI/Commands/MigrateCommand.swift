import ArgumentParser
import Foundation
import LikenessCore
import LikenessGallery
import LikenessGovernance
import LikenessIndex
import LikenessStore
import LikenessStorePostgres
import LikenessStoreSQLite
import LikenessMilvus

struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Move an embedded data directory to PostgreSQL and Milvus, and check the result.",
        discussion: """
            Copies every table into an empty PostgreSQL database, keeping ids, rebuilds the Milvus \
            index from it, then checks: the same rows in every table, an unbroken audit chain, and \
            the same top-10 matches and distances (within 1e-4) for sample faces on both indexes. \
            Exit status 1 when a check fails. Stop the server on the data directory first.
            """)

    @Option(help: "The embedded data directory to move.") var from: String
    @Option(name: .customLong("to-store"), help: "The empty PostgreSQL database: postgres://USER[:PASSWORD]@HOST:PORT/DATABASE.")
    var toStore: String
    @Option(name: .customLong("to-vectors"), help: "The Milvus server: milvus://HOST:PORT[/COLLECTION].") var toVectors: String
    @Option(help: "Faces whose searches are compared on both indexes.") var samples = 50

    func run() async throws {
        let passed = try await failingWithExitCode2 { () async throws -> Bool in
            let directory = DataDirectory(URL(fileURLWithPath: from))
            guard FileManager.default.fileExists(atPath: directory.database.path) else {
                throw UsageFailure("\(from) holds no Likeness database (\(directory.database.path))")
            }
            let sourceStore = try SQLiteGalleryStore(path: directory.database.path)
            let source = try await Gallery.withInProcessIndex(store: sourceStore, in: directory)
            let targetStore = try await PostgresGalleryStore(url: toStore)
            defer { Task { [targetStore] in await targetStore.shutdown() } }
            let clock = ContinuousClock()
            var started = clock.now
            let report = try await StoreMigration.copy(from: sourceStore.database, to: targetStore)
            print("Copied \(report.rows.reduce(0) { $0 + $1.count }) rows into PostgreSQL in \(clock.now - started).")

            started = clock.now
            let index = try await MilvusVectorIndex(url: toVectors)
            let target = Gallery(store: targetStore, index: index)
            let indexed = try await target.reindex()
            print("Indexed \(indexed) templates in Milvus in \(clock.now - started).")

            var passed = true
            print("\nTable                 Embedded  PostgreSQL")
            for row in try await StoreMigration.counts(of: sourceStore.database, and: targetStore) {
                let same = row.source == row.target
                passed = passed && same
                print(row.table.padding(toLength: 20, withPad: " ", startingAt: 0)
                      + String(format: "%10d  %10d", row.source, row.target) + (same ? "" : "  DIFFERENT"))
            }
            let milvusCount = try await index.count, faces = try await targetStore.counts().faces
            print("Milvus templates: \(milvusCount) (faces: \(faces))")
            passed = passed && milvusCount == faces

            let chain = try await AuditLog(store: targetStore).verify()
            if let broken = chain.firstBroken {
                print("Audit chain: BROKEN at entry \(broken.id): \(broken.reason)")
                passed = false
            } else {
                print("Audit chain: \(chain.entries) entries, unbroken")
            }

            let comparison = try await compareSearches(source: source.index, target: index, store: sourceStore)
            print("Sample searches: \(comparison.same) of \(comparison.total) gave the same top-10 faces and distances")
            passed = passed && comparison.same == comparison.total
            print("""

                Servers and workers now run with --store \(toStore) --vectors \(toVectors).
                Copy \(directory.root.appendingPathComponent("keys").path)/suppression.key and audit-checkpoint.key into each \
                one's --data directory (keys/): the first opens the suppression list, the second signs and checks the audit's \
                checkpoints.
                """)
            return passed
        }
        if !passed { throw ExitCode(1) }
    }

    /// Searches both indexes with templates spread over the gallery and compares their top 10.
    func compareSearches(source: any VectorIndex, target: any VectorIndex,
                         store: SQLiteGalleryStore) async throws -> (same: Int, total: Int) {
        let faces = try await store.counts().faces
        guard faces > 0 else { return (0, 0) }
        let stride = max(1, faces / samples)
        var probes = [FaceTemplate](), after: FaceID = 0
        while probes.count < samples {
            let page = try await store.templates(after: after, limit: stride)
            guard let last = page.last else { break }
            probes.append(last.template)
            after = last.id
        }
        var same = 0
        for probe in probes {
            let expected = try await source.nearest(to: probe, k: 10, in: nil)
            let found = try await target.nearest(to: probe, k: 10, in: nil)
            if expected.map(\.id) == found.map(\.id),
               zip(expected, found).allSatisfy({ abs($0.distance - $1.distance) <= 1e-4 }) {
                same += 1
            }
        }
        return (same, probes.count)
    }
}
