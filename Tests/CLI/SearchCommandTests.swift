import Foundation
import LikenessEngine
import Testing
import TestSupport

@Suite struct SearchCommandTests {
    @Test func printsOneJSONObjectPerProbeAndRefusesBadProbes() throws {
        let data = try Fixtures.scratchDirectory("likeness-cli").path
        _ = try Subprocess.likeness("collection", "create", "press", "--source", "s", "--lawful-basis", "b",
                                    "--jurisdiction", "GB", "--data", data)
        let ingested = try Subprocess.likeness("ingest", Fixtures.face("img6.jpg"), Fixtures.face("img12.jpg"),
                                               "--collection", "press", "--data", data, "--json")
        try #require(ingested.status == 0, "\(ingested.stderr)")

        let search = try Subprocess.likeness("search", Fixtures.face("img5.jpg"), Fixtures.face("img53.jpg"),
                                             "--top", "2", "--json", "--data", data)
        #expect(search.status == 0, "\(search.stderr)")
        let lines = search.stdout.split(separator: "\n")
        try #require(lines.count == 2)
        let first = try #require(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["probe"] as? String == Fixtures.face("img5.jpg"))
        #expect(first["face"] as? Int == 0)
        #expect((first["faces"] as? [[String: Any]])?.first?["box"] as? [Int] != nil)
        let matches = try #require(first["matches"] as? [[String: Any]])
        #expect(matches.count == 2)
        let top = matches[0]
        #expect(top["rank"] as? Int == 1)
        #expect(top["image"] as? String == Fixtures.face("img6.jpg"))
        #expect(top["collection"] as? String == "press")
        #expect(["strong", "possible"].contains(top["band"] as? String))
        for key in ["face_id", "image_id", "distance", "similarity", "source_url", "box"] { #expect(top[key] != nil, "\(key)") }
        let second = try #require(JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
        #expect(((second["matches"] as? [[String: Any]])?.first?["image"] as? String) == Fixtures.face("img12.jpg"))

        let folder = try Fixtures.scratchDirectory()
        let text = try folder.write(Samples.notAnImage, to: "probe.jpg")
        let notImage = try Subprocess.likeness("search", text, "--data", data)
        #expect(notImage.status == 2 && notImage.stderr.contains("not an image"))
        let side = 64
        let grey = try ImageCodec.jpeg(rgb: [UInt8](repeating: 128, count: side * side * 3), width: side, height: side)
        let flat = try folder.write(grey, to: "flat.jpg")
        let noFace = try Subprocess.likeness("search", flat, "--data", data)
        #expect(noFace.status == 2 && noFace.stderr.contains("no face found"))
    }
}
