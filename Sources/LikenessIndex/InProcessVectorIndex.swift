import Foundation
import LikenessCore

/// The embedded vector index: an inverted file (IVF) in this process, persisted to one file.
/// Each entry is stored exactly and, once trained, also as 8-bit scalar-quantization codes
/// (SQ8: a quarter of the bytes, which is what a memory-bound scan pays for).
///
/// Below `Configuration.trainingThreshold` entries it is a single list searched exhaustively,
/// so results are exact. Past it, k-means centroids split the entries into lists and a search
/// scans the codes of only the `probedShare` of lists nearest the query, then re-ranks the
/// `k × refineFactor` best of those by exact distance, which is also the distance it returns.
/// The centroids and the quantizer are retrained whenever the index has grown
/// `retrainingGrowth`-fold since they were trained.
///
/// Training runs in the background, on a thread of its own, never inside a change: it trains
/// on a sample of a snapshot of the contents and rebuilds the lists from that snapshot while
/// searches and changes go on against the current lists. Changes made meanwhile are kept in a
/// journal and replayed onto the rebuilt lists, which then replace the current ones in one
/// short exclusive step, and are written to the file. (Trained inside the insert that crossed
/// the line, as before, it blocked every search for over a minute at 640k entries.)
///
/// Memory: the lists are views of the mapped index file, plus what was appended since it was
/// last written (`entriesInMemory`), so a bulk load holds only its latest entries in memory.
/// A training's snapshot is views of the file, written just before; its rebuilt lists are
/// held in memory, at 656 bytes per entry, until they are written and mapped in turn. A
/// search reads the vectors it re-ranks from the file (see `FileMapping.read`), so what stays
/// resident is the codes, ids and collections: 139 bytes an entry.
///
/// Thread-safe: searches share a reader-writer lock and run in parallel; changes take it
/// exclusively; a persist takes it only to snapshot the contents and to adopt the file. That
/// lock guards every mutable stored property, which is what makes the `@unchecked Sendable`
/// sound.
public final class InProcessVectorIndex: VectorIndex, @unchecked Sendable {
    public struct Configuration: Sendable {
        /// Entry count at which the index first trains centroids; below it, search is exact.
        public var trainingThreshold: Int
        /// Lists per square root of the entry count at training.
        public var listsPerSqrtCount: Double
        /// Retrain once the entry count has grown this many times since the last training.
        public var retrainingGrowth: Int
        /// Training sample size per list (k-means sees at most this many points per centroid).
        public var trainingPointsPerList: Int
        public var kMeansIterations: Int
        /// The share of lists a search scans, those whose centroids are nearest the query: the
        /// recall/speed trade-off. A share, not a count, because the lists multiply as the
        /// index grows while the share needed for a given recall stays about the same.
        public var probedShare: Double
        /// A search for `k` neighbours re-ranks the `k × refineFactor` nearest by quantized
        /// distance exactly: enough that quantization error rarely costs a true neighbour.
        public var refineFactor: Int

        public init(trainingThreshold: Int, listsPerSqrtCount: Double, retrainingGrowth: Int,
                    trainingPointsPerList: Int, kMeansIterations: Int, probedShare: Double, refineFactor: Int) {
            precondition(trainingThreshold > 0 && listsPerSqrtCount > 0 && retrainingGrowth > 1
                         && trainingPointsPerList > 0 && kMeansIterations > 0 && probedShare > 0 && probedShare <= 1 && refineFactor > 0)
            self.trainingThreshold = trainingThreshold
            self.listsPerSqrtCount = listsPerSqrtCount
            self.retrainingGrowth = retrainingGrowth
            self.trainingPointsPerList = trainingPointsPerList
            self.kMeansIterations = kMeansIterations
            self.probedShare = probedShare
            self.refineFactor = refineFactor
        }

