import Foundation
import LikenessStore
import Testing
import TestSupport

/// `likeness review`: the API's two-person rule, blind, from the command line.
@Suite struct ReviewCommandTests {
    @Test func twoExaminersVerifyALeadTheSecondBlindAndTheCaseReportTiesItToTheAuditLog() throws {
        let data = try Fixtures.scratchDirectory("likeness-review").path
        for (user, role) in [("ines", "investigator"), ("eve", "examiner"), ("emil", "examiner")] {
            let made = try Subprocess.likeness("admin", "create", user, "--organization", "Police", "--role", role, "--data", data)
            try #require(made.status == 0, "\(made.stderr)")
        }
        try Subprocess.openAuthorisedCase("R-1", lead: "ines", organization: "Police", data: data)
        _ = try Subprocess.likeness("collection", "create", "press", "--source", "s", "--lawful-basis", "b", "--jurisdiction", "GB",
                                    "--data", data)
        let ingested = try Subprocess.likeness("ingest", Fixtures.face("img6.jpg"), "--collection", "press", "--data", data)
        try #require(ingested.status == 0, "\(ingested.stderr)")
        let search = try Subprocess.likeness("search", Fixtures.face("img5.jpg"), "--top", "1", "--json", "--user", "ines",
                                             "--case", "R-1", "--purpose", "missing_person", "--data", data)
        let result = try #require(JSONSerialization.jsonObject(with: Data(search.stdout.utf8)) as? [String: Any], "\(search.stderr)")
        let entry = try #require(result["audit_entry"] as? Int)
        let face = try #require((result["matches"] as? [[String: Any]])?.first?["face_id"] as? Int)
        let candidate = ["\(entry)", "\(face)", "--data", data]
        let features = CandidateReview.Feature.allCases.flatMap { ["--feature", "\($0.rawValue)=similar"] }

        for examiner in ["eve", "emil"] {
            let trained = try Subprocess.likeness("admin", "train", examiner, "--course", "FISWG comparison", "--completed-on", "2026-11-02",
                                                  "--data", data)
            try #require(trained.status == 0, "\(trained.stderr)")
        }
        let incomplete = try Subprocess.likeness(["review", "record"] + candidate + ["--feature", "nose=similar",
                                                  "--conclusion", "strong_support_same", "--user", "eve"])
        #expect(incomplete.status == 2 && incomplete.stderr.contains("missing: face_shape"), "\(incomplete.stderr)")
        let first = try Subprocess.likeness(["review", "record"] + candidate + features + ["--conclusion", "moderate_support_same",
                                             "--notes", "same scar", "--user", "eve"])
        #expect(first.status == 0 && first.stdout.contains("awaiting_verification"), "\(first.stdout)\(first.stderr)")
        let queue = try Subprocess.likeness("review", "awaiting", "--user", "emil", "--data", data)
        #expect(queue.status == 0 && queue.stdout.contains("R-1") && queue.stdout.contains("awaiting_verification"), "\(queue.stdout)")
        let blind = try Subprocess.likeness(["review", "show"] + candidate + ["--user", "emil"])
        #expect(blind.status == 0 && blind.stdout.contains("1 review withheld until yours is saved"), "\(blind.stdout)")
        #expect(!blind.stdout.contains("moderate_support_same"))
        let second = try Subprocess.likeness(["review", "record"] + candidate + features + ["--conclusion", "strong_support_same",
                                              "--json", "--user", "emil"])
        let verified = try #require(JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any], "\(second.stderr)")
        #expect(verified["status"] as? String == "verified" && (verified["reviews"] as? [Any])?.count == 2)
        let again = try Subprocess.likeness(["review", "record"] + candidate + features + ["--conclusion", "inconclusive", "--user", "eve"])
        #expect(again.status == 2 && again.stderr.contains("already"), "\(again.stderr)")

        let audit = try Subprocess.likeness("audit", "export", "--data", data)
        #expect(audit.stdout.components(separatedBy: "candidate_reviewed").count == 3 && audit.stdout.contains("lead_verified"))

        // The case report, as a PDF: its text holds the disclosure, the verified lead and the
        // audit head, and the log holds that head.
        let pdf = try Fixtures.scratchDirectory("likeness-report").appendingPathComponent("R-1.pdf").path
        let byExaminer = try Subprocess.likeness("case", "report", "R-1", "-o", pdf, "--user", "eve", "--data", data)
        #expect(byExaminer.status == 2 && byExaminer.stderr.contains("lead investigator or a supervisor"), "\(byExaminer.stderr)")
        let written = try Subprocess.likeness("case", "report", "R-1", "-o", pdf, "--user", "ines", "--data", data)
        #expect(written.status == 0, "\(written.stderr)")
        let head = try #require(written.stdout.firstMatch(of: /entry (\d+), hash ([0-9a-f]{64})/), "\(written.stdout)")
        let text = try Subprocess.run("/usr/bin/pdftotext", ["-layout", pdf, "-"])
        try #require(text.status == 0, "\(text.stderr)")
        let flat = text.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(flat.contains("Facial recognition technology was used in this case: 1 search"), "\(flat.prefix(3_000))")
        #expect(flat.contains("Search \(entry), face \(face) (") && flat.contains("verified lead, an investigative lead, not an identification"))
        #expect(flat.contains("moderate support same") && flat.contains("eve") && flat.contains("emil"), "both examiners' records")
        #expect(flat.contains("entry \(head.1), hash \(head.2)"), "the head hash")
        let held = try Subprocess.likeness("audit", "verify", "--head", "\(head.1):\(head.2)", "--data", data)
        #expect(held.status == 0 && held.stdout.contains("OK: entry \(head.1) holds the hash given"), "\(held.stdout)")
        let forged = try Subprocess.likeness("audit", "verify", "--head", "\(head.1):\(String(repeating: "0", count: 64))", "--data", data)
        #expect(forged.status == 1 && forged.stdout.contains("MISMATCH"), "\(forged.stdout)")
        let reportEntry = try Subprocess.likeness("audit", "export", "--data", data)
        #expect(reportEntry.stdout.contains("case_report"))
    }
}
