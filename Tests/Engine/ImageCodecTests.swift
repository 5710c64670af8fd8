import Foundation
import LikenessEngine
import Testing
import TestSupport

@Suite struct ImageCodecTests {
    @Test func appliesEXIFOrientation() throws {
        let upright = try ImageCodec.decode(file: Fixtures.face("img5.jpg"))
        let rotated = try ImageCodec.decode(file: Fixtures.face("exif-rotated-img5.jpg"))
        // Stored sideways (512×330) with Orientation=6: decoded upright, like the original.
        #expect(rotated.width == upright.width && rotated.height == upright.height)
        let faces = try TestEngine.use { engine in
            try [upright, rotated].map { try engine.detectFaces(in: $0, policy: .standard) }
        }
        #expect(faces[0].count == 1 && faces[1].count == 1)
        #expect(faces[0][0].box.overlap(with: faces[1][0].box) > 0.9)
    }

    @Test func sniffsFormatFromContentNotName() throws {
        let image = try ImageCodec.decode(file: Fixtures.face("img47.jpg"))  // WebP bytes, .jpg name
        #expect(image.format.hasPrefix("webpload"))
        #expect(image.width == 1350 && image.height == 1800)
    }

    @Test func opensFileNamesWithBrackets() throws {
        let folder = try Fixtures.scratchDirectory()
        let path = try folder.write(try Samples.bytes("img12.jpg"), to: "scan[page=2].jpg")
        #expect(try ImageCodec.decode(file: path).width == 560)
    }

    @Test func refusesTruncatedJPEG() throws {
        let error = try #require(throws: ImageDecodingError.self) {
            try ImageCodec.decode(data: try Samples.truncatedJPEG())
        }
        #expect(error.description.contains("Premature end"))
    }

    @Test func refusesDecompressionBombFromHeader() throws {
        let error = try #require(throws: ImageDecodingError.self) {
            try ImageCodec.decode(data: try Samples.hugeJPEG())
        }
        #expect(error.description.contains("20000×20000"))
        #expect(error.description.contains("over the limit"))
    }

    @Test(arguments: [("random bytes", Samples.corrupt()), ("text", Samples.notAnImage), ("empty", [])])
    func refusesNonImages(label: String, bytes: [UInt8]) throws {
        let error = try #require(throws: ImageDecodingError.self) { try ImageCodec.decode(data: bytes) }
        #expect(error.description.contains("not an image"), "\(label): \(error)")
    }

    @Test func encodesJPEGCrops() throws {
        let image = try ImageCodec.decode(file: Fixtures.face("img5.jpg"))
        let jpeg = try ImageCodec.jpeg(of: image, left: 97, top: 160, width: 187, height: 186, maxSide: 100)
        let crop = try ImageCodec.decode(data: jpeg)
        #expect(max(crop.width, crop.height) == 100)
        #expect(jpeg.starts(with: [0xFF, 0xD8]))
    }
}
