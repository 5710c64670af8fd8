import Foundation
import LikenessGallery
import LikenessStore
import LikenessStoreSQLite
import Testing

/// The data directory holds templates, password hashes and the audit log: its owner's only.
@Suite struct DataDirectoryPermissionTests {
    func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func theDirectoryIsTheOwnersAndSoIsTheDatabase() async throws {
        let parent = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-perm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: parent) }
        // One made earlier with the default umask is tightened too.
        let root = parent.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let directory = DataDirectory(root)
        try directory.create()
        let store = try SQLiteGalleryStore(path: directory.database.path)
        _ = try await store.createOrganization(name: "org")
        #expect(try mode(root.path) == 0o700)
        #expect(try mode(directory.index.deletingLastPathComponent().path) == 0o700)
        #expect(try mode(directory.database.path) == 0o600)
        let wal = directory.database.path + "-wal"
        if FileManager.default.fileExists(atPath: wal) { #expect(try mode(wal) == 0o600) }
    }
}
