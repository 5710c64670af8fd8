import Foundation
import LikenessCore

/// The contents of an IVF index: centroids, and for each centroid the list of entries nearest
/// to it, each stored exactly and as SQ8 codes for the scan. Untrained (small) it is a single
/// list searched exhaustively and exactly, without codes. Not thread-safe;
/// `InProcessVectorIndex` guards it.
struct InvertedLists {
    /// Where an entry lives: `lists[list]`, at `slot`.
    struct Location {
        var list: Int32
        var slot: Int32
    }

    /// The centroids of `lists`; nil while untrained.
    private(set) var coarse: CoarseQuantizer?
    /// Codes the entries for the scan; trained with the centroids, nil while untrained.
    private(set) var quantizer: ScalarQuantizer?
    private(set) var lists: [InvertedList] = [InvertedList()]
    private(set) var count = 0
    var appliedSequence: Int64 = 0
    /// How many entries there were when the centroids were last trained (0 = never).
    private(set) var trainedAtCount = 0
    /// The mapped index file that unchanged lists are views into; kept alive with them.
    private var mapping: FileMapping?
    /// Each id's location. Searching never needs it and building it for a million entries
    /// takes a noticeable share of a one-shot CLI search, so it is built on the first change.
    private var locations: [FaceID: Location] = [:]
    private var hasLocations = true

    init() {}

    /// Contents loaded from an index file whose lists are views into `mapping`.
    init(coarse: CoarseQuantizer?, quantizer: ScalarQuantizer?, lists: [InvertedList], appliedSequence: Int64,
         trainedAtCount: Int, mapping: FileMapping) {
        precondition((quantizer != nil) == (coarse != nil), "trained lists have both centroids and a quantizer")
        precondition(coarse.map { $0.listCount == lists.count } ?? (lists.count == 1), "one centroid per list")
        self.coarse = coarse
        self.quantizer = quantizer
        self.lists = lists
        self.count = lists.reduce(0) { $0 + $1.count }
        self.appliedSequence = appliedSequence
        self.trainedAtCount = trainedAtCount
        self.mapping = mapping
        hasLocations = false
    }

    var isTrained: Bool { coarse != nil }

    /// A copy to write or train on while these lists go on changing. It shares every array
    /// until a change copies the one it touches, but leaves out the locations: only changes
    /// need them, and shared, the next change would copy all of them (ten million entries).
    var snapshot: InvertedLists {
        var copy = self
        copy.locations = [:]
        copy.hasLocations = false
        return copy
    }

    // MARK: Changes

    mutating func insert(_ entries: [IndexEntry]) {
        var vectors = [Float]()
        vectors.reserveCapacity(entries.count * dimension)
        for entry in entries { vectors.append(contentsOf: entry.template.values) }
        insert(ids: entries.map(\.id), collections: entries.map(\.collection), vectors: vectors)
    }

    /// Inserts entry `i` as `ids[i]` in `collections[i]` with the vector in row `i` of `vectors`.
    mutating func insert(ids: [FaceID], collections: [CollectionID], vectors: [Float]) {
        guard !ids.isEmpty else { return }
        buildLocationsIfNeeded()
        let assignment = vectors.withUnsafeBufferPointer { coarse?.assign($0) } ?? [Int32](repeating: 0, count: ids.count)
        let codes = vectors.withUnsafeBufferPointer { quantizer?.encode($0) } ?? []
        vectors.withUnsafeBufferPointer { vectors in
            codes.withUnsafeBufferPointer { codes in
                for (index, id) in ids.enumerated() {
                    if let existing = locations[id] { removeEntry(at: existing) }
                    let list = Int(assignment[index])
                    locations[id] = Location(list: Int32(list), slot: Int32(lists[list].count))
                    let row = index * dimension ..< (index + 1) * dimension
                    lists[list].append(id: id, collection: collections[index],
                                       vector: UnsafeBufferPointer(rebasing: vectors[row]),
                                       code: codes.isEmpty ? nil : UnsafeBufferPointer(rebasing: codes[row]))
                    count += 1
                }
            }
        }
    }

    /// Copies the entries of `ids` that `source` holds into these lists (placed by these
    /// centroids); ids `source` lacks are skipped. `source` must have been changed since it
    /// was loaded, which builds the locations this looks entries up by.
    mutating func copy(_ ids: [FaceID], from source: InvertedLists) {
        precondition(source.hasLocations, "entries are looked up by their locations")
        var found = [FaceID](), collections = [CollectionID](), vectors = [Float]()
        for id in ids {
            guard let location = source.locations[id] else { continue }
            let list = source.lists[Int(location.list)], slot = Int(location.slot)
            found.append(id)
            collections.append(list.collections[slot])
            list.vectors.withElements(from: slot * dimension, width: dimension) { vectors += $0 }
        }
        insert(ids: found, collections: collections, vectors: vectors)
    }

