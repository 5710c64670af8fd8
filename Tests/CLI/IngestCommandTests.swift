import Foundation
import LikenessGallery
import LikenessStore
import LikenessStoreSQLite
import Testing
import TestSupport

/// The `likeness` binary, as an operator runs it.
@Suite(.serialized) struct IngestCommandTests {
    func makeDataDirectory() throws -> String {
        let data = try Fixtures.scratchDirectory("likeness-cli").path
        let created = try Subprocess.likeness("collection", "create", "press", "--source", "Daily Herald archive",
                                              "--lawful-basis", "licence 2024-17", "--jurisdiction", "GB",
                                              "--retention-days", "3650", "--data", data)
        try #require(created.status == 0, "\(created.stderr)")
        return data
    }

    func summary(_ result: Subprocess.Result) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)\n\(result.stderr)")
    }

    @Test func exitCodesSayWhetherEverythingWasStored() throws {
        let data = try makeDataDirectory()
        let good = try Subprocess.likeness("ingest", Fixtures.face("img12.jpg"), "--collection", "press", "--data", data, "--json")
        #expect(good.status == 0)
        #expect(try summary(good)["stored"] as? Int == 1)

        let folder = try Fixtures.scratchDirectory()
        try folder.write(try Samples.bytes("img16.jpg"), to: "ok.jpg")
        try folder.write(try Samples.truncatedJPEG(), to: "cut.jpg")
        let partial = try Subprocess.likeness("ingest", folder.path, "--collection", "press", "--data", data, "--json")
        #expect(partial.status == 1)
        #expect(try summary(partial)["stored"] as? Int == 1)

        let noCollection = try Subprocess.likeness("ingest", folder.path, "--collection", "nope", "--data", data)
        #expect(noCollection.status == 2 && noCollection.stderr.contains("no collection named 'nope'"))
        let noInput = try Subprocess.likeness("ingest", "/no/such.jpg", "--collection", "press", "--data", data)
        #expect(noInput.status == 2 && noInput.stderr.contains("no such file or folder"))
    }

    /// kill -9 mid-ingest, rerun: the job resumes, every image is stored exactly once, and the
    /// index holds exactly the database's faces.
    @Test func killedIngestResumesWithoutLossOrDuplicates() async throws {
        let data = try makeDataDirectory()
        let folder = try Fixtures.scratchDirectory()
        let sources = ["img5.jpg", "img6.jpg", "img10.jpg", "img11.jpg", "img16.jpg", "img17.jpg", "img43.jpg", "img44.jpg"]
        let copies = 32
        for i in 0..<copies {
            try folder.write(try Samples.distinctCopy(sources[i % sources.count], tag: i), to: String(format: "photo-%02d.jpg", i))
        }
        let arguments = ["ingest", folder.path, "--collection", "press", "--data", data, "--json", "--workers", "1"]
        let first = try Subprocess.start(Subprocess.likeness, arguments)
        let store = try SQLiteGalleryStore(path: URL(fileURLWithPath: data).appendingPathComponent("likeness.sqlite").path)
        // Wait until some images are in, then kill it without warning.
        var stored = 0
        for _ in 0..<600 where stored < 6 {
            try await Task.sleep(for: .milliseconds(50))
            stored = try await store.counts().images
        }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(stored >= 6 && stored < copies, "killed after \(stored) images")

        let rerun = try Subprocess.run(Subprocess.likeness, arguments)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let result = try summary(rerun)
        #expect(result["resumed"] as? Bool == true)
        #expect(result["failed"] as? Int == 0)
        #expect((result["already_done"] as? Int ?? 0) >= stored)

        let gallery = try await TestGallery.openEmbedded(at: URL(fileURLWithPath: data))
        let counts = try await gallery.store.counts()
        #expect(counts.images == copies)  // each stored once: (collection, sha256) is unique
        #expect(counts.faces == copies)   // one face per photo, none written twice
        #expect(try await gallery.index.count == counts.faces)
    }
}
