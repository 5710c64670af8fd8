import CVips
import Foundation

public struct ImageDecodingError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// libvips, wrapped: decodes any format it reads into upright RGB8, and encodes JPEG crops.
public enum ImageCodec {
    /// Images above this many pixels are refused from their header (decompression bombs).
    /// 100 MP holds any real camera frame; a 20000×20000 (400 MP) image is refused.
    public static let defaultPixelLimit = 100_000_000

    private static let started: Result<Void, ImageDecodingError> = {
        var message = [CChar](repeating: 0, count: 512)
        return lk_vips_start(&message, message.count) == 0
            ? .success(()) : .failure(ImageDecodingError(description: String(shimMessage: message)))
    }()

    public static func decode(file path: String, pixelLimit: Int = defaultPixelLimit) throws -> RGBImage {
        try started.get()
        return try call { image, error, capacity in
            lk_vips_decode_file(path, pixelLimit, &image, error, capacity)
        }
    }

    public static func decode(data: some ContiguousBytes, pixelLimit: Int = defaultPixelLimit) throws -> RGBImage {
        try decode(data: data, pixelLimit: pixelLimit, keepingLongSideAtLeast: 0).image
    }

    /// Decodes a JPEG shrunk by 2, 4 or 8 while its longer side stays at least `minimumLongSide`
    /// (libjpeg scales as it decodes: a fraction of a full decode's time and memory); any other
    /// format, or a JPEG too small to shrink, at full size. `shrink` is the factor (1: none).
    public static func decode(data: some ContiguousBytes, pixelLimit: Int = defaultPixelLimit,
                              keepingLongSideAtLeast minimumLongSide: Int) throws -> (image: RGBImage, shrink: Int) {
        try started.get()
        var shrink: Int32 = 1
        let image = try data.withUnsafeBytes { bytes in
            try call { image, error, capacity in
                lk_vips_decode_buffer(bytes.baseAddress, bytes.count, pixelLimit, minimumLongSide, &shrink, &image, error, capacity)
            }
        }
        return (image, Int(shrink))
    }

    /// The image scaled by `scale` (below 1 shrinks).
    public static func resize(_ image: RGBImage, scale: Double) throws -> RGBImage {
        try image.withPixels { pixels in
            try call { out, error, capacity in
                lk_vips_resize(pixels, image.width, image.height, scale, &out, error, capacity)
            }
        }
    }

    /// A JPEG of `region` (clipped to the image), its longer side scaled down to `maxSide`.
    public static func jpeg(of image: RGBImage, left: Int, top: Int, width: Int, height: Int,
                            maxSide: Int, quality: Int = 85) throws -> [UInt8] {
        try image.withPixels { pixels in
            try encode(pixels, width: image.width, height: image.height,
                       region: (left, top, width, height), maxSide: maxSide, quality: quality)
        }
    }

    /// A JPEG of raw RGB8 pixels (a face chip, say).
    public static func jpeg(rgb pixels: [UInt8], width: Int, height: Int, quality: Int = 85) throws -> [UInt8] {
        precondition(pixels.count == width * height * 3)
        return try pixels.withUnsafeBufferPointer { buffer in
            try encode(buffer.baseAddress!, width: width, height: height,
                       region: (0, 0, width, height), maxSide: max(width, height), quality: quality)
        }
    }

    private static func encode(_ pixels: UnsafePointer<UInt8>, width: Int, height: Int,
                               region: (Int, Int, Int, Int), maxSide: Int, quality: Int) throws -> [UInt8] {
        try started.get()
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        var message = [CChar](repeating: 0, count: 512)
        guard lk_vips_encode_jpeg(pixels, width, height, region.0, region.1, region.2, region.3,
                                  maxSide, Int32(quality), &buffer, &length, &message, message.count) == 0,
              let buffer
        else { throw ImageDecodingError(description: String(shimMessage: message)) }
        defer { lk_vips_free_buffer(buffer) }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }

    private static func call(_ body: (inout lk_vips_image, UnsafeMutablePointer<CChar>, Int) -> Int32) throws -> RGBImage {
        var image = lk_vips_image()
        var message = [CChar](repeating: 0, count: 512)
        guard body(&image, &message, message.count) == 0 else {
            throw ImageDecodingError(description: String(shimMessage: message))
        }
        return RGBImage(taking: image)
    }
}
