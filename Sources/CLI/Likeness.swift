import ArgumentParser
import Foundation
import LikenessCore
import LikenessGallery
import LikenessGovernance
import LikenessStore

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
        subcommands: [ModelsCommand.self, ServeCommand.self, AdminCommand.self, AuditCommand.self, SubjectCommand.self, SuppressionCommand.self, RetentionCommand.self, ConsentCommand.self, CollectionCommand.self, IngestCommand.self, WorkerCommand.self, MigrateCommand.self, SearchCommand.self,
                      VerifyCommand.self, DetectCommand.self, ReindexCommand.self, EvalCommand.self,
                      CalibrateCommand.self, BenchCommand.self])
}

/// `--data DIR`, shared by every command that reads or writes a gallery.
struct DataOptions: ParsableArguments {
    @Option(name: .long, help: "The data directory (default: $LIKENESS_DATA, else ./likeness-data).")
    var data: String?

    @Option(name: .long, help: "The organisation whose collections to use, when the data directory holds several.")
    var org: String?

    @Option(name: .long, help: ArgumentHelp(
        "A PostgreSQL store shared by several servers and workers, instead of the data directory's SQLite: postgres://USER[:PASSWORD]@HOST:PORT/DATABASE (default: $LIKENESS_STORE).",
        discussion: "Needs --vectors. The data directory still holds this machine's suppression key and held uploads."))
    var store: String?

    @Option(name: .long, help: "The Milvus server holding the templates, with --store: milvus://HOST:PORT (default: $LIKENESS_VECTORS).")
    var vectors: String?

    var directory: DataDirectory {
        data.map { DataDirectory(URL(fileURLWithPath: $0)) } ?? .default()
    }

    /// The gallery in this data directory, saying so on standard error if its index had to be
    /// rebuilt from the database.
    func openGallery() async throws -> Gallery {
        let environment = ProcessInfo.processInfo.environment
        let store = store ?? environment["LIKENESS_STORE"], vectors = vectors ?? environment["LIKENESS_VECTORS"]
        if store != nil || vectors != nil {
            guard let store, let vectors else { throw UsageFailure("--store and --vectors go together: a PostgreSQL store and a Milvus index") }
            return try await Gallery.openScaleOut(store: store, vectors: vectors, keysIn: directory)
        }
        let gallery = try await Gallery.openEmbedded(at: directory.root)
        if let reason = gallery.indexRebuiltBecause {
            Output.error("the vector index was unusable (\(reason)); rebuilt it from the database")
        }
        return gallery
    }

    /// The organisation the command acts for: --org, else the only one. A gallery without any
    /// (made before organisations, or by the CLI alone) gets one named "default".
    func organization(of gallery: Gallery) async throws -> Organization {
        let governance = try Self.governance(of: gallery)
        if let org {
            guard let found = try await governance.organization(named: org) else { throw UsageFailure("no organisation named '\(org)'") }
            return found
        }
        let all = try await governance.organizations()
        switch all.count {
        case 0: return try await governance.createOrganization(name: "default")
        case 1: return all[0]
        default: throw UsageFailure("this data directory holds several organisations (\(all.map(\.name).joined(separator: ", "))): name one with --org")
        }
    }

    static func governance(of gallery: Gallery) throws -> any GovernanceStore {
        guard let governance = gallery.store as? any GovernanceStore else { throw UsageFailure("this store keeps no accounts") }
        return governance
    }

    static func queue(of gallery: Gallery) throws -> any IngestQueue {
        guard let queue = gallery.store as? any IngestQueue else { throw UsageFailure("this store keeps no ingest queue") }
        return queue
    }

    /// The named collection of the command's organisation.
    func collection(named name: String, in gallery: Gallery) async throws -> CollectionRecord {
        let organization = try await organization(of: gallery)
        guard let collection = try await gallery.store.collection(named: name, in: organization.id) else {
            throw UsageFailure("no collection named '\(name)' in \(organization.name) (create it with `likeness collection create`)")
        }
        return collection
    }

    /// The bands `likeness calibrate` stored in this data directory, else the documented defaults.
    /// Reads an existing gallery only: comparing two photos creates no data directory.
    func calibratedBands() async throws -> BandThresholds {
        guard FileManager.default.fileExists(atPath: directory.database.path) else { return .standard }
        return try await SQLiteGalleryStore(path: directory.database.path).bandThresholds() ?? .standard
    }
}

/// A failure the user can act on: printed as one line, exit code 2.
struct UsageFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
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
