import Foundation
import LikenessCore

/// A threshold chosen for a target false-match rate, and what it measured.
public struct CalibrationPoint: Sendable, Hashable {
    public var targetFMR: Double
    public var threshold: Float
    public var falseMatches: Int
    public var impostorPairs: Int
    public var trueMatches: Int
    public var genuinePairs: Int
    /// The closest impostor distance, which the threshold stays below when the target cannot
    /// be resolved.
    public var closestImpostor: Float

    public var measuredFMR: Double { Double(falseMatches) / Double(impostorPairs) }
    public var trueMatchRate: Double { Double(trueMatches) / Double(genuinePairs) }

    /// Whether the impostor pairs can show a rate as small as the target: with n pairs the
    /// smallest non-zero rate is 1/n.
    public var targetIsResolvable: Bool { allowedFalseAccepts(rate: targetFMR, among: impostorPairs) >= 1 }
}

/// Band thresholds measured on labelled pairs: `strong` for a tenth of the target false-match
/// rate, `possible` for the target.
public struct Calibration: Sendable {
    public let strong: CalibrationPoint
    public let possible: CalibrationPoint
    /// The thresholds, with a `measuredOn` that says where they come from and what they measured.
    public let thresholds: BandThresholds

    /// - Parameter source: what the pairs were measured on, such as the labels file's name;
    ///   it opens `measuredOn`.
    public init(genuine: [Float], impostor: [Float], targetFMR: Double, source: String) throws {
        guard targetFMR > 0, targetFMR < 1 else {
            throw EvaluationError("the target false-match rate must lie between 0 and 1, not \(targetFMR)")
        }
        guard !genuine.isEmpty, !impostor.isEmpty else {
            throw EvaluationError("calibration needs both same-person and different-person pairs "
                + "(\(genuine.count) same, \(impostor.count) different)")
        }
        let genuine = genuine.sorted(), impostor = impostor.sorted()
        strong = Self.point(for: targetFMR / 10, genuine: genuine, impostor: impostor)
        possible = Self.point(for: targetFMR, genuine: genuine, impostor: impostor)
        thresholds = BandThresholds(strong: strong.threshold, possible: possible.threshold,
                                    measuredOn: Self.measuredOn(source: source, strong: strong, possible: possible))
    }

    /// The largest threshold whose measured FMR is at most the target. Measured FMR rises at
    /// each impostor distance, so that is just below the first impostor distance that would
    /// take it over: with k false matches allowed, the (k+1)-th closest. When the target is
    /// too small to allow even one (k = 0), this is just below the closest impostor, the
    /// strictest threshold the data can tell apart from a looser one.
    private static func point(for target: Double, genuine: [Float], impostor: [Float]) -> CalibrationPoint {
        let allowed = min(allowedFalseAccepts(rate: target, among: impostor.count), impostor.count - 1)
        let threshold = impostor[allowed].nextDown
        return CalibrationPoint(targetFMR: target, threshold: threshold,
                                falseMatches: countAtOrBelow(threshold, in: impostor), impostorPairs: impostor.count,
                                trueMatches: countAtOrBelow(threshold, in: genuine), genuinePairs: genuine.count,
                                closestImpostor: impostor[0])
    }

    /// Thresholds are written in full (Float's shortest exact form): each lies just below an
    /// impostor distance, and rounding would make the two look equal.
    private static func measuredOn(source: String, strong: CalibrationPoint, possible: CalibrationPoint) -> String {
        func describe(_ name: String, _ point: CalibrationPoint) -> String {
            var text = "\(name) ≤ \(point.threshold) (target FMR \(scientific(point.targetFMR))): "
                + "FMR \(point.falseMatches)/\(grouped(point.impostorPairs))"
            if point.falseMatches > 0 { text += " = \(scientific(point.measuredFMR))" }
            text += ", TMR \(percent(point.trueMatchRate))"
            if !point.targetIsResolvable {
                text += "; \(grouped(point.impostorPairs)) different-person pairs cannot show FMR "
                    + "\(scientific(point.targetFMR)) (finest step \(scientific(1 / Double(point.impostorPairs)))), "
                    + "so the threshold is set just below the closest different-person pair (\(point.closestImpostor))"
            }
            return text
        }
        return "\(source): \(grouped(strong.genuinePairs)) same-person, \(grouped(strong.impostorPairs)) different-person pairs; "
            + describe("strong", strong) + "; " + describe("possible", possible)
    }
}

// Number wording shared by the text, HTML and calibration reports.

/// 1743 → "1,743".
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var text = ""
    for (position, digit) in digits.enumerated() {
        if position > 0, (digits.count - position) % 3 == 0 { text += "," }
        text.append(digit)
    }
    return value < 0 ? "-" + text : text
}

/// A distance with four decimals.
func decimal(_ value: Float) -> String { String(format: "%.4f", Double(value)) }

/// A fraction as a percentage with one decimal.
func percent(_ fraction: Double) -> String { String(format: "%.1f%%", fraction * 100) }

/// A small rate in short scientific form: 0.001 → "1e-3", 0.000574 → "5.7e-4".
func scientific(_ value: Double) -> String {
    guard value > 0 else { return "0" }
    let exponent = Int(log10(value).rounded(.down))
    var mantissa = (value / pow(10, Double(exponent)) * 10).rounded() / 10
    var shifted = exponent
    if mantissa >= 10 {
        mantissa /= 10
        shifted += 1
    }
    let mantissaText = mantissa == mantissa.rounded() ? String(Int(mantissa)) : String(format: "%.1f", mantissa)
    return "\(mantissaText)e\(shifted)"
}
