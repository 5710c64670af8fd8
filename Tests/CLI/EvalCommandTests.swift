import Foundation
import LikenessCore
import Testing
import TestSupport

@Suite struct EvalCommandTests {
    @Test func evaluatesTheLabelledFixturesAndCalibratesTheBands() throws {
        let labels = Fixtures.root.appendingPathComponent("faces/labels.jsonl").path
        let eval = try Subprocess.likeness("eval", labels, "--json", "--report", try Fixtures.scratchDirectory().path)
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try #require(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        let verification = try #require(report["verification"] as? [String: Any])
        let identification = try #require(report["identification"] as? [String: Any])
        let detection = try #require(report["detection"] as? [String: Any])
        #expect((verification["pairs"] as? Int ?? 0) > 20)
        #expect((verification["auc"] as? Double ?? 0) > 0.95)
        #expect((verification["best_accuracy"] as? Double ?? 0) >= (verification["accuracy"] as? Double ?? 1))
        #expect(identification["probes"] as? Int == 18)
        #expect(identification["rank1"] as? Double == 1)
        #expect(detection["images"] as? Int == 19)

        let data = try Fixtures.scratchDirectory("likeness-cli").path
        let calibrate = try Subprocess.likeness("calibrate", labels, "--target-fmr", "0.01", "--data", data)
        #expect(calibrate.status == 0, "\(calibrate.stderr)")
        #expect(calibrate.stdout.contains("Stored bands"))
        let verify = try Subprocess.likeness("verify", Fixtures.face("img5.jpg"), Fixtures.face("img6.jpg"), "--json", "--data", data)
        let verdict = try #require(JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        // The stored threshold, not the default one, decides.
        let threshold = try #require(verdict["threshold"] as? Double)
        #expect(abs(threshold - Double(FusedBands.standard.thresholds.possible)) > 1e-4)
        #expect(verdict["verdict"] as? String == "same")
    }

    /// The server computes a probe's templates its own, quicker way; the photos must find their
    /// people as often that way as with the templates ingest stored for them.
    @Test func aProbeSearchedAsTheServerSearchesFindsItsPersonAsTheStoredTemplatesDo() throws {
        let labels = Fixtures.root.appendingPathComponent("faces/labels.jsonl").path
        let eval = try Subprocess.likeness("eval", labels, "--probe-path", "--json")
        #expect(eval.status == 0, "\(eval.stderr)")
        let report = try #require(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        let stored = try #require(report["stored"] as? [String: Any])
        let probePath = try #require(report["probe_path"] as? [String: Any])
        #expect(report["photos"] as? Int == 19)
        #expect(stored["probes"] as? Int == 18)
        #expect(probePath["probes"] as? Int == 18)
        #expect(report["probe_path_without_face"] as? Int == 0)
        #expect((probePath["rank1"] as? Double ?? 0) >= (stored["rank1"] as? Double ?? 1))

        let refused = try Subprocess.likeness("eval", labels, "--probe-path", "--accurate")
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--probe-path measures the default pipeline"))
    }

    /// Servers on PostgreSQL read the bands from it, so calibrating with --store writes them
    /// there, and leaves no SQLite file behind.
    @Test func calibratingWithAPostgreSQLStoreStoresTheBandsThere() async throws {
        let labels = Fixtures.root.appendingPathComponent("faces/labels.jsonl").path
        try await TestDatabase.with(.postgres) { database in
            let url = try #require(database.postgresURL)
            let scaleOut = ["--store", url, "--vectors", try TestServers.milvusURL()]
            let data = try Fixtures.scratchDirectory("likeness-cli")
            let calibrate = try Subprocess.likeness(["calibrate", labels, "--target-fmr", "0.01", "--data", data.path] + scaleOut)
            #expect(calibrate.status == 0, "\(calibrate.stderr)")
            let stored = try #require(try await database.open().bandThresholds())
            #expect(abs(stored.possible - BandThresholds.standard.possible) > 1e-4)
            let fused = try #require(try await database.open().fusedBands())
            #expect(fused != FusedBands.standard)
            #expect(!FileManager.default.fileExists(atPath: data.appendingPathComponent("likeness.sqlite").path))

            let verify = try Subprocess.likeness(["verify", Fixtures.face("img5.jpg"), Fixtures.face("img6.jpg"), "--json",
                                                  "--data", data.path] + scaleOut)
            let verdict = try #require(JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
            // Both faces have both models' templates: the stored fused threshold decides.
            #expect(abs((verdict["threshold"] as? Double ?? 0) - Double(fused.thresholds.possible)) < 1e-4)
        }
    }
}
