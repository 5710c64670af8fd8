import ArgumentParser
import Foundation
import LikenessGovernance

@main
struct Likeness: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "likeness",
        abstract: "Self-hosted face search over the image collections an organisation holds.",
        discussion: """
            Likeness ingests only what its operator gives it (files, folders, archives, manifests \
            of URLs the operator controls) and never crawls. Search results are investigative \
            leads, not identifications: a trained person must review them before any action.
            """,
        subcommands: [ModelsCommand.self, ServeCommand.self, AdminCommand.self, AuditCommand.self, SubjectCommand.self, CaseCommand.self, ReviewCommand.self, WatchCommand.self, SuppressionCommand.self, RetentionCommand.self, ConsentCommand.self, CollectionCommand.self, IngestCommand.self, WorkerCommand.self, MigrateCommand.self, SearchCommand.self,
                      VerifyCommand.self, DetectCommand.self, ReindexCommand.self, CheckCommand.self, BackupCommand.self, RestoreCommand.self, ReplayErasuresCommand.self, EvalCommand.self,
                      CalibrateCommand.self, BenchCommand.self])
}

/// A failure the user can act on: printed as one line, exit code 2.
struct UsageFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// An option's date: a calendar date (YYYY-MM-DD, midnight UTC) or an ISO 8601 time.
func date(_ text: String, option: String) throws -> Date {
    let formatter = ISO8601DateFormatter()
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withFullDate]
    guard let date = formatter.date(from: text) else { throw UsageFailure("\(option) takes a date (YYYY-MM-DD) or an ISO 8601 time") }
    return date
}

enum Output {
    /// One JSON object on one line, keyed as the API's. The values are plain numbers and strings,
    /// so a failure is a bug, and it stops the command rather than print something else.
    static func json(_ value: some Encodable) -> String {
        do { return try ResponseJSON.line(value) } catch { fatalError("\(type(of: value)) could not be written as JSON: \(error)") }
    }

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("likeness: \(message)\n".utf8))
    }

    static var standardErrorIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }

    /// Left-aligned columns separated by two spaces.
    static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n")
    }
}

/// Runs a command body, turning known failures into a message and exit code 2.
func failingWithExitCode2<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        Output.error("\(error)")
        throw ExitCode(2)
    }
}
