import Foundation
import Testing
import TestSupport

@Suite struct SubjectCommandTests {
    /// An admin answers an access request, then erases on confirmation; the selfie then finds nothing.
    @Test func accessThenEraseWithConfirmation() throws {
        let data = try Fixtures.scratchDirectory("likeness-cli").path
        #expect(try Subprocess.likeness("admin", "create", "privacy", "--organization", "Archive", "--data", data).status == 0)
        _ = try Subprocess.likeness("collection", "create", "press", "--source", "s", "--lawful-basis", "b", "--jurisdiction", "GB",
                                    "--data", data)
        let ingest = try Subprocess.likeness("ingest", Fixtures.face("img16.jpg"), Fixtures.face("img17.jpg"), Fixtures.face("img10.jpg"),
                                             "--collection", "press", "--data", data)
        try #require(ingest.status == 0, "\(ingest.stderr)")
        let request = [Fixtures.face("img61.jpg"), "--user", "privacy", "--reference", "SAR-7", "--identity-checked", "document_seen",
                       "--data", data]
        // Nothing is looked up without saying how the requester's identity was checked.
        let unchecked = try Subprocess.run(Subprocess.likeness, ["subject", "access", Fixtures.face("img61.jpg"), "--user", "privacy",
                                                                 "--reference", "SAR-7", "--data", data])
        #expect(unchecked.status != 0 && unchecked.stderr.contains("identity-checked"))
        func lookups() throws -> Int {
            try Subprocess.likeness("audit", "export", "--format", "csv", "--data", data).stdout
                .split(whereSeparator: \.isNewline).filter { $0.contains(",subject_lookup,") }.count
        }
        #expect(try lookups() == 0)

        let access = try Subprocess.run(Subprocess.likeness, ["subject", "access", "--json"] + request)
        let report = try #require(JSONSerialization.jsonObject(with: Data(access.stdout.utf8)) as? [String: Any], "\(access.stderr)")
        let found = (report["matches"] as? [[String: Any]] ?? []).compactMap { ($0["image"] as? String).map { ($0 as NSString).lastPathComponent } }
        #expect(Set(found) == ["img16.jpg", "img17.jpg"])

        #expect(try lookups() == 1)
        // A dry run shows matches, so it is a look-up like any other: audited before it prints.
        let dryRun = try Subprocess.run(Subprocess.likeness, ["subject", "erase"] + request)
        #expect(dryRun.status == 0 && dryRun.stdout.contains("Nothing erased"))
        #expect(try lookups() == 2)
        let erase = try Subprocess.run(Subprocess.likeness, ["subject", "erase", "--confirm", "--suppress"] + request)
        #expect(erase.status == 0 && erase.stdout.contains("Erased 2 faces"), "\(erase.stderr)")
        let suppressed = try Subprocess.likeness("suppression", "list", "--data", data)
        #expect(suppressed.stdout.contains("SAR-7") && suppressed.stdout.contains("2"), "\(suppressed.stdout)")
        let after = try Subprocess.run(Subprocess.likeness, ["subject", "access"] + request)
        #expect(after.stdout.contains("No face"))

        let audit = try Subprocess.likeness("audit", "export", "--format", "csv", "--data", data)
        #expect(audit.stdout.contains(",erasure,") && audit.stdout.contains(",subject_access,"))
        // Access, the dry run, the erasure and the check after it: four audited look-ups.
        #expect(audit.stdout.split(whereSeparator: \.isNewline).filter { $0.contains(",subject_lookup,") }.count == 4)
        #expect(try Subprocess.likeness("audit", "verify", "--data", data).status == 0)
    }
}
