import Foundation
import LikenessCore
import LikenessBench
import LikenessIndex
import LikenessMilvus

/// Loads synthetic face-like templates into a Milvus collection of its own and measures it as
/// the gallery uses it: upserts in the gallery's sync batches, then, once Milvus has indexed
/// them, one search at a time (a server's request) against exact brute-force search, for several
/// HNSW search breadths. The collection is dropped afterwards.
public enum MilvusBenchmark {
    /// - Parameter breadths: the HNSW search `ef` values to measure.
    public static func run(url: String, size: Int, queries: Int, breadths: [Int], batchSize: Int = 10_000,
                           seed: UInt64 = 1) async throws -> MilvusBenchmarkReport {
        let k = 10
        let faces = SyntheticTemplates(count: size, seed: seed)
        let probeFaces = faces.probes(count: queries, seed: seed &+ 1)
        let location = try MilvusVectorIndex.Location(url)
        var scratch = location
        scratch.collection = "likeness_bench_\(size)"
        let index = try await MilvusVectorIndex(scratch)
        defer { index.shutdown() }
        try await index.removeAll()

        var clock = Stopwatch()
        for start in stride(from: 0, to: size, by: batchSize) {
            let entries = (start ..< min(size, start + batchSize)).map {
                IndexEntry(id: FaceID($0 + 1), collection: 1, template: faces.template($0), image: FaceID($0 + 1),
                           organization: 1, jurisdiction: "GB")
            }
            try await index.insert(entries, through: Int64(start + entries.count))
        }
        let insertSeconds = clock.lap()
        let counted = try await index.count
        guard counted == size else { throw BenchmarkError("Milvus holds \(counted) templates, expected \(size)") }
        clock.lap()
        try await index.sealAndWaitUntilIndexed()
        let indexSeconds = clock.lap()

        let exact = faces.vectors.withUnsafeBufferPointer { base in
            ExactSearch.nearest(queries: probeFaces.flatMap(\.template.values), base: base, k: k)
        }
        var searches = [MilvusBenchmarkReport.SearchRow]()
        for breadth in breadths {
            let searcher = try await MilvusVectorIndex(scratch, searchBreadth: breadth)
            defer { searcher.shutdown() }
            _ = try await searcher.nearest(to: probeFaces[0].template, k: k, in: nil)  // warm the connection
            var latencies = [Double](), found = 0, samePerson = 0, samePersonFound = 0, distanceErrors = 0
            for (probe, truth) in zip(probeFaces, exact) {
                clock.lap()
                let neighbors = try await searcher.nearest(to: probe.template, k: k, in: nil)
                latencies.append(clock.lap())
                let returned = Dictionary(neighbors.map { ($0.id, $0.distance) }, uniquingKeysWith: { a, _ in a })
                for hit in truth {
                    guard let distance = returned[FaceID(hit.index + 1)] else { continue }
                    found += 1
                    if faces.identities[hit.index] == probe.identity { samePersonFound += 1 }
                    if abs(Double(distance) - Double(hit.distance)) > 1e-4 { distanceErrors += 1 }
                }
                samePerson += truth.filter { faces.identities[$0.index] == probe.identity }.count
            }
            latencies.sort()
            searches.append(.init(breadth: breadth, p50Milliseconds: latencies[latencies.count / 2] * 1000,
                                  p99Milliseconds: latencies[min(latencies.count - 1, latencies.count * 99 / 100)] * 1000,
                                  recallAt10: Double(found) / Double(queries * k),
                                  samePersonRecall: Double(samePersonFound) / Double(max(1, samePerson)),
                                  distanceDisagreements: distanceErrors))
        }
        try await index.drop()
        return MilvusBenchmarkReport(server: location.description, size: size, queries: queries, machine: .current,
                                     insertSeconds: insertSeconds, indexSeconds: indexSeconds, searches: searches)
    }
}

public struct MilvusBenchmarkReport: Sendable {
    public struct SearchRow: Sendable {
        /// HNSW's search `ef`.
        public var breadth: Int
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
        public var recallAt10: Double
        public var samePersonRecall: Double
        /// Found neighbours whose distance differs from the exact one by more than 1e-4.
        public var distanceDisagreements: Int
    }

    public var server: String
    public var size: Int
    public var queries: Int
    public var machine: Machine
    public var insertSeconds: Double
    /// From the last upsert until Milvus has sealed every row and built its HNSW graph.
    public var indexSeconds: Double
    public var searches: [SearchRow]

    public func table() -> String {
        var rows: [(String, String)] = [
            ("machine", "\(machine.cpuModel), \(machine.cores) cores"),
            ("Milvus", server),
            ("templates", "\(size), \(queries) queries, one at a time"),
            ("insert (upsert)", String(format: "%.1f s, %.0f /s", insertSeconds, Double(size) / insertSeconds)),
            ("seal and build HNSW \(MilvusVectorIndex.indexParameters.build)", String(format: "%.1f s", indexSeconds)),
        ]
        for search in searches {
            rows.append(("ef \(search.breadth)", String(
                format: "p50 %.2f ms, p99 %.2f ms, recall@10 %.4f, same-person recall %.4f, distances off by > 1e-4: %d",
                search.p50Milliseconds, search.p99Milliseconds, search.recallAt10, search.samePersonRecall, search.distanceDisagreements)))
        }
        let width = rows.map(\.0.count).max()!
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }
}
