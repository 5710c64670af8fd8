import ArgumentParser
import Foundation
import LikenessGovernance
import LikenessStore

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check and export the tamper-evident audit log.",
        subcommands: [Verify.self, Export.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the hash chain; name the first entry that was changed or removed.",
            discussion: "Exit status: 0 when the chain holds, 1 when it is broken, 2 on an error.")
        @OptionGroup var data: DataOptions

        func run() async throws {
            let result = try await failingWithExitCode2 {
                let gallery = try await data.openGallery()
                return try await AuditLog(store: try DataOptions.governance(of: gallery)).verify()
            }
            if let broken = result.firstBroken {
                print("BROKEN at entry \(broken.id): \(broken.reason) (\(result.entries) entries read)")
                throw ExitCode(1)
            }
            print("OK: \(result.entries) entries, chain intact")
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write audit entries as JSONL or CSV.")
        @Option(help: "From this date or time (ISO 8601, included).") var from: String?
        @Option(help: "To this date or time (ISO 8601, excluded).") var to: String?
        @Option(help: "jsonl or csv.") var format = "jsonl"
        @Option(name: .shortAndLong, help: "Write to this file (default: standard output).") var output: String?
        @OptionGroup var data: DataOptions

        func run() async throws {
            try await failingWithExitCode2 {
                guard let format = AuditExport.Format(rawValue: format) else { throw UsageFailure("--format takes jsonl or csv") }
                let from = try from.map { try Self.date($0, "--from") }
                let to = try to.map { try Self.date($0, "--to") }
                let gallery = try await data.openGallery()
                let governance = try DataOptions.governance(of: gallery)
                let organization = data.org == nil ? nil : try await data.organization(of: gallery).id
                let entries = try await AuditLog(store: governance).entries(organization: organization, from: from, to: to)
                let text = AuditExport.render(entries, as: format)
                if let output {
                    try Data(text.utf8).write(to: URL(fileURLWithPath: output))
                    Output.error("wrote \(entries.count) entries to \(output)")
                } else {
                    print(text, terminator: "")
                }
                try await governance.appendAudit(NewAuditEntry(
                    organization: organization, actorID: nil, actor: "cli:\(ProcessInfo.processInfo.userName)",
                    action: AuditLog.Action.export.rawValue,
                    detail: "audit export \(format.rawValue): \(entries.count) entries, from \(self.from ?? "start") to \(self.to ?? "now")"))
            }
        }

        static func date(_ text: String, _ option: String) throws -> Date {
            let formatter = ISO8601DateFormatter()
            if let date = formatter.date(from: text) { return date }
            formatter.formatOptions = [.withFullDate]
            guard let date = formatter.date(from: text) else { throw UsageFailure("\(option) takes a date (YYYY-MM-DD) or an ISO 8601 time") }
            return date
        }
    }
}
