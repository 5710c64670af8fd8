/// A labelled pair and the distance between its photos' templates (lower is more alike).
public struct ScoredPair: Sendable, Hashable {
    public var pair: LabelledPair
    public var distance: Float

    public init(pair: LabelledPair, distance: Float) {
        self.pair = pair
        self.distance = distance
    }
}

/// A point of the ROC curve: what accepting every pair at or below `threshold` as the same
/// person does.
public struct ROCPoint: Sendable, Hashable {
    public var threshold: Float
    public var falseAcceptRate: Double
    public var trueAcceptRate: Double
}

/// The true-accept rate at a target false-accept rate, with what the measurement rests on.
public struct TARAtFAR: Sendable, Hashable {
    public var targetFAR: Double
    /// The highest TAR among thresholds whose measured FAR is at most the target.
    public var trueAcceptRate: Double
    /// The largest such threshold (an observed distance, or just below the smallest one).
    public var threshold: Float
    public var falseAccepts: Int
    public var impostorPairs: Int

    public var measuredFAR: Double { Double(falseAccepts) / Double(impostorPairs) }

    /// Whether one false accept among the impostor pairs stays within the target, that is,
    /// whether the data can show a FAR as small as the target at all. When it cannot, the TAR
    /// is the one at measured FAR 0, and FAR 0 of n pairs only bounds the true FAR to about
    /// 3/n (95% confidence): the figure is then the best the data can say, not a measurement
    /// at the target.
    public var targetIsResolvable: Bool { allowedFalseAccepts(rate: targetFAR, among: impostorPairs) >= 1 }
}

/// Verification figures from same-person (genuine) and different-person (impostor) distances.
/// A pair counts as accepted, "the same person", when its distance is at or below the threshold.
public struct VerificationMetrics: Sendable {
    /// Genuine distances, ascending.
    public let genuine: [Float]
    /// Impostor distances, ascending.
    public let impostor: [Float]
    /// Accepted counts at every threshold that changes them: just below the smallest distance
    /// (accepting nothing), then each distinct distance, ascending.
    private let steps: [Step]

    private struct Step: Sendable {
        var threshold: Float
        var acceptedGenuine: Int
        var acceptedImpostor: Int
    }

    public init(genuine: [Float], impostor: [Float]) {
        precondition(!genuine.contains(where: \.isNaN) && !impostor.contains(where: \.isNaN), "distances are numbers")
        self.genuine = genuine.sorted()
        self.impostor = impostor.sorted()

        let smallest = min(self.genuine.first ?? .infinity, self.impostor.first ?? .infinity)
        var steps: [Step] = smallest.isFinite ? [Step(threshold: smallest.nextDown, acceptedGenuine: 0, acceptedImpostor: 0)] : []
        var g = 0, i = 0
        while g < self.genuine.count || i < self.impostor.count {
            let distance = min(g < self.genuine.count ? self.genuine[g] : .infinity,
                               i < self.impostor.count ? self.impostor[i] : .infinity)
            while g < self.genuine.count, self.genuine[g] == distance { g += 1 }
            while i < self.impostor.count, self.impostor[i] == distance { i += 1 }
            steps.append(Step(threshold: distance, acceptedGenuine: g, acceptedImpostor: i))
        }
        self.steps = steps
    }

    public init(pairs: [ScoredPair]) {
        self.init(genuine: pairs.filter(\.pair.same).map(\.distance),
                  impostor: pairs.filter { !$0.pair.same }.map(\.distance))
    }

    public var pairCount: Int { genuine.count + impostor.count }

    /// The fraction of pairs classified correctly at `threshold`; nil without pairs.
    public func accuracy(atThreshold threshold: Float) -> Double? {
        guard pairCount > 0 else { return nil }
        let correct = countAtOrBelow(threshold, in: genuine) + impostor.count - countAtOrBelow(threshold, in: impostor)
        return Double(correct) / Double(pairCount)
    }

    /// The best accuracy any threshold reaches, and the threshold. Only observed distances (and
    /// one just below the smallest) are tried, not midpoints: accuracy changes only at them.
    /// When several thresholds tie, the smallest is given, as it accepts the fewest impostors.
    public var bestAccuracy: (accuracy: Double, threshold: Float)? {
        var best: Step?
        func correct(_ step: Step) -> Int { step.acceptedGenuine + impostor.count - step.acceptedImpostor }
        for step in steps where best.map({ correct(step) > correct($0) }) ?? true {
            best = step
        }
        return best.map { (Double(correct($0)) / Double(pairCount), $0.threshold) }
    }

