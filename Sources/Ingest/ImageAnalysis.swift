import LikenessCore
import LikenessEngine
import LikenessStore

/// Photo → faces → templates for one image: decode, detect, align, describe, and keep a
/// JPEG of each aligned face chip for reviewers. Runs on an engine thread.
struct ImageAnalysis {
    var width: Int
    var height: Int
    var format: String
    var faces: [NewFace]

    static func analyse(_ bytes: [UInt8], engine: any FaceEngine, policy: DetectionPolicy) throws -> ImageAnalysis {
        let image: RGBImage
        do {
            image = try ImageCodec.decode(data: bytes)
        } catch {
            throw IngestError("cannot decode: \(error)")
        }
        let detected = try engine.detectFaces(in: image, policy: policy)
        let templates = try engine.templates(for: detected, in: image)
        let faces = try zip(detected, templates).map { face, template in
            let chip = try engine.chip(for: face, in: image)
            let side = DlibFaceEngine.chipSide
            return NewFace(face: face, quality: FaceQuality.score(face: face, chip: chip), template: template,
                           crop: try ImageCodec.jpeg(rgb: chip, width: side, height: side))
        }
        return ImageAnalysis(width: image.width, height: image.height,
                             format: image.format.replacingOccurrences(of: "_source", with: ""), faces: faces)
    }
}
