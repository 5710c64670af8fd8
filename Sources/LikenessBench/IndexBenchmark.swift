import CMalloc
import Foundation
import LikenessCore
import LikenessIndex

/// Builds an `InProcessVectorIndex` of synthetic face-like templates and measures it: build
/// and training time, persist and reopen, single-threaded search latency, and recall@10
/// against exact brute-force search.
public enum IndexBenchmark {
    /// - Parameters:
    ///   - size: stored templates.
    ///   - queries: probe templates (new photos of stored identities).
    ///   - probes: probe counts to measure besides the configuration's share of the lists.
    ///   - refineFactors: re-ranking factors to measure with each probe count; nil = the configuration's.
    ///   - batchSize: entries per insert call, like the gallery's sync pages.
    ///   - persistEvery: entries between writes of the index file during the build.
    public static func run(size: Int, queries: Int, probes: [Int] = [], refineFactors: [Int]? = nil,
                           configuration: InProcessVectorIndex.Configuration = .standard,
                           batchSize: Int = 10_000, persistEvery: Int = 2_000_000,
                           seed: UInt64 = 1) async throws -> IndexBenchmarkReport {
        let k = 10
        var clock = Stopwatch()
        // The vectors are made again batch by batch as they are inserted, and the exact answers
        // worked out batch by batch too: holding ten million of them would be 5 GB beside the index.
        let faces = SyntheticTemplates(count: size, seed: seed, storingVectors: false)
        let probeFaces = faces.probes(count: queries, seed: seed &+ 1)
        let probeTemplates = probeFaces.map(\.template)
        let probeVectors = probeTemplates.flatMap(\.values)
        let generateSeconds = clock.lap()
        // The same seed makes the same first faces, whose distances are those of any size.
        let statistics = SyntheticTemplates(count: min(size, 100_000), seed: seed).distanceStatistics(pairs: 2_000)
        clock.lap()

        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("likeness-index-bench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("faces.index")

        // Build in batches as the gallery's sync pages do, persisting every `persistEvery`
        // entries as the gallery does after its writes (which also moves the lists from memory
        // to the mapped file). Training runs in the background meanwhile; one search after each
        // batch shows what searching costs while it does.
        var buildSeconds = 0.0, buildSearches = [Double](), trainings = 0
        var trainingWaitSeconds = 0.0, residentAfterBuild = 0, trainedAt = 0
        var exact = [[(index: Int, distance: Float)]](repeating: [], count: queries), groundTruthSeconds = 0.0
        do {
            let index = try InProcessVectorIndex(file: file, configuration: configuration)
            try faces.forEachBatch(of: batchSize) { start, vectors in
                let batch = vectors.count / FaceTemplate.dimension
                let entries = (0..<batch).map { row in
                    IndexEntry(id: FaceID(start + row + 1), collection: 1,
                               template: FaceTemplate(Array(vectors[row * FaceTemplate.dimension ..< (row + 1) * FaceTemplate.dimension])),
                               image: FaceID(start + row + 1), organization: 1, jurisdiction: "GB")
                }
                clock.lap()
                let nearestInBatch = vectors.withUnsafeBufferPointer { ExactSearch.nearest(queries: probeVectors, base: $0, k: k) }
                for (query, found) in nearestInBatch.enumerated() {
                    exact[query] = Array((exact[query] + found.map { (start + $0.index, $0.distance) })
                        .sorted { $0.distance < $1.distance }.prefix(k))
                }
                groundTruthSeconds += clock.lap()
                try index.insert(entries, through: Int64(start + entries.count))
                if (start + entries.count) % persistEvery == 0 { try index.persist() }
                buildSeconds += clock.lap()
                _ = try index.nearest(to: probeTemplates[start / batchSize % probeTemplates.count], k: k, in: nil)
                buildSearches.append(clock.lap())
            }
            clock.lap()
            await index.trainingFinished()
            trainingWaitSeconds = clock.lap()
            residentAfterBuild = ProcessMemory.residentBytes()
            trainedAt = index.trainedAtCount
            trainings = index.trainingsFinished
        }
        buildSearches.sort()

        clock.lap()
        // A persist of what the last training wrote, as the gallery's next write would.
        try InProcessVectorIndex(file: file, configuration: configuration).persist()
        let persistSeconds = clock.lap()
        let fileBytes = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0

        // Reopen, as a one-shot CLI search or a restart would, and time the first search on it.
        // Freed memory of the build handed back first, so the growth measured is the index's.
        malloc_trim(0)
        let residentBeforeOpen = ProcessMemory.residentBytes()
        clock.lap()
        let reopened = try InProcessVectorIndex(file: file, configuration: configuration)
        let loadSeconds = clock.lap()
        _ = try reopened.nearest(to: probeTemplates[0], k: k, in: nil)
        let firstSearchSeconds = clock.lap()
        guard reopened.count == size else {
            throw BenchmarkError("the reopened index holds \(reopened.count) entries, expected \(size)")
        }


        var searches = [IndexBenchmarkReport.SearchRow]()
        var indexResident = 0, indexFileResident = 0
        let settings = ([nil] + probes.map(Optional.some)).flatMap { probeCount in
            (refineFactors ?? [configuration.refineFactor]).map { (probes: probeCount, refineFactor: $0) }
        }
        // Untimed: every query once at the most lists probed (a superset of the lists fewer
        // probes scan), so the timed runs measure searching, not first faults of the mapped
        // file (the first search after load above shows those).
        reopened.probes = ([reopened.probesPerSearch] + probes).max()
        for query in probeTemplates { _ = try reopened.nearest(to: query, k: k, in: nil) }
        for setting in settings {
            reopened.probes = setting.probes
            reopened.refineFactor = setting.refineFactor
            var latencies = [Double](), found = 0, samePerson = 0, samePersonFound = 0
            for ((query, truth), probe) in zip(zip(probeTemplates, exact), probeFaces) {
                clock.lap()
                let neighbors = try reopened.nearest(to: query, k: k, in: nil)
                latencies.append(clock.lap())
                let returned = Set(neighbors.map(\.id))
                for row in truth.map(\.index) where returned.contains(FaceID(row + 1)) {
                    found += 1
                    if faces.identities[row] == probe.identity { samePersonFound += 1 }
                }
                samePerson += truth.filter { faces.identities[$0.index] == probe.identity }.count
            }
            latencies.sort()
            indexResident = max(indexResident, ProcessMemory.residentBytes() - residentBeforeOpen)
            indexFileResident = max(indexFileResident, ProcessMemory.residentBytes(mapping: file))
            searches.append(.init(probes: reopened.probesPerSearch, refineFactor: setting.refineFactor,
                                  p50Milliseconds: latencies[latencies.count / 2] * 1000,
                                  p99Milliseconds: latencies[min(latencies.count - 1, latencies.count * 99 / 100)] * 1000,
                                  recallAt10: Double(found) / Double(queries * k),
                                  samePersonRecall: Double(samePersonFound) / Double(max(1, samePerson))))
        }

        return IndexBenchmarkReport(
            size: size, queries: queries, identities: faces.identityCount, machine: .current,
            sameDistance: statistics.same, differentDistance: statistics.different,
            generateSeconds: generateSeconds, buildSeconds: buildSeconds, trainingWaitSeconds: trainingWaitSeconds,
            trainings: trainings, trainedAt: trainedAt, listCount: reopened.listCount,
            searchesDuringBuild: (p50: buildSearches[buildSearches.count / 2], max: buildSearches.last!),
            persistSeconds: persistSeconds,
            loadSeconds: loadSeconds, firstSearchSeconds: firstSearchSeconds, fileBytes: fileBytes,
            residentBytesAfterBuild: residentAfterBuild, peakResidentBytes: ProcessMemory.peakResidentBytes(),
            indexResidentBytes: indexResident, indexFileResidentBytes: indexFileResident,
            groundTruthSeconds: groundTruthSeconds, searches: searches)
    }
}

public struct IndexBenchmarkReport: Sendable {
    public struct SearchRow: Sendable {
        public var probes: Int
        /// Candidates re-ranked exactly per neighbour asked for (moot while untrained).
        public var refineFactor: Int
        public var p50Milliseconds: Double
        public var p99Milliseconds: Double
        public var recallAt10: Double
        /// Of the exact top 10 that are the probe's own identity, the fraction found: the
        /// matches an investigator is after (the rest of the top 10 are other people).
        public var samePersonRecall: Double
    }