    mutating func remove(_ ids: [FaceID]) {
        guard !ids.isEmpty else { return }
        buildLocationsIfNeeded()
        for id in ids {
            guard let location = locations.removeValue(forKey: id) else { continue }
            removeEntry(at: location)
        }
    }

    private mutating func removeEntry(at location: Location) {
        let list = Int(location.list), slot = Int(location.slot)
        if let moved = lists[list].swapRemove(at: slot) {
            locations[moved] = location
        }
        count -= 1
    }

    private mutating func buildLocationsIfNeeded() {
        guard !hasLocations else { return }
        locations = [:]
        locations.reserveCapacity(count)
        for (list, entries) in lists.enumerated() {
            entries.forEachPart { part in
                for (offset, id) in part.ids.enumerated() {
                    locations[id] = Location(list: Int32(list), slot: Int32(part.firstSlot + offset))
                }
            }
        }
        hasLocations = true
    }

    /// After persisting: each list becomes a view of the file as far as the file still holds
    /// it (`revisions` holds the lists' revisions when written), in the same slots, so
    /// locations stay valid; only entries appended since, or lists changed otherwise since,
    /// stay in memory until the next persist. No list is left viewing the previous file,
    /// which is let go.
    mutating func adoptStorage(of written: InvertedLists, writtenRevisions revisions: [Int]) {
        precondition(written.lists.count == lists.count && revisions.count == lists.count, "the written file holds these lists")
        for list in lists.indices {
            lists[list] = lists[list].adopting(written.lists[list], writtenRevision: revisions[list])
        }
        mapping = written.mapping
    }

    // MARK: Training

    /// Centroids for about `listCount` lists and a quantizer, trained on a sample of the
    /// entries (at most `pointsPerList` per list). Nil when there are too few entries to split.
    func trainQuantizers(listCount: Int, pointsPerList: Int, iterations: Int) -> (CoarseQuantizer, ScalarQuantizer)? {
        let listCount = min(listCount, count)
        guard listCount > 1 else { return nil }
        var generator = SplitMix64(seed: UInt64(count))
        let sample = sampleVectors(count: min(count, listCount * pointsPerList), using: &generator)
        return sample.withUnsafeBufferPointer { sample in
            (CoarseQuantizer(trainedOn: sample, listCount: listCount, iterations: iterations, using: &generator),
             ScalarQuantizer(fittedTo: sample))
        }
    }

    /// These entries split into the lists of `coarse`, coded afresh by `quantizer`. Reads
    /// `self` only, so searches and changes can go on against the original meanwhile.
    func rebuilt(coarse: CoarseQuantizer, quantizer: ScalarQuantizer) -> InvertedLists {
        var rebuilt = InvertedLists()
        rebuilt.coarse = coarse
        rebuilt.quantizer = quantizer
        rebuilt.lists = Array(repeating: InvertedList(), count: coarse.listCount)
        rebuilt.appliedSequence = appliedSequence
        rebuilt.trainedAtCount = count
        rebuilt.hasLocations = false
        // Every entry's new list first, so each new list is allocated once at its final size:
        // grown by appending, the arrays averaged half as much again in spare capacity.
        var assignments = [[Int32]]()
        for list in lists { list.forEachPart { assignments.append(coarse.assign($0.vectors)) } }
        var sizes = [Int](repeating: 0, count: coarse.listCount)
        for assignment in assignments { for list in assignment { sizes[Int(list)] += 1 } }
        for (list, size) in sizes.enumerated() { rebuilt.lists[list].reserveCapacity(size, withCodes: true) }
        var parts = assignments.makeIterator()
        for list in lists {
            list.forEachPart { part in
                let assignment = parts.next()!
                let codes = quantizer.encode(part.vectors)
                codes.withUnsafeBufferPointer { codes in
                    for slot in 0..<part.count {
                        let row = slot * dimension ..< (slot + 1) * dimension
                        rebuilt.lists[Int(assignment[slot])].append(
                            id: part.ids[slot], collection: part.collections[slot],
                            vector: UnsafeBufferPointer(rebasing: part.vectors[row]),
                            code: UnsafeBufferPointer(rebasing: codes[row]))
                    }
                }
            }
        }
        rebuilt.count = count
        // Here rather than on the first change after the swap, which holds the exclusive lock.
        rebuilt.buildLocationsIfNeeded()
        return rebuilt
    }

    /// `sampleCount` distinct entries' vectors, chosen uniformly, as rows of one array.
    private func sampleVectors(count sampleCount: Int, using generator: inout some RandomNumberGenerator) -> [Float] {
        let chosen = (0..<count).shuffled(using: &generator).prefix(sampleCount).sorted()
        var sample = [Float]()
        sample.reserveCapacity(sampleCount * dimension)
        var next = chosen.startIndex, listStart = 0
        for list in lists {
            while next < chosen.endIndex, chosen[next] < listStart + list.count {
                let slot = chosen[next] - listStart
                list.vectors.withElements(from: slot * dimension, width: dimension) { sample.append(contentsOf: $0) }
                next += 1
            }
            listStart += list.count
        }
        return sample
    }

