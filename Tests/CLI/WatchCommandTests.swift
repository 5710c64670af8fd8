import Foundation
import Testing
import TestSupport

/// `likeness search --watch-days` and `likeness watch`: a probe kept on watch from the command
/// line is matched by `watch match` against a later command-line ingest, then renewed and ended.
@Suite struct WatchCommandTests {
    @Test func aProbeOnWatchMatchesALaterIngestFromTheCommandLine() throws {
        let data = try Fixtures.scratchDirectory("likeness-watch").path
        for (user, role) in [("ines", "investigator"), ("sam", "supervisor")] {
            let made = try Subprocess.likeness("admin", "create", user, "--organization", "Police", "--role", role, "--data", data)
            try #require(made.status == 0, "\(made.stderr)")
        }
        try Subprocess.openAuthorisedCase("W-1", lead: "ines", organization: "Police", data: data)
        _ = try Subprocess.likeness("collection", "create", "press", "--source", "s", "--lawful-basis", "b", "--jurisdiction", "GB",
                                    "--data", data)
        _ = try Subprocess.likeness("ingest", Fixtures.face("img12.jpg"), "--collection", "press", "--data", data)

        let tooLong = try Subprocess.likeness("search", Fixtures.face("img5.jpg"), "--watch-days", "120", "--user", "ines",
                                              "--case", "W-1", "--purpose", "missing_person", "--data", data)
        #expect(tooLong.status == 2 && tooLong.stderr.contains("1 to 90 days"), "\(tooLong.stderr)")
        let search = try Subprocess.likeness("search", Fixtures.face("img5.jpg"), "--watch-days", "30", "--user", "ines",
                                             "--case", "W-1", "--purpose", "missing_person", "--data", data)
        let watch = try #require(search.stdout.firstMatch(of: /On watch (\d+) until/), "\(search.stdout)\(search.stderr)").1

        let none = try Subprocess.likeness("watch", "match", "--data", data)
        #expect(none.status == 0 && none.stdout.contains("0 matches recorded"), "\(none.stdout)\(none.stderr)")
        let ingested = try Subprocess.likeness("ingest", Fixtures.face("img6.jpg"), "--collection", "press", "--data", data)
        try #require(ingested.status == 0, "\(ingested.stderr)")
        let matched = try Subprocess.likeness("watch", "match", "--data", data)
        #expect(matched.status == 0 && matched.stdout.contains("1 match recorded"), "\(matched.stdout)\(matched.stderr)")

        let listed = try Subprocess.likeness("watch", "list", "--case", "W-1", "--json", "--user", "sam", "--data", data)
        let watches = try #require((JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any])?["watches"]
                                   as? [[String: Any]], "\(listed.stderr)")
        #expect(watches.count == 1 && watches[0]["match_count"] as? Int == 1, "\(watches)")

        let noReason = try Subprocess.likeness("watch", "renew", String(watch), "--days", "60", "--reason", " ", "--user", "ines", "--data", data)
        #expect(noReason.status == 2 && noReason.stderr.contains("reason"), "\(noReason.stderr)")
        let renewed = try Subprocess.likeness("watch", "renew", String(watch), "--days", "60", "--reason", "still missing",
                                              "--user", "ines", "--data", data)
        #expect(renewed.status == 0 && renewed.stdout.contains("runs until"), "\(renewed.stdout)\(renewed.stderr)")
        let ended = try Subprocess.likeness("watch", "end", String(watch), "--user", "sam", "--data", data)
        #expect(ended.status == 0 && ended.stdout.contains("its probe is deleted"), "\(ended.stdout)\(ended.stderr)")

        let audit = try Subprocess.likeness("audit", "export", "--data", data)
        for action in ["watch_opened", "watch_matched", "watch_renewed", "watch_ended"] {
            #expect(audit.stdout.contains(action), "\(action) in \(audit.stdout.suffix(2_000))")
        }
    }
}