    /// The ROC curve from (0, 0) to (1, 1), one point per distinct distance; empty unless there
    /// are both genuine and impostor pairs. A distance shared by genuine and impostor pairs
    /// gives a diagonal segment, which the trapezoid rule credits by half, as it should.
    public var roc: [ROCPoint] {
        guard !genuine.isEmpty, !impostor.isEmpty else { return [] }
        return steps.map {
            ROCPoint(threshold: $0.threshold,
                     falseAcceptRate: Double($0.acceptedImpostor) / Double(impostor.count),
                     trueAcceptRate: Double($0.acceptedGenuine) / Double(genuine.count))
        }
    }

    /// Area under the ROC curve by the trapezoid rule: the probability that a random genuine
    /// pair is closer than a random impostor pair, ties counting one half.
    public var auc: Double? {
        let curve = roc
        guard !curve.isEmpty else { return nil }
        return zip(curve, curve.dropFirst()).reduce(0) { area, segment in
            let (left, right) = segment
            return area + (right.falseAcceptRate - left.falseAcceptRate) * (left.trueAcceptRate + right.trueAcceptRate) / 2
        }
    }

    /// The TAR at the largest threshold whose measured FAR is at most `target`; see
    /// `TARAtFAR.targetIsResolvable` for when the impostor pairs are too few.
    public func tar(atFAR target: Double) -> TARAtFAR? {
        guard !genuine.isEmpty, !impostor.isEmpty else { return nil }
        let allowed = allowedFalseAccepts(rate: target, among: impostor.count)
        guard let step = steps.last(where: { $0.acceptedImpostor <= allowed }) else { return nil }
        return TARAtFAR(targetFAR: target,
                        trueAcceptRate: Double(step.acceptedGenuine) / Double(genuine.count),
                        threshold: step.threshold, falseAccepts: step.acceptedImpostor, impostorPairs: impostor.count)
    }

    /// The equal error rate: where FAR equals FRR (1 − TAR), found where the ROC curve, taken
    /// as straight segments between its points, crosses the line TAR = 1 − FAR.
    public var equalErrorRate: Double? {
        let curve = roc
        guard let crossing = curve.firstIndex(where: { $0.falseAcceptRate >= 1 - $0.trueAcceptRate }) else { return nil }
        let after = curve[crossing]
        guard crossing > 0 else { return after.falseAcceptRate }
        let before = curve[crossing - 1]
        // FAR − FRR is negative at `before`, not negative at `after`, and linear between.
        let gapBefore = before.falseAcceptRate - (1 - before.trueAcceptRate)
        let gapAfter = after.falseAcceptRate - (1 - after.trueAcceptRate)
        let fraction = -gapBefore / (gapAfter - gapBefore)
        return before.falseAcceptRate + fraction * (after.falseAcceptRate - before.falseAcceptRate)
    }

    /// The errors at `threshold` that most deserve a look: different-person pairs accepted,
    /// closest first, and same-person pairs rejected, farthest first; at most `limit` of each.
    public static func worstErrors(in pairs: [ScoredPair], threshold: Float, limit: Int)
        -> (falseAccepts: [ScoredPair], falseRejects: [ScoredPair]) {
        let falseAccepts = pairs.filter { !$0.pair.same && $0.distance <= threshold }.sorted { $0.distance < $1.distance }
        let falseRejects = pairs.filter { $0.pair.same && $0.distance > threshold }.sorted { $0.distance > $1.distance }
        return (Array(falseAccepts.prefix(limit)), Array(falseRejects.prefix(limit)))
    }
}

/// How many of `count` impostor pairs may be accepted while the rate stays at most `rate`. The
/// tolerance keeps a product such as 0.01 × 300, which floating point puts a hair under 3, from
/// losing a whole false accept.
func allowedFalseAccepts(rate: Double, among count: Int) -> Int {
    Int((rate * Double(count) * (1 + 1e-9)).rounded(.down))
}

/// How many of the ascending `sorted` are at or below `value`.
func countAtOrBelow(_ value: Float, in sorted: [Float]) -> Int {
    var low = 0, high = sorted.count
    while low < high {
        let middle = (low + high) / 2
        if sorted[middle] <= value { low = middle + 1 } else { high = middle }
    }
    return low
}