    public var size: Int
    public var queries: Int
    public var identities: Int
    public var machine: Machine
    public var sameDistance: (mean: Double, sd: Double)
    public var differentDistance: (mean: Double, sd: Double)
    public var generateSeconds: Double
    /// All insert calls (and the persists between them); training runs beside them.
    public var buildSeconds: Double
    /// Waiting, after the last insert, for the training still running to finish.
    public var trainingWaitSeconds: Double
    /// Trainings finished during the build.
    public var trainings: Int
    /// Entries when the final centroids were trained.
    public var trainedAt: Int
    public var listCount: Int
    /// One search after each insert call, while training ran beside them (seconds).
    public var searchesDuringBuild: (p50: Double, max: Double)
    public var persistSeconds: Double
    /// Opening the persisted file.
    public var loadSeconds: Double
    /// The first search after opening, which pages in the lists it probes.
    public var firstSearchSeconds: Double
    public var fileBytes: Int
    public var residentBytesAfterBuild: Int
    public var peakResidentBytes: Int
    /// Growth of the process's resident memory from before opening the index to after the
    /// timed searches: the reopened index's own share.
    public var indexResidentBytes: Int
    /// Of that, the index file's pages mapped into this process (/proc/self/smaps).
    public var indexFileResidentBytes: Int
    public var groundTruthSeconds: Double
    public var searches: [SearchRow]

