import Foundation
import LikenessCore
import LikenessStoreSQLite
import Testing
import TestSupport

@Suite struct BackupCommandTests {
    /// Back up, erase a person, restore the backup: the person is erased again, a search finds
    /// nothing of them, and no file of the data directory holds their templates.
    @Test func restoringABackupDoesNotBringBackAnyoneErasedAfterIt() async throws {
        let data = try Fixtures.scratchDirectory("likeness-cli").path
        let backups = try Fixtures.scratchDirectory("likeness-backups").path
        #expect(try Subprocess.likeness("admin", "create", "privacy", "--organization", "Archive", "--data", data).status == 0)
        #expect(try Subprocess.likeness("admin", "create", "ines", "--organization", "Archive", "--role", "investigator",
                                        "--data", data).status == 0)
        try Subprocess.openAuthorisedCase("24/1", lead: "ines", organization: "Archive", data: data)
        _ = try Subprocess.likeness("collection", "create", "press", "--source", "s", "--lawful-basis", "b", "--jurisdiction", "GB",
                                    "--data", data)
        let ingest = try Subprocess.likeness("ingest", Fixtures.face("img16.jpg"), Fixtures.face("img17.jpg"), Fixtures.face("img10.jpg"),
                                             "--collection", "press", "--data", data)
        try #require(ingest.status == 0, "\(ingest.stderr)")
        let personTemplates = try await Self.templates(in: data, ofImagesNamed: ["img16.jpg", "img17.jpg"])
        try #require(personTemplates.count == 2)

        let backup = try Subprocess.likeness("backup", backups, "--data", data)
        try #require(backup.status == 0, "\(backup.stderr)")
        let folder = try #require(try FileManager.default.contentsOfDirectory(atPath: backups).first { $0.hasPrefix("likeness-backup-") })

        let erase = try Subprocess.likeness("subject", "erase", Fixtures.face("img61.jpg"), "--user", "privacy", "--reference", "SAR-7",
                                            "--identity-checked", "document_seen", "--confirm", "--suppress", "--data", data)
        #expect(erase.status == 0 && erase.stdout.contains("Erased 2 faces"), "\(erase.stderr)")

        let restore = try Subprocess.likeness("restore", "\(backups)/\(folder)", "--data", data)
        #expect(restore.status == 0 && restore.stdout.contains("2 faces erased after it was taken were erased again"),
                "\(restore.stdout) \(restore.stderr)")

        let search = try Subprocess.likeness("search", Fixtures.face("img61.jpg"), "--json", "--user", "ines", "--case", "24/1",
                                             "--purpose", "missing_person", "--data", data)
        try #require(search.status == 0, "\(search.stderr)")
        #expect(!search.stdout.contains("img16.jpg") && !search.stdout.contains("img17.jpg"))
        #expect(search.stdout.contains("img10.jpg") || search.stdout.contains("\"matches\":[]"))
        #expect(try Subprocess.likeness("suppression", "list", "--data", data).stdout.contains("SAR-7"))
        for (url, contents) in try Fixtures.filesWithContents(under: URL(fileURLWithPath: data)) {
            for template in personTemplates {
                #expect(contents.range(of: Data(template[0..<16])) == nil && contents.range(of: Data(template[64..<80])) == nil,
                        "\(url.lastPathComponent) holds an erased template")
            }
        }
        let audit = try Subprocess.likeness("audit", "export", "--format", "csv", "--data", data).stdout
        #expect(audit.contains(",restore,") && audit.contains("erased again"))
        #expect(try Subprocess.likeness("audit", "verify", "--data", data).status == 0)

        // A damaged backup is refused before anything is replaced.
        let database = "\(backups)/\(folder)/likeness.sqlite"
        let handle = try #require(FileHandle(forWritingAtPath: database))
        try handle.seek(toOffset: 200)
        try handle.write(contentsOf: Data([0x42]))
        try handle.close()
        let refused = try Subprocess.likeness("restore", "\(backups)/\(folder)", "--data", data)
        #expect(refused.status != 0 && refused.stderr.contains("likeness.sqlite in the backup does not match"), "\(refused.stderr)")
    }

    static func templates(in data: String, ofImagesNamed names: Set<String>) async throws -> [[UInt8]] {
        let store = try SQLiteGalleryStore(path: "\(data)/likeness.sqlite")
        var found: [[UInt8]] = []
        for entry in try await store.templates(after: 0, limit: 100) {
            let location = try await store.imageDetails(entry.image)?.origin.location ?? ""
            if names.contains((location as NSString).lastPathComponent) { found.append(entry.template.bytes) }
        }
        return found
    }
}
