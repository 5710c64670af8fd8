import Foundation
import LikenessCore
import LikenessEngine
import Testing
import TestSupport

/// The engine must compute what the reference Python `face_recognition` computes for the
/// same photo: same boxes, same landmarks, descriptors within 1e-4 per component. The
/// reference values come from scripts/reference/face_recognition_fixtures.py.
@Suite struct ReferenceParityTests {
    struct ReferenceFile: Decodable {
        struct Photo: Decodable {
            struct Face: Decodable {
                let box: [Int]
                let landmarks: [[Int]]
                let descriptor: [Double]
            }
            let file: String
            let width: Int
            let height: Int
            let faces: [Face]
        }
        let photos: [Photo]
    }

    static let reference: ReferenceFile = {
        let url = Fixtures.root.appendingPathComponent("reference/face_recognition.json")
        return try! JSONDecoder().decode(ReferenceFile.self, from: Data(contentsOf: url))
    }()

    @Test(arguments: reference.photos.map(\.file))
    func matchesReference(file: String) throws {
        let expected = Self.reference.photos.first { $0.file == file }!
        let image = try ImageCodec.decode(file: Fixtures.face(file))
        #expect(image.width == expected.width && image.height == expected.height)

        let (detected, templates) = try TestEngine.use { engine in
            let faces = try engine.detectFaces(in: image, policy: .reference)
                .sorted { ($0.box.left, $0.box.top) < ($1.box.left, $1.box.top) }
            return (faces, try engine.templates(for: faces, in: image, policy: .reference))
        }
        let faces = detected
        let expectedFaces = expected.faces.sorted { ($0.box[0], $0.box[1]) < ($1.box[0], $1.box[1]) }
        try #require(faces.count == expectedFaces.count, "\(file): \(faces.count) faces, reference \(expectedFaces.count)")

        for (i, (face, reference)) in zip(faces, expectedFaces).enumerated() {
            #expect(face.box.array == reference.box, "\(file) face \(i) box")
            #expect(face.landmarks.map { [$0.x, $0.y] } == reference.landmarks, "\(file) face \(i) landmarks")
            let worst = zip(templates[i].values, reference.descriptor).map { abs(Double($0) - $1) }.max()!
            #expect(worst <= 1e-4, "\(file) face \(i): max descriptor difference \(worst)")
        }
    }
}
