import Foundation

/// How an upload becomes plain files Likeness holds: an uploaded archive is unpacked into one
/// file per image or video entry, and removed. Every held image is then a file of its own that
/// erasure and retention delete, rather than an entry of an archive that outlives them.
public enum UploadFolder {
    public struct Limits: Sendable {
        /// Entries read from one archive (images, videos and everything passed over).
        public var entries = 10_000
        public var imageBytes = IngestInputs.maxImageBytes
        public var videoBytes = IngestInputs.maxArchivedVideoBytes
        /// All files unpacked from one archive together: a small archive can expand enormously.
        public var totalBytes = 4 << 30

        public init() {}
    }

    /// The archive names uploads accept.
    public static func isArchiveName(_ name: String) -> Bool {
        if case .archive = IngestInputs.classify(name) { return true }
        return false
    }

    /// Unpacks the image and video entries of `archive` into a new folder beside it, each as
    /// `00001-name.ext` (entry names are never paths: nothing lands outside the folder, and
    /// links, devices and folders are not unpacked), then removes the archive. Anything over a
    /// limit, an archive inside it, or a damaged archive, removes what was unpacked and throws,
    /// naming the entry.
    /// Returns the folder.
    @discardableResult
    public static func unpack(_ archive: URL, limits: Limits = Limits()) throws -> URL {
        let folder = archive.deletingLastPathComponent().appendingPathComponent(archive.lastPathComponent + "-entries", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        do {
            let reader = try ArchiveReader(path: archive.path)
            var entries = 0
            var unpacked = 0
            var total = 0
            while let entry = try reader.nextEntry() {
                entries += 1
                guard entries <= limits.entries else {
                    throw IngestError("\(archive.lastPathComponent): more than \(limits.entries) entries")
                }
                // Not unpacked: zips of zips are how a bomb multiplies. Nor passed over unsaid, as
                // other names are: the uploader would not know where its photos went.
                if entry.isRegularFile, isArchiveName(entry.path) {
                    throw IngestError("\(archive.lastPathComponent)!/\(entry.path): an archive inside an archive is not unpacked; "
                                      + "upload it on its own")
                }
                let isVideo = IngestInputs.isVideoName(entry.path)
                guard entry.isRegularFile, isVideo || IngestInputs.isImageName(entry.path) else {
                    try reader.skipData()
                    continue
                }
                unpacked += 1
                let destination = folder.appendingPathComponent(String(format: "%05d-", unpacked) + safeName(entry.path)).path
                let entryLimit = isVideo ? limits.videoBytes : limits.imageBytes
                let limit = min(entryLimit, limits.totalBytes - total)
                do {
                    total += try reader.extract(to: destination, limit: limit)
                } catch is ArchiveReader.EntryOverLimit {
                    let reason = limit < entryLimit ? "the archive unpacks to more than the \(size(limits.totalBytes)) limit"
                        : "larger than the \(size(entryLimit)) limit for one \(isVideo ? "video" : "image")"
                    throw IngestError("\(archive.lastPathComponent)!/\(entry.path): \(reason)")
                }
            }
        } catch {
            try? FileManager.default.removeItem(at: folder)
            throw error
        }
        try FileManager.default.removeItem(at: archive)
        return folder
    }

    private static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 ? "\(bytes >> 20) MB" : "\(bytes)-byte"
    }

    /// A file's name, reduced to characters safe in any file system and shell, never hidden.
    public static func safeName(_ filename: String) -> String {
        let base = FileName.lastComponent(filename)
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "._- "))
        let cleaned = String(base.unicodeScalars.map { allowed.contains($0) ? Character($0) : "_" })
        return cleaned.isEmpty || cleaned.hasPrefix(".") ? "upload" + cleaned : String(cleaned.prefix(120))
    }
}
