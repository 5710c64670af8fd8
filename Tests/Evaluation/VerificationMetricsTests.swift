import LikenessEvaluation
import Testing

// genuine [0.1, 0.2, 0.3] against impostor [0.25, 0.4, 0.5, 0.6], worked by hand:
// - genuine closer than impostor: 0.1 and 0.2 beat all 4, 0.3 beats 3 → 11 of 12, AUC 11/12.
// - ROC points (FAR, TAR): (0,0) (0,1/3) (0,2/3) at 0.2, (1/4,2/3) at 0.25, (1/4,1) at 0.3, then FAR 1/2, 3/4, 1.
// - accuracy (7 pairs): at 0.2 → 2 + 4 = 6/7; at 0.25 → 2 + 3 = 5/7; at 0.3 → 3 + 3 = 6/7. Best 6/7, first at 0.2.
// - EER: FAR − FRR is −1/12 at (1/4, 2/3) and +1/4 at (1/4, 1); a quarter of the way along, FAR = FRR = 1/4.
let handGenuine: [Float] = [0.3, 0.1, 0.2]
let handImpostor: [Float] = [0.6, 0.25, 0.5, 0.4]

@Test func aucMatchesHandCount() throws {
    let metrics = VerificationMetrics(genuine: handGenuine, impostor: handImpostor)
    #expect(abs(try #require(metrics.auc) - 11.0 / 12.0) < 1e-12)
}

@Test func rocPointsMatchHandWork() {
    let roc = VerificationMetrics(genuine: handGenuine, impostor: handImpostor).roc
    let expected: [(Double, Double)] = [(0, 0), (0, 1.0 / 3), (0, 2.0 / 3), (0.25, 2.0 / 3), (0.25, 1), (0.5, 1), (0.75, 1), (1, 1)]
    #expect(roc.count == expected.count)
    for (point, (far, tar)) in zip(roc, expected) {
        #expect(abs(point.falseAcceptRate - far) < 1e-12 && abs(point.trueAcceptRate - tar) < 1e-12)
    }
    #expect(roc[0].threshold < 0.1)
    #expect(roc[3].threshold == 0.25)
}

@Test func accuracyAtThresholdsAndBest() throws {
    let metrics = VerificationMetrics(genuine: handGenuine, impostor: handImpostor)
    #expect(metrics.accuracy(atThreshold: 0.2) == 6.0 / 7)
    #expect(metrics.accuracy(atThreshold: 0.25) == 5.0 / 7)
    #expect(metrics.accuracy(atThreshold: 0.3) == 6.0 / 7)
    #expect(metrics.accuracy(atThreshold: 0) == 4.0 / 7)
    let best = try #require(metrics.bestAccuracy)
    #expect(best.accuracy == 6.0 / 7)
    #expect(best.threshold == 0.2)
}

@Test func equalErrorRateIsInterpolated() throws {
    let eer = try #require(VerificationMetrics(genuine: handGenuine, impostor: handImpostor).equalErrorRate)
    #expect(abs(eer - 0.25) < 1e-12)
}

@Test func tarAtFARTakesTheLastThresholdWithinTarget() throws {
    let metrics = VerificationMetrics(genuine: handGenuine, impostor: handImpostor)
    // With 4 impostors, FAR 1e-2 allows no false accept: TAR at FAR 0 is 2/3, at 0.2.
    let strict = try #require(metrics.tar(atFAR: 0.01))
    #expect(abs(strict.trueAcceptRate - 2.0 / 3) < 1e-12)
    #expect(strict.threshold == 0.2)
    #expect(strict.falseAccepts == 0 && strict.impostorPairs == 4)
    #expect(!strict.targetIsResolvable)
    // FAR 1/4 allows one: the curve reaches TAR 1 at 0.3.
    let loose = try #require(metrics.tar(atFAR: 0.25))
    #expect(loose.trueAcceptRate == 1)
    #expect(loose.threshold == 0.3)
    #expect(loose.targetIsResolvable)
}

@Test func perfectlySeparatedSetsGiveAUCOneAndEERZero() throws {
    let metrics = VerificationMetrics(genuine: [0.1, 0.2, 0.3], impostor: [0.5, 0.6, 0.7, 0.8])
    #expect(metrics.auc == 1)
    #expect(metrics.equalErrorRate == 0)
    #expect(metrics.bestAccuracy?.accuracy == 1)
    #expect(metrics.bestAccuracy?.threshold == 0.3)
    #expect(metrics.tar(atFAR: 0.001)?.trueAcceptRate == 1)
}

@Test func identicalDistributionsGiveAUCOneHalf() throws {
    // Three ties count 1/2 each: (3 + 1.5) / 9. The ROC is the diagonal, so EER is 1/2.
    let metrics = VerificationMetrics(genuine: [0.1, 0.2, 0.3], impostor: [0.3, 0.2, 0.1])
    #expect(abs(try #require(metrics.auc) - 0.5) < 1e-12)
    #expect(abs(try #require(metrics.equalErrorRate) - 0.5) < 1e-12)
}

@Test func allTiedAtOneDistanceGiveAUCOneHalf() throws {
    let metrics = VerificationMetrics(genuine: [0.4, 0.4], impostor: [0.4, 0.4, 0.4])
    #expect(try #require(metrics.auc) == 0.5)
}

@Test func aucEqualsMannWhitneyOnRandomScoresWithTies() throws {
    var state: UInt64 = 7
    func draw(_ offset: Float) -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return offset + Float((state >> 33) % 20) / 20  // coarse steps make many ties
    }
    let genuine = (0 ..< 57).map { _ in draw(0) }
    let impostor = (0 ..< 91).map { _ in draw(0.3) }
    var wins = 0.0
    for g in genuine {
        for i in impostor { wins += g < i ? 1 : g == i ? 0.5 : 0 }
    }
    let auc = try #require(VerificationMetrics(genuine: genuine, impostor: impostor).auc)
    #expect(abs(auc - wins / Double(genuine.count * impostor.count)) < 1e-12)
}

@Test func undefinedFiguresAreNil() {
    let onlyGenuine = VerificationMetrics(genuine: [0.1, 0.2], impostor: [])
    #expect(onlyGenuine.auc == nil && onlyGenuine.equalErrorRate == nil && onlyGenuine.tar(atFAR: 0.01) == nil)
    #expect(onlyGenuine.roc.isEmpty)
    #expect(onlyGenuine.accuracy(atThreshold: 0.15) == 0.5)
    let empty = VerificationMetrics(genuine: [], impostor: [])
    #expect(empty.accuracy(atThreshold: 0.5) == nil && empty.bestAccuracy == nil)
}

@Test func worstErrorsAreTheFarthestRejectsAndClosestAccepts() {
    func pair(_ name: String, same: Bool, _ distance: Float) -> ScoredPair {
        ScoredPair(pair: LabelledPair(a: name + "-a", b: name + "-b", same: same), distance: distance)
    }
    let pairs = [pair("g1", same: true, 0.3), pair("g2", same: true, 0.9), pair("g3", same: true, 0.7),
                 pair("i1", same: false, 0.45), pair("i2", same: false, 0.2), pair("i3", same: false, 0.8)]
    let worst = VerificationMetrics.worstErrors(in: pairs, threshold: 0.5, limit: 1)
    #expect(worst.falseAccepts.map(\.pair.a) == ["i2-a"])
    #expect(worst.falseRejects.map(\.pair.a) == ["g2-a"])
}
