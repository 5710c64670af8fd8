import LikenessCore

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
