import Foundation
import Testing
import TestSupport

/// `likeness case`: the same cases, rules and audit as the API, acting as a named account.
@Suite struct CaseCommandTests {
    @Test func casesAreOpenedAuthorisedAndClosedFromTheCommandLine() throws {
        let data = try Fixtures.scratchDirectory("likeness-case").path
        for (user, role) in [("ivy", "investigator"), ("sam", "supervisor")] {
            let made = try Subprocess.likeness("admin", "create", user, "--organization", "Police", "--role", role, "--data", data)
            try #require(made.status == 0, "\(made.stderr)")
        }
        let opened = try Subprocess.likeness("case", "open", "C-100", "--title", "Burglary, Mill Lane", "--offence", "burglary",
                                             "--user", "ivy", "--data", data)
        #expect(opened.status == 0 && opened.stdout.contains("Opened case C-100"), "\(opened.stdout)\(opened.stderr)")
        let again = try Subprocess.likeness("case", "open", "C-100", "--title", "again", "--user", "sam", "--data", data)
        #expect(again.status == 2 && again.stderr.contains("already has a case numbered 'C-100'"), "\(again.stderr)")

        let byInvestigator = try Subprocess.likeness("case", "authorise", "C-100", "--decision", "granted", "--reference", "W-9",
                                                     "--authority", "Leeds Magistrates", "--decided-at", "2026-11-30",
                                                     "--user", "ivy", "--data", data)
        #expect(byInvestigator.status == 2 && byInvestigator.stderr.contains("superviseCases"), "\(byInvestigator.stderr)")
        let granted = try Subprocess.likeness("case", "authorise", "C-100", "--decision", "granted", "--reference", "W-9",
                                              "--authority", "Leeds Magistrates", "--decided-at", "2026-11-30",
                                              "--user", "sam", "--data", data)
        #expect(granted.status == 0 && granted.stdout.contains("granted recorded"), "\(granted.stdout)\(granted.stderr)")

        let listed = try Subprocess.likeness("case", "list", "--status", "open", "--user", "sam", "--data", data)
        #expect(listed.status == 0 && listed.stdout.contains("C-100") && listed.stdout.contains("granted (W-9, Leeds Magistrates)"),
                "\(listed.stdout)\(listed.stderr)")
        let closed = try Subprocess.likeness("case", "close", "C-100", "--user", "ivy", "--data", data)
        #expect(closed.status == 0 && closed.stdout.contains("Closed case C-100"), "\(closed.stdout)\(closed.stderr)")
        let none = try Subprocess.likeness("case", "list", "--status", "open", "--user", "sam", "--data", data)
        #expect(none.status == 0 && !none.stdout.contains("C-100"), "\(none.stdout)")

        let audit = try Subprocess.likeness("audit", "export", "--data", data)
        for action in ["case_opened", "case_authorisation", "case_closed"] {
            #expect(audit.stdout.contains(action), "\(action) in \(audit.stdout.suffix(2_000))\(audit.stderr)")
        }
    }
}
