import LikenessEvaluation
import Testing

func candidate(_ identity: String?, _ distance: Float, file: String? = nil) -> RankedCandidate {
    RankedCandidate(file: file ?? "\(identity ?? "unknown")-\(distance)", identity: identity, distance: distance)
}

@Test func ranksCountIdentitiesNotPhotos() {
    // "ann": first. "bob": behind carl twice (one rank) and an unlabelled photo → rank 3.
    // "dora": behind five other people → rank 6. "eve": no other photo of her → excluded.
    let probes = [
        IdentificationProbe(file: "ann1", identity: "ann", candidates: [candidate("ann", 0.2), candidate("bob", 0.5)]),
        IdentificationProbe(file: "bob1", identity: "bob",
                            candidates: [candidate("carl", 0.3), candidate("carl", 0.31), candidate(nil, 0.32),
                                         candidate("bob", 0.4)]),
        IdentificationProbe(file: "dora1", identity: "dora",
                            candidates: ["p", "q", "r", "s", "t"].enumerated().map { candidate($1, Float($0) / 10) }
                                + [candidate("dora", 0.9)]),
        IdentificationProbe(file: "eve1", identity: "eve", candidates: [candidate("ann", 0.6)]),
    ]
    #expect(probes.map(\.rankOfIdentity) == [1, 3, 6, nil])
    let metrics = IdentificationMetrics(probes: probes)
    #expect(metrics.probes == 3 && metrics.excludedProbes == 1)
    #expect(metrics.rank1 == 1.0 / 3)
    #expect(metrics.rank5 == 2.0 / 3)
}

@Test func allAgainstAllRanksEveryLabelledPhoto() {
    // Photos on a line; distance is the gap between positions.
    let photos = [LabelledPhoto(file: "a1", identity: "a"), LabelledPhoto(file: "a2", identity: "a"),
                  LabelledPhoto(file: "b1", identity: "b"), LabelledPhoto(file: "crowd", identity: nil),
                  LabelledPhoto(file: "c1", identity: "c")]
    let positions: [Float] = [0, 0.1, 0.15, 0.5, 1]
    let probes = IdentificationProbe.allAgainstAll(photos) { abs(positions[$0] - positions[$1]) }
    #expect(probes.map(\.file) == ["a1", "a2", "b1", "c1"])
    #expect(probes[1].candidates.map(\.file) == ["b1", "a1", "crowd", "c1"])
    #expect(probes.map(\.rankOfIdentity) == [1, 2, nil, nil])
    let metrics = IdentificationMetrics(probes: probes)
    #expect(metrics.probes == 2 && metrics.excludedProbes == 2 && metrics.rank1Hits == 1 && metrics.rank5Hits == 2)
}

@Test func detectionAgreementChecksExactAndMinimumCounts() {
    let photos = [LabelledPhoto(file: "one", identity: "a", expectedFaces: 1),
                  LabelledPhoto(file: "pair", identity: nil, expectedFaces: 2),
                  LabelledPhoto(file: "crowd", identity: nil, expectedFacesMin: 5),
                  LabelledPhoto(file: "plain", identity: "b"),
                  LabelledPhoto(file: "unread", identity: "c", expectedFaces: 1)]
    let agreement = DetectionAgreement(photos: photos, detectedFaces: ["one": 1, "pair": 1, "crowd": 7, "plain": 3])
    #expect(agreement.images == 4)
    #expect(agreement.withExpected == 3)
    #expect(agreement.agree == 2)
    #expect(agreement.disagreements.map(\.file) == ["pair"])
    #expect(agreement.disagreements.first?.expected == "2")
}
