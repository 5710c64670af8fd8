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
            let engine = try DlibFaceEngine(models: FaceModels.locate(), loadDetectorCNN: false)
            let templates = try [first, second].map { path -> FaceTemplate in
                let image: RGBImage
                do { image = try ImageCodec.decode(file: path) } catch {
                    throw UsageFailure("\(path): not an image Likeness can read: \(error)")
                }
                guard let face = try engine.detectFaces(in: image, policy: .standard).first else {
                    throw UsageFailure("\(path): no face found")
                }
                return try engine.templates(for: [face], in: image, policy: .standard)[0]
            }
            let bands = try await data.calibratedBands()
            let distance = templates[0].distance(to: templates[1])
            let band = bands.band(forDistance: distance)
            let verdict = distance <= bands.possible ? "same" : "different"
            if json {
                print(Output.json(VerifyJSON(distance: (Double(distance) * 10000).rounded() / 10000,
                                             similarity: (bands.similarity(forDistance: distance) * 10000).rounded() / 10000,
                                             band: band.rawValue, verdict: verdict, threshold: Double(bands.possible))))
            } else {
                print(String(format: "distance %.4f  similarity %.2f  band %@  verdict: %@ (threshold %.2f)",
                             distance, bands.similarity(forDistance: distance), band.rawValue, verdict, bands.possible))
                print("A lead, not an identification: a trained person must review it before any action.")
            }
        }
    }
}

/// `verify --json`: how far apart the two faces are, and what that is taken to mean.
struct VerifyJSON: Encodable {
    var distance: Double
    var similarity: Double
    var band: String
    /// `same` within the possible band, else `different`.
    var verdict: String
    var threshold: Double
}