    public func table() -> String {
        func seconds(_ value: Double) -> String { String(format: "%.2f s", value) }
        func milliseconds(_ value: Double) -> String { String(format: "%.2f ms", value) }
        func megabytes(_ value: Int) -> String { String(format: "%.0f MB", Double(value) / 1_000_000) }
        func distance(_ value: (mean: Double, sd: Double)) -> String { String(format: "%.3f ± %.3f", value.mean, value.sd) }
        var rows: [(String, String)] = [
            ("machine", "\(machine.cpuModel), \(machine.cores) cores"),
            ("templates", "\(size) (\(identities) identities), \(queries) queries"),
            ("same / different person", "\(distance(sameDistance)) / \(distance(differentDistance))"),
            ("generate", seconds(generateSeconds)),
            ("build (insert)", "\(seconds(buildSeconds)), \(Int(Double(size) / buildSeconds)) /s"),
            ("training (background)", "\(trainings) finished; \(seconds(trainingWaitSeconds)) more after the last insert"),
            ("searches during build", "p50 \(milliseconds(searchesDuringBuild.p50 * 1000)), max \(milliseconds(searchesDuringBuild.max * 1000))"),
            ("lists (nlist)", "\(listCount), trained at \(trainedAt) entries"),
            ("persist", seconds(persistSeconds)),
            ("file size", megabytes(fileBytes)),
            ("load (open)", milliseconds(loadSeconds * 1000)),
            ("first search after load", milliseconds(firstSearchSeconds * 1000)),
            ("resident after build", megabytes(residentBytesAfterBuild)),
            ("peak resident", megabytes(peakResidentBytes)),
            ("reopened index resident", "\(megabytes(indexResidentBytes)) (of which mapped file pages \(megabytes(indexFileResidentBytes)))"),
            ("exact ground truth", seconds(groundTruthSeconds)),
        ]
        for search in searches {
            rows.append(("nprobe \(search.probes), refine ×\(search.refineFactor)", String(
                format: "p50 %.2f ms, p99 %.2f ms, recall@10 %.4f, same-person recall %.4f",
                search.p50Milliseconds, search.p99Milliseconds, search.recallAt10, search.samePersonRecall)))
        }
        let width = rows.map(\.0.count).max()!
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }
}

/// The machine a benchmark ran on.
public struct Machine: Sendable {
    public var cores: Int
    public var cpuModel: String

    public static var current: Machine {
        let cpuInfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuInfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        return Machine(cores: ProcessInfo.processInfo.activeProcessorCount, cpuModel: model)
    }
}

public struct BenchmarkError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// A process's memory use (this one's by default), from /proc/PID/status (0 where unavailable).
public enum ProcessMemory {
    public static func residentBytes(of process: Int32? = nil) -> Int { statusField("VmRSS:", of: process) }
    public static func peakResidentBytes(of process: Int32? = nil) -> Int { statusField("VmHWM:", of: process) }

    /// Resident bytes of this process's mappings of `file` (the Rss lines of /proc/self/smaps).
    public static func residentBytes(mapping file: URL) -> Int {
        var total = 0, inFile = false
        for line in procLines("/proc/self/smaps") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            // A mapping's header line starts with its address range, e.g. "7f12…-7f13… r--p …".
            if let first = fields.first, first.contains("-"), !first.hasSuffix(":") {
                inFile = fields.count >= 6 && fields[5...].joined(separator: " ") == file.path
            } else if inFile, fields.first == "Rss:", let kilobytes = fields.dropFirst().first.flatMap({ Int($0) }) {
                total += kilobytes * 1024
            }
        }
        return total
    }

    private static func statusField(_ name: String, of process: Int32?) -> Int {
        guard let line = procLines("/proc/\(process.map(String.init) ?? "self")/status").first(where: { $0.hasPrefix(name) }),
              // "VmHWM:\t  123456 kB": a tab, then spaces that a large value leaves out.
              let kilobytes = line.split(whereSeparator: \.isWhitespace).dropFirst().first.flatMap({ Int($0) }) else { return 0 }
        return kilobytes * 1024
    }

    /// The lines of a /proc file, read line by line: such files report a size of 0, and a
    /// whole-file read of one came back empty in a process using 20 GB.
    private static func procLines(_ path: String) -> [String] {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var lines = [String]()
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(buffer) }
        while getline(&buffer, &capacity, file) > 0, let buffer {
            lines.append(String(cString: buffer).trimmingCharacters(in: .newlines))
        }
        return lines
    }
}

/// Wall-clock intervals.
public struct Stopwatch {
    private var last = DispatchTime.now()

    public init() {}

    /// Seconds since the previous lap (or creation), starting a new lap.
    @discardableResult
    public mutating func lap() -> Double {
        let now = DispatchTime.now()
        defer { last = now }
        return Double(now.uptimeNanoseconds - last.uptimeNanoseconds) / 1e9
    }
}
