import LikenessCore
/// A labelled pair and its distance (lower is more alike), nil when no face was found in one of
/// its photos. The LFW protocol keeps such a pair, classified "different", rather than leaving
/// it out: dropping the pairs a pipeline fails on would flatter the pipeline.
public struct LFWScoredPair: Sendable, Hashable {
    public var pair: LabelledPair
    public var distance: Float?

    public init(pair: LabelledPair, distance: Float?) {
        self.pair = pair
        self.distance = distance
    }
}

/// The LFW View-2 protocol: each fold is tested at the threshold that classifies the pairs of
/// all the other folds best, so no fold's accuracy comes from a threshold fitted to that fold.
/// A pair is classified "same" when its distance is at or below the threshold; a pair with a
/// missing distance is classified "different" at every threshold, so it is an error exactly
/// when it is a same-person pair.
public struct LFWProtocol: Sendable {
    /// One test fold.
    public struct Fold: Sendable, Hashable {
        public var fold: Int
        /// Chosen on the other folds: the observed distance there that gives the best accuracy,
        /// the smallest one when several tie (as `VerificationMetrics.bestAccuracy` chooses).
        public var threshold: Float
        public var errors: Int
        public var pairs: Int
        /// Pairs of this fold with a missing distance, all classified "different".
        public var missingDistances: Int
        /// For fused scores, the normalisation measured on the other folds' pairs that this
        /// fold's distances and threshold were computed with; nil for a single model.
        public var normalisation: ScoreNormalisation?

        public var accuracy: Double { 1 - Double(errors) / Double(pairs) }
    }

    /// The FAR at which `tarAtFAR` is read.
    public static let targetFAR = 1e-3

    /// In ascending fold order.
    public let folds: [Fold]
    /// TAR at FAR 1e-3 over the pairs of all folds pooled, each at its distance from the run
    /// that tested its fold (the same for a single model; for fused scores, under the
    /// normalisation of the other folds). Pairs with a missing distance are rejected but still
    /// counted, so they lower the TAR and their impostor pairs widen the FAR's denominator. The
    /// figure rests on the impostor pairs: LFW's 3,000 allow 3 false accepts at 1e-3 (the 2,400
    /// of folds 3–10 allow 2), and with fewer than 1,000 none is allowed, so `targetIsResolvable`
    /// is false and the TAR is the one at FAR 0. Nil unless there are both same- and
    /// different-person pairs.
    public let tarAtFAR: TARAtFAR?

    /// The unweighted mean of the folds' accuracies, as LFW reports it.
    public var meanAccuracy: Double { folds.reduce(0) { $0 + $1.accuracy } / Double(folds.count) }

    /// The sample standard deviation (n − 1) of the folds' accuracies, LFW's "±".
    public var accuracyStandardDeviation: Double {
        let mean = meanAccuracy
        let squares = folds.reduce(0) { $0 + ($1.accuracy - mean) * ($1.accuracy - mean) }
        return (squares / Double(folds.count - 1)).squareRoot()
    }

    public var errors: Int { folds.reduce(0) { $0 + $1.errors } }
    public var pairCount: Int { folds.reduce(0) { $0 + $1.pairs } }
    public var missingDistances: Int { folds.reduce(0) { $0 + $1.missingDistances } }

    /// Runs the protocol on one model's distances. Every pair needs a fold, and there must be at
    /// least 2 folds.
    public init(pairs: [LFWScoredPair]) throws {
        let distances = pairs.map(\.distance)
        try self.init(labelled: pairs.map(\.pair)) { _ in (distances, nil) }
    }

