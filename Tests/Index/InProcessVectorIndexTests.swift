import Foundation
import LikenessCore
import LikenessIndex
import TestSupport
import Testing

/// A configuration that trains early, so small tests exercise the inverted lists.
let trainsEarly = InProcessVectorIndex.Configuration(
    trainingThreshold: 1_000, listsPerSqrtCount: 2, retrainingGrowth: 4,
    trainingPointsPerList: 32, kMeansIterations: 8, probedShare: 0.125, refineFactor: 10)

func indexFile() throws -> URL {
    try Fixtures.scratchDirectory("likeness-index").appendingPathComponent("faces.index")
}

func ids(_ neighbors: [Neighbor]) -> [FaceID] { neighbors.map(\.id) }

@Test func smallIndexSearchesExactly() async throws {
    let entries = TestTemplates.entries(TestTemplates.clustered(count: 2_000, seed: 1))
    let index = try InProcessVectorIndex(file: try indexFile())
    try await index.insert(entries, through: 1)
    #expect(index.listCount == 1)
    for query in TestTemplates.clustered(count: 20, seed: 2) {
        let found = try await index.nearest(to: query, k: 10, in: nil)
        let exact = TestTemplates.bruteForce(query, among: entries, k: 10)
        #expect(ids(found) == ids(exact))
        for (a, b) in zip(found, exact) { #expect(abs(a.distance - b.distance) < 1e-4) }
    }
}

// Real dlib descriptors have norm ~1.4–1.6, not 1: the quantizer must fit whatever range it sees.
@Test(arguments: [1, 1.5] as [Float])
func trainedIndexFindsNearly(norm: Float) async throws {
    let entries = TestTemplates.entries(TestTemplates.clustered(count: 6_000, norm: norm, seed: 3))
    let index = try InProcessVectorIndex(file: try indexFile(), configuration: trainsEarly)
    for start in stride(from: 0, to: entries.count, by: 500) {
        try await index.insert(Array(entries[start ..< start + 500]), through: Int64(start + 500))
    }
    await index.trainingFinished()
    #expect(index.listCount > 50)
    let queries = TestTemplates.clustered(count: 50, norm: norm, seed: 4)
    var found = 0
    for query in queries {
        let result = try await index.nearest(to: query, k: 10, in: nil)
        found += TestTemplates.bruteForce(query, among: entries, k: 10).filter { ids(result).contains($0.id) }.count
        // Distances are exact, not the quantized estimates that chose the candidates.
        for neighbor in result {
            #expect(abs(neighbor.distance - entries[Int(neighbor.id) - 1].template.distance(to: query)) < 1e-5)
        }
        #expect(zip(result, result.dropFirst()).allSatisfy { $0.distance <= $1.distance })
    }
    #expect(Double(found) / Double(queries.count * 10) >= 0.9)

    // Probing every list is exhaustive; re-ranking the quantized scan's best 10 × 10 by exact
    // distance then finds the exact answer (quantization error is far below the gaps here).
    index.probes = index.listCount
    for query in queries.prefix(10) {
        #expect(ids(try await index.nearest(to: query, k: 10, in: nil)) == ids(TestTemplates.bruteForce(query, among: entries, k: 10)))
    }
}

@Test(arguments: [InProcessVectorIndex.Configuration.standard, trainsEarly])
func filtersByCollection(configuration: InProcessVectorIndex.Configuration) async throws {
    let entries = TestTemplates.entries(TestTemplates.clustered(count: 3_000, seed: 5)) { CollectionID($0 % 5 + 1) }
    let index = try InProcessVectorIndex(file: try indexFile(), configuration: configuration)
    try await index.insert(entries, through: 1)
    await index.trainingFinished()
    index.probes = index.listCount  // exhaustive, so the results can be compared exactly
    let wanted: Set<CollectionID> = [2, 4]
    for query in TestTemplates.clustered(count: 10, seed: 6) {
        let found = try await index.nearest(to: query, k: 10, in: wanted)
        #expect(found.count == 10)
        #expect(found.allSatisfy { wanted.contains(entries[Int($0.id) - 1].collection) })
        #expect(ids(found) == ids(TestTemplates.bruteForce(query, among: entries, k: 10, in: wanted)))
    }
}

@Test func selectiveFilterStillFindsAllMatchesWhenTrained() async throws {
    // Three faces in collection 9 among thousands: the default probes miss most lists, so
    // the search must keep probing until it has found them.
    var entries = TestTemplates.entries(TestTemplates.clustered(count: 4_000, seed: 7))
    for row in [10, 2_000, 3_999] { entries[row].collection = 9 }
    let index = try InProcessVectorIndex(file: try indexFile(), configuration: trainsEarly)
    try await index.insert(entries, through: 1)
    await index.trainingFinished()
    #expect(index.listCount > 1)
    let found = try await index.nearest(to: entries[0].template, k: 10, in: [9])
    #expect(Set(ids(found)) == [11, 2_001, 4_000])
}

@Test(arguments: [InProcessVectorIndex.Configuration.standard, trainsEarly])
func insertingAnExistingIDReplacesIt(configuration: InProcessVectorIndex.Configuration) async throws {
    let templates = TestTemplates.clustered(count: 2_001, seed: 8)
    let index = try InProcessVectorIndex(file: try indexFile(), configuration: configuration)
    try await index.insert(TestTemplates.entries(Array(templates.prefix(2_000))), through: 1)
    let replacement = IndexEntry(id: 1, collection: 3, template: templates[2_000], image: 1, organization: 1, jurisdiction: "GB")
    try await index.insert([replacement], through: 2)
    #expect(await index.count == 2_000)
    let atNew = try await index.nearest(to: templates[2_000], k: 1, in: nil)
    #expect(atNew == [Neighbor(id: 1, distance: 0)])
    #expect(try await index.nearest(to: templates[0], k: 5, in: nil).allSatisfy { $0.id != 1 })
    #expect(try await index.nearest(to: templates[2_000], k: 1, in: [1]).first?.id != 1)
}

@Test(arguments: [InProcessVectorIndex.Configuration.standard, trainsEarly])
func removedIDsAreNeverReturned(configuration: InProcessVectorIndex.Configuration) async throws {
    let file = try indexFile()
    let entries = TestTemplates.entries(TestTemplates.clustered(count: 3_000, seed: 9))
    let index = try InProcessVectorIndex(file: file, configuration: configuration)
    try await index.insert(entries, through: 1)
    await index.trainingFinished()
    let removed = Set(stride(from: 1, through: 3_000, by: 7).map(FaceID.init))
    try await index.remove(Array(removed) + [99_999], through: 2)
    #expect(await index.count == 3_000 - removed.count)
    #expect(await index.appliedSequence == 2)

    // Also after a round trip through the file, whose lists start out mapped.
    try await index.persist()
    let reopened = try InProcessVectorIndex(file: file, configuration: configuration)
    try await reopened.remove([2, 3], through: 3)
    for candidate in [index, reopened] {
        candidate.probes = candidate.listCount
        for entry in entries.prefix(300) {
            let found = try await candidate.nearest(to: entry.template, k: 20, in: nil)
            #expect(found.allSatisfy { !removed.contains($0.id) })
        }
    }
    #expect(try await reopened.nearest(to: entries[1].template, k: 20, in: nil).allSatisfy { $0.id != 2 })
}

@Test func entriesBeyondTheQuantizerRangeAreStillFound() async throws {
    // Trained on unit vectors, then given vectors three times as long: their codes clamp at the
    // ends of the range, but a search for one still ranks it first, at its exact distance 0.
    let index = try InProcessVectorIndex(file: try indexFile(), configuration: trainsEarly)
    try await index.insert(TestTemplates.entries(TestTemplates.clustered(count: 2_000, seed: 30)), through: 1)
    await index.trainingFinished()
    #expect(index.listCount > 1)
    let outliers = TestTemplates.entries(TestTemplates.clustered(count: 20, norm: 3, seed: 31), firstID: 10_000)
    try await index.insert(outliers, through: 2)
    for outlier in outliers {
        #expect(try await index.nearest(to: outlier.template, k: 1, in: nil) == [Neighbor(id: outlier.id, distance: 0)])
    }
}

@Test(arguments: [InProcessVectorIndex.Configuration.standard, trainsEarly])
func persistAndReopenGivesTheSameIndex(configuration: InProcessVectorIndex.Configuration) async throws {
    let file = try indexFile()
    let entries = TestTemplates.entries(TestTemplates.clustered(count: 5_000, seed: 10)) { CollectionID($0 % 3) }
    let index = try InProcessVectorIndex(file: file, configuration: configuration)
    try await index.insert(entries, through: 41)
    await index.trainingFinished()
    try await index.remove([5, 6], through: 42)
    try await index.persist()

    let reopened = try InProcessVectorIndex(file: file, configuration: configuration)
    #expect(await reopened.appliedSequence == 42)
    #expect(await reopened.count == 4_998)
    #expect(reopened.listCount == index.listCount)
    for query in TestTemplates.clustered(count: 20, seed: 11) {
        #expect(try await reopened.nearest(to: query, k: 10, in: nil) == (try await index.nearest(to: query, k: 10, in: nil)))
        #expect(try await reopened.nearest(to: query, k: 5, in: [1]) == (try await index.nearest(to: query, k: 5, in: [1])))
    }

    // The reopened index keeps working: a change, another persist and reopen.
    try await reopened.insert(TestTemplates.entries(TestTemplates.clustered(count: 10, seed: 12), firstID: 10_000), through: 43)
    try await reopened.persist()
    let again = try InProcessVectorIndex(file: file, configuration: configuration)
    #expect(await again.count == 5_008)
    #expect(await again.appliedSequence == 43)
}

/// An index of 3,000 clustered entries that trains early, trained and written to its file.
func writtenTrainedIndex(seed: UInt64) async throws -> (InProcessVectorIndex, [IndexEntry]) {
    let entries = TestTemplates.entries(TestTemplates.clustered(count: 3_000, seed: seed))
    let index = try InProcessVectorIndex(file: try indexFile(), configuration: trainsEarly)
    try await index.insert(entries, through: 1)
    await index.trainingFinished()
    try await index.persist()
    return (index, entries)
}

@Test func removedTemplateBytesLeaveTheFile() async throws {
    let (index, entries) = try await writtenTrainedIndex(seed: 13)
    let file = index.file
    let victim = entries[1_234]
    let windows = stride(from: 0, to: 512 - 16 + 1, by: 4).map { Array(victim.template.bytes[$0 ..< $0 + 16]) }
    let code = sq8Code(of: victim.template, quantizerIn: try Data(contentsOf: file))
    // Sanity check of the check itself: the template and its code are in the file before removal.
    #expect(contains(try Data(contentsOf: file), victim.template.bytes))
    #expect(contains(try Data(contentsOf: file), code))

    try await index.remove([victim.id], through: 2)
    try await index.persist()
    let bytes = try Data(contentsOf: file)
    for window in windows {
        #expect(!contains(bytes, window))
    }
    #expect(!contains(bytes, code))
}

@Test func onlyEntriesChangedSinceTheLastWriteAreHeldInMemory() async throws {
    let (index, entries) = try await writtenTrainedIndex(seed: 18)
    #expect(index.entriesInMemory == 0)
    let queries = TestTemplates.clustered(count: 20, seed: 19)
    func answers() async throws -> [[Neighbor]] {
        var answers = [[Neighbor]]()
        for query in queries { answers.append(try await index.nearest(to: query, k: 10, in: nil)) }
        return answers
    }

    // Appending leaves the written entries of every list it touches in the file.
    let added = TestTemplates.entries(TestTemplates.clustered(count: 200, seed: 20), firstID: 10_000)
    try await index.insert(added, through: 2)
    #expect(index.entriesInMemory == 200)
    let beforeWriting = try await answers()
    try await index.persist()
    #expect(index.entriesInMemory == 0)
    #expect(try await answers() == beforeWriting)

    // Removing one entry takes its list into memory, until the next write.
    try await index.remove([entries[100].id], through: 3)
    let inMemory = index.entriesInMemory
    #expect(inMemory > 0 && inMemory < 3_000)
    try await index.persist()
    #expect(index.entriesInMemory == 0)
    #expect(try await index.nearest(to: entries[100].template, k: 20, in: nil).allSatisfy { $0.id != entries[100].id })
}

@Test func changesMadeWhileWritingStayIntactAndAreWrittenNextTime() async throws {
    let file = try indexFile()
    let templates = TestTemplates.clustered(count: 6_000, seed: 21)
    let entries = TestTemplates.entries(templates)
    let index = try InProcessVectorIndex(file: file, configuration: trainsEarly)
    try await index.insert(Array(entries.prefix(3_000)), through: 1)
    await index.trainingFinished()
    // Appends, replacements and removals race with writes, so some land between a write
    // and the moment its file replaces the lists' memory.
    async let changes: Void = {
        for batch in 0..<30 {
            let start = 3_000 + batch * 100
            try await index.insert(Array(entries[start ..< start + 100]), through: Int64(2 + batch))
            try await index.remove([FaceID(start - 2_500)], through: Int64(2 + batch))
        }
    }()
    for _ in 0..<10 { try await index.persist() }
    try await changes
    await index.trainingFinished()
    try await index.persist()
    #expect(index.entriesInMemory == 0)
    #expect(await index.count == 6_000 - 30)

    // Every answer's distance is that of the vector its id was given: no entry got another's
    // slot. The reopened file answers the same.
    let reopened = try InProcessVectorIndex(file: file, configuration: trainsEarly)
    for query in TestTemplates.clustered(count: 20, seed: 22) {
        let found = try await index.nearest(to: query, k: 10, in: nil)
        #expect(found.count == 10)
        for neighbor in found {
            let exact = zip(query.values, templates[Int(neighbor.id) - 1].values).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
            #expect(abs(neighbor.distance - exact) < 1e-4)
        }
        #expect(try await reopened.nearest(to: query, k: 10, in: nil) == found)
    }
}

private func contains(_ data: Data, _ pattern: [UInt8]) -> Bool {
    data.range(of: Data(pattern)) != nil
}

/// The 128-byte SQ8 code of `template` under the quantizer of a trained index file, worked out
/// independently from the documented format (see IndexFile): the step is the f32 at header
/// offset 48, the per-dimension minimums follow the list sizes and centroids, and component
/// `d` codes as ((value - minimum) / step) rounded, clamped to 0...255. The group count is the
/// u32 at offset 52; the minimums follow the list sizes, group sizes, centroids and group centroids.
private func sq8Code(of template: FaceTemplate, quantizerIn file: Data) -> [UInt8] {
    func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
        file.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
    let listCount = Int(field(16, UInt32.self)), centroidCount = Int(field(20, UInt32.self))
    let step = Float(bitPattern: field(48, UInt32.self)), groupCount = Int(field(52, UInt32.self))
    let minimumsStart = 64 + listCount * 8 + groupCount * 8 + (centroidCount + groupCount) * FaceTemplate.dimension * 4
    return template.values.enumerated().map { d, value in
        let minimum = Float(bitPattern: field(minimumsStart + d * 4, UInt32.self))
        return UInt8(min(255, max(0, ((value - minimum) / step).rounded())))
    }
}

@Test func removeAllEmptiesAndResetsTheSequence() async throws {
    let index = try InProcessVectorIndex(file: try indexFile(), configuration: trainsEarly)
    try await index.insert(TestTemplates.entries(TestTemplates.clustered(count: 1_500, seed: 14)), through: 7)
    try await index.removeAll()
    #expect(await index.count == 0)
    #expect(await index.appliedSequence == 0)
    #expect(try await index.nearest(to: TestTemplates.clustered(count: 1, seed: 15)[0], k: 5, in: nil).isEmpty)
}

@Test func appliedSequenceOnlyMovesForward() async throws {
    let index = try InProcessVectorIndex(file: try indexFile())
    try await index.insert(TestTemplates.entries(TestTemplates.clustered(count: 3, seed: 16)), through: 5)
    try await index.insert(TestTemplates.entries(TestTemplates.clustered(count: 3, seed: 17), firstID: 10), through: 0)
    #expect(await index.appliedSequence == 5)
}

@Test func damagedFilesAreRejectedNamingTheFile() async throws {
    let file = try indexFile()
    let index = try InProcessVectorIndex(file: file)
    try await index.insert(TestTemplates.entries(TestTemplates.clustered(count: 100, seed: 18)), through: 1)
    try await index.persist()
    let good = try Data(contentsOf: file)

    var wrongMagic = good
    wrongMagic[0] = UInt8(ascii: "X")
    var wrongVersion = good
    wrongVersion[8] = 1
    var wrongCount = good
    wrongCount[24] &+= 1
    let damaged: [(String, Data)] = [
        ("empty", Data()),
        ("truncated header", good.prefix(40)),
        ("truncated vectors", good.prefix(good.count - 512)),
        ("trailing bytes", good + Data(count: 8)),
        ("wrong magic", wrongMagic),
        ("format version 1", wrongVersion),
        ("wrong entry count", wrongCount),
    ]
    for (label, bytes) in damaged {
        try bytes.write(to: file)
        let error = #expect(throws: IndexFileError.self, "\(label)") { try InProcessVectorIndex(file: file) }
        #expect(error?.description.contains(file.path) == true, "\(label)")
    }
}

@Test func searchesRunDuringInsertsAndTraining() async throws {
    let templates = TestTemplates.clustered(count: 8_000, seed: 19)
    let index = try InProcessVectorIndex(file: try indexFile(), configuration: trainsEarly)
    try await index.insert(TestTemplates.entries(Array(templates.prefix(500))), through: 1)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            for start in stride(from: 500, to: templates.count, by: 250) {
                try await index.insert(TestTemplates.entries(Array(templates[start ..< start + 250]), firstID: FaceID(start + 1)),
                                       through: Int64(start))
                if start % 2_000 == 0 { try await index.remove([FaceID(start)], through: Int64(start)) }
            }
        }
        for searcher in 0..<3 {
            group.addTask {
                for query in TestTemplates.clustered(count: 300, seed: UInt64(20 + searcher)) {
                    let found = try await index.nearest(to: query, k: 10, in: nil)
                    #expect(found.count == 10)
                    #expect(zip(found, found.dropFirst()).allSatisfy { $0.distance <= $1.distance })
                }
            }
        }
        try await group.waitForAll()
    }
    await index.trainingFinished()
    #expect(await index.count == 8_000 - 3)
    #expect(index.listCount > 1)
}

