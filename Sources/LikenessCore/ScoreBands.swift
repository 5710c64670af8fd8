/// How strongly a candidate resembles the probe, in words an investigator can act on.
/// Bands are leads, never identifications: a trained person reviews every candidate.
public enum ScoreBand: String, Sendable, Codable, CaseIterable {
    case strong, possible, weak
}

/// Distance thresholds that split candidates into bands. Each threshold is chosen for a
/// false-match rate measured on impostor pairs (see `measuredOn`), so "strong" means the
/// same thing in every deployment that uses the same calibration.
public struct BandThresholds: Sendable, Codable, Hashable {
    /// Distances at or below this are `strong`.
    public var strong: Float
    /// Distances at or below this (and above `strong`) are `possible`; above it, `weak`.
    public var possible: Float
    /// Where the thresholds come from, for reports and the README.
    public var measuredOn: String

    public init(strong: Float, possible: Float, measuredOn: String) {
        precondition(strong <= possible, "the strong threshold lies inside the possible one")
        self.strong = strong
        self.possible = possible
        self.measuredOn = measuredOn
    }

    public func band(forDistance distance: Float) -> ScoreBand {
        if distance <= strong { return .strong }
        if distance <= possible { return .possible }
        return .weak
    }

    /// A 0…1 display score, linear in distance: 1 for identical templates, 0.5 at the
    /// `possible` threshold, 0 at twice that. The band, not this number, carries the meaning.
    public func similarity(forDistance distance: Float) -> Double {
        max(0, min(1, 1 - Double(distance) / Double(2 * possible)))
    }
}

extension BandThresholds {
    /// `likeness calibrate shared/faces/labels.jsonl --target-fmr 0.001` with the standard
    /// pipeline (mirrored templates): all 148 same-person and 1,743 different-person pairs of
    /// the 62 single-identity faces. `possible` admits 1 of 1,743 different-person pairs
    /// (5.7e-4) and 96.6% of same-person pairs; `strong` lies just below the closest
    /// different-person pair (0 of 1,743; 95.9% of same-person pairs), because 1,743 pairs
    /// cannot resolve the 1e-4 it aims for. Operators calibrate on their own, larger labelled
    /// sets with `likeness calibrate`; search and verify then use those bands.
    public static let standard = BandThresholds(
        strong: 0.5112, possible: 0.5309,
        measuredOn: "shared/faces (148 same-person, 1,743 different-person pairs): possible FMR 1/1,743, "
            + "TMR 96.6%; strong FMR 0/1,743, TMR 95.9% (just below the closest different-person pair)")
}
