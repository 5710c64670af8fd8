import Foundation
import LikenessCore
import LikenessEvaluation
import Testing

// dlib distances .25 .25 .75 .75: mean .5, SD .25. SFace similarities −.25 .75 −.25 .75:
// mean .25, SD .5 (both divide by n = 4, and every number is exact in binary).
let handNormalisation = ScoreNormalisation(dlibMean: 0.5, dlibStandardDeviation: 0.25,
                                           sfaceMean: 0.25, sfaceStandardDeviation: 0.5)

@Test func normalisationIsEachModelsMeanAndDeviation() throws {
    let measured = try ScoreNormalisation(dlibDistances: [0.25, 0.25, 0.75, 0.75], sfaceSimilarities: [-0.25, 0.75, -0.25, 0.75])
    #expect(measured == handNormalisation)
}

@Test func fusedDistanceIsMinusTheSumOfOrientedZScores() {
    // d .5, s .75: dlib z (.5 − .5) / .25 = 0, SFace z (.75 − .25) / .5 = 1 → −1.
    #expect(handNormalisation.fusedDistance(dlibDistance: 0.5, sfaceSimilarity: 0.75) == -1)
    // d 1, s −.75: dlib z (.5 − 1) / .25 = −2, SFace z (−.75 − .25) / .5 = −2 → 4.
    #expect(handNormalisation.fusedDistance(dlibDistance: 1, sfaceSimilarity: -0.75) == 4)
    // d .375, s .25: dlib z .5, SFace z 0 → −.5.
    #expect(handNormalisation.fusedDistance(dlibDistance: 0.375, sfaceSimilarity: 0.25) == -0.5)
}

@Test func pairsAlikeUnderBothModelsFuseClosest() throws {
    let both = try #require(handNormalisation.fusedDistance(dlibDistance: 0.25, sfaceSimilarity: 0.75))
    let dlibOnly = try #require(handNormalisation.fusedDistance(dlibDistance: 0.25, sfaceSimilarity: -0.25))
    let sfaceOnly = try #require(handNormalisation.fusedDistance(dlibDistance: 0.75, sfaceSimilarity: 0.75))
    let neither = try #require(handNormalisation.fusedDistance(dlibDistance: 0.75, sfaceSimilarity: -0.25))
    #expect(both == -2 && dlibOnly == 0 && sfaceOnly == 0 && neither == 2)
    #expect(both < dlibOnly && dlibOnly < neither)
}

@Test func aMissingScoreMakesAMissingFusedDistance() {
    #expect(handNormalisation.fusedDistance(dlibDistance: nil, sfaceSimilarity: 0.5) == nil)
    #expect(handNormalisation.fusedDistance(dlibDistance: 0.5, sfaceSimilarity: nil) == nil)
}

@Test func normalisationRoundTripsThroughJSON() throws {
    let data = try JSONEncoder().encode(handNormalisation)
    #expect(try JSONDecoder().decode(ScoreNormalisation.self, from: data) == handNormalisation)

    let flat = Data(#"{"dlibMean": 0.5, "dlibStandardDeviation": 0, "sfaceMean": 0.25, "sfaceStandardDeviation": 0.5}"#.utf8)
    #expect(throws: DecodingError.self) { try JSONDecoder().decode(ScoreNormalisation.self, from: flat) }
}

@Test func normalisationNeedsPairsWithSpread() throws {
    let one = try #require(throws: ScoreNormalisationError.self) {
        try ScoreNormalisation(dlibDistances: [0.4], sfaceSimilarities: [0.6])
    }
    #expect(one.description == "score normalisation needs at least 2 pairs scored by both models, not 1")
    let flat = try #require(throws: ScoreNormalisationError.self) {
        try ScoreNormalisation(dlibDistances: [0.4, 0.5, 0.6], sfaceSimilarities: [0.5, 0.5, 0.5])
    }
    #expect(flat.description == "all 3 SFace scores are equal: there is no spread to standardise by")
}

func fusionPair(_ name: String, same: Bool, fold: Int, _ dlib: Float?, _ sface: Float?) -> FusionPair {
    FusionPair(pair: LabelledPair(a: name + "-a", b: name + "-b", same: same, fold: fold), dlibDistance: dlib, sfaceSimilarity: sface)
}

