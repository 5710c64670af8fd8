
/// How two models' scores are put on one scale and summed: the z-score sum, with no fitted
/// weight. dlib gives a Euclidean distance (lower is more alike) and SFace a cosine similarity
/// (higher is more alike), on unrelated scales; standardising each by its own mean and standard
/// deviation over the same pairs lets neither dominate merely by its units, and adding the two
/// z-scores needs nothing learnt from labels, so there is no weight to over-fit.
///
/// The fused value is returned as a distance (lower is more alike), so it flows through the
/// same threshold, band and metric code as a single model's distance. It is centred on 0 and
/// negative for pairs more alike than the average pair. The mean and deviation depend on the
/// pairs they were measured on, including their mix of same- and different-person pairs, and
/// every fused distance moves with them: bands calibrated on fused distances hold only with the
/// normalisation those distances were computed with, so the two are stored together.
public struct ScoreNormalisation: Sendable, Hashable, Codable {
    public let dlibMean: Double
    public let dlibStandardDeviation: Double
    public let sfaceMean: Double
    public let sfaceStandardDeviation: Double

    public init(dlibMean: Double, dlibStandardDeviation: Double, sfaceMean: Double, sfaceStandardDeviation: Double) {
        precondition(dlibStandardDeviation > 0 && sfaceStandardDeviation > 0, "each model's scores have a spread")
        self.dlibMean = dlibMean
        self.dlibStandardDeviation = dlibStandardDeviation
        self.sfaceMean = sfaceMean
        self.sfaceStandardDeviation = sfaceStandardDeviation
    }

    /// Measures the normalisation on the pairs both models scored: `dlibDistances[i]` and
    /// `sfaceSimilarities[i]` are the two scores of pair i. The deviation divides by n rather
    /// than n − 1: it describes these scores rather than estimating a population's, and as both
    /// models share n the choice scales every fused distance alike and reorders none.
    public init(dlibDistances: [Float], sfaceSimilarities: [Float]) throws {
        precondition(dlibDistances.count == sfaceSimilarities.count, "both models' scores are of the same pairs")
        guard dlibDistances.count >= 2 else {
            throw ScoreNormalisationError("score normalisation needs at least 2 pairs scored by both models, not \(dlibDistances.count)")
        }
        func meanAndDeviation(_ scores: [Float], model: String) throws -> (Double, Double) {
            guard scores.allSatisfy(\.isFinite) else { throw ScoreNormalisationError("a \(model) score is not a finite number") }
            let mean = scores.reduce(0) { $0 + Double($1) } / Double(scores.count)
            let deviation = (scores.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(scores.count)).squareRoot()
            guard deviation > 0 else {
                throw ScoreNormalisationError("all \(scores.count) \(model) scores are equal: there is no spread to standardise by")
            }
            return (mean, deviation)
        }
        let (dlibMean, dlibDeviation) = try meanAndDeviation(dlibDistances, model: "dlib")
        let (sfaceMean, sfaceDeviation) = try meanAndDeviation(sfaceSimilarities, model: "SFace")
        self.init(dlibMean: dlibMean, dlibStandardDeviation: dlibDeviation,
                  sfaceMean: sfaceMean, sfaceStandardDeviation: sfaceDeviation)
    }

    /// A stored normalisation is checked as the initialiser checks one: a zero or negative
    /// deviation would turn every fused distance into infinity or NaN.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let dlibDeviation = try container.decode(Double.self, forKey: .dlibStandardDeviation)
        let sfaceDeviation = try container.decode(Double.self, forKey: .sfaceStandardDeviation)
        guard dlibDeviation > 0, sfaceDeviation > 0, dlibDeviation.isFinite, sfaceDeviation.isFinite else {
            throw DecodingError.dataCorruptedError(forKey: .dlibStandardDeviation, in: container,
                                                   debugDescription: "standard deviations must be positive and finite")
        }
        self.init(dlibMean: try container.decode(Double.self, forKey: .dlibMean), dlibStandardDeviation: dlibDeviation,
                  sfaceMean: try container.decode(Double.self, forKey: .sfaceMean), sfaceStandardDeviation: sfaceDeviation)
    }

    /// Minus the sum of the two z-scores, each oriented so that larger is more alike:
    /// (d − mean_d) / sd_d − (s − mean_s) / sd_s. Nil when either score is missing (that model
    /// found no face in one of the photos): one model alone is not on the fused scale.
    public func fusedDistance(dlibDistance: Float?, sfaceSimilarity: Float?) -> Float? {
        guard let dlibDistance, let sfaceSimilarity else { return nil }
        let dlibLikeness = (dlibMean - Double(dlibDistance)) / dlibStandardDeviation
        let sfaceLikeness = (Double(sfaceSimilarity) - sfaceMean) / sfaceStandardDeviation
        return Float(-(dlibLikeness + sfaceLikeness))
    }
}

