import LikenessEvaluation
import Testing

func lfwPair(_ name: String, same: Bool, fold: Int?, _ distance: Float?) -> LFWScoredPair {
    LFWScoredPair(pair: LabelledPair(a: name + "-a", b: name + "-b", same: same, fold: fold), distance: distance)
}

// Three folds of four pairs, worked by hand. "Correct" counts the scored pairs of the other
// folds; their missing pairs add the same count at every threshold.
// - fold 1, trained on 2 and 3: same .3 .4 .35, different .2 .8 .5. Correct at .2: 2, .3: 3,
//   .35: 4, .4: 5, .5: 4, .8: 3 → threshold .4. Fold 1 at .4: no error, accuracy 1.
// - fold 2, trained on 1 and 3: same .1 .2 .35, different .6 .7 .5 → .35 (all 6 right). Fold 2
//   at .35: same .4 rejected, different .2 accepted → 2 errors, accuracy .5.
// - fold 3, trained on 1 and 2: same .1 .2 .3 .4, different .6 .7 .2 .8. Correct at .1: 5,
//   .2: 5, .3: 6, .4: 7, .6: 6 → .4. Fold 3 at .4: the missing same pair is the one error, the
//   missing different pair is right → accuracy .75.
// Mean (1 + .5 + .75) / 3 = .75; sample SD √((.25² + .25² + 0) / 2) = .25; 3 errors of 12.
// Pooled TAR at FAR 1e-3: 6 impostor pairs (the missing one included) allow no false accept;
// the closest impostor is .2, so only genuine .1 is accepted, of 6 genuine pairs → 1/6.
let handLFWPairs: [LFWScoredPair] = [
    lfwPair("f1s1", same: true, fold: 1, 0.1), lfwPair("f1s2", same: true, fold: 1, 0.2),
    lfwPair("f1d1", same: false, fold: 1, 0.6), lfwPair("f1d2", same: false, fold: 1, 0.7),
    lfwPair("f2s1", same: true, fold: 2, 0.3), lfwPair("f2s2", same: true, fold: 2, 0.4),
    lfwPair("f2d1", same: false, fold: 2, 0.2), lfwPair("f2d2", same: false, fold: 2, 0.8),
    lfwPair("f3s1", same: true, fold: 3, 0.35), lfwPair("f3s2", same: true, fold: 3, nil),
    lfwPair("f3d1", same: false, fold: 3, 0.5), lfwPair("f3d2", same: false, fold: 3, nil),
]

@Test func lfwFoldsMatchHandWork() throws {
    // Shuffled, so the result cannot rest on the pairs arriving fold by fold.
    let result = try LFWProtocol(pairs: [handLFWPairs[7], handLFWPairs[2], handLFWPairs[11], handLFWPairs[0],
                                         handLFWPairs[5], handLFWPairs[9], handLFWPairs[3], handLFWPairs[10],
                                         handLFWPairs[1], handLFWPairs[8], handLFWPairs[4], handLFWPairs[6]])
    #expect(result.folds.map(\.fold) == [1, 2, 3])
    #expect(result.folds.map(\.threshold) == [0.4, 0.35, 0.4])
    #expect(result.folds.map(\.errors) == [0, 2, 1])
    #expect(result.folds.map(\.pairs) == [4, 4, 4])
    #expect(result.folds.map(\.missingDistances) == [0, 0, 2])
    #expect(result.folds.map(\.accuracy) == [1, 0.5, 0.75])
    #expect(result.folds.allSatisfy { $0.normalisation == nil })
    #expect(result.meanAccuracy == 0.75)
    #expect(result.accuracyStandardDeviation == 0.25)
    #expect(result.errors == 3 && result.pairCount == 12 && result.missingDistances == 2)

    let tar = try #require(result.tarAtFAR)
    #expect(tar.targetFAR == 1e-3)
    #expect(tar.trueAcceptRate == 1.0 / 6)
    #expect(tar.threshold == 0.1)
    #expect(tar.falseAccepts == 0 && tar.impostorPairs == 6)
    #expect(!tar.targetIsResolvable)
}

