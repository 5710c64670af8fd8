import Foundation
import LikenessCore
import LikenessGallery
import LikenessIngest
import LikenessStore
import Testing
import TestSupport

@Suite struct IngestTests {
    /// Every face in the database is in the index, and nothing else is.
    func expectIndexMatchesDatabase(_ rig: TestGallery) async throws {
        let counts = try await rig.gallery.store.counts()
        #expect(try await rig.gallery.index.count == counts.faces)
        #expect(try await rig.gallery.index.appliedSequence == (try await rig.gallery.store.latestIndexSequence()))
    }

    @Test func ingestsAFolderAndStoresDuplicatesOnce() async throws {
        let rig = try await TestGallery()
        let folder = try Fixtures.scratchDirectory()
        for name in ["img5.jpg", "img6.jpg", "img12.jpg", "mosaic-100-faces.jpg"] {
            try folder.write(try Samples.bytes(name), to: "nested/\(name)")
        }
        try folder.write(try Samples.bytes("img5.jpg"), to: "copy-of-img5.jpg")
        try folder.write(Samples.notAnImage, to: "README.txt")  // not an image name: not ours to read

        let summary = try await rig.ingest([folder.path])
        #expect(summary.progress.stored == 4)
        #expect(summary.progress.duplicates == 1)
        #expect(summary.progress.failed == 0)
        #expect(summary.progress.faces == 103)
        try await expectIndexMatchesDatabase(rig)

        let again = try await rig.ingest([folder.path, Fixtures.face("img6.jpg")])
        #expect(again.progress.stored == 0 && again.progress.duplicates == 6)
        #expect(try await rig.gallery.store.counts() == GalleryCounts(collections: 1, images: 4, faces: 103))
        try await rig.close()
    }

    @Test func recordsEachBadFileWithItsReasonAndGoesOn() async throws {
        let rig = try await TestGallery()
        let folder = try Fixtures.scratchDirectory()
        try folder.write(try Samples.truncatedJPEG(), to: "truncated.jpg")
        try folder.write(Samples.corrupt(), to: "corrupt.jpg")
        try folder.write(Samples.notAnImage, to: "minutes.jpg")
        try folder.write(try Samples.hugeJPEG(), to: "bomb.jpg")
        try folder.write([], to: "empty.png")
        try folder.write(try Samples.bytes("img47.jpg"), to: "webp-named.jpg")
        try folder.write(try Samples.bytes("exif-rotated-img5.jpg"), to: "rotated.jpg")

        let summary = try await rig.ingest([folder.path])
        #expect(summary.progress.stored == 2)
        #expect(summary.progress.failed == 5)
        let reasons = Dictionary(uniqueKeysWithValues: summary.progress.failures.map {
            (URL(fileURLWithPath: $0.item).lastPathComponent, $0.reason)
        })
        #expect(reasons["truncated.jpg"]?.contains("Premature end") == true)
        #expect(reasons["corrupt.jpg"]?.contains("not an image") == true)
        #expect(reasons["minutes.jpg"]?.contains("not an image") == true)
        #expect(reasons["bomb.jpg"]?.contains("20000×20000") == true)
        #expect(reasons["empty.png"] == "empty file")
        #expect(summary.progress.faces == 2)
        try await expectIndexMatchesDatabase(rig)
        try await rig.close()
    }