public struct ScoreNormalisationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Bands on the fused distance of dlib's and SFace's templates, with the normalisation that
/// distance is computed with: bands hold only with the normalisation they were measured under.
public struct FusedBands: Sendable, Codable, Hashable {
    public var normalisation: ScoreNormalisation
    /// Thresholds on the fused distance (lower is more alike; negative for close pairs).
    public var thresholds: BandThresholds
    /// The fused distance within which an erasure request shows a face to its reviewer: it
    /// admits the share of different-person pairs that dlib's `SubjectRights.reviewDistance`
    /// admits, so the reviewer sees as many lookalikes either way.
    public var reviewDistance: Float

    public init(normalisation: ScoreNormalisation, thresholds: BandThresholds, reviewDistance: Float) {
        self.normalisation = normalisation
        self.thresholds = thresholds
        self.reviewDistance = reviewDistance
    }

    /// The fused distance of a candidate from a probe, each given by both its templates.
    public func fusedDistance(dlibDistance: Float, sfaceSimilarity: Float) -> Float {
        normalisation.fusedDistance(dlibDistance: dlibDistance, sfaceSimilarity: sfaceSimilarity)!
    }

    public func band(forFusedDistance distance: Float) -> ScoreBand { thresholds.band(forDistance: distance) }

    /// A 0…1 display score, linear in the fused distance as `BandThresholds.similarity` is in
    /// dlib's: 1 for identical faces (dlib distance 0, SFace similarity 1), 0.5 at the
    /// `possible` threshold, 0 as far beyond it as identical faces lie before it.
    public func similarity(forFusedDistance distance: Float) -> Double {
        let identical = Double(normalisation.fusedDistance(dlibDistance: 0, sfaceSimilarity: 1)!)
        let span = Double(thresholds.possible) - identical
        guard span > 0 else { return distance <= thresholds.possible ? 1 : 0 }
        return max(0, min(1, 1 - (Double(distance) - identical) / (2 * span)))
    }
}

extension FusedBands {
    /// Measured by `likeness eval ../shared/lfw-dev/labels.jsonl --pairs ../shared/lfw-dev/pairs.jsonl
    /// --compare-models` (`FusedCalibration`) with the default pipeline: the normalisation on
    /// the 4,800 balanced pairs, measured once (2026-11-30) and kept as the fused distance's
    /// fixed unit so that recorded distances stay comparable; the thresholds (2026-12-01) on
    /// every pair of the 6,118 photos (6,128 same-person, 18,705,775 different-person).
    /// `possible` admits 1e-3 of different-person pairs and 99.3% of same-person pairs (dlib
    /// alone: 93.6%); `strong` 1e-4 and 98.0% (dlib alone: 74.4%). Operators calibrate on their
    /// own labelled sets with `likeness calibrate`, which stores both bands in the gallery's
    /// database.
    public static let standard = FusedBands(
        normalisation: ScoreNormalisation(dlibMean: 0.6159022605884821, dlibStandardDeviation: 0.21685366735529019,
                                          sfaceMean: 0.37357124610744147, sfaceStandardDeviation: 0.30815799437205915),
        thresholds: BandThresholds(
            strong: -0.42251036, possible: -0.023606535,
            measuredOn: "../shared/lfw-dev (6,128 same-person, 18,705,775 different-person pairs; normalised on its 4,800 "
                + "balanced pairs): strong FMR 1e-4, TMR 98.0%; possible FMR 1e-3, TMR 99.3%"),
        reviewDistance: 0.5533549)
}
