import ArgumentParser
import Foundation
import LikenessCore
import LikenessEngine
import LikenessStore

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Compare the largest faces of two photos: distance, similarity, band, same or different.")

    @Argument(help: "The first photo.") var first: String
    @Argument(help: "The second photo.") var second: String
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var data: DataOptions

    func run() async throws {
        try await failingWithExitCode2 {
            let engine = try CombinedFaceEngine(models: FaceModels.locate(), onnx: ONNXFaceModels.locate())
            let templates = try [first, second].map { path -> FaceTemplates in
                let image: RGBImage
                do { image = try ImageCodec.decode(file: path) } catch {
                    throw UsageFailure("\(path): not an image Likeness can read: \(error)")
                }
                guard let face = try engine.detectFaces(in: image, policy: .standard).first else {
                    throw UsageFailure("\(path): no face found")
                }
                return FaceTemplates(dlib: try engine.templates(for: [face], in: image, policy: .standard)[0],
                                     sface: try engine.sfaceTemplates(for: [face], in: image)[0])
            }
            let (bands, fusedBands) = try await data.calibratedBands()
            let distance = templates[0].dlib.distance(to: templates[1].dlib)
            // Both models when both faces have both templates, else dlib's alone.
            let fused = templates[0].sface.flatMap { a in
                templates[1].sface.map { b in fusedBands.fusedDistance(dlibDistance: distance, sfaceSimilarity: a.cosineSimilarity(to: b)) }
            }
            let models: [TemplateModel] = fused == nil ? [.dlibResNetV1] : [.dlibResNetV1, .sface2021dec]
            let scoredBy = models.map(\.rawValue).joined(separator: "+")
            let band = fused.map(fusedBands.band(forFusedDistance:)) ?? bands.band(forDistance: distance)
            let similarity = fused.map(fusedBands.similarity(forFusedDistance:)) ?? bands.similarity(forDistance: distance)
            let threshold = fused == nil ? bands.possible : fusedBands.thresholds.possible
            let verdict = (fused ?? distance) <= threshold ? "same" : "different"
            if json {
                print(Output.json(VerifyJSON(distance: (Double(distance) * 10000).rounded() / 10000,
                                             fusedDistance: fused.map { (Double($0) * 10000).rounded() / 10000 },
                                             similarity: (similarity * 10000).rounded() / 10000,
                                             band: band.rawValue, verdict: verdict, threshold: Double(threshold), models: scoredBy)))
            } else {
                print(String(format: "distance %.4f  similarity %.2f  band ", distance, similarity) + band.rawValue
                      + "  verdict: \(verdict) ("
                      + (fused.map { String(format: "fused distance %.3f, threshold %.3f", $0, threshold) }
                         ?? String(format: "threshold %.2f", threshold))
                      + "; scored by \(scoredBy))")
                print("A lead, not an identification: a trained person must review it before any action.")
            }
        }
    }
}

/// `verify --json`: how far apart the two faces are, and what that is taken to mean.
struct VerifyJSON: Encodable {
    /// dlib's distance.
    var distance: Double
    /// The fused distance of both models, when both faces have both templates.
    var fusedDistance: Double?
    var similarity: Double
    var band: String
    /// `same` within the possible band, else `different`.
    var verdict: String
    /// The possible band's threshold, on the fused distance when there is one.
    var threshold: Double
    /// The models that scored the pair.
    var models: String

    enum CodingKeys: String, CodingKey {
        case distance, fusedDistance = "fused_distance", similarity, band, verdict, threshold, models
    }
}