@Test func aMissingDistanceIsADifferentVerdict() throws {
    // Fold 2 is tested at .1 (fold 1: same .1, different .9): .05 and .8 are right, the missing
    // same pair is wrong and the missing different pair right. Fold 1 is tested at .05 (fold 2's
    // scored pairs), which rejects same .1.
    let pairs = [lfwPair("s1", same: true, fold: 1, 0.1), lfwPair("d1", same: false, fold: 1, 0.9),
                 lfwPair("s2", same: true, fold: 2, 0.05), lfwPair("d2", same: false, fold: 2, 0.8),
                 lfwPair("missingSame", same: true, fold: 2, nil), lfwPair("missingDifferent", same: false, fold: 2, nil)]
    let result = try LFWProtocol(pairs: pairs)
    #expect(result.folds.map(\.threshold) == [0.05, 0.1])
    #expect(result.folds[1].errors == 1 && result.folds[1].pairs == 4 && result.folds[1].missingDistances == 2)
    #expect(result.folds[1].accuracy == 0.75)

    // Scoring the missing same pair within the threshold removes the error; scoring the missing
    // different pair within it adds one.
    var scored = pairs
    scored[4].distance = 0.05
    #expect(try LFWProtocol(pairs: scored).folds[1].errors == 0)
    scored[5].distance = 0.05
    #expect(try LFWProtocol(pairs: scored).folds[1].errors == 1)
}

@Test func aFoldsThresholdIgnoresItsOwnPairs() throws {
    let original = try LFWProtocol(pairs: handLFWPairs)
    for fold in 1 ... 3 {
        // Reverse the fold's verdicts: its same pairs far, its different pairs close.
        let changed = handLFWPairs.map { scored -> LFWScoredPair in
            guard scored.pair.fold == fold, scored.distance != nil else { return scored }
            var changed = scored
            changed.distance = scored.pair.same ? 0.95 : 0.01
            return changed
        }
        let result = try LFWProtocol(pairs: changed)
        #expect(result.folds[fold - 1].threshold == original.folds[fold - 1].threshold)
        #expect(result.folds[fold - 1].errors > original.folds[fold - 1].errors)
    }
}

@Test func lfwNeedsTwoFoldsAndAFoldForEveryPair() throws {
    let oneFold = handLFWPairs.filter { $0.pair.fold == 1 }
    let error = try #require(throws: EvaluationError.self) { try LFWProtocol(pairs: oneFold) }
    #expect(error.description == "the LFW protocol needs at least 2 folds, not 1")

    let unfolded = handLFWPairs + [lfwPair("loose", same: true, fold: nil, 0.1)]
    let missingFold = try #require(throws: EvaluationError.self) { try LFWProtocol(pairs: unfolded) }
    #expect(missingFold.description == "the LFW protocol needs a fold for every pair; loose-a – loose-b has none")

    let unscoredFold = [lfwPair("s1", same: true, fold: 1, 0.1), lfwPair("d1", same: false, fold: 1, 0.9),
                        lfwPair("s2", same: true, fold: 2, nil), lfwPair("d2", same: false, fold: 2, nil)]
    let noThreshold = try #require(throws: EvaluationError.self) { try LFWProtocol(pairs: unscoredFold) }
    #expect(noThreshold.description == "fold 1: the other folds have no scored pair to choose a threshold on")
}

@Test func pairFilesMayGiveFolds() throws {
    let directory = try scratchDirectory()
    let labels = sampleLabels(identities: ["a", "a", "b"])
    let folded = try write("""
        {"a": "p0.jpg", "b": "p1.jpg", "same": true, "fold": 3}
        {"a": "p0.jpg", "b": "p2.jpg", "same": false, "fold": 10}
        {"a": "p1.jpg", "b": "p2.jpg", "same": false, "fold": null}
        """, to: "folded.jsonl", in: directory)
    #expect(try PairList.load(file: folded, labels: labels) == [
        LabelledPair(a: "p0.jpg", b: "p1.jpg", same: true, fold: 3),
        LabelledPair(a: "p0.jpg", b: "p2.jpg", same: false, fold: 10),
        LabelledPair(a: "p1.jpg", b: "p2.jpg", same: false, fold: nil),
    ])

    let plain = try write("{\"a\": \"p0.jpg\", \"b\": \"p1.jpg\", \"same\": true}", to: "plain.jsonl", in: directory)
    #expect(try PairList.load(file: plain, labels: labels).map(\.fold) == [nil])

    for bad in ["\"3\"", "2.5", "true"] {
        let path = try write("{\"a\": \"p0.jpg\", \"b\": \"p1.jpg\", \"same\": true, \"fold\": 1}\n"
            + "{\"a\": \"p0.jpg\", \"b\": \"p2.jpg\", \"same\": false, \"fold\": \(bad)}", to: "bad.jsonl", in: directory)
        let error = try #require(throws: EvaluationError.self) { try PairList.load(file: path, labels: labels) }
        #expect(error.description == path + ":2: \"fold\" must be a whole number")
    }
}
