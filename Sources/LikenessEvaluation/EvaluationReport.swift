import Foundation

/// The figures of one evaluation run: verification on pairs, identification with each labelled
/// photo as a probe, detection counts, and the same figures per value of each group field.
public struct EvaluationReport: Sendable {
    /// Verification and identification restricted to the photos sharing one value of one field:
    /// pairs whose two photos both have it, probes that have it searched among those that have it.
    public struct Group: Sendable {
        public var field: String
        public var value: String
        public var verification: VerificationMetrics
        public var identification: IdentificationMetrics
    }

    /// The FARs at which TAR is reported, with their JSON keys.
    public static let reportedFARs: [(key: String, rate: Double)] = [("0.01", 0.01), ("0.001", 0.001)]

    /// The operating threshold `accuracy` is measured at.
    public let threshold: Float
    public let verification: VerificationMetrics
    /// Pairs left out because a photo yielded no template (no face found, unreadable).
    public let unscoredPairs: Int
    public let identification: IdentificationMetrics
    public let detection: DetectionAgreement
    public let groups: [Group]

    /// - Parameters:
    ///   - threshold: the operating threshold, normally the `possible` band threshold.
    ///   - detectedFaces: faces found per photo file, for the photos the detector ran on.
    public init(labels: LabelSet, scoredPairs: [ScoredPair], unscoredPairs: Int = 0, threshold: Float,
                probes: [IdentificationProbe], detectedFaces: [String: Int]) {
        self.threshold = threshold
        verification = VerificationMetrics(pairs: scoredPairs)
        self.unscoredPairs = unscoredPairs
        identification = IdentificationMetrics(probes: probes)
        detection = DetectionAgreement(photos: labels.photos, detectedFaces: detectedFaces)

        var groups: [Group] = []
        for field in labels.groupFields {
            let filesByValue = Dictionary(grouping: labels.photos.filter { $0.groups[field] != nil },
                                          by: { $0.groups[field]! }).mapValues { Set($0.map(\.file)) }
            for (value, files) in filesByValue.sorted(by: { $0.key < $1.key }) {
                let pairs = scoredPairs.filter { files.contains($0.pair.a) && files.contains($0.pair.b) }
                let groupProbes = probes.filter { files.contains($0.file) }.map { $0.restricted(to: files) }
                groups.append(Group(field: field, value: value, verification: VerificationMetrics(pairs: pairs),
                                    identification: IdentificationMetrics(probes: groupProbes)))
            }
        }
        self.groups = groups
    }

    // MARK: JSON

