import Foundation
import LikenessStoreSQLite
import Testing
import TestSupport

@Suite struct UpgradeTests {
    /// A data directory the previous version wrote opens with this one, migrates, and answers
    /// the same search with the same faces, distances and bands.
    @Test func aDataDirectoryOfThePreviousVersionMigratesAndAnswersTheSame() async throws {
        let fixture = Fixtures.root.appendingPathComponent("upgrade/98f1d6d")
        let data = try Fixtures.scratchDirectory("likeness-upgrade").appendingPathComponent("data")
        try FileManager.default.copyItem(at: fixture.appendingPathComponent("data"), to: data)
        let expected = try Self.matches(Data(contentsOf: fixture.appendingPathComponent("expected-search.json")))

        // Searches now need an open, authorised case: the previous version had none.
        try Subprocess.openAuthorisedCase("UP-1", lead: "ines", organization: "Archive", data: data.path)
        let search = try Subprocess.likeness("search", Fixtures.face("img61.jpg"), "--json", "--user", "ines", "--case", "UP-1",
                                             "--purpose", "missing_person", "--data", data.path)
        try #require(search.status == 0, "\(search.stderr)")
        let found = try Self.matches(Data(search.stdout.utf8))
        #expect(found.map(\.face) == expected.map(\.face))
        #expect(found.map(\.band) == expected.map(\.band))
        for (new, old) in zip(found, expected) {
            #expect(abs(new.distance - old.distance) < 1e-4 && abs(new.fused - old.fused) < 1e-3, "face \(new.face)")
        }
        // The schema moved on: this version's erasure journal is there, and empty.
        #expect(try await SQLiteGalleryStore(path: data.appendingPathComponent("likeness.sqlite").path).unfinishedErasures().isEmpty)
        #expect(try Subprocess.likeness("check", "--data", data.path).status == 0)
        #expect(try Subprocess.likeness("audit", "verify", "--data", data.path).status == 0)
    }

    static func matches(_ json: Data) throws -> [(face: Int, band: String, distance: Double, fused: Double)] {
        let object = try #require(JSONSerialization.jsonObject(with: json) as? [String: Any])
        return try #require(object["matches"] as? [[String: Any]]).map {
            ($0["face_id"] as? Int ?? -1, $0["band"] as? String ?? "", $0["distance"] as? Double ?? .nan,
             $0["fused_distance"] as? Double ?? .nan)
        }
    }
}
