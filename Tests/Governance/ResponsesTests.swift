import Foundation
import LikenessCore
import LikenessGovernance
@testable import LikenessSearch
@testable import LikenessStore
import Testing

/// The JSON shapes shared by the API and the CLI: absent values are written as null where the
/// schemas and the README name the key, and a match differs between the two only where documented.
@Suite struct ResponsesTests {
    static func object(_ value: some Encodable) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: try ResponseJSON.data(value)) as? [String: Any])
    }

    static let match = Match(rank: 1, face: 7, image: 3, distance: 0.123456, similarity: 0.876543, band: .strong,
                             collection: "press", origin: ImageOrigin(location: "/data/clip.mp4"),
                             box: FaceBox(left: 1, top: 2, right: 3, bottom: 4),
                             video: VideoAppearance(time: 1.234, start: 0.5, end: 2.049))

    @Test func aMatchNamesItsImageAsEachReaderDocumentsIt() throws {
        let cli = try Self.object(MatchResponse(Self.match, for: .commandLine))
        #expect(cli["image"] as? String == "/data/clip.mp4")
        #expect(cli["location"] == nil && cli["crop_url"] == nil)
        let api = try Self.object(MatchResponse(Self.match, for: .api(search: 9)))
        #expect(api["location"] as? String == "/data/clip.mp4")
        #expect(api["image"] == nil)
        #expect(api["crop_url"] as? String == "/api/v1/searches/9/faces/7/crop")
        #expect(api["image_url"] as? String == "/api/v1/searches/9/images/3")
        for object in [cli, api] {
            #expect(object["source_url"] is NSNull)
            #expect(object["distance"] as? Double == 0.1235 && object["similarity"] as? Double == 0.8765)
            // Scored by dlib alone: no fused distance, and it says so.
            #expect(object["fused_distance"] is NSNull && object["scored_by"] as? [String] == ["dlib-resnet-v1"])
            #expect(object["video_time"] as? Double == 1.23 && object["track_end"] as? Double == 2.05)
            #expect(Set(object.keys).isSuperset(of: ["rank", "face_id", "image_id", "band", "collection", "box", "track_start"]))
        }
    }

    @Test func absentOptionalsAreNullAndCountsAreLeftOutWhenNotGiven() throws {
        let record = CollectionRecord(id: 1, organization: 1, erasurePolicy: .deleteImage, requiresConsent: false, name: "press",
                                      description: nil, source: "archive", lawfulBasis: "consent", jurisdiction: "GB",
                                      retentionDays: nil, createdAt: Date(timeIntervalSince1970: 0))
        let nested = try Self.object(CollectionResponse(record))
        #expect(nested["description"] is NSNull && nested["retention_days"] is NSNull)
        #expect(nested["images"] == nil && nested["faces"] == nil)
        #expect(nested["lawful_basis"] as? String == "consent" && nested["created_at"] as? String == "1970-01-01T00:00:00.000Z")
        let listed = try Self.object(CollectionResponse(record, images: 2, faces: 5))
        #expect(listed["images"] as? Int == 2 && listed["faces"] as? Int == 5)
    }
}
