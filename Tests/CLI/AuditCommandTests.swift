import Foundation
import Testing
import TestSupport

@Suite struct AuditCommandTests {
    /// A data directory whose audit log has a few entries.
    func dataWithEntries() throws -> String {
        let data = try Fixtures.scratchDirectory("likeness-cli").path
        for user in ["ana", "ben"] {
            let created = try Subprocess.likeness("admin", "create", user, "--organization", "Study", "--role", "auditor", "--data", data)
            try #require(created.status == 0, "\(created.stderr)")
        }
        return data
    }

    /// Runs SQL on the data directory's database with another SQLite client, as someone holding
    /// the file would.
    func tamper(_ data: String, _ sql: String) throws {
        let script = "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.executescript(sys.argv[2]); db.commit()"
        let result = try Subprocess.run("/usr/bin/env", ["python3", "-c", script, data + "/likeness.sqlite", sql])
        try #require(result.status == 0, "\(result.stderr)")
    }

    func entryOfCheckpoint(_ output: String) throws -> Int {
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("  entry:") })
        return try #require(Int(line.split(separator: " ").last ?? ""))
    }

    @Test func verifyNamesTheEntriesRemovedAfterACheckpoint() throws {
        let data = try dataWithEntries()
        let checkpoint = try Subprocess.likeness("audit", "checkpoint", "--data", data)
        try #require(checkpoint.status == 0, "\(checkpoint.stderr)")
        #expect(checkpoint.stdout.hasPrefix("Checkpoint 1 of the audit log\n") && checkpoint.stdout.contains("public key: "))
        let head = try entryOfCheckpoint(checkpoint.stdout)
        let intact = try Subprocess.likeness("audit", "verify", "--data", data)
        #expect(intact.status == 0 && intact.stdout.contains("checkpoint 1 (signed "), "\(intact.stdout)\(intact.stderr)")

        try tamper(data, "DROP TRIGGER audit_entry_no_delete; DELETE FROM audit_entry WHERE id > \(head - 2);")
        let verify = try Subprocess.likeness("audit", "verify", "--data", data)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("BROKEN at entry \(head - 1): the log ends at entry \(head - 2) but checkpoint 1 (signed "),
                "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("covers entry \(head) with head hash ") && verify.stdout.contains(": entries were removed"))
    }

    @Test func exportEndsWithACheckpointThatVerifyReadsBack() throws {
        let data = try dataWithEntries()
        let file = data + "/export.jsonl"
        let export = try Subprocess.likeness("audit", "export", "-o", file, "--data", data)
        try #require(export.status == 0, "\(export.stderr)")
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any])
        #expect(last["checkpoint"] as? Int == 1 && last["entry_id"] as? Int == lines.count - 1 && last["signature"] is String)
        let recorded = try String(contentsOfFile: data + "/checkpoints.jsonl", encoding: .utf8)
        #expect(recorded == lines.last! + "\n")

        // The database's checkpoints and file gone, the export's copy still holds the log.
        try tamper(data, """
            DROP TRIGGER audit_checkpoint_no_delete; DELETE FROM audit_checkpoint;
            DROP TRIGGER audit_entry_no_delete; DELETE FROM audit_entry WHERE id > 1;
            """)
        try FileManager.default.removeItem(atPath: data + "/checkpoints.jsonl")
        #expect(try Subprocess.likeness("audit", "verify", "--data", data).status == 0, "the chain alone cannot tell")
        let verify = try Subprocess.likeness("audit", "verify", "--checkpoints", file, "--data", data)
        #expect(verify.status == 1 && verify.stdout.contains("REMOVED: checkpoint 1 "), "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("BROKEN at entry 2: the log ends at entry 1 but checkpoint 1"))
    }

    /// The server signs the head it starts with before it serves, so what happened before the
    /// start is anchored at once rather than up to 10 minutes later.
    @Test func serveSignsTheHeadBeforeServing() throws {
        let data = try dataWithEntries()
        let server = try Subprocess.start(Subprocess.likeness, ["serve", "--port", "0", "--workers", "1", "--data", data])
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let output = (server.standardOutput as! Pipe).fileHandleForReading
        var line: [UInt8] = []
        while let chunk = try output.read(upToCount: 1), let byte = chunk.first {
            if byte != 0x0A { line.append(byte); continue }
            if String(decoding: line, as: UTF8.self).hasPrefix("Likeness is serving") { break }
            line = []
        }
        try #require(String(decoding: line, as: UTF8.self).hasPrefix("Likeness is serving"), "the server did not start")
        let signed = try String(contentsOfFile: data + "/checkpoints.jsonl", encoding: .utf8).split(separator: "\n")
        let entries = try Subprocess.likeness("audit", "export", "--format", "csv", "--data", data).stdout
            .components(separatedBy: "\r\n").filter { $0.first?.isNumber == true }.count
        #expect(signed.count == 1 && signed[0].contains("\"entry_id\":\(entries),"))
    }
}
