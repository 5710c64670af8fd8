import Foundation

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
            throw EvaluationError("score normalisation needs at least 2 pairs scored by both models, not \(dlibDistances.count)")
        }
        func meanAndDeviation(_ scores: [Float], model: String) throws -> (Double, Double) {
            guard scores.allSatisfy(\.isFinite) else { throw EvaluationError("a \(model) score is not a finite number") }
            let mean = scores.reduce(0) { $0 + Double($1) } / Double(scores.count)
            let deviation = (scores.reduce(0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(scores.count)).squareRoot()
            guard deviation > 0 else {
                throw EvaluationError("all \(scores.count) \(model) scores are equal: there is no spread to standardise by")
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

/// A labelled pair as the two models score it; a score is nil when that model found no face in
/// one of the pair's photos.
public struct FusionPair: Sendable, Hashable {
    public var pair: LabelledPair
    /// dlib's Euclidean distance: lower is more alike.
    public var dlibDistance: Float?
    /// SFace's cosine similarity: higher is more alike.
    public var sfaceSimilarity: Float?

    public init(pair: LabelledPair, dlibDistance: Float?, sfaceSimilarity: Float?) {
        self.pair = pair
        self.dlibDistance = dlibDistance
        self.sfaceSimilarity = sfaceSimilarity
    }
}
