import CVips

/// Decoded pixels, upright (EXIF orientation applied), packed RGB8. Immutable once made.
public final class RGBImage: @unchecked Sendable {  // Sendable: the pixels are never written after init.
    public let width: Int
    public let height: Int
    /// The decoder that read it ("jpegload_source", "webpload_source", ...).
    public let format: String
    private let storage: UnsafeMutablePointer<UInt8>
    /// Whether libvips allocated the pixels (and must free them) or Swift did.
    private let allocatedByVips: Bool

    /// Takes ownership of pixels that libvips allocated.
    init(taking image: lk_vips_image) {
        var image = image
        width = image.width
        height = image.height
        format = withUnsafeBytes(of: &image.format) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        storage = image.pixels
        allocatedByVips = true
    }

    /// A copy of packed RGB8 pixels decoded elsewhere (a video frame from ffmpeg).
    public init(width: Int, height: Int, rgb pixels: UnsafeRawBufferPointer, format: String) {
        precondition(pixels.count == width * height * 3)
        self.width = width
        self.height = height
        self.format = format
        storage = .allocate(capacity: pixels.count)
        storage.initialize(from: pixels.bindMemory(to: UInt8.self).baseAddress!, count: pixels.count)
        allocatedByVips = false
    }

    deinit {
        if allocatedByVips {
            var image = lk_vips_image()
            image.pixels = storage
            lk_vips_free_image(&image)
        } else {
            storage.deallocate()
        }
    }

    public var pixelCount: Int { width * height }

    public func withPixels<T>(_ body: (UnsafePointer<UInt8>) throws -> T) rethrows -> T {
        try body(storage)
    }
}
