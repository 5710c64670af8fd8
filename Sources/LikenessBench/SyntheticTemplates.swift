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

    /// Row `i` (128 floats) is stored face `i`; empty unless the vectors are stored.
    public let vectors: [Float]
    /// The identity of each stored face.
    public let identities: [Int32]
    private let centres: [Float]
    private let photoSpreads: [Float]
    /// Per-dimension noise scale: the square root of the 1/i^0.7 spectrum, unit total variance.
    private let noiseScales: [Float]
    private let seed: UInt64

    public var count: Int { identities.count }
    public var identityCount: Int { photoSpreads.count }

    /// `count` faces; the same `seed` gives the same faces. Without `storingVectors`, only the
    /// identities are kept (ten million faces' vectors are 5 GB), and `forEachBatch` makes
    /// the vectors again when they are wanted.
    public init(count: Int, seed: UInt64 = 1, storingVectors: Bool = true) {
        let weights = (1...Self.dimension).map { pow(Double($0), -Self.spectrumExponent / 2) }
        let total = weights.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let noiseScales = weights.map { Float($0 / total) }
        var vectors = [Float](), identities = [Int32](), centres = [Float](), photoSpreads = [Float]()
        if storingVectors { vectors.reserveCapacity(count * Self.dimension) }
        identities.reserveCapacity(count)
        Self.generate(count: count, seed: seed, noiseScales: noiseScales) { centre, spread in
            centres.append(contentsOf: centre)
            photoSpreads.append(spread)
        } photo: { photo, identity in
            if storingVectors { vectors.append(contentsOf: photo) }
            identities.append(identity)
        }
        self.noiseScales = noiseScales
        self.seed = seed
        self.vectors = vectors
        self.identities = identities
        self.centres = centres
        self.photoSpreads = photoSpreads
    }

    /// Calls `body(start, vectors)` for faces `start ..< start + batch` in turn, their vectors
    /// as rows of one array: sliced from the stored vectors, or made again from the seed.
    public func forEachBatch(of batch: Int, _ body: (_ start: Int, _ vectors: [Float]) throws -> Void) throws {
        if !vectors.isEmpty {
            for start in stride(from: 0, to: count, by: batch) {
                try body(start, Array(vectors[start * Self.dimension ..< min(count, start + batch) * Self.dimension]))
            }
            return
        }
        var pending = [Float](), start = 0
        pending.reserveCapacity(batch * Self.dimension)
        var failure: (any Error)?
        Self.generate(count: count, seed: seed, noiseScales: noiseScales) { _, _ in } photo: { photo, _ in
            guard failure == nil else { return }
            pending.append(contentsOf: photo)
            if pending.count == batch * Self.dimension || start + pending.count / Self.dimension == count {
                do { try body(start, pending) } catch { failure = error }
                start += pending.count / Self.dimension
                pending.removeAll(keepingCapacity: true)
            }
        }
        if let failure { throw failure }
    }

    /// The generative model, in the order its random numbers are drawn: each identity's centre
    /// and spread, then its photos.
    private static func generate(count: Int, seed: UInt64, noiseScales: [Float],
                                 identity: (_ centre: [Float], _ spread: Float) -> Void,
                                 photo: (_ photo: [Float], _ identity: Int32) -> Void) {
        var generator = SplitMix64(seed: seed)
        var made = 0, identities: Int32 = 0
        while made < count {
            var centre = [Float](repeating: 0, count: Self.dimension)
            centre[0] = 1
            Self.addNoise(to: &centre, scale: Self.identitySpread, noiseScales: noiseScales, using: &generator)
            Self.normalise(&centre)
            let spread = Self.photoSpread * Float(exp(Self.photoSpreadVariation * Self.gaussian(using: &generator)))
            identity(centre, spread)
            let photos = min(Int.random(in: Self.photosPerIdentity, using: &generator), count - made)
            for _ in 0..<photos {
                photo(Self.photo(of: centre, spread: spread, noiseScales: noiseScales, using: &generator), identities)
            }
            made += photos
            identities += 1
        }
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
    /// different-person pairs of stored faces, to compare with the measured real ones. Needs
    /// the stored vectors.
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
