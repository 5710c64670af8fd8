import LikenessCore

/// A candidate's score against a probe, by which candidates are ranked and shown: on the fused
/// distance of both models when the probe and the candidate both have SFace's template, else on
/// dlib's distance alone.
public struct CandidateScore: Sendable {
    /// dlib's Euclidean distance, by which the index found the candidate.
    public var distance: Float
    public var fusedDistance: Float?
    public var band: ScoreBand
    public var similarity: Double

    /// `fusedBands` nil scores on dlib's distance alone, as for a probe without SFace's template.
    public init(dlibDistance: Float, probeSFace: FaceTemplate?, candidateSFace: FaceTemplate?,
                bands: BandThresholds, fusedBands: FusedBands?) {
        distance = dlibDistance
        if let fusedBands, let probeSFace, let candidateSFace {
            let fused = fusedBands.fusedDistance(dlibDistance: dlibDistance, sfaceSimilarity: candidateSFace.cosineSimilarity(to: probeSFace))
            (fusedDistance, band, similarity) = (fused, fusedBands.band(forFusedDistance: fused), fusedBands.similarity(forFusedDistance: fused))
        } else {
            (fusedDistance, band, similarity) = (nil, bands.band(forDistance: dlibDistance), bands.similarity(forDistance: dlibDistance))
        }
    }

    /// Candidates are ranked by band, then by display similarity: a candidate scored by both
    /// models and one scored by dlib alone meet on the band they fall in.
    public func ranksAhead(of other: CandidateScore) -> Bool {
        (band.rank, -similarity) < (other.band.rank, -other.similarity)
    }
}