    @Test func ingestsZipAndTarArchivesEntryByEntry() async throws {
        let rig = try await TestGallery()
        let staging = try Fixtures.scratchDirectory()
        try staging.write(try Samples.bytes("img16.jpg"), to: "photos/img16.jpg")
        try staging.write(try Samples.bytes("img17.jpg"), to: "photos/deeper/img17.jpg")
        try staging.write(Samples.corrupt(), to: "photos/broken.jpg")
        try staging.write(Samples.notAnImage, to: "photos/notes.txt")
        let zip = staging.appendingPathComponent("photos.zip").path
        let tar = staging.appendingPathComponent("photos.tar.gz").path
        let made = try Subprocess.run("/usr/bin/env", ["python3", "-c", """
            import os, sys, tarfile, zipfile
            root = sys.argv[1]
            with zipfile.ZipFile(sys.argv[2], "w") as z, tarfile.open(sys.argv[3], "w:gz") as t:
                for folder, _, files in os.walk(os.path.join(root, "photos")):
                    for f in files:
                        path = os.path.join(folder, f)
                        z.write(path, os.path.relpath(path, root))
                        t.add(path, os.path.relpath(path, root))
            """, staging.path, zip, tar])
        try #require(made.status == 0, "\(made.stderr)")

        let summary = try await rig.ingest([zip, tar])
        // The tar holds the same bytes as the zip: stored once, then duplicates.
        #expect(summary.progress.stored == 2)
        #expect(summary.progress.duplicates == 2)
        #expect(summary.progress.failed == 2)
        #expect(summary.progress.ignored == 2)
        let items = summary.progress.failures.map(\.item)
        #expect(items.contains("\(zip)!/photos/broken.jpg") && items.contains("\(tar)!/photos/broken.jpg"))
        // Workers race, so either archive's copy may be the one stored; each entry is named inside it.
        let locations = try await rig.gallery.store.matchDetails(for: Array(1...2)).values.map(\.origin.location)
        #expect(Set(locations.map { $0.components(separatedBy: "!/").last! }) == ["photos/img16.jpg", "photos/deeper/img17.jpg"])
        #expect(locations.allSatisfy { $0.hasPrefix("\(zip)!/") || $0.hasPrefix("\(tar)!/") })
        try await rig.close()
    }

    @Test func ingestsManifestsOfPathsAndURLsWithinLimits() async throws {
        let rig = try await TestGallery()
        let served = try Fixtures.scratchDirectory()
        try served.write(try Samples.bytes("img43.jpg"), to: "a.jpg")
        try served.write(try Samples.bytes("img44.jpg"), to: "b.jpg")
        try served.write(Samples.notAnImage, to: "page.txt")
        try FileManager.default.createDirectory(at: served.appendingPathComponent("folder"), withIntermediateDirectories: true)
        let server = try TestHTTPServer(serving: served)

        let manifests = try Fixtures.scratchDirectory()
        try manifests.write(try Samples.bytes("img46.jpg"), to: "local/c.jpg")
        let csv = try manifests.write(Array("""
            url,source_url,caption,date
            \(server.url("a.jpg")),https://news.example/story-1,"Rally, city centre",2019-05-01
            \(server.url("missing.jpg")),,,
            \(server.url("page.txt")),,,
            \(server.url("folder")),,,
            ftp://127.0.0.1/x.jpg,,,

            """.utf8), to: "urls.csv")
        let jsonl = try manifests.write(Array("""
            {"url": "\(server.url("b.jpg"))", "caption": "second"}
            {"path": "local/c.jpg", "source_url": "https://archive.example/c"}
            not json
            {"caption": "neither path nor url"}

            """.utf8), to: "more.jsonl")

        let summary = try await rig.ingest([csv, jsonl])
        #expect(summary.progress.stored == 3)
        #expect(summary.progress.failed == 6)
        let reasons = summary.progress.failures.map(\.reason).joined(separator: "\n")
        #expect(reasons.contains("HTTP 404"))
        #expect(reasons.contains("content type text/plain"))
        #expect(reasons.contains("redirected to"))
        #expect(reasons.contains("only http and https"))
        #expect(reasons.contains("not a JSON object"))
        #expect(reasons.contains("neither a path nor a url"))

        let details = try await rig.gallery.store.matchDetails(for: Array(1...3))
        let byLocation = Dictionary(uniqueKeysWithValues: details.values.map { ($0.origin.location, $0.origin) })
        let a = try #require(byLocation[server.url("a.jpg")])
        #expect(a.sourceURL == "https://news.example/story-1" && a.caption == "Rally, city centre" && a.date == "2019-05-01")
        #expect(byLocation[manifests.appendingPathComponent("local/c.jpg").path]?.sourceURL == "https://archive.example/c")
        try await rig.close()
    }

    @Test func missingInputIsAUsageError() async throws {
        let rig = try await TestGallery()
        await #expect(throws: IngestError.self) { try await rig.ingest(["/no/such/folder"]) }
        try await rig.close()
    }
}
