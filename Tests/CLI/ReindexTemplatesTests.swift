import Foundation
import LikenessCore
import LikenessStoreSQLite
import Testing
import TestSupport

/// `reindex --templates` on a gallery from before SFace: the second model's templates come back
/// from the held files, as ingest computed them; faces whose file is gone keep dlib's alone.
@Suite struct ReindexTemplatesTests {
    /// Runs SQL on the data directory's database with another SQLite client, as someone holding
    /// the file would.
    func executeDirectly(_ data: String, _ sql: String) throws {
        let script = "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.executescript(sys.argv[2]); db.commit()"
        let result = try Subprocess.run("/usr/bin/env", ["python3", "-c", script, data + "/likeness.sqlite", sql])
        try #require(result.status == 0, "\(result.stderr)")
    }

    /// The table `models` and `reindex` print: the faces holding `model`'s template.
    func facesHolding(_ model: TemplateModel, in output: String) -> Int? {
        output.split(separator: "\n").first { $0.hasPrefix(model.rawValue + " ") }
            .flatMap { Int($0.split(separator: " ").last ?? "") }
    }

    @Test func sfaceTemplatesComeBackFromTheHeldFilesAndTheRestAreCountedByReason() async throws {
        let data = try Fixtures.scratchDirectory("likeness-cli").path
        let created = try Subprocess.likeness("collection", "create", "press", "--source", "s", "--lawful-basis", "b",
                                              "--jurisdiction", "GB", "--data", data)
        try #require(created.status == 0, "\(created.stderr)")
        let photos = try Fixtures.scratchDirectory()
        for name in ["img10.jpg", "img16.jpg", "img17.jpg"] {
            try FileManager.default.copyItem(atPath: Fixtures.face(name), toPath: photos.appendingPathComponent(name).path)
        }
        let ingest = try Subprocess.likeness("ingest", photos.path, "--collection", "press", "--data", data)
        try #require(ingest.status == 0, "\(ingest.stderr)")

        let store = try SQLiteGalleryStore(path: URL(fileURLWithPath: data).appendingPathComponent("likeness.sqlite").path)
        let faces = try await store.templates(after: 0, limit: 100)
        let ingested = try await store.templates(of: faces.map(\.id), model: .sface2021dec)
        try #require(faces.count >= 3 && ingested.count == faces.count, "every fixture face has an SFace template from ingest")
        let removedPhoto = photos.appendingPathComponent("img17.jpg").path
        var facesOfRemovedPhoto: Set<FaceID> = []
        for face in faces {
            if try await store.imageDetails(face.image)?.origin.location == removedPhoto { facesOfRemovedPhoto.insert(face.id) }
        }
        try #require(!facesOfRemovedPhoto.isEmpty)
        let remaining = faces.count - facesOfRemovedPhoto.count

        // A gallery from before the second model, one of whose files has since gone.
        try executeDirectly(data, "DELETE FROM face_template")
        #expect(try await store.templateModels()[.sface2021dec] == 0)
        try FileManager.default.removeItem(atPath: removedPhoto)

        let reindex = try Subprocess.likeness("reindex", "--templates", "--data", data)
        #expect(reindex.status == 0, "\(reindex.stderr)")
        #expect(reindex.stdout.contains("Added \(remaining) sface-2021dec templates from 2 images"), "\(reindex.stdout)")
        #expect(reindex.stdout.contains("  skipped \(removedPhoto): no such file"), "\(reindex.stdout)")
        let kept = facesOfRemovedPhoto.count
        let keptLine = "Kept only dlib-resnet-v1: \(kept) face\(kept == 1 ? "" : "s") (image no longer held: \(kept))"
        #expect(reindex.stdout.contains(keptLine), "\(reindex.stdout)")
        #expect(facesHolding(.sface2021dec, in: reindex.stdout) == remaining, "\(reindex.stdout)")
        #expect(facesHolding(.dlibResNetV1, in: reindex.stdout) == faces.count, "\(reindex.stdout)")

        let recomputed = try await store.templates(of: faces.map(\.id), model: .sface2021dec)
        #expect(Set(recomputed.keys) == Set(faces.map(\.id)).subtracting(facesOfRemovedPhoto))
        for (face, template) in recomputed {
            let original = try #require(ingested[face])
            let largestDifference = zip(template.values, original.values).map { abs($0 - $1) }.max() ?? .infinity
            #expect(largestDifference < 1e-5, "face \(face): off by \(largestDifference) from ingest's template")
        }

        let again = try Subprocess.likeness("reindex", "--templates", "--data", data)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("Added 0 sface-2021dec templates from 0 images"), "\(again.stdout)")
        #expect(again.stdout.contains(keptLine), "\(again.stdout)")
        #expect(try await store.templates(of: faces.map(\.id), model: .sface2021dec) == recomputed)

        let models = try Subprocess.likeness("models", "--data", data)
        #expect(models.status == 0, "\(models.stderr)")
        #expect(facesHolding(.dlibResNetV1, in: models.stdout) == faces.count, "\(models.stdout)")
        #expect(facesHolding(.sface2021dec, in: models.stdout) == remaining, "\(models.stdout)")
        let modelsJSON = try Subprocess.likeness("models", "--json", "--data", data)
        let report = try #require(JSONSerialization.jsonObject(with: Data(modelsJSON.stdout.utf8)) as? [String: Any], "\(modelsJSON.stderr)")
        #expect(report["faces_with_templates"] as? [String: Int] == ["dlib-resnet-v1": faces.count, "sface-2021dec": remaining])
    }

    /// Listing the models looks at a gallery only where one exists: it makes no data directory.
    @Test func modelsWithoutAGalleryCreatesNone() throws {
        let data = try Fixtures.scratchDirectory().appendingPathComponent("none").path
        let models = try Subprocess.likeness("models", "--data", data)
        #expect(models.status == 0, "\(models.stderr)")
        #expect(models.stdout.contains("all verified") && !models.stdout.contains("template of each model"), "\(models.stdout)")
        #expect(!FileManager.default.fileExists(atPath: data))
        let json = try Subprocess.likeness("models", "--json", "--data", data)
        let report = try #require(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stderr)")
        #expect(report["files"] != nil && report["faces_with_templates"] == nil)
    }
}
