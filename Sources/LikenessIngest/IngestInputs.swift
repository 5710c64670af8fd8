import Foundation
import LikenessStore

/// One image to ingest, as found in the operator's inputs.
public struct IngestItem: Sendable {
    public enum Payload: Sendable {
        case file(String)
        case bytes([UInt8])
        case url(URL)
        /// A video file, read by ffmpeg rather than into memory.
        case video(String)
        /// A video from an archive entry, streamed into a temporary file (mode 0600) that the
        /// ingest removes once the item is settled or skipped.
        case extractedVideo(String)
        /// The input could not be read; the reason becomes the item's failure.
        case unreadable(String)
    }

    /// Unique within a job: the absolute path, `archive!/entry`, or the URL.
    public var key: String { origin.location }
    public var origin: ImageOrigin
    public var payload: Payload

    /// Removes the temporary file an archived video was streamed into, if this item has one.
    func removeTemporaryFile() {
        if case .extractedVideo(let path) = payload { try? FileManager.default.removeItem(atPath: path) }
    }
}

/// What the operator named on the command line, expanded lazily into items: folders are
/// walked (image files only), archives read entry by entry, manifests row by row. Archives
/// are read only as items are taken, so memory holds a few images, never a whole archive.
public final class IngestInputs: Sequence, IteratorProtocol {
    /// The formats ImageCodec admits (JPEG, PNG, WebP, TIFF, GIF, HEIF/AVIF); it refuses the
    /// others libvips could parse, whatever their name.
    public static let imageExtensions: Set<String> = [
        "jpg", "jpeg", "jpe", "png", "webp", "gif", "tif", "tiff", "heic", "heif", "avif",
    ]
    public static let videoExtensions: Set<String> = [
        "mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "ts", "wmv", "3gp",
    ]
    /// The largest single image (file, archive entry or download) ingest reads.
    public static let maxImageBytes = 100 << 20
    /// The largest video taken from inside an archive (streamed to a temporary file for ffmpeg).
    public static let maxArchivedVideoBytes = 2 << 30

    enum Source {
        case image(String)
        case video(String)
        case archive(String)
        case manifest(String)
    }

    private var sources: [Source]
    private var archive: ArchiveReader?
    private var manifestRows: [IngestItem] = []
    /// Files, entries and rows passed over because their names are not images.
    public private(set) var ignored = 0