    /// The report as JSON-ready values: fractions 0…1 and distances as numbers, null where a
    /// figure is undefined (no pairs of a kind, no countable probes).
    public var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "verification": Self.verificationJSON(verification, threshold: threshold, unscoredPairs: unscoredPairs),
            "identification": Self.identificationJSON(identification),
            "detection": ["images": detection.images, "with_expected": detection.withExpected, "agree": detection.agree,
                          "disagreements": detection.disagreements.map {
                              ["file": $0.file, "expected": $0.expected, "detected": $0.detected] as [String: Any]
                          }],
        ]
        var groupsObject: [String: [String: Any]] = [:]
        for group in groups {
            groupsObject[group.field, default: [:]][group.value] = [
                "verification": Self.verificationJSON(group.verification, threshold: threshold, unscoredPairs: nil),
                "identification": Self.identificationJSON(group.identification),
            ]
        }
        object["groups"] = groupsObject
        return object
    }

    private static func verificationJSON(_ metrics: VerificationMetrics, threshold: Float, unscoredPairs: Int?) -> [String: Any] {
        let best = metrics.bestAccuracy
        var object: [String: Any] = [
            "pairs": metrics.pairCount,
            "genuine_pairs": metrics.genuine.count,
            "impostor_pairs": metrics.impostor.count,
            "threshold": jsonNumber(threshold),
            "accuracy": orNull(metrics.accuracy(atThreshold: threshold)),
            "best_accuracy": orNull(best?.accuracy),
            "best_threshold": orNull(best.map { jsonNumber($0.threshold) }),
            "auc": orNull(metrics.auc),
            "tar_at_far": Dictionary(uniqueKeysWithValues: reportedFARs.map {
                ($0.key, orNull(metrics.tar(atFAR: $0.rate)?.trueAcceptRate))
            }),
            // The smallest non-zero FAR the impostor pairs can show: TAR at a smaller FAR is
            // the TAR at measured FAR 0, not a measurement at that FAR.
            "far_resolution": orNull(metrics.impostor.isEmpty ? nil : 1 / Double(metrics.impostor.count)),
            "eer": orNull(metrics.equalErrorRate),
        ]
        if let unscoredPairs { object["unscored_pairs"] = unscoredPairs }
        return object
    }

    private static func identificationJSON(_ metrics: IdentificationMetrics) -> [String: Any] {
        ["probes": metrics.probes, "excluded_probes": metrics.excludedProbes,
         "rank1": orNull(metrics.rank1), "rank5": orNull(metrics.rank5)]
    }

    private static func orNull(_ value: Double?) -> Any { value.map { $0 as Any } ?? NSNull() }

    /// A Float distance as the Double with the same shortest decimal form, so 0.3 is written
    /// 0.3 rather than 0.30000001192092896.
    private static func jsonNumber(_ value: Float) -> Double { Double("\(value)") ?? Double(value) }

    // MARK: Text

    /// The report as plain text for a terminal: the main figures, then one table row per group.
    public func text() -> String {
        var lines: [String] = []
        let v = verification
        var pairsLine = "Verification: \(grouped(v.pairCount)) pairs (\(grouped(v.genuine.count)) same-person, "
            + "\(grouped(v.impostor.count)) different-person)"
        if unscoredPairs > 0 { pairsLine += "; \(grouped(unscoredPairs)) more left out: a photo yielded no face" }
        lines.append(pairsLine)
        var figures: [[String]] = []
        if let accuracy = v.accuracy(atThreshold: threshold) {
            figures.append(["accuracy at \(decimal(threshold))", percent(accuracy)])
        }
        if let best = v.bestAccuracy {
            figures.append(["best accuracy", "\(percent(best.accuracy)) at \(decimal(best.threshold))"])
        }
        if let auc = v.auc { figures.append(["AUC", String(format: "%.4f", auc)]) }
        if let eer = v.equalErrorRate { figures.append(["EER", percent(eer)]) }
        for (_, rate) in Self.reportedFARs {
            guard let tar = v.tar(atFAR: rate) else { continue }
            var detail = "at \(decimal(tar.threshold)), FAR \(tar.falseAccepts)/\(grouped(tar.impostorPairs))"
            if !tar.targetIsResolvable {
                detail += ": \(grouped(tar.impostorPairs)) different-person pairs cannot show FAR \(scientific(rate))"
            }
            figures.append(["TAR at FAR \(scientific(rate))", "\(percent(tar.trueAcceptRate)) (\(detail))"])
        }
        lines += table(figures).map { "  " + $0 }

        let i = identification
        lines.append("Identification: \(grouped(i.probes)) probes"
            + (i.excludedProbes > 0 ? " (\(grouped(i.excludedProbes)) left out: no other photo of their identity)" : ""))
        if let rank1 = i.rank1, let rank5 = i.rank5 {
            lines += table([["rank-1", percent(rank1)], ["rank-5", percent(rank5)]]).map { "  " + $0 }
        }

        let d = detection
        lines.append("Detection: \(grouped(d.images)) images, \(grouped(d.withExpected)) with an expected face count, "
            + "\(grouped(d.agree)) agree")
        for disagreement in d.disagreements {
            lines.append("  \(disagreement.file): expected \(disagreement.expected), found \(disagreement.detected)")
        }

        if !groups.isEmpty {
            lines.append("")
            lines.append("Groups")
            let header = ["field", "value", "pairs", "accuracy", "AUC", "EER", "TAR@FAR1e-3", "probes", "rank-1", "rank-5"]
            let rows = groups.map { group -> [String] in
                let gv = group.verification, gi = group.identification
                func show(_ value: Double?, _ format: (Double) -> String = percent) -> String { value.map(format) ?? "-" }
                return [group.field, group.value, grouped(gv.pairCount), show(gv.accuracy(atThreshold: threshold)),
                        show(gv.auc) { String(format: "%.4f", $0) }, show(gv.equalErrorRate),
                        show(gv.tar(atFAR: 0.001)?.trueAcceptRate), grouped(gi.probes), show(gi.rank1), show(gi.rank5)]
            }
            lines += table([header] + rows).map { "  " + $0 }
        }
        return lines.joined(separator: "\n")
    }

    /// Left-aligned columns separated by two spaces.
    private func table(_ rows: [[String]]) -> [String] {
        guard let columns = rows.map(\.count).max() else { return [] }
        let widths = (0 ..< columns).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
    }
}
