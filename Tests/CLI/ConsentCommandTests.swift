import Foundation
import Testing
import TestSupport

@Suite struct ConsentCommandTests {
    /// A consent collection takes images only by enrolment; withdrawing consent erases them.
    @Test func enrolThenWithdraw() throws {
        let data = try Fixtures.scratchDirectory("likeness-cli").path
        #expect(try Subprocess.likeness("admin", "create", "ines", "--organization", "Study", "--role", "investigator",
                                        "--data", data).status == 0)
        try Subprocess.openAuthorisedCase("C-5", lead: "ines", organization: "Study", data: data)
        let created = try Subprocess.likeness("collection", "create", "volunteers", "--source", "enrolment desk", "--lawful-basis",
                                              "consent", "--jurisdiction", "GB", "--consent", "--data", data)
        try #require(created.status == 0, "\(created.stderr)")
        let plain = try Subprocess.likeness("ingest", Fixtures.face("img16.jpg"), "--collection", "volunteers", "--data", data)
        #expect(plain.status == 2 && plain.stderr.contains("likeness consent enrol"))

        let enrol = try Subprocess.likeness("consent", "enrol", Fixtures.face("img16.jpg"), Fixtures.face("img17.jpg"),
                                            "--collection", "volunteers", "--subject", "Jo Bloggs", "--text-version", "v2", "--data", data)
        #expect(enrol.status == 0 && enrol.stdout.contains("Enrolled Jo Bloggs: 2 images"), "\(enrol.stderr)")
        let search = ["search", Fixtures.face("img61.jpg"), "--user", "ines", "--case", "C-5", "--purpose", "missing_person",
                      "--json", "--data", data]
        let before = try Subprocess.run(Subprocess.likeness, search)
        #expect(before.stdout.contains("img16.jpg") && before.stdout.contains("img17.jpg"))

        let withdraw = try Subprocess.likeness("consent", "withdraw", "--collection", "volunteers", "--subject", "Jo Bloggs", "--data", data)
        #expect(withdraw.status == 0 && withdraw.stdout.contains("2 faces erased"), "\(withdraw.stderr)")
        let after = try Subprocess.run(Subprocess.likeness, search)
        #expect(after.status == 0 && !after.stdout.contains("img16.jpg") && !after.stdout.contains("img17.jpg"))
        let audit = try Subprocess.likeness("audit", "export", "--format", "csv", "--data", data).stdout
        #expect(audit.contains(",consent,") && audit.contains("consent withdrawn by Jo Bloggs"))
    }
}