@Test func trainingRunsBesideChangesAndSearchesAndKeepsThem() async throws {
    // Enough entries and lists that training takes a while (about a second here).
    let configuration = InProcessVectorIndex.Configuration(
        trainingThreshold: 20_000, listsPerSqrtCount: 8, retrainingGrowth: 4,
        trainingPointsPerList: 32, kMeansIterations: 10, probedShare: 1, refineFactor: 10)
    let templates = TestTemplates.clustered(count: 22_000, seed: 40)
    let entries = TestTemplates.entries(templates)
    let index = try InProcessVectorIndex(file: try indexFile(), configuration: configuration)
    try await index.insert(Array(entries.prefix(20_000)), through: 1)
    // The insert that crossed the threshold returned with the training still running, and
    // the untrained index goes on answering exactly.
    #expect(index.isTraining)
    #expect(index.listCount == 1)
    #expect(try await index.nearest(to: templates[5], k: 1, in: nil) == [Neighbor(id: 6, distance: 0)])

    // Changes made during the training: new entries, a replaced one, removals.
    try await index.insert(Array(entries[20_000...]), through: 2)
    let moved = IndexEntry(id: 7, collection: 1, template: templates[21_999], image: 7, organization: 1, jurisdiction: "GB")
    try await index.insert([moved], through: 3)
    try await index.remove([1, 20_001], through: 4)

    await index.trainingFinished()
    #expect(!index.isTraining)
    #expect(index.listCount > 100)
    #expect(await index.count == 22_000 - 2)
    #expect(await index.appliedSequence == 4)
    // Every change made during the training is in the trained lists.
    #expect(try await index.nearest(to: templates[20_500], k: 1, in: nil) == [Neighbor(id: 20_501, distance: 0)])
    #expect(Set(ids(try await index.nearest(to: templates[21_999], k: 2, in: nil))) == [7, 22_000])
    #expect(try await index.nearest(to: templates[6], k: 3, in: nil).allSatisfy { $0.id != 7 })
    for removed in [0, 20_000] {
        #expect(try await index.nearest(to: templates[removed], k: 20, in: nil).allSatisfy { ![1, 20_001].contains($0.id) })
    }
    // The finished training was written to the file.
    let reopened = try InProcessVectorIndex(file: index.file, configuration: configuration)
    #expect(reopened.listCount == index.listCount)
    #expect(await reopened.count == 22_000 - 2)
}