        /// Measured with `IndexBenchmark` (`likeness bench search --index-only`) over synthetic
        /// face-like templates (see SyntheticTemplates), one query at a time on a 2-core AMD
        /// EPYC, release build. At 1,000,000 (7,466 lists, trained at 870k entries): the default
        /// 16% (1,195 lists) answered in 3.03 ms p50, 4.52 ms p99, recall@10 0.9940. At
        /// 10,000,000 (three runs, of 19,530, 20,230 and 21,218 lists, trained at 6.0M, 6.4M
        /// and 7.0M; a scan of over 200,000 codes is split across both cores):
        ///
        ///     probes   share   p50 ms   p99 ms   recall@10
        ///     2,048    10.1%    11.3     20.7     0.988
        ///     2,600    13.3%    15.2     23.4     0.993
        ///     3,125    16.0%    19.4     35.0     0.995   (the default, 19,530 lists)
        ///     3,237    15.3%    17.6     26.3     0.996
        ///
        /// The share needed for recall@10 ≥ 0.99 was 12–13% at both sizes, hence a share
        /// rather than a count (768 lists suited 1M and missed at 10M). Missing a true match
        /// costs an investigation more than a few ms does, so the default takes ≥ 0.99. The scan
        /// is memory-bound: 128-byte codes scan at a third of the cost of exact 512-byte
        /// vectors, and recall matches the exact scan's from refine ×2 up; ×10 keeps a margin
        /// for real descriptors for ~0.1 ms. 8·√n lists found 0.934 at 4% of the entries
        /// scanned where 4·√n found 0.887. The first training at 32,768 entries keeps search
        /// below it exact (0.7 ms at 30k).
        public static let standard = Configuration(
            trainingThreshold: 32_768, listsPerSqrtCount: 8, retrainingGrowth: 2,
            trainingPointsPerList: 32, kMeansIterations: 10, probedShare: 0.16, refineFactor: 10)
    }

    public let file: URL
    private let lock = ReadWriteLock()
    private var contents: InvertedLists
    private var configuration: Configuration
    private var probesOverride: Int?
    /// Counts replacements of the whole contents (a training swapped in, `removeAll`), so
    /// `persist` can tell whether the lists it wrote are still the ones in use.
    private var replacements = 0
    /// One persist at a time: they share the temporary file name.
    private let persisting = NSLock()
    /// While a training runs: the changes made since its snapshot, in order. Inserts are kept
    /// as ids, their entries read back from the current lists when replayed, so a bulk load
    /// during a training does not hold every new template twice.
    private var journal: [Change]?
    /// Whether the training thread is running.
    private var trainingRuns = false
    private var swappedTrainings = 0
    /// Bumped by `removeAll`, so a training of contents that are gone is thrown away.
    private var generation = 0
    /// Callers waiting for the training thread to end.
    private var trainingWaiters: [CheckedContinuation<Void, Never>] = []

    fileprivate enum Change {
        case insert([FaceID])
        case remove([FaceID])

        var size: Int {
            switch self {
            case .insert(let ids), .remove(let ids): ids.count
            }
        }
    }

    /// Opens the index in `file`, or starts empty if there is no such file.
    public init(file: URL, configuration: Configuration = .standard) throws {
        self.file = file
        self.configuration = configuration
        contents = try IndexFile.load(file) ?? InvertedLists()
    }

    public var count: Int { lock.reading { contents.count } }

    public var appliedSequence: Int64 { lock.reading { contents.appliedSequence } }

    /// Lists scanned per search; more is slower and finds more of the true nearest.
    /// Lists scanned per search, in place of the configuration's share (nil = the share); more
    /// is slower and finds more of the true nearest.
    public var probes: Int? {
        get { lock.reading { probesOverride } }
        set {
            precondition(newValue.map { $0 > 0 } ?? true, "a search probes at least one list")
            lock.writing { probesOverride = newValue }
        }
    }

    /// The lists a search scans now.
    public var probesPerSearch: Int { lock.reading { probesPerSearchNow } }

    private var probesPerSearchNow: Int {
        probesOverride ?? max(1, Int((configuration.probedShare * Double(contents.lists.count)).rounded(.up)))
    }

