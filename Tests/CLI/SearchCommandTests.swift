import Foundation
import LikenessEngine
import Testing
import TestSupport

@Suite struct SearchCommandTests {
    @Test func printsOneJSONObjectPerProbeAndRefusesBadProbes() throws {
        let data = try Fixtures.scratchDirectory("likeness-cli").path
        let account = try Subprocess.likeness("admin", "create", "ines", "--organization", "Police", "--role", "investigator", "--data", data)
        try #require(account.status == 0, "\(account.stderr)")
        try Subprocess.openAuthorisedCase("24/1187", lead: "ines", organization: "Police", data: data)
        _ = try Subprocess.likeness("collection", "create", "press", "--source", "s", "--lawful-basis", "b",
                                    "--jurisdiction", "GB", "--data", data)
        let ingested = try Subprocess.likeness("ingest", Fixtures.face("img6.jpg"), Fixtures.face("img12.jpg"),
                                               "--collection", "press", "--data", data, "--json")
        try #require(ingested.status == 0, "\(ingested.stderr)")

        let justification = ["--user", "ines", "--case", "24/1187", "--purpose", "missing_person"]
        let refused = try Subprocess.run(Subprocess.likeness, ["search", Fixtures.face("img5.jpg"), "--user", "ines", "--data", data])
        #expect(refused.status != 0 && refused.stderr.contains("--case"))
        let search = try Subprocess.run(Subprocess.likeness, ["search", Fixtures.face("img5.jpg"), Fixtures.face("img53.jpg"),
                                                              "--top", "2", "--json", "--data", data] + justification)
        #expect(search.status == 0, "\(search.stderr)")
        let lines = search.stdout.split(separator: "\n")
        try #require(lines.count == 2)
        let first = try #require(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["probe"] as? String == Fixtures.face("img5.jpg"))
        #expect(first["face"] as? Int == 0)
        #expect(first["audit_entry"] as? Int != nil)
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
        let notImage = try Subprocess.run(Subprocess.likeness, ["search", text, "--data", data] + justification)
        #expect(notImage.status == 2 && notImage.stderr.contains("is not a readable image"), "\(notImage.stderr)")
        let side = 64
        let grey = try ImageCodec.jpeg(rgb: [UInt8](repeating: 128, count: side * side * 3), width: side, height: side)
        let flat = try folder.write(grey, to: "flat.jpg")
        let noFace = try Subprocess.run(Subprocess.likeness, ["search", flat, "--data", data] + justification)
        #expect(noFace.status == 2 && noFace.stderr.contains("no face found"))

        // Every search above, found or not, is in the audit log with its case and purpose, and the chain holds.
        let export = try Subprocess.likeness("audit", "export", "--data", data)
        let searches = export.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["action"] as? String == "search" }
        #expect(searches.count == 3, "\(export.stdout)")
        #expect(searches.allSatisfy { $0["case_number"] as? String == "24/1187" && $0["actor"] as? String == "ines" })
        let verify = try Subprocess.likeness("audit", "verify", "--data", data)
        #expect(verify.status == 0 && verify.stdout.hasPrefix("OK"))
    }
}
