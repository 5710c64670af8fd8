import Foundation
import LikenessCore
import LikenessEngine
import Synchronization
import Testing
import TestSupport

/// The YuNet and SFace shim must compute what OpenCV's own FaceDetectorYN and FaceRecognizerSF
/// compute for the same photo, at the reference's confidence threshold (scripts/reference/opencv_zoo_fixtures.py wrote the reference, with
/// a newer OpenCV than Debian's 4.6, which is why detection is compared within a tolerance).
@Suite struct ONNXParityTests {
    struct ReferenceFile: Decodable {
        struct Photo: Decodable {
            struct Face: Decodable {
                let box: [Double]
                let landmarks: [Float]
                let score: Double
                let feature: [Float]
            }
            let file: String
            let width: Int
            let height: Int
            let faces: [Face]
        }
        let photos: [Photo]
    }

    static let reference: ReferenceFile = {
        let url = Fixtures.root.appendingPathComponent("reference/opencv_zoo.json")
        return try! JSONDecoder().decode(ReferenceFile.self, from: Data(contentsOf: url))
    }()

    /// One of each network for the suite, lent to one test at a time.
    static let networks = Mutex<(YuNetDetector, SFaceRecognizer)?>(nil)

    static func use<T: Sendable>(_ body: (YuNetDetector, SFaceRecognizer) throws -> T) throws -> T {
        try networks.withLock { networks in
            if networks == nil {
                let models = try ONNXFaceModels.locate()
                networks = (try YuNetDetector(models: models), try SFaceRecognizer(models: models))
            }
            return try body(networks!.0, networks!.1)
        }
    }

    @Test(arguments: reference.photos.map(\.file))
    func yunetFindsWhatOpenCVFinds(file: String) throws {
        let expected = Self.reference.photos.first { $0.file == file }!
        let image = try ImageCodec.decode(file: Fixtures.face(file))
        let faces = try Self.use { yunet, _ in try yunet.detectFaces(in: image, longSide: max(image.width, image.height), scoreThreshold: 0.9) }
            .sorted { $0.box.left < $1.box.left }
        let expectedFaces = expected.faces.sorted { $0.box[0] < $1.box[0] }
        try #require(faces.count == expectedFaces.count, "\(file): \(faces.count) faces, OpenCV \(expectedFaces.count)")
        for (face, reference) in zip(faces, expectedFaces) {
            #expect(abs(Double(face.box.left) - reference.box[0]) <= 1 && abs(Double(face.box.top) - reference.box[1]) <= 1,
                    "\(file): box \(face.box.array), OpenCV \(reference.box)")
            #expect(abs(Double(face.box.width) - reference.box[2]) <= 1.5, "\(file): width \(face.box.width), OpenCV \(reference.box[2])")
            let worst = zip(face.landmarks, reference.landmarks).map { abs($0 - $1) }.max()!
            #expect(worst <= 0.5, "\(file): landmarks differ by up to \(worst) px")
            #expect(abs(Double(face.score) - reference.score) <= 0.01)
        }
    }

    /// On OpenCV's own landmarks, the aligned crop and the network give OpenCV's feature.
    @Test(arguments: reference.photos.filter { !$0.faces.isEmpty }.map(\.file))
    func sfaceComputesOpenCVsFeature(file: String) throws {
        let expected = Self.reference.photos.first { $0.file == file }!
        let image = try ImageCodec.decode(file: Fixtures.face(file))
        let faces = expected.faces.map { YuNetFace(box: FaceBox(left: 0, top: 0, right: 0, bottom: 0), score: 1, landmarks: $0.landmarks) }
        let templates = try Self.use { _, sface in try sface.templates(for: faces, in: image, mirrored: false) }
        for (template, reference) in zip(templates, expected.faces) {
            let norm = reference.feature.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let worst = zip(template.values, reference.feature).map { abs($0 - $1 / norm) }.max()!
            #expect(worst <= 1e-4, "\(file): max feature difference \(worst)")
        }
    }

    @Test func missingOrDifferentONNXModelsAreAClearError() throws {
        let folder = try Fixtures.scratchDirectory()
        let missing = try #require(throws: FaceModelsError.self) { try ONNXFaceModels.locate(directory: folder.path) }
        #expect(missing.description.contains("face_detection_yunet_2023mar.onnx is missing"))
        #expect(missing.description.contains("fetch-onnx-models.sh"))

        let real = try ONNXFaceModels.locate()
        try FileManager.default.copyItem(atPath: real.yunet.path, toPath: folder.appendingPathComponent(real.yunet.name).path)
        // Another network under SFace's name: YuNet's bytes.
        try FileManager.default.copyItem(atPath: real.yunet.path, toPath: folder.appendingPathComponent(real.sface.name).path)
        let different = try #require(throws: FaceModelsError.self) { try ONNXFaceModels.locate(directory: folder.path) }
        #expect(different.description.contains("face_recognition_sface_2021dec.onnx has SHA-256"))
        #expect(different.description.contains("a different model"))
    }
}
