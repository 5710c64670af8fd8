import ArgumentParser
import Foundation
import LikenessCore
import LikenessGallery
import LikenessStore

/// `likeness check`: after a crash, a restore or a move, whether the index and the database
/// agree and nobody erased is back. Opening the gallery does what a server's start does
/// (replays the index's change log, finishes erasures a crash left), so this checks what a
/// restarted server would serve.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that the index holds exactly the database's faces and that no erased face is back.",
        discussion: """
            Every face in the database is looked up in the index, and its template's keyed digest \
            is held against the erasure log. Exits 1 on any disagreement. The audit chain is \
            checked by `likeness audit verify`.
            """)

    @OptionGroup var data: DataOptions

    func run() async throws {
        let problems = try await failingWithExitCode2 { () async throws -> [String] in
            let unfinished = try await data.openStore().unfinishedErasures().count
            let gallery = try await data.openGallery()
            let erased = Set(try gallery.erasureLog?.entries().flatMap(\.faces) ?? [])
            var faces = 0, missing: [FaceID] = [], back: [FaceID] = []
            var after: FaceID = 0
            while true {
                let page = try await gallery.store.templates(after: after, limit: 1_000)
                guard let last = page.last else { break }
                for face in page {
                    faces += 1
                    // Within its own collection: a photo held in several collections has the same
                    // template in each, and their ties could push this face out of the top few.
                    let nearest = try await gallery.index.nearest(to: face.template, k: 3, in: [face.collection])
                    if !nearest.contains(where: { $0.id == face.id }) { missing.append(face.id) }
                    if let log = gallery.erasureLog, erased.contains(log.digest(face: face.id, template: face.template)) { back.append(face.id) }
                }
                after = last.id
            }
            let indexed = try await gallery.index.count
            print("Database: \(faces) faces; index: \(indexed) templates.")
            print("Erasure log: \(erased.count) erased faces, \(back.count) of them in the database.")
            if unfinished > 0 { print("Finished \(unfinished) erasures that a crash had left after their transaction.") }
            var problems: [String] = []
            if indexed != faces { problems.append("the index holds \(indexed) templates for \(faces) faces") }
            if !missing.isEmpty { problems.append("faces \(Self.list(missing)) are not found in the index") }
            if !back.isEmpty { problems.append("faces \(Self.list(back)) were erased before and are back") }
            return problems
        }
        guard problems.isEmpty else {
            for problem in problems { Output.error(problem) }
            throw ExitCode(1)
        }
        print("OK: the index agrees with the database, and nobody erased is back.")
    }

    private static func list(_ ids: [FaceID]) -> String {
        ids.prefix(10).map(String.init).joined(separator: ", ") + (ids.count > 10 ? " and \(ids.count - 10) more" : "")
    }
}
