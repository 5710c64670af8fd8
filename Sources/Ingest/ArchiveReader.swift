import CArchive

/// libarchive, wrapped: reads .zip and .tar (plain, gzip, bzip2, xz) entries one at a time,
/// straight into memory. Nothing is extracted to disk, so entry names cannot escape anywhere.
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

    func skipData() throws {
        guard archive_read_data_skip(archive) >= ARCHIVE_WARN else {
            throw IngestError("\(path): damaged archive: \(lastError)")
        }
    }
}
