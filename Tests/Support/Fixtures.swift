import Foundation

/// Paths to the committed test fixtures (see Tests/Fixtures/NOTICE) and scratch folders.
public enum Fixtures {
    /// Tests/Fixtures, found from this file's location so tests run from any directory.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    public static func face(_ name: String) -> String {
        root.appendingPathComponent("faces").appendingPathComponent(name).path
    }

    public static var facesDirectory: String { root.appendingPathComponent("faces").path }

    /// A new empty folder under the system temporary directory.
    public static func scratchDirectory(_ label: String = "likeness-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Every regular file under `directory` with its bytes: what an erasure test scans for
    /// anything left of the erased.
    public static func filesWithContents(under directory: URL) throws -> [(url: URL, contents: Data)] {
        let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])!
        return try enumerator.compactMap { $0 as? URL }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .map { ($0, try Data(contentsOf: $0)) }
    }

    /// The labelled fixture photos: file name → identity (nil for group photos).
    public static func labels() throws -> [(file: String, identity: String?)] {
        let text = try String(contentsOf: root.appendingPathComponent("faces/labels.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return (object["file"] as! String, object["identity"] as? String)
        }
    }
}
