/// How strongly a candidate resembles the probe, in words an investigator can act on.
/// Bands are leads, never identifications: a trained person reviews every candidate.
public enum ScoreBand: String, Sendable, Codable, CaseIterable {
    case strong, possible, weak

    /// 0 for the strongest band: candidates are listed by band first.
    public var rank: Int {
        switch self {
        case .strong: 0
        case .possible: 1
        case .weak: 2
        }
    }
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
    /// dlib's distance alone, for a candidate or probe without SFace's template (found by HOG,
    /// or stored before the second model). Measured on ../shared/lfw-dev with the default
    /// pipeline's dlib templates, every pair of the 6,118 photos (6,128 same-person, 18,705,775
    /// different-person; `likeness eval … --compare-models`): `possible` admits 1e-3 of
    /// different-person pairs and 93.6% of same-person pairs, `strong` 1e-4 and 74.4%.
    /// Operators calibrate on their own labelled sets with `likeness calibrate`; search and
    /// verify then use those bands.
    public static let standard = BandThresholds(
        strong: 0.46560195, possible: 0.5323114,
        measuredOn: "../shared/lfw-dev (6,128 same-person, 18,705,775 different-person pairs): "
            + "strong FMR 1e-4, TMR 74.4%; possible FMR 1e-3, TMR 93.6%")
}
