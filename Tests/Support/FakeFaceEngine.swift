import Foundation
import LikenessCore
import LikenessEngine

/// A face engine for tests of what surrounds the model (HTTP, accounts, audit, privacy
/// requests), where the model is not what is tested: it needs no weights and answers at once.
///
/// It finds one face, the centred square half as wide as the image's shorter side, in any image
/// of at least 64 px a side, and none in smaller ones. The face's template is drawn from its
/// pixels: the same photo always gives the same template (a search with an ingested photo finds
/// it at distance 0), and two different photos templates about √2 apart, far outside every
/// band, as two strangers' would be.
public final class FakeFaceEngine: FaceEngine {
    public static let smallestImageSide = 64

    public init() {}

    public func detectFaces(in image: RGBImage, policy: DetectionPolicy) throws -> [DetectedFace] {
        let side = min(image.width, image.height)
        guard side >= Self.smallestImageSide else { return [] }
        let faceSide = side / 2
        let left = (image.width - faceSide) / 2, top = (image.height - faceSide) / 2
        let box = FaceBox(left: left, top: top, right: left + faceSide - 1, bottom: top + faceSide - 1)
        func at(_ x: Double, _ y: Double) -> PixelPoint {
            PixelPoint(x: left + Int(x * Double(faceSide)), y: top + Int(y * Double(faceSide)))
        }
        // dlib's five points: right eye outer and inner, left eye outer and inner, nose base.
        return [DetectedFace(box: box, detectorScore: 1,
                             landmarks: [at(0.2, 0.4), at(0.4, 0.4), at(0.8, 0.4), at(0.6, 0.4), at(0.5, 0.7)])]
    }

    public func templates(for faces: [DetectedFace], in image: RGBImage, policy: TemplatePolicy) throws -> [FaceTemplate] {
        try faces.map { face in
            var generator = SplitMix64(seed: Self.fingerprint(try chip(for: face, in: image)))
            // Normal deviates scaled so that the template's length is about 1, as dlib's are.
            let values = (0..<FaceTemplate.dimension).map { _ in Float(generator.normal() / Double(FaceTemplate.dimension).squareRoot()) }
            return FaceTemplate(values)
        }
    }

    /// A second template, of unit length as SFace's are, drawn from the same pixels with
    /// another seed: the same photo has cosine similarity 1 with itself, two different photos
    /// about 0, so searches on the fake take the fused path as on the real engines.
    public func sfaceTemplates(for faces: [DetectedFace], in image: RGBImage) throws -> [FaceTemplate?] {
        try faces.map { face in
            var generator = SplitMix64(seed: Self.fingerprint(try chip(for: face, in: image)) ^ 0x5346_6163_6500_0000)
            let values = (0..<FaceTemplate.dimension).map { _ in Float(generator.normal()) }
            let length = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return FaceTemplate(values.map { $0 / length })
        }
    }

    /// The face's box resampled (nearest pixel) to the chip size the real engine makes.
    public func chip(for face: DetectedFace, in image: RGBImage) throws -> [UInt8] {
        let side = DlibFaceEngine.chipSide
        var chip = [UInt8](repeating: 0, count: side * side * 3)
        image.withPixels { pixels in
            for y in 0..<side {
                let sourceY = min(image.height - 1, max(0, face.box.top + y * face.box.height / side))
                for x in 0..<side {
                    let sourceX = min(image.width - 1, max(0, face.box.left + x * face.box.width / side))
                    for channel in 0..<3 {
                        chip[(y * side + x) * 3 + channel] = pixels[(sourceY * image.width + sourceX) * 3 + channel]
                    }
                }
            }
        }
        return chip
    }

    /// FNV-1a over the chip's bytes.
    static func fingerprint(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}

/// A small deterministic generator (SplitMix64), so that a photo's template is the same in
/// every process.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    mutating func unit() -> Double { Double(next() >> 11 + 1) / Double(1 << 53) }

    /// A standard normal deviate (Box–Muller).
    mutating func normal() -> Double {
        (-2 * log(unit())).squareRoot() * cos(2 * Double.pi * unit())
    }
}
