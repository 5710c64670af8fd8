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
    /// Measured on the 65 labelled photos of shared/faces (62 single-identity faces: 148
    /// same-person and 1,743 different-person pairs, reference HOG pipeline). The closest
    /// different-person pair lies at 0.518. At 0.40: 0 of 1,743 false matches, 59% of true
    /// pairs; at 0.50: 0 of 1,743 false matches (below 1.7e-3 at 95% confidence), 93% of true
    /// pairs; at 0.60 (dlib's customary threshold) 6 false matches (3.4e-3). `likeness
    /// calibrate` replaces these with thresholds measured on an operator's own photos.
    public static let standard = BandThresholds(
        strong: 0.40, possible: 0.50,
        measuredOn: "shared/faces: 148 same-person, 1,743 different-person pairs; FMR 0/1743 at both thresholds")
}