    // MARK: Search

    /// The `k` nearest entries in `filter` (nil = all), with exact distances. Untrained, it
    /// scans the single list exactly. Trained, it scans the codes of the `probes` lists whose
    /// centroids are nearest the query, keeps the `k × refineFactor` nearest by approximate
    /// distance, and ranks those by exact distance. If a selective filter leaves the probed
    /// lists short of `k` matches, it keeps probing outward until it has `k` or has scanned
    /// everything.
    func nearest(to query: UnsafePointer<Float>, k: Int, in filter: Set<CollectionID>?, probes: Int, refineFactor: Int) -> [Neighbor] {
        guard k > 0 else { return [] }
        var best = BoundedNearest<FaceID>(capacity: k)
        if let quantizer, let coarse {
            let centroidDistances = coarse.centroids.withUnsafeBufferPointer { centroids in
                (0..<lists.count).map { squaredDistance(query, centroids.baseAddress! + $0 * dimension) }
            }
            let nearestLists = indicesOfSmallest(min(probes, lists.count), of: centroidDistances)
            let queryCode = quantizer.encode(UnsafeBufferPointer(start: query, count: dimension))
            var candidates = scanInParallel(nearestLists, query: queryCode, filter: filter, capacity: k * refineFactor)
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 256) { distances in
                func scan(_ list: Int) {
                    lists[list].scanCodes(query: queryCode, list: Int32(list), collections: filter,
                                          distances: distances, into: &candidates)
                }
                if candidates.count < k, nearestLists.count < lists.count {
                    let probed = Set(nearestLists)
                    let further = lists.indices.filter { !probed.contains($0) }.sorted { centroidDistances[$0] < centroidDistances[$1] }
                    for list in further where candidates.count < k { scan(list) }
                }
            }
            withUnsafeTemporaryAllocation(of: Float.self, capacity: dimension) { copied in
                for candidate in candidates.items {
                    let list = lists[Int(candidate.list)], slot = Int(candidate.slot)
                    let distance = list.vectors.withElements(from: slot * dimension, width: dimension) { vector in
                        // A vector in the file is read from it (see FileMapping.read), not paged in.
                        guard let mapping, mapping.holds(vector.baseAddress!) else { return squaredDistance(query, vector.baseAddress!) }
                        mapping.read(vector, into: copied.baseAddress!)
                        return squaredDistance(query, copied.baseAddress!)
                    }
                    best.offer(distance, list.ids[slot])
                }
            }
        } else {
            lists[0].scan(query: query, collections: filter, into: &best)
        }
        return zip(best.items, best.keys).map { Neighbor(id: $0, distance: $1.squareRoot()) }
    }

    /// Scans the codes of `probed` lists, splitting them among the machine's cores when there
    /// are enough codes to repay it: the scan is most of a search's time (1.6M codes at ten
    /// million entries), and a search waiting on it should not leave a core idle.
    private func scanInParallel(_ probed: [Int], query: [UInt8], filter: Set<CollectionID>?, capacity: Int) -> BoundedNearest<Location> {
        let codes = probed.reduce(0) { $0 + lists[$1].count }
        let parts = codes >= Self.codesPerScanThread * 2 ? min(Self.scanThreads, codes / Self.codesPerScanThread) : 1
        let found = (0..<parts).map { _ in ScanResult(capacity: capacity) }
        // Lists nearest the query are the largest share of a search's hits; dealing them out
        // in turn gives each part a like share of them and of the codes.
        let scanPart: @Sendable (Int) -> Void = { [self] part in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 256) { distances in
                for list in stride(from: part, to: probed.count, by: parts).map({ probed[$0] }) {
                    lists[list].scanCodes(query: query, list: Int32(list), collections: filter,
                                          distances: distances, into: &found[part].nearest)
                }
            }
        }
        if parts == 1 { scanPart(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: scanPart) }
        var merged = found[0].nearest
        for part in found.dropFirst() {
            for (key, item) in zip(part.nearest.keys, part.nearest.items) { merged.offer(key, item) }
        }
        return merged
    }

    /// A scan part's own best candidates, written only by that part's thread.
    private final class ScanResult: @unchecked Sendable {
        var nearest: BoundedNearest<Location>
        init(capacity: Int) { nearest = BoundedNearest(capacity: capacity) }
    }

    private static let scanThreads = ProcessInfo.processInfo.activeProcessorCount
    /// Below this many codes per thread (about a millisecond's scan), handing work to
    /// another thread costs more than it saves.
    private static let codesPerScanThread = 100_000
}

// A value that a training thread takes as its snapshot. Its columns are arrays (copied on
// write) or views into a read-only mapping that its `mapping` keeps alive; nothing in it is
// shared mutable state.
extension InvertedLists: @unchecked Sendable {}
