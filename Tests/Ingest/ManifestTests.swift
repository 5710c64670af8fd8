import Foundation
@testable import LikenessIngest
import Testing
import TestSupport

/// The inputs the manifest fuzz target (Fuzz/Sources/FuzzManifest) found a fault with, kept in
/// Tests/Fixtures/fuzz/manifest. scripts/fuzz/run.sh replays that folder under the address
/// sanitizer on every run, which is what sees a leak; these tests hold what each reads as.
@Suite struct ManifestTests {
    static let fuzzFixtures = Fixtures.root.appendingPathComponent("fuzz/manifest")

    /// Each fixture written as a manifest of `name`, the way the fuzz target reads it.
    func manifest(_ fixture: String, as name: String) throws -> String {
        let folder = try Fixtures.scratchDirectory()
        let path = folder.appendingPathComponent(name).path
        try FileManager.default.copyItem(atPath: Self.fuzzFixtures.appendingPathComponent(fixture).path, toPath: path)
        return path
    }

    /// An empty manifest leaked the 4 KB buffer FileManager.contents(atPath:) reads an empty file
    /// into. As CSV it lacks the header; as JSONL it has no rows.
    @Test func emptyManifest() throws {
        #expect(throws: IngestError.self) { try Manifest.rows(of: try manifest("empty", as: "urls.csv")) }
        #expect(try Manifest.rows(of: try manifest("empty", as: "urls.jsonl")).isEmpty)
    }

    /// A row whose path is "///://" ended the process: Foundation's
    /// NSString traps when asked its extension. It is now an item, found missing when read.
    @Test func aPathFoundationCannotSplitIsAnItem() throws {
        let items = Array(try IngestInputs([try manifest("three-slashes.csv", as: "paths.csv")]))
        #expect(items.map(\.origin.location) == ["///://"])
        guard case .file("///://") = items.first?.payload else {
            Issue.record("\(items)")
            return
        }
    }
}
