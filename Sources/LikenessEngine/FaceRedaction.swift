import LikenessCore

/// What a person is shown of an image that holds their face: the region around their face,
/// with every other face in it pixelated beyond recognition.
public enum FaceRedaction {
    /// A JPEG of `face` with half its size again as margin, `others` pixelated. Pixels inside
    /// the person's own box are never altered, even where another box overlaps it.
    public static func isolatedCrop(of image: RGBImage, face: FaceBox, others: [FaceBox]) throws -> [UInt8] {
        let marginX = face.width / 2, marginY = face.height / 2
        let left = max(0, face.left - marginX), top = max(0, face.top - marginY)
        let right = min(image.width - 1, face.right + marginX), bottom = min(image.height - 1, face.bottom + marginY)
        guard right > left, bottom > top else { throw ImageDecodingError(description: "the face lies outside the image") }
        let width = right - left + 1, height = bottom - top + 1
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        image.withPixels { source in
            for y in 0..<height {
                let from = ((top + y) * image.width + left) * 3
                for x in 0..<(width * 3) { pixels[y * width * 3 + x] = source[from + x] }
            }
        }
        for other in others {
            pixelate(&pixels, width: width, height: height,
                     box: FaceBox(left: other.left - left, top: other.top - top, right: other.right - left, bottom: other.bottom - top),
                     keep: FaceBox(left: face.left - left, top: face.top - top, right: face.right - left, bottom: face.bottom - top))
        }
        return try ImageCodec.jpeg(rgb: pixels, width: width, height: height)
    }

    /// Replaces `box` (clipped) by blocks of their mean colour, a sixth of the face wide (at
    /// least 8 px): features do not survive it, and neither do descriptors.
    static func pixelate(_ pixels: inout [UInt8], width: Int, height: Int, box: FaceBox, keep: FaceBox) {
        let block = max(8, box.width / 6)
        let x0 = max(0, box.left), y0 = max(0, box.top), x1 = min(width - 1, box.right), y1 = min(height - 1, box.bottom)
        guard x1 >= x0, y1 >= y0 else { return }
        func kept(_ x: Int, _ y: Int) -> Bool { x >= keep.left && x <= keep.right && y >= keep.top && y <= keep.bottom }
        for by in stride(from: y0, through: y1, by: block) {
            for bx in stride(from: x0, through: x1, by: block) {
                let ex = min(x1, bx + block - 1), ey = min(y1, by + block - 1)
                var sum = [0, 0, 0], count = 0
                for y in by...ey { for x in bx...ex { let i = (y * width + x) * 3; for c in 0..<3 { sum[c] += Int(pixels[i + c]) }; count += 1 } }
                for y in by...ey {
                    for x in bx...ex where !kept(x, y) {
                        let i = (y * width + x) * 3
                        for c in 0..<3 { pixels[i + c] = UInt8(sum[c] / count) }
                    }
                }
            }
        }
    }
}