// Two folds, worked by hand; each fold's pair with one score missing is left out of the
// normalisation, has a missing fused distance, and is a right "different" verdict.
// - Fold 2 is tested under fold 1's normalisation (dlib .5 ± .25, SFace .25 ± .5, as above):
//   fold 1 fuses to −2 (same) and 2 (different), so the threshold is −2. Fold 2's same pairs
//   fuse to −(1.5 + 1.5) = −3, accepted; its different pairs to −(.5 − .5) = 0, rejected.
// - Fold 1 is tested under fold 2's (dlib .25 ± .125, SFace .5 ± .5): fold 2 fuses to −2 and 2,
//   threshold −2. Fold 1's same pairs fuse to −(0 + .5) = −.5, rejected: 2 errors; its different
//   pairs to −(−4 − 1.5) = 5.5, rejected.
let handFusionPairs: [FusionPair] = [
    fusionPair("f1s1", same: true, fold: 1, 0.25, 0.75), fusionPair("f1s2", same: true, fold: 1, 0.25, 0.75),
    fusionPair("f1d1", same: false, fold: 1, 0.75, -0.25), fusionPair("f1d2", same: false, fold: 1, 0.75, -0.25),
    fusionPair("f1d3", same: false, fold: 1, nil, 0.9),
    fusionPair("f2s1", same: true, fold: 2, 0.125, 1), fusionPair("f2s2", same: true, fold: 2, 0.125, 1),
    fusionPair("f2d1", same: false, fold: 2, 0.375, 0), fusionPair("f2d2", same: false, fold: 2, 0.375, 0),
    fusionPair("f2d3", same: false, fold: 2, 0.3, nil),
]

@Test func crossFoldFusionMatchesHandWork() throws {
    let result = try LFWProtocol(fusing: handFusionPairs)
    #expect(result.folds.map(\.normalisation) == [
        ScoreNormalisation(dlibMean: 0.25, dlibStandardDeviation: 0.125, sfaceMean: 0.5, sfaceStandardDeviation: 0.5),
        handNormalisation,
    ])
    #expect(result.folds.map(\.threshold) == [-2, -2])
    #expect(result.folds.map(\.errors) == [2, 0])
    #expect(result.folds.map(\.pairs) == [5, 5])
    #expect(result.folds.map(\.missingDistances) == [1, 1])
    // Pooled, out-of-fold: same −.5 −.5 −3 −3; different 5.5 5.5 0 0 and 2 missing. 6 impostor
    // pairs allow no false accept; everything below the closest impostor (0) is accepted.
    let tar = try #require(result.tarAtFAR)
    #expect(tar.trueAcceptRate == 1 && tar.threshold == -0.5 && tar.impostorPairs == 6)
}

@Test func crossFoldFusionNormalisesOnTheTrainingFoldsOnly() throws {
    let original = try LFWProtocol(fusing: handFusionPairs)
    // Fold 2's scores moved far off and reversed: fold 2's normalisation and threshold, both
    // from fold 1, stay; fold 1's, from fold 2, change.
    let moved = handFusionPairs.map { pair -> FusionPair in
        guard pair.pair.fold == 2 else { return pair }
        return fusionPair(pair.pair.a, same: pair.pair.same, fold: 2,
                          pair.dlibDistance.map { $0 * 3 + (pair.pair.same ? 1 : 0) }, pair.sfaceSimilarity.map { $0 - 7 })
    }
    let result = try LFWProtocol(fusing: moved)
    #expect(result.folds[1].normalisation == original.folds[1].normalisation)
    #expect(result.folds[1].threshold == original.folds[1].threshold)
    #expect(result.folds[1].errors == 2)
    #expect(result.folds[0].normalisation != original.folds[0].normalisation)
}

@Test func crossFoldFusionNamesTheFoldWithoutANormalisation() throws {
    let fold1Unscored = handFusionPairs.map { pair -> FusionPair in
        guard pair.pair.fold == 1 else { return pair }
        return fusionPair(pair.pair.a, same: pair.pair.same, fold: 1, pair.dlibDistance, nil)
    }
    let error = try #require(throws: EvaluationError.self) { try LFWProtocol(fusing: fold1Unscored) }
    #expect(error.description == "fold 2: on the other folds, score normalisation needs at least 2 pairs scored by both models, not 0")
}