    /// Candidates per requested neighbour re-ranked by exact distance; more is slower and
    /// loses fewer true neighbours to quantization error.
    public var refineFactor: Int {
        get { lock.reading { configuration.refineFactor } }
        set {
            precondition(newValue > 0, "a search re-ranks at least k candidates")
            lock.writing { configuration.refineFactor = newValue }
        }
    }

    /// Entries when the centroids were last trained (0 = never).
    public var trainedAtCount: Int { lock.reading { contents.trainedAtCount } }

    /// Entries held in memory rather than as views of the index file: those appended since
    /// it was last written, and every entry of a list that lost one since.
    public var entriesInMemory: Int {
        lock.reading { contents.lists.reduce(0) { $0 + $1.count - $1.ids.mappedCount } }
    }

    /// The number of inverted lists (1 while untrained).
    public var listCount: Int { lock.reading { contents.lists.count } }

    public func insert(_ entries: [IndexEntry], through sequence: Int64) throws {
        let startTraining: Bool = lock.writing {
            contents.insert(entries)
            journal?.append(.insert(entries.map(\.id)))
            advance(to: sequence)
            guard !trainingRuns, trainingIsDue else { return false }
            trainingRuns = true
            return true
        }
        if startTraining { startTrainingThread() }
    }

    public func remove(_ ids: [FaceID], through sequence: Int64) throws {
        lock.writing {
            contents.remove(ids)
            journal?.append(.remove(ids))
            advance(to: sequence)
        }
    }

    public func removeAll() throws {
        lock.writing {
            contents = InvertedLists()
            if journal != nil { journal = [] }
            generation += 1
            replacements += 1
        }
    }

    /// Trainings finished and swapped in since this index was opened.
    public var trainingsFinished: Int { lock.reading { swappedTrainings } }

    /// Whether a training is running in the background.
    public var isTraining: Bool { lock.reading { trainingRuns } }

    /// Returns once no training is running (at once if none is).
    public func trainingFinished() async {
        await withCheckedContinuation { continuation in
            let running = lock.writing {
                if trainingRuns { trainingWaiters.append(continuation) }
                return trainingRuns
            }
            if !running { continuation.resume() }
        }
    }

    /// Whether the index has grown enough since its last training to train (again).
    private var trainingIsDue: Bool {
        let trainedAt = contents.trainedAtCount
        return trainedAt == 0 ? contents.count >= configuration.trainingThreshold
                              : contents.count >= trainedAt * configuration.retrainingGrowth
    }

    /// Trains on a thread of its own until no training is due: a bulk load can outgrow a
    /// training several times over while it runs. Callers waiting are released at the end.
    private func startTrainingThread() {
        let thread = Thread { [self] in
            while true {
                let trainedOrOutgrown = trainOnce()
                let waiters: [CheckedContinuation<Void, Never>]? = lock.writing {
                    if trainedOrOutgrown, trainingIsDue { return nil }
                    trainingRuns = false
                    defer { trainingWaiters = [] }
                    return trainingWaiters
                }
                guard let waiters else { continue }
                for waiter in waiters { waiter.resume() }
                return
            }
        }
        thread.name = "likeness index training"
        thread.start()
    }

