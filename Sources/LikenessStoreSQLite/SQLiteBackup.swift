import Foundation
import GRDB

extension SQLiteGalleryStore {
    /// Copies the database into a new file at `path` with SQLite's online backup: a consistent
    /// snapshot while the server goes on writing. The copy is a single file (no write-ahead
    /// log), made 0600 before anything is written to it.
    public func backup(to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA secure_delete = ON") }
        let copy = try DatabaseQueue(path: path, configuration: configuration)
        try database.backup(to: copy)
        try copy.close()
    }
}
