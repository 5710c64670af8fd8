/// Whether the detector found the number of faces the labels expect.
public struct DetectionAgreement: Sendable, Hashable {
    /// A photo whose detected face count disagrees with its labels.
    public struct Disagreement: Sendable, Hashable {
        public var file: String
        /// "2" for an exact expectation, "≥ 5" for a minimum.
        public var expected: String
        public var detected: Int
    }

    /// Photos the detector ran on.
    public let images: Int
    /// Of those, the ones whose labels give `expected_faces` or `expected_faces_min`.
    public let withExpected: Int
    public let agree: Int
    public let disagreements: [Disagreement]

    /// - Parameter detectedFaces: faces found per photo file; photos missing from it (not
    ///   readable, say) are not counted.
    public init(photos: [LabelledPhoto], detectedFaces: [String: Int]) {
        var images = 0, withExpected = 0, agree = 0
        var disagreements: [Disagreement] = []
        for photo in photos {
            guard let detected = detectedFaces[photo.file] else { continue }
            images += 1
            guard photo.expectedFaces != nil || photo.expectedFacesMin != nil else { continue }
            withExpected += 1
            let exactAgrees = photo.expectedFaces.map { detected == $0 } ?? true
            let minimumAgrees = photo.expectedFacesMin.map { detected >= $0 } ?? true
            if exactAgrees && minimumAgrees {
                agree += 1
            } else {
                let expected = [photo.expectedFaces.map { "\($0)" }, photo.expectedFacesMin.map { "≥ \($0)" }]
                    .compactMap { $0 }.joined(separator: ", ")
                disagreements.append(Disagreement(file: photo.file, expected: expected, detected: detected))
            }
        }
        self.images = images
        self.withExpected = withExpected
        self.agree = agree
        self.disagreements = disagreements
    }
}
