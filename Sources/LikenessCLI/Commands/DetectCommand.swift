import ArgumentParser
import Foundation
import LikenessCore
import LikenessEngine

struct DetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Detect the faces in a local photo: boxes, landmarks, scores.",
        discussion: """
            --templates adds each face's 128-d template, computed from this local photo (for \
            debugging and parity checks). Templates stored in a gallery are never printed.
            """)

    @Argument(help: "The photo.") var photo: String
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Also compute and print each face's template.") var templates = false
    @Flag(help: "Use the MMOD CNN detector.") var accurate = false
    @Flag(help: "Detect and describe exactly as the reference face_recognition does (HOG, upsample 1, one chip).")
    var reference = false

    func run() async throws {
        try await failingWithExitCode2 {
            let engine = try CombinedFaceEngine(models: FaceModels.locate(), onnx: ONNXFaceModels.locate(), loadDetectorCNN: accurate)
            let image: RGBImage
            do { image = try ImageCodec.decode(file: photo) } catch {
                throw UsageFailure("\(photo): not an image Likeness can read: \(error)")
            }
            let policy: DetectionPolicy = reference ? .reference : accurate ? .accurate : .standard
            let faces = try engine.detectFaces(in: image, policy: policy)
            let descriptors = templates ? try engine.templates(for: faces, in: image, policy: reference ? .reference : .standard) : []
            let qualities = try faces.map { FaceQuality.score(face: $0, chip: try engine.chip(for: $0, in: image)) }
            if json {
                print(Output.json(DetectionJSON(
                    photo: photo, width: image.width, height: image.height, format: image.format,
                    faces: faces.enumerated().map { i, face in
                        DetectionJSON.Face(box: face.box.array, landmarks: face.landmarks.map { [$0.x, $0.y] },
                                           score: (face.detectorScore * 10000).rounded() / 10000,
                                           quality: (qualities[i] * 1000).rounded() / 1000,
                                           template: templates ? descriptors[i].values.map(Double.init) : nil)
                    })))
            } else {
                print("\(photo): \(image.width)×\(image.height), \(faces.count) face\(faces.count == 1 ? "" : "s")")
                print(Output.table(["face", "box", "score", "quality", "landmarks"], faces.enumerated().map { i, face in
                    ["\(i)", face.box.array.map(String.init).joined(separator: ","), String(format: "%.3f", face.detectorScore),
                     String(format: "%.2f", qualities[i]), face.landmarks.map { "\($0.x),\($0.y)" }.joined(separator: " ")]
                }))
                for (i, descriptor) in descriptors.enumerated() {
                    print("template \(i): " + descriptor.values.map { String(format: "%.6f", $0) }.joined(separator: " "))
                }
            }
        }
    }
}

/// `detect --json`: the photo and each face found in it.
struct DetectionJSON: Encodable {
    struct Face: Encodable {
        var box: [Int]
        var landmarks: [[Int]]
        var score: Double
        var quality: Double
        /// Only with `--templates`.
        var template: [Double]?
    }

    var photo: String
    var width: Int
    var height: Int
    var format: String
    var faces: [Face]
}
