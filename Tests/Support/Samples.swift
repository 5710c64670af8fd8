import Foundation

/// Bad and unusual inputs, made from the fixtures at test time.
public enum Samples {
    public static func bytes(_ fixture: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: Fixtures.face(fixture))))
    }

    /// The first `fraction` of a JPEG: a download cut short.
    public static func truncatedJPEG(_ fixture: String = "img17.jpg", fraction: Double = 0.5) throws -> [UInt8] {
        let all = try bytes(fixture)
        return Array(all.prefix(Int(Double(all.count) * fraction)))
    }

    /// A JPEG whose header claims 20000×20000 pixels (a decompression bomb): the pixel limit
    /// must refuse it from the header, before decoding anything.
    public static func hugeJPEG() throws -> [UInt8] {
        var jpeg = try bytes("img12.jpg")
        // Start-of-frame markers (baseline or progressive): FF C0/C2, length, precision, height, width.
        guard let sof = jpeg.indices.dropLast(9).first(where: { jpeg[$0] == 0xFF && (jpeg[$0 + 1] == 0xC0 || jpeg[$0 + 1] == 0xC2) })
        else { throw SampleError() }
        for offset in [5, 7] {  // height, then width: 20000 = 0x4E20
            jpeg[sof + offset] = 0x4E
            jpeg[sof + offset + 1] = 0x20
        }
        return jpeg
    }

    /// Bytes that are no image format at all.
    public static func corrupt() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    public static let notAnImage = Array("Minutes of the meeting.\nNo faces here.\n".utf8)

    /// A copy of a fixture with bytes appended after its end: decodes the same, hashes differently.
    public static func distinctCopy(_ fixture: String, tag: Int) throws -> [UInt8] {
        try bytes(fixture) + Array("likeness-copy-\(tag)".utf8)
    }

    struct SampleError: Error {}
}

extension URL {
    /// Writes bytes to `name` inside this folder and returns the file's path.
    @discardableResult
    public func write(_ bytes: [UInt8], to name: String) throws -> String {
        let url = appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url.path
    }
}