    /// One training: new centroids and quantizer from a sample of a snapshot, the lists
    /// rebuilt from the snapshot, the changes made meanwhile replayed, and the result swapped
    /// in and written. Returns false if there was too little to train on.
    private func trainOnce() -> Bool {
        // Written first, so the snapshot is views of the file rather than memory it shares
        // with the live lists, and the entries appended since the last write are not held
        // twice once the live lists move on.
        try? persist()
        let (snapshot, generation, configuration) = lock.writing {
            journal = []
            return (contents.snapshot, self.generation, self.configuration)
        }
        let listCount = Int((configuration.listsPerSqrtCount * Double(snapshot.count).squareRoot()).rounded())
        guard let (coarse, quantizer) = snapshot.trainQuantizers(
            listCount: listCount, pointsPerList: configuration.trainingPointsPerList, iterations: configuration.kMeansIterations) else {
            lock.writing { journal = nil }
            return false
        }
        var rebuilt: InvertedLists? = snapshot.rebuilt(coarse: coarse, quantizer: quantizer)
        // Replay the journal while searches and changes go on, one change (a batch) per hold
        // of the shared lock, until at most a thousand entries are left for the exclusive step
        // at the end (replaying 16 batches of 10,000 there held searches up for a second).
        // `rebuilt` is changed in place, never through a copy: a copy shares the lists' arrays,
        // and the first change to each list would then copy it whole (at ten million entries
        // every batch copied gigabytes).
        var replayed = 0
        while rebuilt != nil {
            let caughtUp: Bool? = lock.reading {
                guard generation == self.generation, let journal else { return nil }
                // Outgrown while training (a bulk load): lists already trained serve until a
                // training of what is there now, which starts next, instead of this result
                // with the whole load replayed into it.
                if contents.isTrained, contents.count >= snapshot.count * configuration.retrainingGrowth { return nil }
                guard journal[replayed...].reduce(0, { $0 + $1.size }) > 1_000 else { return true }
                rebuilt!.replay(journal[replayed ... replayed], from: contents)
                replayed += 1
                return false
            }
            if caughtUp == nil { rebuilt = nil }
            if caughtUp != false { break }
        }
        // The replaced contents come out of the exclusive step to be freed after it: freeing
        // ten million entries' locations is no work for searches to wait on.
        var replaced: InvertedLists? = lock.writing {
            defer { journal = nil }
            guard rebuilt != nil, generation == self.generation, let journal else { return nil }
            rebuilt!.replay(journal[replayed...], from: contents)
            rebuilt!.appliedSequence = contents.appliedSequence
            let previous = contents
            contents = rebuilt!
            rebuilt = nil
            replacements += 1
            swappedTrainings += 1
            return previous
        }
        let swapped = replaced != nil
        replaced = nil
        // Written at once, so a restart does not train again; a failure here leaves the
        // previous file, which the next persist replaces.
        if swapped { try? persist() }
        return true
    }

    public func nearest(to query: FaceTemplate, k: Int, in collections: Set<CollectionID>?) throws -> [Neighbor] {
        query.values.withUnsafeBufferPointer { query in
            lock.reading {
                contents.nearest(to: query.baseAddress!, k: k, in: collections, probes: probesPerSearchNow,
                                 refineFactor: configuration.refineFactor)
            }
        }
    }

    /// Writes a snapshot of the contents, taken under the lock but written outside it, so
    /// searches and changes go on meanwhile. (Written under the shared lock, as before, a
    /// change arriving during the write waited for it, and every search queued behind that
    /// change: seconds at ten million entries.) Then every list becomes a view of the written
    /// file as far as the file holds it (see `InvertedLists.adoptStorage`), which frees
    /// memory and lets go of the previous file.
    public func persist() throws {
        try persisting.withLock {
            // A copy of the lists' arrays costs nothing until a change, which then copies
            // only the entries of that list held in memory.
            let (snapshot, written) = lock.reading { (contents.snapshot, replacements) }
            try IndexFile.write(snapshot, to: file)
            guard let writtenContents = try IndexFile.load(file) else {
                throw IndexFileError(file: file, problem: "it vanished right after being written")
            }
            let revisions = snapshot.lists.map(\.revision)
            lock.writing {
                guard replacements == written else { return }
                contents.adoptStorage(of: writtenContents, writtenRevisions: revisions)
            }
        }
    }

    /// The applied sequence only moves forward: a rebuild inserts its pages "through 0".
    private func advance(to sequence: Int64) {
        contents.appliedSequence = max(contents.appliedSequence, sequence)
    }
}

private extension InvertedLists {
    /// Applies `changes`, made to `current` since this was its snapshot, taking inserted
    /// entries from `current` as they are now. An entry changed again later is copied in its
    /// later state and the later change repeats that; one removed later is skipped and the
    /// removal finds nothing. Either way the result ends as `current` is once all are replayed.
    mutating func replay(_ changes: ArraySlice<InProcessVectorIndex.Change>, from current: InvertedLists) {
        for change in changes {
            switch change {
            case .insert(let ids): copy(ids, from: current)
            case .remove(let ids): remove(ids)
            }
        }
    }
}
