/// A biometric template: a face model's 128-d descriptor (`TemplateModel` says which). Two
/// templates of the same person lie close: in Euclidean distance for dlib's ResNet, in cosine
/// similarity for SFace.
public struct FaceTemplate: Sendable, Hashable {
    public static let dimension = 128

    public private(set) var values: [Float]

    public init(_ values: [Float]) {
        precondition(values.count == Self.dimension, "a face template has \(Self.dimension) values")
        self.values = values
    }

    /// The template from its stored form: 128 little-endian Float32.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.dimension * 4 else { return nil }
        var values = [Float](repeating: 0, count: Self.dimension)
        values.withUnsafeMutableBytes { $0.copyBytes(from: bytes) }
        self.values = values.map { Float(bitPattern: UInt32(littleEndian: $0.bitPattern)) }
    }

    /// The stored form: 128 little-endian Float32 (512 bytes).
    public var bytes: [UInt8] {
        let littleEndian = values.map { Float(bitPattern: $0.bitPattern.littleEndian) }
        return littleEndian.withUnsafeBytes { Array($0) }
    }

    /// The dot product: the cosine similarity of two unit-length templates (SFace's).
    public func cosineSimilarity(to other: FaceTemplate) -> Float {
        var sum: Float = 0
        for i in 0..<Self.dimension { sum += values[i] * other.values[i] }
        return sum
    }

    public func distance(to other: FaceTemplate) -> Float {
        var sum: Float = 0
        for i in 0..<Self.dimension {
            let d = values[i] - other.values[i]
            sum += d * d
        }
        return sum.squareRoot()
    }
}

/// A stored face's template with what a search filters on: the unit the vector index holds
/// and the database hands it. Searches filter by collection (the caller's organisation and
/// jurisdictions decide which); an index in another system (Milvus) also keeps the image,
/// organisation and jurisdiction beside each template, so its own tools can see whose it is.
public struct IndexEntry: Sendable {
    public var id: FaceID
    public var collection: CollectionID
    public var template: FaceTemplate
    public var image: ImageID
    public var organization: Int64
    /// The collection's ISO 3166 code.
    public var jurisdiction: String

    public init(id: FaceID, collection: CollectionID, template: FaceTemplate, image: ImageID, organization: Int64,
                jurisdiction: String) {
        self.id = id
        self.collection = collection
        self.template = template
        self.image = image
        self.organization = organization
        self.jurisdiction = jurisdiction
    }
}

/// The network a template comes from. Templates of different models live in different spaces
/// and are never compared with each other.
public enum TemplateModel: String, Sendable, Codable, CaseIterable {
    /// dlib's ResNet (dlib_face_recognition_resnet_model_v1.dat): the template the vector index
    /// holds, compared by Euclidean distance.
    case dlibResNetV1 = "dlib-resnet-v1"
    /// OpenCV Zoo's SFace (face_recognition_sface_2021dec.onnx), of unit length, compared by
    /// cosine similarity; a second opinion that re-scores the index's candidates.
    case sface2021dec = "sface-2021dec"
}

/// A face's templates: dlib's, which the index holds, and SFace's, when the face has one.
public struct FaceTemplates: Sendable, Hashable {
    public var dlib: FaceTemplate
    public var sface: FaceTemplate?

    public init(dlib: FaceTemplate, sface: FaceTemplate?) {
        self.dlib = dlib
        self.sface = sface
    }
}