    /// Runs the protocol on two models' scores fused by `ScoreNormalisation`, measuring the
    /// normalisation for each test fold on the pairs of the other folds that both models scored,
    /// so the test fold's own scores shape neither its threshold nor its scale. A pair either
    /// model did not score has a missing fused distance.
    public init(fusing pairs: [FusionPair]) throws {
        try self.init(labelled: pairs.map(\.pair)) { testFold in
            var dlibDistances: [Float] = [], sfaceSimilarities: [Float] = []
            for pair in pairs where pair.pair.fold != testFold {
                guard let dlibDistance = pair.dlibDistance, let sfaceSimilarity = pair.sfaceSimilarity else { continue }
                dlibDistances.append(dlibDistance)
                sfaceSimilarities.append(sfaceSimilarity)
            }
            let normalisation: ScoreNormalisation
            do {
                normalisation = try ScoreNormalisation(dlibDistances: dlibDistances, sfaceSimilarities: sfaceSimilarities)
            } catch let error as ScoreNormalisationError {
                throw EvaluationError("fold \(testFold): on the other folds, \(error.description)")
            }
            let distances = pairs.map {
                normalisation.fusedDistance(dlibDistance: $0.dlibDistance, sfaceSimilarity: $0.sfaceSimilarity)
            }
            return (distances, normalisation)
        }
    }

    /// - Parameter run: every pair's distance (in `labelled`'s order) for testing one fold, and
    ///   the normalisation they were computed with, if any. Only the pairs of the other folds
    ///   choose the threshold.
    private init(labelled: [LabelledPair],
                 run: (_ testFold: Int) throws -> (distances: [Float?], normalisation: ScoreNormalisation?)) throws {
        var foldOfPair: [Int] = []
        for pair in labelled {
            guard let fold = pair.fold else { throw EvaluationError("the LFW protocol needs a fold for every pair; \(pair.a) – \(pair.b) has none") }
            foldOfPair.append(fold)
        }
        let foldNumbers = Set(foldOfPair).sorted()
        guard foldNumbers.count >= 2 else {
            throw EvaluationError("the LFW protocol needs at least 2 folds, not \(foldNumbers.count)")
        }

        var folds: [Fold] = []
        var testedDistances = [Float?](repeating: nil, count: labelled.count)
        for testFold in foldNumbers {
            let (distances, normalisation) = try run(testFold)
            precondition(distances.count == labelled.count, "a distance for every pair")
            if let index = distances.firstIndex(where: { $0?.isNaN ?? false }) {
                throw EvaluationError("\(labelled[index].a) – \(labelled[index].b): the distance is not a number")
            }
            // Missing distances of the other folds add the same count of right answers (their
            // different-person pairs) at every threshold, so the best threshold over the scored
            // pairs alone is the best over them all.
            let training = labelled.indices.compactMap { index -> ScoredPair? in
                guard foldOfPair[index] != testFold, let distance = distances[index] else { return nil }
                return ScoredPair(pair: labelled[index], distance: distance)
            }
            guard let threshold = VerificationMetrics(pairs: training).bestAccuracy?.threshold else {
                throw EvaluationError("fold \(testFold): the other folds have no scored pair to choose a threshold on")
            }
            var errors = 0, pairs = 0, missing = 0
            for index in labelled.indices where foldOfPair[index] == testFold {
                pairs += 1
                testedDistances[index] = distances[index]
                let acceptedAsSame: Bool
                if let distance = distances[index] {
                    acceptedAsSame = distance <= threshold
                } else {
                    missing += 1
                    acceptedAsSame = false
                }
                if acceptedAsSame != labelled[index].same { errors += 1 }
            }
            folds.append(Fold(fold: testFold, threshold: threshold, errors: errors, pairs: pairs,
                              missingDistances: missing, normalisation: normalisation))
        }
        self.folds = folds

        // A missing distance enters as +∞: above every finite threshold, so rejected at each
        // threshold the TAR can be read at (the one at +∞ accepts every impostor, beyond any FAR
        // below 1), while it still counts in its kind's denominator.
        let pooled = labelled.indices.map { (same: labelled[$0].same, distance: testedDistances[$0] ?? .infinity) }
        tarAtFAR = VerificationMetrics(genuine: pooled.filter(\.same).map(\.distance),
                                       impostor: pooled.filter { !$0.same }.map(\.distance))
            .tar(atFAR: Self.targetFAR)
    }
}
