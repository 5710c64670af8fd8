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
            let score: (value: Float, band: ScoreBand, similarity: Double, threshold: Float, models: String)
            if let a = templates[0].sface, let b = templates[1].sface {
                let fused = fusedBands.fusedDistance(dlibDistance: distance, sfaceSimilarity: a.cosineSimilarity(to: b))
                score = (fused, fusedBands.band(forFusedDistance: fused), fusedBands.similarity(forFusedDistance: fused),
                         fusedBands.thresholds.possible, TemplateModel.dlibResNetV1.rawValue + "+" + TemplateModel.sface2021dec.rawValue)
            } else {
                score = (distance, bands.band(forDistance: distance), bands.similarity(forDistance: distance), bands.possible,
                         TemplateModel.dlibResNetV1.rawValue)
            }
            let verdict = score.value <= score.threshold ? "same" : "different"
            if json {
                print(Output.json(VerifyJSON(distance: (Double(distance) * 10000).rounded() / 10000,
                                             fusedDistance: score.models == TemplateModel.dlibResNetV1.rawValue
                                                 ? nil : (Double(score.value) * 10000).rounded() / 10000,
                                             similarity: (score.similarity * 10000).rounded() / 10000,
                                             band: score.band.rawValue, verdict: verdict, threshold: Double(score.threshold),
                                             models: score.models)))
            } else {
                print(String(format: "distance %.4f  similarity %.2f  band ", distance, score.similarity) + score.band.rawValue
                      + "  verdict: \(verdict) (" + (score.models == TemplateModel.dlibResNetV1.rawValue
                          ? String(format: "threshold %.2f", score.threshold)
                          : String(format: "fused distance %.3f, threshold %.3f", score.value, score.threshold))
                      + "; scored by \(score.models))")
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
