import Foundation

/// A verification error to show in the HTML report, with the two face crops as JPEG bytes.
public struct ErrorExample: Sendable {
    public var pair: ScoredPair
    public var cropA: Data
    public var cropB: Data

    public init(pair: ScoredPair, cropA: Data, cropB: Data) {
        self.pair = pair
        self.cropA = cropA
        self.cropB = cropB
    }
}

/// The report as one self-contained HTML page: figures, the ROC curve and the distance
/// histograms as inline SVG, and the worst errors with their face crops as data URIs. It has
/// no scripts and loads nothing, so it can be mailed or archived as it is. Every string from
/// the labels is escaped.
public enum HTMLReport {
    public static func render(_ report: EvaluationReport, title: String, errors: [ErrorExample]) -> String {
        var body: [String] = ["<h1>\(escape(title))</h1>"]
        body.append(summary(report))
        body.append("<h2>Verification</h2>")
        body.append("<div class=\"charts\">")
        body.append(rocChart(report.verification))
        body.append(histogram(report.verification, threshold: report.threshold))
        body.append("</div>")
        if !report.groups.isEmpty { body.append(groupsTable(report)) }
        if !report.detection.disagreements.isEmpty { body.append(detectionTable(report.detection)) }
        if !errors.isEmpty { body.append(errorsSection(errors, threshold: report.threshold)) }

        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8"/>
            <title>\(escape(title))</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 70em; }
            table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
            th, td { padding: 0.2em 0.8em; text-align: left; border-bottom: 1px solid #ddd; }
            td.number { text-align: right; font-variant-numeric: tabular-nums; }
            .charts { display: flex; flex-wrap: wrap; gap: 2em; }
            .error { display: inline-block; margin: 0 1.5em 1.5em 0; vertical-align: top; }
            .error img { height: 112px; margin-right: 4px; }
            .note { color: #666; font-size: 0.9em; }
            </style>
            </head>
            <body>
            \(body.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    /// Escapes text for HTML element content and attribute values.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    private static func summary(_ report: EvaluationReport) -> String {
        let v = report.verification, i = report.identification, d = report.detection
        func show(_ value: Double?, _ format: (Double) -> String = percent) -> String { value.map(format) ?? "–" }
        var rows: [(String, String)] = [
            ("Pairs", "\(grouped(v.pairCount)) (\(grouped(v.genuine.count)) same-person, \(grouped(v.impostor.count)) different-person)"),
            ("Accuracy at \(decimal(report.threshold))", show(v.accuracy(atThreshold: report.threshold))),
            ("Best accuracy", v.bestAccuracy.map { "\(percent($0.accuracy)) at \(decimal($0.threshold))" } ?? "–"),
            ("AUC", show(v.auc) { String(format: "%.4f", $0) }),
            ("EER", show(v.equalErrorRate)),
        ]
        if report.unscoredPairs > 0 { rows.insert(("Pairs left out (no face)", grouped(report.unscoredPairs)), at: 1) }
        for (_, rate) in EvaluationReport.reportedFARs {
            guard let tar = v.tar(atFAR: rate) else { continue }
            let note = tar.targetIsResolvable ? ""
                : " (measured FAR 0 of \(grouped(tar.impostorPairs)): too few different-person pairs to show FAR \(scientific(rate)))"
            rows.append(("TAR at FAR \(scientific(rate))", percent(tar.trueAcceptRate) + note))
        }
        rows += [
            ("Identification probes", grouped(i.probes)
                + (i.excludedProbes > 0 ? " (\(grouped(i.excludedProbes)) left out: no other photo of their identity)" : "")),
            ("Rank-1", show(i.rank1)),
            ("Rank-5", show(i.rank5)),
            ("Detection", "\(grouped(d.agree)) of \(grouped(d.withExpected)) photos with an expected face count agree "
                + "(\(grouped(d.images)) images)"),
        ]
        return "<table>\n" + rows.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined(separator: "\n")
            + "\n</table>"
    }

    // MARK: Charts

    private static let chartSize = 360.0
    private static let margin = 44.0
    private static var plotSize: Double { chartSize - 2 * margin }

    private static func number(_ value: Double) -> String { String(format: "%.1f", value) }

    /// The ROC curve with FAR on a log scale, since the useful thresholds accept one impostor
    /// in hundreds or thousands and a linear axis squeezes them into its left edge. The axis
    /// starts one decade below the smallest non-zero FAR the pairs can show (1/impostors), and
    /// points at FAR 0 are drawn on that left edge, labelled 0.
    static func rocChart(_ metrics: VerificationMetrics) -> String {
        let curve = metrics.roc
        guard !curve.isEmpty else { return "<p class=\"note\">No ROC curve: it needs both same-person and different-person pairs.</p>" }
        let decades = Int(log10(Double(metrics.impostor.count)).rounded(.down)) + 1
        func x(_ rate: Double) -> Double {
            rate == 0 ? margin : margin + (log10(rate) + Double(decades)) / Double(decades) * plotSize
        }
        func y(_ rate: Double) -> Double { margin + (1 - rate) * plotSize }
        let points = curve.map { "\(number(x($0.falseAcceptRate))),\(number(y($0.trueAcceptRate)))" }.joined(separator: " ")
        let ticks = [(0.0, "0")] + (1 ... decades).map { decade in
            (Double(decade) / Double(decades), decade == decades ? "1" : "1e-\(decades - decade)")
        }
        var svg = svgOpen(label: "ROC curve")
        svg += axes(xLabel: "false accept rate (log scale)", yLabel: "true accept rate", xTicks: ticks, yTop: "1")
        svg += "<polyline class=\"roc\" fill=\"none\" stroke=\"#1f5f99\" stroke-width=\"2\" points=\"\(points)\"/>\n"
        if let auc = metrics.auc {
            svg += "<text x=\"\(number(margin + plotSize - 6))\" y=\"\(number(margin + plotSize - 8))\" text-anchor=\"end\" font-size=\"12\">AUC \(String(format: "%.4f", auc))</text>\n"
        }
        return svg + "</svg>"
    }

    /// Genuine and impostor distances in shared bins, each as the fraction of its own pairs so
    /// that a few hundred genuine pairs stay visible beside thousands of impostors; the
    /// operating threshold as a vertical line.
    static func histogram(_ metrics: VerificationMetrics, threshold: Float, bins: Int = 40) -> String {
        let all = metrics.genuine + metrics.impostor
        guard let smallest = all.min(), let largest = all.max() else { return "<p class=\"note\">No pairs to plot.</p>" }
        var low = Double(min(smallest, threshold)), high = Double(max(largest, threshold))
        if high - low < 1e-6 {
            low -= 0.5
            high += 0.5
        }
        let binWidth = (high - low) / Double(bins)
        func fractions(_ distances: [Float]) -> [Double] {
            var counts = [Int](repeating: 0, count: bins)
            for distance in distances { counts[min(bins - 1, Int((Double(distance) - low) / binWidth))] += 1 }
            return counts.map { distances.isEmpty ? 0 : Double($0) / Double(distances.count) }
        }
        let genuine = fractions(metrics.genuine), impostor = fractions(metrics.impostor)
        let tallest = max(genuine.max() ?? 0, impostor.max() ?? 0)
        func x(_ distance: Double) -> Double { margin + (distance - low) / (high - low) * plotSize }
        func bars(_ fractions: [Double], colour: String, series: String) -> String {
            fractions.enumerated().filter { $0.element > 0 }.map { bin, fraction in
                let height = fraction / tallest * plotSize
                return "<rect class=\"\(series)\" x=\"\(number(x(low + Double(bin) * binWidth)))\" y=\"\(number(margin + plotSize - height))\" "
                    + "width=\"\(number(plotSize / Double(bins)))\" height=\"\(number(height))\" fill=\"\(colour)\" fill-opacity=\"0.6\"/>"
            }.joined(separator: "\n") + "\n"
        }
        var svg = svgOpen(label: "Distance histograms")
        svg += axes(xLabel: "distance", yLabel: "fraction of pairs",
                    xTicks: [(0, String(format: "%.2f", low)), (1, String(format: "%.2f", high))],
                    yTop: percent(tallest))
        svg += bars(genuine, colour: "#2a7ab0", series: "genuine")
        svg += bars(impostor, colour: "#d0603a", series: "impostor")
        let thresholdX = number(x(Double(threshold)))
        svg += "<line x1=\"\(thresholdX)\" y1=\"\(number(margin))\" x2=\"\(thresholdX)\" y2=\"\(number(margin + plotSize))\" stroke=\"#222\" stroke-dasharray=\"3 3\"/>\n"
        svg += "<text x=\"\(thresholdX)\" y=\"\(number(margin - 6))\" text-anchor=\"middle\" font-size=\"11\">threshold \(decimal(threshold))</text>\n"
        svg += "<text x=\"\(number(margin + plotSize))\" y=\"\(number(margin + 14))\" text-anchor=\"end\" font-size=\"12\" fill=\"#2a7ab0\">same person (\(grouped(metrics.genuine.count)))</text>\n"
        svg += "<text x=\"\(number(margin + plotSize))\" y=\"\(number(margin + 30))\" text-anchor=\"end\" font-size=\"12\" fill=\"#d0603a\">different people (\(grouped(metrics.impostor.count)))</text>\n"
        return svg + "</svg>"
    }

    private static func svgOpen(label: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(chartSize))\" height=\"\(Int(chartSize))\" "
            + "viewBox=\"0 0 \(Int(chartSize)) \(Int(chartSize))\" role=\"img\" aria-label=\"\(escape(label))\">\n"
    }

    /// The plot frame, x tick labels at fractions of the width, the y axis's ends, and titles.
    private static func axes(xLabel: String, yLabel: String, xTicks: [(position: Double, label: String)], yTop: String) -> String {
        let left = number(margin), top = number(margin), bottom = number(margin + plotSize)
        var svg = "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(number(plotSize))\" height=\"\(number(plotSize))\" fill=\"none\" stroke=\"#888\"/>\n"
        for tick in xTicks {
            svg += "<text x=\"\(number(margin + tick.position * plotSize))\" y=\"\(number(margin + plotSize + 16))\" text-anchor=\"middle\" font-size=\"11\">\(escape(tick.label))</text>\n"
        }
        svg += "<text x=\"\(number(margin - 6))\" y=\"\(bottom)\" text-anchor=\"end\" font-size=\"11\">0</text>\n"
        svg += "<text x=\"\(number(margin - 6))\" y=\"\(number(margin + 4))\" text-anchor=\"end\" font-size=\"11\">\(escape(yTop))</text>\n"
        svg += "<text x=\"\(number(margin + plotSize / 2))\" y=\"\(number(chartSize - 8))\" text-anchor=\"middle\" font-size=\"12\">\(escape(xLabel))</text>\n"
        svg += "<text x=\"14\" y=\"\(number(margin + plotSize / 2))\" text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 14 \(number(margin + plotSize / 2)))\">\(escape(yLabel))</text>\n"
        return svg
    }

    // MARK: Tables

    private static func groupsTable(_ report: EvaluationReport) -> String {
        func show(_ value: Double?, _ format: (Double) -> String = percent) -> String { value.map(format) ?? "–" }
        let header = ["Field", "Value", "Pairs", "Accuracy", "AUC", "EER", "TAR at FAR 1e-3", "Probes", "Rank-1", "Rank-5"]
        let rows = report.groups.map { group -> String in
            let v = group.verification, i = group.identification
            let cells = [grouped(v.pairCount), show(v.accuracy(atThreshold: report.threshold)),
                         show(v.auc) { String(format: "%.4f", $0) }, show(v.equalErrorRate),
                         show(v.tar(atFAR: 0.001)?.trueAcceptRate), grouped(i.probes), show(i.rank1), show(i.rank5)]
            return "<tr><td>\(escape(group.field))</td><td>\(escape(group.value))</td>"
                + cells.map { "<td class=\"number\">\(escape($0))</td>" }.joined() + "</tr>"
        }
        return "<h2>Groups</h2>\n<table>\n<tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
            + rows.joined(separator: "\n") + "\n</table>"
    }

    private static func detectionTable(_ detection: DetectionAgreement) -> String {
        "<h2>Detection disagreements</h2>\n<table>\n<tr><th>Photo</th><th>Expected faces</th><th>Found</th></tr>\n"
            + detection.disagreements.map {
                "<tr><td>\(escape($0.file))</td><td>\(escape($0.expected))</td><td class=\"number\">\($0.detected)</td></tr>"
            }.joined(separator: "\n") + "\n</table>"
    }

    private static func errorsSection(_ errors: [ErrorExample], threshold: Float) -> String {
        let figures = errors.map { error -> String in
            let pair = error.pair.pair
            let kind = pair.same ? "same person, rejected" : "different people, accepted"
            return """
                <figure class="error">
                <img src="data:image/jpeg;base64,\(error.cropA.base64EncodedString())" alt="\(escape(pair.a))"/><img src="data:image/jpeg;base64,\(error.cropB.base64EncodedString())" alt="\(escape(pair.b))"/>
                <figcaption>\(escape(kind)): distance \(decimal(error.pair.distance))<br/>\(escape(pair.a))<br/>\(escape(pair.b))</figcaption>
                </figure>
                """
        }
        return "<h2>Worst errors at threshold \(decimal(threshold))</h2>\n" + figures.joined(separator: "\n")
    }
}
