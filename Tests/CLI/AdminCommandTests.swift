import Foundation
import Testing
import TestSupport

/// `likeness admin create` and `admin bootstrap`: who chose a password decides whether it must
/// be changed at the first sign-in.
@Suite struct AdminCommandTests {
    /// Whether the account must change its password, read from the database as another SQLite
    /// client would: the CLI has no command that shows it.
    func mustChangePassword(_ username: String, data: String) throws -> Bool {
        let script = """
            import sqlite3, sys
            row = sqlite3.connect(sys.argv[1]).execute("SELECT must_change_password FROM account WHERE username = ?", (sys.argv[2],)).fetchone()
            print(row[0] if row else "none")
            """
        let result = try Subprocess.run("/usr/bin/env", ["python3", "-c", script, data + "/likeness.sqlite", username])
        try #require(result.status == 0, "\(result.stderr)")
        let value = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(value != "none", "no account \(username)")
        return value == "1"
    }

    @Test func aPrintedPasswordIsOneTimeAndOneItsUserChoseIsNot() throws {
        let data = try Fixtures.scratchDirectory("likeness-admin").path
        let printed = try Subprocess.likeness("admin", "create", "ana", "--organization", "Study", "--role", "investigator", "--data", data)
        #expect(printed.status == 0, "\(printed.stderr)")
        #expect(printed.stdout.contains("One-time password (to change at the first sign-in): "), "\(printed.stdout)")
        #expect(try mustChangePassword("ana", data: data))

        let chosen = "a passphrase ben chose himself"
        let typed = try Subprocess.run(Subprocess.likeness, ["admin", "create", "ben", "--organization", "Study", "--role", "investigator",
                                                             "--password-stdin", "--data", data], input: chosen + "\n")
        #expect(typed.status == 0, "\(typed.stderr)")
        #expect(!typed.stdout.contains(chosen) && !typed.stdout.contains("One-time"), "\(typed.stdout)")
        #expect(try !mustChangePassword("ben", data: data))

        let nothing = try Subprocess.run(Subprocess.likeness, ["admin", "create", "cy", "--organization", "Study", "--password-stdin",
                                                               "--data", data], input: "")
        #expect(nothing.status != 0 && nothing.stderr.contains("--password-stdin read no password"), "\(nothing.stderr)")
        let weak = try Subprocess.run(Subprocess.likeness, ["admin", "create", "cy", "--organization", "Study", "--password-stdin",
                                                            "--data", data], input: "short\n")
        #expect(weak.status != 0 && weak.stderr.contains("at least 10 characters"), "\(weak.stdout)\(weak.stderr)")
    }

    /// An installer runs bootstrap on every install and upgrade: it makes the administrator once,
    /// prints only the password (for a root-only file), and afterwards prints nothing.
    @Test func bootstrapMakesTheFirstAdministratorOnceAndPrintsOnlyItsPassword() throws {
        let data = try Fixtures.scratchDirectory("likeness-bootstrap").path
        let first = try Subprocess.likeness("admin", "bootstrap", "--data", data)
        #expect(first.status == 0, "\(first.stderr)")
        let password = first.stdout.trimmingCharacters(in: .newlines)
        #expect(password.count == 20 && !password.contains(" ") && first.stdout == password + "\n", "\(first.stdout)")
        #expect(try mustChangePassword("admin", data: data))

        let again = try Subprocess.likeness("admin", "bootstrap", "--data", data)
        #expect(again.status == 0 && again.stdout.isEmpty, "\(again.stdout)\(again.stderr)")

        let another = try Fixtures.scratchDirectory("likeness-bootstrap").path
        #expect(try Subprocess.likeness("admin", "create", "root", "--organization", "Archive", "--data", another).status == 0)
        let withAdministrator = try Subprocess.likeness("admin", "bootstrap", "--data", another)
        #expect(withAdministrator.status == 0 && withAdministrator.stdout.isEmpty, "\(withAdministrator.stdout)")
    }
}
