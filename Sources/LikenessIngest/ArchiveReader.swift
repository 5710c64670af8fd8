import CArchive
import Foundation

/// libarchive, wrapped: reads .zip and .tar (plain, gzip, bzip2, xz) entries one at a time,
/// into memory or into a file the caller names. Entry names are never used as paths, so they
/// cannot escape anywhere.
final class ArchiveReader {
    struct Entry {
        let path: String
        let size: Int
        let isRegularFile: Bool
    }

    private let archive: OpaquePointer
    let path: String

    init(path: String) throws {
        guard let archive = archive_read_new() else { throw IngestError("cannot start libarchive") }
        self.archive = archive
        self.path = path
        archive_read_support_filter_all(archive)
        archive_read_support_format_zip(archive)
        archive_read_support_format_tar(archive)
        archive_read_support_format_gnutar(archive)
        if archive_read_open_filename(archive, path, 1 << 16) != ARCHIVE_OK {
            throw IngestError("\(path): cannot be read as an archive: \(lastError)")
        }
    }

    deinit { archive_read_free(archive) }

    private var lastError: String {
        archive_error_string(archive).map { String(cString: $0) } ?? "unknown error"
    }

    /// The next entry's header, or nil at the end.
    func nextEntry() throws -> Entry? {
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status >= ARCHIVE_WARN, let entry else {
            throw IngestError("\(path): damaged archive: \(lastError)")
        }
        let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        // 0o100000 is S_IFREG; libarchive's AE_IFREG macro is a cast Swift cannot import.
        return Entry(path: name, size: Int(archive_entry_size(entry)),
                     isRegularFile: archive_entry_filetype(entry) == 0o100000)
    }

    /// Streams the current entry into a new file at `destination` (mode 0600: it may be a
    /// person's image), 64 KiB at a time, so a large entry (a video) never sits in memory.
    /// Throws `EntryOverLimit` past `limit` bytes; on any failure the file is removed.
    /// Returns the entry's size.
    @discardableResult
    func extract(to destination: String, limit: Int) throws -> Int {
        let file = try PrivateFile.create(atPath: destination)
        var written = 0
        do {
            defer { try? file.close() }
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let read = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
                if read == 0 { break }
                guard read > 0 else { throw IngestError("\(path): damaged archive: \(lastError)") }
                written += read
                if written > limit { throw EntryOverLimit(limit: limit) }
                try file.write(contentsOf: buffer[0..<read])
            }
        } catch {
            try? FileManager.default.removeItem(atPath: destination)
            throw error
        }
        return written
    }

    /// The current entry's bytes; refuses entries over `limit` bytes.
    func readData(limit: Int) throws -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let read = buffer.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            if read == 0 { return data }
            guard read > 0 else { throw IngestError("\(path): damaged archive: \(lastError)") }
            data.append(contentsOf: buffer[0..<read])
            if data.count > limit { throw IngestError("larger than the \(limit >> 20) MB limit for one image") }
        }
    }

    struct EntryOverLimit: Error, CustomStringConvertible {
        let limit: Int
        var description: String { "larger than the \(limit >> 20) MB limit" }
    }

    func skipData() throws {
        guard archive_read_data_skip(archive) >= ARCHIVE_WARN else {
            throw IngestError("\(path): damaged archive: \(lastError)")
        }
    }
}
