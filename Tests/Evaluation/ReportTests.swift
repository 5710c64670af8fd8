import Foundation
import LikenessEvaluation
import Testing
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Four photos of two people in two groups, with hand-made distances.
func sampleReport() -> EvaluationReport {
    let photos = [
        LabelledPhoto(file: "ann/1.jpg", identity: "ann", expectedFaces: 1, groups: ["light": "day"]),
        LabelledPhoto(file: "ann/2 <&>.jpg", identity: "ann", groups: ["light": "day"]),
        LabelledPhoto(file: "bob/1.jpg", identity: "bob", expectedFaces: 1, groups: ["light": "night"]),
        LabelledPhoto(file: "bob/2.jpg", identity: "bob", groups: ["light": "day"]),
    ]
    let labels = LabelSet(directory: URL(fileURLWithPath: "/labels"), photos: photos)
    func scored(_ a: Int, _ b: Int, _ distance: Float) -> ScoredPair {
        ScoredPair(pair: LabelledPair(a: photos[a].file, b: photos[b].file, same: photos[a].identity == photos[b].identity),
                   distance: distance)
    }
    let pairs = [scored(0, 1, 0.3), scored(2, 3, 0.55), scored(0, 2, 0.7), scored(1, 3, 0.45)]
    let distances: [[Float]] = [[0, 0.3, 0.7, 0.6], [0.3, 0, 0.8, 0.45], [0.7, 0.8, 0, 0.55], [0.6, 0.45, 0.55, 0]]
    let probes = IdentificationProbe.allAgainstAll(photos) { distances[$0][$1] }
    return EvaluationReport(labels: labels, scoredPairs: pairs, unscoredPairs: 1, threshold: 0.5, probes: probes,
                            detectedFaces: ["ann/1.jpg": 1, "ann/2 <&>.jpg": 1, "bob/1.jpg": 2, "bob/2.jpg": 1])
}

@Test func jsonHasTheDocumentedShapeWithNumbers() throws {
    let report = sampleReport()
    let data = try JSONSerialization.data(withJSONObject: report.jsonObject, options: [.sortedKeys])
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])

    let verification = try #require(object["verification"] as? [String: Any])
    for key in ["pairs", "threshold", "accuracy", "best_accuracy", "best_threshold", "auc", "eer"] {
        #expect(verification[key] is NSNumber, "verification.\(key)")
    }
    #expect(verification["pairs"] as? Int == 4)
    #expect(verification["threshold"] as? Double == 0.5)
    // Same pairs at 0.3 and 0.55, different at 0.45 and 0.7: at 0.5, 0.3 and 0.7 are right.
    #expect(verification["accuracy"] as? Double == 0.5)
    #expect(verification["best_accuracy"] as? Double == 0.75)
    #expect(verification["best_threshold"] as? Double == 0.3)
    #expect(verification["auc"] as? Double == 0.75)
    #expect(verification["unscored_pairs"] as? Int == 1)
    let tar = try #require(verification["tar_at_far"] as? [String: Any])
    #expect(tar["0.01"] as? Double == 0.5 && tar["0.001"] as? Double == 0.5)

    // ann/1, ann/2 and bob/1 find their other photo first; bob/2 finds ann/2 (0.45) before bob/1 (0.55).
    let identification = try #require(object["identification"] as? [String: Any])
    #expect(identification["probes"] as? Int == 4)
    #expect(identification["rank1"] as? Double == 0.75)
    #expect(identification["rank5"] as? Double == 1)

    let detection = try #require(object["detection"] as? [String: Any])
    #expect(detection["images"] as? Int == 4 && detection["with_expected"] as? Int == 2 && detection["agree"] as? Int == 1)

    // Only ann/1–ann/2 and ann/2–bob/2 have both photos in "day"; "night" has one photo, no pairs.
    let groups = try #require(object["groups"] as? [String: [String: [String: Any]]])
    let day = try #require(groups["light"]?["day"]?["verification"] as? [String: Any])
    #expect(day["pairs"] as? Int == 2)
    #expect(day["auc"] as? Double == 1)
    let night = try #require(groups["light"]?["night"]?["verification"] as? [String: Any])
    #expect(night["pairs"] as? Int == 0)
    #expect(night["auc"] is NSNull)
    let nightIdentification = try #require(groups["light"]?["night"]?["identification"] as? [String: Any])
    #expect(nightIdentification["probes"] as? Int == 0 && nightIdentification["excluded_probes"] as? Int == 1)
}

@Test func textNamesTheFiguresAndGroups() {
    let text = sampleReport().text()
    #expect(text.contains("Verification: 4 pairs (2 same-person, 2 different-person); 1 more left out"))
    #expect(text.contains("AUC"))
    #expect(text.contains("2 different-person pairs cannot show FAR 1e-3"))
    #expect(text.contains("rank-1"))
    #expect(text.contains("Detection: 4 images, 2 with an expected face count, 1 agree"))
    #expect(text.contains("bob/1.jpg: expected 1, found 2"))
    #expect(text.contains("light") && text.contains("night"))
}

@Test func htmlIsSelfContainedWithEscapedNames() throws {
    let report = sampleReport()
    let crop = Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10])
    let worst = VerificationMetrics.worstErrors(in: [ScoredPair(pair: LabelledPair(a: "ann/1.jpg", b: "ann/2 <&>.jpg", same: true), distance: 0.9)],
                                                threshold: 0.5, limit: 5)
    let errors = worst.falseRejects.map { ErrorExample(pair: $0, cropA: crop, cropB: crop) }
    let html = HTMLReport.render(report, title: "Eval of <labels> & co", errors: errors)

    #expect(html.contains("<svg"))
    #expect(html.contains("<polyline class=\"roc\""))
    #expect(html.contains("<rect class=\"genuine\"") && html.contains("<rect class=\"impostor\""))
    #expect(html.contains("src=\"data:image/jpeg;base64,\(crop.base64EncodedString())\""))
    #expect(html.contains("ann/2 &lt;&amp;&gt;.jpg"))
    #expect(!html.contains("2 <&>"))
    #expect(html.contains("Eval of &lt;labels&gt; &amp; co"))
    #expect(!html.contains("<script"))
    #expect(!html.contains("https://"))

    // Written as well-formed XML, so an XML parser reads it to the end.
    let parser = XMLParser(data: Data(html.utf8))
    #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
}

@Test func rocPolylineFollowsTheCurve() throws {
    let metrics = VerificationMetrics(genuine: [0.1, 0.2], impostor: [0.3, 0.4])
    let html = HTMLReport.render(
        EvaluationReport(labels: LabelSet(directory: URL(fileURLWithPath: "/"), photos: []),
                         scoredPairs: metrics.genuine.map { ScoredPair(pair: LabelledPair(a: "g\($0)", b: "h", same: true), distance: $0) }
                            + metrics.impostor.map { ScoredPair(pair: LabelledPair(a: "i\($0)", b: "h", same: false), distance: $0) },
                         threshold: 0.25, probes: [], detectedFaces: [:]),
        title: "t", errors: [])
    // Perfect separation: up the left edge (FAR 0, x = 44) to the top (y = 44), then along the
    // top. Two impostors: the log axis spans one decade, so FAR 1/2 lies at 44 + 272 × (1 − log₁₀ 2).
    let points = try #require(html.split(separator: "\n").first { $0.contains("class=\"roc\"") })
    #expect(points.contains("points=\"44.0,316.0 44.0,180.0 44.0,44.0 234.1,44.0 316.0,44.0\""))
}
