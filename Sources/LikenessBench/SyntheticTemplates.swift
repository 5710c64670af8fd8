import Foundation
import LikenessCore
import LikenessIndex

/// Deterministic face-like templates for benchmarks: identities with 1–10 photos each, whose
/// same-person and different-person distances match those of real dlib descriptors.
///
/// Measured on the fixtures (Tests/Fixtures/reference/face_recognition.json joined with
/// faces/labels.jsonl; 18 single-identity faces of 5 people; the group photo skipped). Real
/// descriptors have norm 1.38–1.63, so distances are compared after scaling to unit length:
///
///     pairs                    raw               unit length       range (unit)
///     same person (24)         0.397 ± 0.073     0.258 ± 0.049     0.184 – 0.367
///     different person (129)   0.872 ± 0.082     0.563 ± 0.064     0.453 – 0.679
///
/// The model: all faces share a mean direction (real descriptors of different people still
/// have cosine ≈ 0.84). Variation around it is Gaussian with per-dimension variance falling as
/// 1/i^0.7, because embeddings are not isotropic: a few directions carry most of the spread.
/// (Five identities cannot pin the spectrum down; the exponent was chosen so the spread of
/// different-person distances matches the measured one, which an isotropic model cannot.)
/// An identity's centre is normalise(mean + 0.40·noise); a photo is
/// normalise(centre + s·noise) with s = 0.19·e^(0.15·N(0,1)) per identity, since some people's
/// photos vary more than others'. This yields same person 0.256 ± 0.044 and different person
/// 0.565 ± 0.061 (2,000 pairs each of a million faces, see `distanceStatistics`). Euclidean search is rotation invariant, so the
/// mean direction is simply the first axis.
public struct SyntheticTemplates: Sendable {
    static let dimension = FaceTemplate.dimension
    static let spectrumExponent = 0.7
    static let identitySpread: Float = 0.40
    static let photoSpread: Float = 0.19
    static let photoSpreadVariation = 0.15
    static let photosPerIdentity = 1...10

    /// Row `i` (128 floats) is stored face `i`.
    public let vectors: [Float]
    /// The identity of each stored face.
    public let identities: [Int32]
    private let centres: [Float]
    private let photoSpreads: [Float]
    /// Per-dimension noise scale: the square root of the 1/i^0.7 spectrum, unit total variance.
    private let noiseScales: [Float]

    public var count: Int { identities.count }
    public var identityCount: Int { photoSpreads.count }

    /// `count` faces; the same `seed` gives the same faces.
    public init(count: Int, seed: UInt64 = 1) {
        var generator = SplitMix64(seed: seed)
        let weights = (1...Self.dimension).map { pow(Double($0), -Self.spectrumExponent / 2) }
        let total = weights.reduce(0) { $0 + $1 * $1 }.squareRoot()
        noiseScales = weights.map { Float($0 / total) }

        var vectors = [Float](), identities = [Int32](), centres = [Float](), photoSpreads = [Float]()
        vectors.reserveCapacity(count * Self.dimension)
        identities.reserveCapacity(count)
        while identities.count < count {
            let identity = Int32(photoSpreads.count)
            var centre = [Float](repeating: 0, count: Self.dimension)
            centre[0] = 1
            Self.addNoise(to: &centre, scale: Self.identitySpread, noiseScales: noiseScales, using: &generator)
            Self.normalise(&centre)
            centres.append(contentsOf: centre)
            photoSpreads.append(Self.photoSpread * Float(exp(Self.photoSpreadVariation * Self.gaussian(using: &generator))))
            let photos = min(Int.random(in: Self.photosPerIdentity, using: &generator), count - identities.count)
            for _ in 0..<photos {
                vectors.append(contentsOf: Self.photo(of: centre, spread: photoSpreads.last!, noiseScales: noiseScales, using: &generator))
                identities.append(identity)
            }
        }
        self.vectors = vectors
        self.identities = identities
        self.centres = centres
        self.photoSpreads = photoSpreads
    }

    public func template(_ row: Int) -> FaceTemplate {
        FaceTemplate(Array(vectors[row * Self.dimension ..< (row + 1) * Self.dimension]))
    }

    /// New photos of stored identities (chosen uniformly), as a search would bring them:
    /// fresh samples, never equal to a stored face.
    public func probes(count: Int, seed: UInt64) -> [(identity: Int32, template: FaceTemplate)] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in
            let identity = Int.random(in: 0..<identityCount, using: &generator)
            let centre = Array(centres[identity * Self.dimension ..< (identity + 1) * Self.dimension])
            let photo = Self.photo(of: centre, spread: photoSpreads[identity], noiseScales: noiseScales, using: &generator)
            return (Int32(identity), FaceTemplate(photo))
        }
    }

    /// Mean and standard deviation of distances over `pairs` random same-person and
    /// different-person pairs of stored faces, to compare with the measured real ones.
    public func distanceStatistics(pairs: Int, seed: UInt64 = 7) -> (same: (mean: Double, sd: Double), different: (mean: Double, sd: Double)) {
        var generator = SplitMix64(seed: seed)
        var same = [Double](), different = [Double]()
        // Rows of one identity are consecutive, so a same-person partner is a neighbour row.
        while same.count < pairs || different.count < pairs {
            let a = Int.random(in: 0..<count, using: &generator)
            let b = Int.random(in: 0..<count, using: &generator)
            if identities[a] != identities[b], different.count < pairs {
                different.append(Double(template(a).distance(to: template(b))))
            }
            if a + 1 < count, identities[a] == identities[a + 1], same.count < pairs {
                same.append(Double(template(a).distance(to: template(a + 1))))
            }
        }
        func summary(_ values: [Double]) -> (mean: Double, sd: Double) {
            let mean = values.reduce(0, +) / Double(values.count)
            return (mean, (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot())
        }
        return (summary(same), summary(different))
    }

    private static func photo(of centre: [Float], spread: Float, noiseScales: [Float],
                              using generator: inout SplitMix64) -> [Float] {
        var photo = centre
        addNoise(to: &photo, scale: spread, noiseScales: noiseScales, using: &generator)
        normalise(&photo)
        return photo
    }

    private static func addNoise(to vector: inout [Float], scale: Float, noiseScales: [Float], using generator: inout SplitMix64) {
        for i in vector.indices {
            vector[i] += scale * noiseScales[i] * Float(gaussian(using: &generator))
        }
    }

    private static func normalise(_ vector: inout [Float]) {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for i in vector.indices { vector[i] /= norm }
    }

    /// A standard normal sample (Box–Muller).
    private static func gaussian(using generator: inout SplitMix64) -> Double {
        let u = Double.random(in: Double.leastNonzeroMagnitude..<1, using: &generator)
        let v = Double.random(in: 0..<1, using: &generator)
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}
