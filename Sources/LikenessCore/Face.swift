/// The shared vocabulary of the data path: a face found in a photo and its biometric template.

public typealias FaceID = Int64
public typealias ImageID = Int64
public typealias CollectionID = Int64

/// A face rectangle in image pixels, dlib-style: inclusive corners.
public struct FaceBox: Sendable, Hashable, Codable {
    public var left: Int
    public var top: Int
    public var right: Int
    public var bottom: Int

    public init(left: Int, top: Int, right: Int, bottom: Int) {
        self.left = left
        self.top = top
        self.right = right
        self.bottom = bottom
    }

    public var width: Int { right - left + 1 }
    public var height: Int { bottom - top + 1 }
    public var area: Int { max(0, width) * max(0, height) }

    /// `[left, top, right, bottom]`, the form the JSON output uses.
    public var array: [Int] { [left, top, right, bottom] }

    /// Overlap as intersection over union, 0…1.
    public func overlap(with other: FaceBox) -> Double {
        let inter = FaceBox(left: max(left, other.left), top: max(top, other.top),
                            right: min(right, other.right), bottom: min(bottom, other.bottom))
        guard inter.width > 0, inter.height > 0 else { return 0 }
        return Double(inter.area) / Double(area + other.area - inter.area)
    }
}

public struct PixelPoint: Sendable, Hashable, Codable {
    public var x: Int
    public var y: Int
    public init(x: Int, y: Int) {
        self.x = x
        self.y = y
    }
}

/// A detected face: where it is, how sure the detector was, and its 5 landmarks
/// (dlib's 5-point model: right eye outer/inner, left eye outer/inner, nose base).
public struct DetectedFace: Sendable, Hashable {
    public var box: FaceBox
    public var detectorScore: Double
    public var landmarks: [PixelPoint]
    /// The 5 points SFace aligns its crop on (YuNet's: eyes, nose tip, mouth corners), as x, y
    /// pairs; nil when another detector found the face, which then has no SFace template.
    public var alignment: [Float]?

    public init(box: FaceBox, detectorScore: Double, landmarks: [PixelPoint], alignment: [Float]? = nil) {
        self.box = box
        self.detectorScore = detectorScore
        self.landmarks = landmarks
        self.alignment = alignment
    }

    /// The landmarks from their stored form, "x,y,x,y,…" (whole pixels).
    public static func landmarks(stored text: String) -> [PixelPoint] {
        let values = text.split(separator: ",").compactMap { Int($0) }
        return stride(from: 0, to: values.count - 1, by: 2).map { PixelPoint(x: values[$0], y: values[$0 + 1]) }
    }

    /// Distance between the eye centres in pixels: the face's usable resolution.
    public var interOcularDistance: Double {
        guard landmarks.count == 5 else { return Double(box.width) / 2.5 }
        let right = (Double(landmarks[0].x + landmarks[1].x) / 2, Double(landmarks[0].y + landmarks[1].y) / 2)
        let left = (Double(landmarks[2].x + landmarks[3].x) / 2, Double(landmarks[2].y + landmarks[3].y) / 2)
        return ((right.0 - left.0) * (right.0 - left.0) + (right.1 - left.1) * (right.1 - left.1)).squareRoot()
    }
}