@Test func removeAllDuringATrainingDiscardsIt() async throws {
    let configuration = InProcessVectorIndex.Configuration(
        trainingThreshold: 20_000, listsPerSqrtCount: 8, retrainingGrowth: 4,
        trainingPointsPerList: 32, kMeansIterations: 10, probedShare: 0.125, refineFactor: 10)
    let index = try InProcessVectorIndex(file: try indexFile(), configuration: configuration)
    try await index.insert(TestTemplates.entries(TestTemplates.clustered(count: 20_000, seed: 41)), through: 1)
    try await index.removeAll()
    await index.trainingFinished()
    #expect(await index.count == 0)
    #expect(index.listCount == 1)
    #expect(try await index.nearest(to: TestTemplates.clustered(count: 1, seed: 42)[0], k: 5, in: nil).isEmpty)
}

@Test func aVersion2FileOfOneFlatKMeansStillOpens() async throws {
    let file = try indexFile()
    let entries = TestTemplates.entries(TestTemplates.clustered(count: 3_000, seed: 43))
    let index = try InProcessVectorIndex(file: file, configuration: trainsEarly)
    try await index.insert(entries, through: 5)
    await index.trainingFinished()
    try await index.persist()

    // Version 2, as documented in IndexFile: no group count in the header, no group sizes or
    // group centroids between the list sizes and the quantizer.
    var bytes = try Data(contentsOf: file)
    func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
        bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
    let listCount = Int(field(16, UInt32.self)), groupCount = Int(field(52, UInt32.self))
    #expect(groupCount > 1)
    let groupSizes = 64 + listCount * 8, centroids = groupSizes + groupCount * 8
    let groupCentroids = centroids + listCount * FaceTemplate.dimension * 4
    bytes.removeSubrange(groupCentroids ..< groupCentroids + groupCount * FaceTemplate.dimension * 4)
    bytes.removeSubrange(groupSizes ..< centroids)
    bytes[8] = 2
    bytes.replaceSubrange(52 ..< 56, with: [0, 0, 0, 0])
    // The vectors section starts at a multiple of 64 bytes: re-pad after the shift.
    let idsStart = groupSizes + listCount * FaceTemplate.dimension * 4 + FaceTemplate.dimension * 4
    let paddingStart = idsStart + entries.count * 16
    let oldVectors = (paddingStart + groupCount * (8 + FaceTemplate.dimension * 4) + 63) / 64 * 64 - groupCount * (8 + FaceTemplate.dimension * 4)
    bytes.removeSubrange(paddingStart ..< oldVectors)
    bytes.insert(contentsOf: Data(count: (paddingStart + 63) / 64 * 64 - paddingStart), at: paddingStart)
    try bytes.write(to: file)

    let old = try InProcessVectorIndex(file: file, configuration: trainsEarly)
    #expect(await old.count == 3_000)
    #expect(old.listCount == listCount)
    old.probes = listCount
    for entry in entries.prefix(20) {
        #expect(try await old.nearest(to: entry.template, k: 1, in: nil) == [Neighbor(id: entry.id, distance: 0)])
    }
    // A change then places entries by the flat centroids.
    let added = TestTemplates.entries(TestTemplates.clustered(count: 5, seed: 44), firstID: 10_000)
    try await old.insert(added, through: 6)
    for entry in added { #expect(try await old.nearest(to: entry.template, k: 1, in: nil) == [Neighbor(id: entry.id, distance: 0)]) }
}
