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
        // libvips keeps one error buffer for the process: a decode failing on another thread at
        // the same moment can clear its text first, leaving the shim's own message.
        #expect(error.description.contains("Premature end") || error.description.contains("cannot be decoded"), "\(error)")
    }

    /// A malformed AVIF a fuzz run found (Tests/Fixtures/fuzz/image): dav1d refuses its AV1
    /// data, and the decoder says so rather than handing on an image. (libheif leaks 40 bytes of
    /// dav1d's on it, upstream's bug: Fuzz/lsan-suppressions.txt.)
    @Test func refusesAnAVIFWhoseAV1DataIsMalformed() throws {
        let avif = Fixtures.root.appendingPathComponent("fuzz/image/avif-dav1d-leak").path
        #expect(throws: ImageDecodingError.self) { try ImageCodec.decode(file: avif) }
    }

    @Test func refusesDecompressionBombFromHeader() throws {
        let error = try #require(throws: ImageDecodingError.self) {
            try ImageCodec.decode(data: try Samples.hugeJPEG())
        }
        #expect(error.description.contains("20000×20000"))
        #expect(error.description.contains("over the limit"))
    }

    /// A probe far larger than detection needs decodes shrunk while decoding: by the largest
    /// of 2, 4 or 8 that keeps the longer side at the minimum, to the same picture.
    @Test func aLargeJPEGDecodesShrunkOnlyAsFarAsAsked() throws {
        let photo = try ImageCodec.decode(file: Fixtures.face("img11.jpg"))  // 600×800
        let large = try ImageCodec.resize(photo, scale: 4)  // 2400×3200
        let jpeg = try ImageCodec.jpeg(of: large, left: 0, top: 0, width: large.width, height: large.height,
                                       maxSide: max(large.width, large.height), quality: 90)
        let shrunk = try ImageCodec.decode(data: jpeg, keepingLongSideAtLeast: 1_280)
        #expect(shrunk.shrink == 2 && shrunk.image.width == 1_200 && shrunk.image.height == 1_600)
        #expect(try ImageCodec.decode(data: jpeg, keepingLongSideAtLeast: 400).shrink == 8)
        #expect(try ImageCodec.decode(data: jpeg, keepingLongSideAtLeast: 3_000).shrink == 1)
        // The same picture as a full decode brought to that size, within JPEG's and the filters' noise.
        let reference = try ImageCodec.resize(try ImageCodec.decode(data: jpeg), scale: 0.5)
        #expect(reference.width == 1_200 && reference.height == 1_600)
        let count = reference.pixelCount * 3
        let difference = shrunk.image.withPixels { a in
            reference.withPixels { b in (0..<count).reduce(0) { $0 + abs(Int(a[$1]) - Int(b[$1])) } }
        }
        #expect(Double(difference) / Double(count) < 4, "mean difference \(Double(difference) / Double(count))")
        // Small photos, and the limit on pixels, are as a full decode's.
        #expect(try ImageCodec.decode(data: try Samples.bytes("img11.jpg"), keepingLongSideAtLeast: 1_280).shrink == 1)
        let bomb = try #require(throws: ImageDecodingError.self) {
            try ImageCodec.decode(data: try Samples.hugeJPEG(), keepingLongSideAtLeast: 1_280)
        }
        #expect(bomb.description.contains("20000×20000") && bomb.description.contains("over the limit"), "\(bomb)")
    }

    @Test(arguments: [("random bytes", Samples.corrupt()), ("text", Samples.notAnImage), ("empty", [])])
    func refusesNonImages(label: String, bytes: [UInt8]) throws {
        let error = try #require(throws: ImageDecodingError.self) { try ImageCodec.decode(data: bytes) }
        #expect(error.description.contains("not an image"), "\(label): \(error)")
    }

    /// Formats libvips could parse but Likeness does not document: each has a loader nobody
    /// asked to expose to uploads (rsvg, poppler, cfitsio, …), so it is refused before it runs.
    static let undocumentedFormats: [(format: String, bytes: [UInt8])] = [
        ("SVG", Array(#"<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>"#.utf8)),
        ("PDF", Array("%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n".utf8)),
        ("PPM", Array("P3\n1 1\n255\n0 0 0\n".utf8)),
        ("FITS", Array(["SIMPLE  =                    T", "BITPIX  =                    8", "NAXIS   =                    0", "END"]
            .map { $0.padding(toLength: 80, withPad: " ", startingAt: 0) }.joined().padding(toLength: 2880, withPad: " ", startingAt: 0).utf8)),
        ("VIPS", [0xB6, 0xA6, 0xF2, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0] + [UInt8](repeating: 0, count: 48)),
    ]

    /// Named for what they are from a file; from memory too, except the formats libvips reads
    /// only from files (FITS, vips), which memory refuses as unreadable.
    @Test(arguments: undocumentedFormats)
    func refusesFormatsLikenessDoesNotDocumentNamingThem(format: String, bytes: [UInt8]) throws {
        let path = try Fixtures.scratchDirectory().write(bytes, to: "photo.jpg")
        let fromFile = try #require(throws: ImageDecodingError.self) { try ImageCodec.decode(file: path) }
        #expect(fromFile.description.hasPrefix("\(format) files are not accepted"), "\(format): \(fromFile)")
        let fromMemory = try #require(throws: ImageDecodingError.self) { try ImageCodec.decode(data: bytes) }
        let readsFilesOnly = ["FITS", "VIPS"].contains(format)
        #expect(fromMemory.description.hasPrefix(readsFilesOnly ? "not an image" : "\(format) files are not accepted"),
                "\(format): \(fromMemory)")
    }

    @Test func encodesJPEGCrops() throws {
        let image = try ImageCodec.decode(file: Fixtures.face("img5.jpg"))
        let jpeg = try ImageCodec.jpeg(of: image, left: 97, top: 160, width: 187, height: 186, maxSide: 100)
        let crop = try ImageCodec.decode(data: jpeg)
        #expect(max(crop.width, crop.height) == 100)
        #expect(jpeg.starts(with: [0xFF, 0xD8]))
    }
}
