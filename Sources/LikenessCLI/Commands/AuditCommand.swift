import ArgumentParser
import Foundation
import LikenessGallery
import LikenessGovernance
import LikenessStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check and export the tamper-evident audit log.",
        subcommands: [Verify.self, Checkpoint.self, Export.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the hash chain and hold it to the signed checkpoints; name the first entry changed or removed.",
            discussion: """
                Checkpoints are read from the database, from the data directory's checkpoints.jsonl and from any \
                --checkpoints file, and their signatures checked with keys/audit-checkpoint.key (or --public-key). \
                Exit status: 0 when the log holds, 1 when it is broken or checkpoints were removed from the database, \
                2 on an error.
                """)
        @Option(name: .customLong("checkpoints"), help: ArgumentHelp(
            "Also hold the log to the checkpoints in this file (repeatable).",
            discussion: "Lines as `audit checkpoint --json` prints them, e.g. a copy published elsewhere, or a JSONL export."))
        var checkpointFiles: [String] = []
        @Option(help: "Check signatures with this Ed25519 public key (64 hex digits), as published, instead of the key file's.")
        var publicKey: String?
        @Option(name: .customLong("head"), help: ArgumentHelp(
            "Also check that the log holds this entry with this hash: ID:HASH, as a case report names its head (repeatable)."))
        var heads: [String] = []
        @OptionGroup var data: DataOptions

        func run() async throws {
            let directory = data.directory
            let (result, evidence, key, heldHeads) = try await failingWithExitCode2 {
                let checkingKey: AuditPublicKey?
                if let publicKey {
                    guard let given = AuditPublicKey(hex: publicKey) else {
                        throw UsageFailure("--public-key takes an Ed25519 public key: 64 hex digits")
                    }
                    checkingKey = given
                } else {
                    checkingKey = try AuditCheckpointKey.publicKey(in: directory)
                }
                let claimed = try heads.map { text -> (id: Int64, hash: String) in
                    let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
                    guard parts.count == 2, let id = Int64(parts[0]), parts[1].count == 64 else {
                        throw UsageFailure("--head takes ID:HASH (an entry's number and its 64-digit hash), not '\(text)'")
                    }
                    return (id, parts[1].lowercased())
                }
                let gallery = try await data.openGallery()
                let store = gallery.store
                // Each claimed head beside the hash the log holds for that entry (nil: no such entry).
                var heldHeads: [(id: Int64, claimed: String, held: String?)] = []
                for claim in claimed {
                    heldHeads.append((claim.id, claim.hash, try await store.auditEntry(claim.id, organization: nil)?.hash))
                }
                let files = [directory.auditCheckpoints] + checkpointFiles.map { URL(fileURLWithPath: $0) }
                let evidence = try await CheckpointEvidence.gather(store: store, files: files, key: checkingKey)
                return (try await AuditLog(store: store).verify(against: evidence.valid), evidence, checkingKey, heldHeads)
            }
            let signer = publicKey == nil ? directory.auditCheckpointKey.path : "the given public key"
            if key == nil, !evidence.rejected.isEmpty {
                print("WARNING: \(evidence.rejected.count) checkpoints ignored: there is no \(signer) to check their signatures "
                      + "(give --public-key)")
            } else {
                for checkpoint in evidence.rejected {
                    print("WARNING: checkpoint \(checkpoint.number) (covering entry \(checkpoint.entryID)) is not signed by "
                          + "\(signer): ignored")
                }
            }
            for checkpoint in evidence.missingFromDatabase {
                print("REMOVED: checkpoint \(checkpoint.number) (signed \(checkpoint.at), covering entry \(checkpoint.entryID)) "
                      + "is in a checkpoint file but no longer in the database")
            }
            if let broken = result.firstBroken {
                print("BROKEN at entry \(broken.id): \(broken.reason) (\(result.entries) entries read)")
                throw ExitCode(1)
            }
            if let anchor = result.anchor {
                func entries(_ first: Int64, _ last: Int64) -> String { first == last ? "entry \(first)" : "entries \(first)-\(last)" }
                let confirmed = anchor.entryID == 0 ? "was signed while the log was empty" : "confirms \(entries(1, anchor.entryID))"
                let unanchored = Int64(result.entries) > anchor.entryID
                    ? "; \(entries(anchor.entryID + 1, Int64(result.entries))) newer, held by the chain alone" : ""
                print("OK: \(result.entries) entries, chain intact; checkpoint \(anchor.number) (signed \(anchor.at)) \(confirmed)"
                      + unanchored)
            } else {
                print("OK: \(result.entries) entries, chain intact; no checkpoint holds them, so the newest could be removed "
                      + "unseen (`likeness audit checkpoint` makes one)")
            }
            var headsHold = true
            for head in heldHeads {
                if head.held == head.claimed {
                    print("OK: entry \(head.id) holds the hash given (\(head.claimed))")
                } else {
                    headsHold = false
                    print("MISMATCH: entry \(head.id) " + (head.held.map { "holds \($0)" } ?? "is not in the log") + ", not \(head.claimed)")
                }
            }
            if !evidence.missingFromDatabase.isEmpty || !headsHold { throw ExitCode(1) }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign the chain's head now, and print it to publish elsewhere.",
            discussion: """
                The checkpoint is recorded in the database and in the data directory's checkpoints.jsonl, and \
                signed with keys/audit-checkpoint.key (made on first use). Published where the database's \
                administrators cannot change it, it shows later whether entries up to it were removed or rewritten: \
                save the --json line and give it to `likeness audit verify --checkpoints FILE`.
                """)
        @Flag(help: "Print the checkpoint as one JSON line.") var json = false
        @OptionGroup var data: DataOptions

        func run() async throws {
            let checkpoint = try await failingWithExitCode2 {
                let gallery = try await data.openGallery()
                return try await AuditCheckpoints(store: gallery.store, directory: data.directory).make()
            }
            if json {
                print(checkpoint.jsonLine)
                return
            }
            print("""
                Checkpoint \(checkpoint.number) of the audit log
                  entry:      \(checkpoint.entryID)
                  head hash:  \(checkpoint.entryHash)
                  signed at:  \(checkpoint.at)
                  signature:  \(checkpoint.checkpoint.signature)
                  public key: \(checkpoint.checkpoint.publicKey)
                """)
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write audit entries as JSONL or CSV, ending with a checkpoint of the chain's head signed for it.")
        @Option(help: "From this date or time (ISO 8601, included).") var from: String?
        @Option(help: "To this date or time (ISO 8601, excluded).") var to: String?
        @Option(help: "jsonl or csv.") var format = "jsonl"
        @Option(name: .shortAndLong, help: "Write to this file (default: standard output).") var output: String?
        @OptionGroup var data: DataOptions

        func run() async throws {
            try await failingWithExitCode2 {
                guard let format = AuditExport.Format(rawValue: format) else { throw UsageFailure("--format takes jsonl or csv") }
                let from = try from.map { try date($0, option: "--from") }
                let to = try to.map { try date($0, option: "--to") }
                let gallery = try await data.openGallery()
                let governance = gallery.store
                let organization = data.org == nil ? nil : try await data.organization(of: gallery).id
                // Signed before the entries are read, so the head it covers is in the export
                // when the export reaches the end of the log.
                let checkpoint = try await AuditCheckpoints(store: governance, directory: data.directory).make()
                let entries = try await AuditLog(store: governance).entries(organization: organization, from: from, to: to)
                let text = AuditExport.render(entries, checkpoint: checkpoint, as: format)
                if let output {
                    try Data(text.utf8).write(to: URL(fileURLWithPath: output))
                    Output.error("wrote \(entries.count) entries and checkpoint \(checkpoint.number) (of entry \(checkpoint.entryID)) to \(output)")
                } else {
                    print(text, terminator: "")
                }
                try await governance.appendAudit(NewAuditEntry(
                    organization: organization, actorID: nil, actor: "cli:\(ProcessInfo.processInfo.userName)",
                    action: AuditLog.Action.export.rawValue,
                    detail: "audit export \(format.rawValue): \(entries.count) entries, from \(self.from ?? "start") to \(self.to ?? "now")"))
            }
        }
    }
}