    /// Checks that every input exists; a missing one is a usage error, reported before any work.
    public init(_ inputs: [String]) throws {
        var sources: [Source] = []
        for input in inputs {
            let path = URL(fileURLWithPath: input).standardizedFileURL.path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw IngestError("\(input): no such file or folder")
            }
            if isDirectory.boolValue {
                sources += try Self.walk(path)
            } else {
                sources.append(Self.classify(path))
            }
        }
        self.sources = sources.reversed()
    }

    /// Names inside a walked folder: images and archives; anything else is not ours to read.
    private static func walk(_ folder: String) throws -> [Source] {
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else {
            throw IngestError("\(folder): cannot be listed")
        }
        var found: [Source] = []
        for case let relative as String in enumerator {
            let path = (folder as NSString).appendingPathComponent(relative)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            switch classify(path) {
            case .image where isImageName(path): found.append(.image(path))
            case .video: found.append(.video(path))
            case .archive: found.append(.archive(path))
            default: continue
            }
        }
        return found.sorted { $0.path < $1.path }
    }

    static func classify(_ path: String) -> Source {
        let lower = path.lowercased()
        if [".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tar.xz"].contains(where: lower.hasSuffix) { return .archive(path) }
        if Manifest.isManifest(path) { return .manifest(path) }
        if isVideoName(path) { return .video(path) }
        return .image(path)
    }

    static func isImageName(_ name: String) -> Bool {
        imageExtensions.contains(FileName.lowercasedExtension(name))
    }

    static func isVideoName(_ name: String) -> Bool {
        videoExtensions.contains(FileName.lowercasedExtension(name))
    }

    public func next() -> IngestItem? {
        while true {
            if let archive {
                if let item = nextArchiveItem(archive) { return item }
                self.archive = nil
                continue
            }
            if !manifestRows.isEmpty { return manifestRows.removeFirst() }
            guard let source = sources.popLast() else { return nil }
            switch source {
            case .image(let path):
                return IngestItem(origin: ImageOrigin(location: path), payload: .file(path))
            case .video(let path):
                return IngestItem(origin: ImageOrigin(location: path), payload: .video(path))
            case .archive(let path):
                do {
                    archive = try ArchiveReader(path: path)
                } catch {
                    return IngestItem(origin: ImageOrigin(location: path), payload: .unreadable("\(error)"))
                }
            case .manifest(let path):
                do {
                    manifestRows = try Self.items(fromManifest: path)
                } catch {
                    return IngestItem(origin: ImageOrigin(location: path), payload: .unreadable("\(error)"))
                }
            }
        }
    }

    private func nextArchiveItem(_ archive: ArchiveReader) -> IngestItem? {
        do {
            while let entry = try archive.nextEntry() {
                guard entry.isRegularFile, Self.isImageName(entry.path) || Self.isVideoName(entry.path) else {
                    if entry.isRegularFile { ignored += 1 }
                    try archive.skipData()
                    continue
                }
                let origin = ImageOrigin(location: "\(archive.path)!/\(entry.path)")
                do {
                    if Self.isVideoName(entry.path) {
                        // ffmpeg reads files; the extension helps nothing but a person reading `ps`.
                        let temporary = FileManager.default.temporaryDirectory
                            .appendingPathComponent("likeness-video-\(UUID().uuidString).\(FileName.lowercasedExtension(entry.path))").path
                        do {
                            try archive.extract(to: temporary, limit: Self.maxArchivedVideoBytes)
                        } catch is ArchiveReader.EntryOverLimit {
                            throw IngestError("larger than the \(Self.maxArchivedVideoBytes >> 20) MB limit for one video")
                        }
                        return IngestItem(origin: origin, payload: .extractedVideo(temporary))
                    }
                    return IngestItem(origin: origin, payload: .bytes(try archive.readData(limit: Self.maxImageBytes)))
                } catch {
                    return IngestItem(origin: origin, payload: .unreadable("\(error)"))
                }
            }
            return nil
        } catch {
            // The rest of a damaged archive cannot be reached; report it once.
            return IngestItem(origin: ImageOrigin(location: "\(archive.path)!"), payload: .unreadable("\(error)"))
        }
    }

    static func items(fromManifest path: String) throws -> [IngestItem] {
        let folder = (path as NSString).deletingLastPathComponent
        return try Manifest.rows(of: path).map { row, problem in
            let lineKey = "\(path)#line\(row.line)"
            if let problem { return IngestItem(origin: ImageOrigin(location: lineKey), payload: .unreadable(problem)) }
            func origin(_ location: String) -> ImageOrigin {
                ImageOrigin(location: location, sourceURL: row.sourceURL, caption: row.caption, date: row.date)
            }
            if let relative = row.path {
                let absolute = relative.hasPrefix("/") ? relative
                    : URL(fileURLWithPath: (folder as NSString).appendingPathComponent(relative)).standardizedFileURL.path
                return IngestItem(origin: origin(absolute), payload: isVideoName(absolute) ? .video(absolute) : .file(absolute))
            }
            if let text = row.url {
                guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased()) else {
                    return IngestItem(origin: origin(text), payload: .unreadable("only http and https URLs are fetched"))
                }
                return IngestItem(origin: origin(text), payload: .url(url))
            }
            return IngestItem(origin: ImageOrigin(location: lineKey),
                              payload: .unreadable("line \(row.line) has neither a path nor a url"))
        }
    }

    /// How many items the inputs still hold, for progress and ETA: counts archive entries from
    /// their headers without reading the images. Call before taking items.
    public func remainingCount() -> Int {
        var total = 0
        for source in sources {
            switch source {
            case .image, .video: total += 1
            case .manifest(let path): total += (try? Manifest.rows(of: path).count) ?? 1
            case .archive(let path):
                guard let reader = try? ArchiveReader(path: path) else { total += 1; continue }
                while let entry = try? reader.nextEntry() {
                    if entry.isRegularFile, Self.isImageName(entry.path) || Self.isVideoName(entry.path) { total += 1 }
                    if (try? reader.skipData()) == nil { break }
                }
            }
        }
        return total
    }
}

extension IngestInputs.Source {
    var path: String {
        switch self {
        case .image(let p), .video(let p), .archive(let p), .manifest(let p): p
        }
    }
}
