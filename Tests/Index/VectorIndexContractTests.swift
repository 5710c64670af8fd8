import Foundation
import LikenessCore
import LikenessIndex
import LikenessMilvus
import Testing
import TestSupport

/// What every `VectorIndex` promises, checked on the embedded index and on Milvus
/// (`LIKENESS_TEST_MILVUS`, a milvus-lite server that `scripts/test/with-backends.sh` starts).
/// Each Milvus case uses a collection of its own, dropped afterwards.
enum IndexBackend: String, CaseIterable, CustomStringConvertible {
    case inProcess = "in-process"
    case milvus

    var description: String { rawValue }

    func withIndex(_ body: (any VectorIndex, _ reopen: () async throws -> any VectorIndex) async throws -> Void) async throws {
        switch self {
        case .inProcess:
            let file = try Fixtures.scratchDirectory("likeness-index").appendingPathComponent("faces.ivf")
            let index = try InProcessVectorIndex(file: file)
            try await body(index, { try await index.persist(); return try InProcessVectorIndex(file: file) })
        case .milvus:
            let url = try TestServers.milvusURL() + "/lk_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
            let index = try await MilvusVectorIndex(url: url)
            var opened = [index]
            do {
                try await body(index, {
                    let another = try await MilvusVectorIndex(url: url)
                    opened.append(another)
                    return another
                })
            } catch {
                try? await index.drop()
                opened.forEach { $0.shutdown() }
                throw error
            }
            try await index.drop()
            opened.forEach { $0.shutdown() }
        }
    }
}

@Suite struct VectorIndexContractTests {
    let templates = TestTemplates.clustered(count: 1_000, seed: 7)

    @Test(arguments: IndexBackend.allCases)
    func nearestMatchesBruteForceWithEuclideanDistances(backend: IndexBackend) async throws {
        try await backend.withIndex { index, _ in
            let entries = TestTemplates.entries(templates)
            try await index.insert(entries, through: 1)
            #expect(try await index.count == 1_000)
            for query in TestTemplates.clustered(count: 20, seed: 8) {
                let found = try await index.nearest(to: query, k: 10, in: nil)
                let exact = TestTemplates.bruteForce(query, among: entries, k: 10)
                #expect(found.map(\.id) == exact.map(\.id))
                for (a, b) in zip(found, exact) { #expect(abs(a.distance - b.distance) <= 1e-4) }
            }
        }
    }

    @Test(arguments: IndexBackend.allCases)
    func insertingAnIndexedFaceReplacesIt(backend: IndexBackend) async throws {
        try await backend.withIndex { index, _ in
            try await index.insert(TestTemplates.entries(Array(templates[0..<100])), through: 1)
            let moved = IndexEntry(id: 5, collection: 2, template: templates[500], image: 5, organization: 1, jurisdiction: "GB")
            try await index.insert([moved], through: 2)
            #expect(try await index.count == 100)
            let found = try await index.nearest(to: templates[500], k: 3, in: nil)
            #expect(found.first?.id == 5 && (found.first?.distance ?? 1) < 1e-3)
            #expect(found.filter { $0.id == 5 }.count == 1)
            #expect(try await index.nearest(to: templates[500], k: 1, in: [2]).map(\.id) == [5])
        }
    }

    @Test(arguments: IndexBackend.allCases)
    func removedFacesAreNeverReturned(backend: IndexBackend) async throws {
        try await backend.withIndex { index, _ in
            let entries = TestTemplates.entries(Array(templates[0..<200]))
            try await index.insert(entries, through: 1)
            let removed: [FaceID] = [3, 4, 5, 150, 9_999]  // 9,999 was never indexed: ignored
            try await index.remove(removed, through: 2)
            #expect(try await index.count == 196)
            #expect(try await index.appliedSequence == 2)
            for id in removed.dropLast() {
                let found = try await index.nearest(to: templates[Int(id) - 1], k: 10, in: nil)
                #expect(!found.contains { removed.contains($0.id) })
                #expect(found.count == 10)
            }
        }
    }

    @Test(arguments: IndexBackend.allCases)
    func searchesStayInsideTheGivenCollections(backend: IndexBackend) async throws {
        try await backend.withIndex { index, _ in
            let entries = TestTemplates.entries(templates) { CollectionID($0 % 3 + 1) }
            try await index.insert(entries, through: 1)
            for query in TestTemplates.clustered(count: 5, seed: 9) {
                let found = try await index.nearest(to: query, k: 10, in: [1, 3])
                #expect(found.map(\.id) == TestTemplates.bruteForce(query, among: entries, k: 10, in: [1, 3]).map(\.id))
                #expect(try await index.nearest(to: query, k: 10, in: []).isEmpty)
            }
        }
    }

    @Test(arguments: IndexBackend.allCases)
    func anotherOpeningSeesTheSameEntriesAndPosition(backend: IndexBackend) async throws {
        try await backend.withIndex { index, reopen in
            try await index.insert(TestTemplates.entries(Array(templates[0..<300])), through: 41)
            try await index.remove([7], through: 42)
            let other = try await reopen()
            #expect(try await other.count == 299)
            #expect(try await other.appliedSequence == 42)
            #expect(try await other.nearest(to: templates[8], k: 1, in: nil).map(\.id) == [9])

            try await other.removeAll()
            #expect(try await other.count == 0)
            #expect(try await other.appliedSequence == 0)
            #expect(try await other.nearest(to: templates[8], k: 1, in: nil).isEmpty)
        }
    }
}
