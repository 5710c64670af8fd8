import LikenessCore
import LikenessEvaluation
import Testing

@Test func calibrationPicksTheLargestThresholdWithinTheTarget() throws {
    // 1,000 impostors at 0.500, 0.501, …; FMR 1e-2 allows 10 false matches, so the threshold
    // lies just below the 11th closest (0.510); FMR 1e-3 allows 1: just below 0.501.
    let impostor = (0 ..< 1_000).map { Float(0.5) + Float($0) / 1_000 }
    let genuine: [Float] = [0.2, 0.4, 0.5005, 0.505, 0.52]
    let calibration = try Calibration(genuine: genuine, impostor: impostor, targetFMR: 0.01, source: "test")
    let possible = calibration.possible, strong = calibration.strong

    #expect(possible.threshold == impostor[10].nextDown)
    #expect(possible.falseMatches == 10 && possible.targetIsResolvable)
    #expect(possible.trueMatches == 4)
    #expect(strong.threshold == impostor[1].nextDown)
    #expect(strong.falseMatches == 1 && strong.targetIsResolvable)
    #expect(strong.trueMatches == 3)
    #expect(calibration.thresholds.possible == possible.threshold)
    #expect(calibration.thresholds.strong == strong.threshold)
    #expect(calibration.thresholds.band(forDistance: impostor[1]) == .possible)
    #expect(calibration.thresholds.band(forDistance: impostor[10]) == .weak)
    #expect(calibration.thresholds.measuredOn.hasPrefix("test: 5 same-person, 1,000 different-person pairs"))
    #expect(!calibration.thresholds.measuredOn.contains("cannot"))
}

@Test func calibrationSaysWhenTheTargetCannotBeResolved() throws {
    // 1,743 impostor pairs: FMR 1e-3 allows 1 false match, FMR 1e-4 none.
    let impostor = (0 ..< 1_743).map { Float(0.518) + Float($0) / 10_000 }
    let genuine: [Float] = [0.3, 0.45, 0.5, 0.51805, 0.7]
    let calibration = try Calibration(genuine: genuine, impostor: impostor, targetFMR: 0.001, source: "labels.jsonl")

    #expect(!calibration.strong.targetIsResolvable)
    #expect(calibration.strong.threshold == Float(0.518).nextDown)
    #expect(calibration.strong.falseMatches == 0)
    #expect(calibration.strong.trueMatches == 3)
    #expect(calibration.possible.targetIsResolvable)
    #expect(calibration.possible.falseMatches == 1)
    #expect(calibration.possible.trueMatches == 4)
    let text = calibration.thresholds.measuredOn
    #expect(text.contains("1,743 different-person pairs cannot show FMR 1e-4"))
    #expect(text.contains("strong ≤ \(Float(0.518).nextDown) (target FMR 1e-4)"))
    #expect(text.contains("just below the closest different-person pair (0.518)"))
    #expect(text.contains("FMR 1/1,743 = 5.7e-4"))
    #expect(text.contains("TMR 60.0%") && text.contains("TMR 80.0%"))
}

@Test func tiedImpostorsAreNotSplitByTheThreshold() throws {
    // 100 impostors, FMR 2e-2 allows two, but the 2nd and 3rd closest are tied: only one fits.
    let impostor: [Float] = [0.4, 0.45, 0.45] + (0 ..< 97).map { _ in 0.9 }
    let calibration = try Calibration(genuine: [0.1], impostor: impostor, targetFMR: 0.02, source: "ties")
    #expect(calibration.possible.falseMatches == 1)
    #expect(calibration.possible.threshold == Float(0.45).nextDown)
}

@Test func calibrationRejectsBadInputs() {
    #expect(throws: EvaluationError.self) { try Calibration(genuine: [0.1], impostor: [], targetFMR: 0.001, source: "x") }
    #expect(throws: EvaluationError.self) { try Calibration(genuine: [0.1], impostor: [0.5], targetFMR: 0, source: "x") }
}
