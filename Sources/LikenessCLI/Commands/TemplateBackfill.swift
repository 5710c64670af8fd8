import Foundation
import LikenessCore
import LikenessEngine
import LikenessIngest
import LikenessStore

/// `reindex --templates`: SFace's templates for the faces stored without one (a gallery from
/// before SFace ran), computed again from the images the faces were found in. Only an image held
/// here as a file can be read again, and only while it is still the image that was ingested; each
/// stored face takes the template of the face found again at its stored box, so a template is
/// never given to a face it was not computed from. The faces left out keep dlib's template alone,
/// counted by why.
struct TemplateBackfill {
    /// The model whose templates are filled in: every face holds dlib's already.
    static let model = TemplateModel.sface2021dec
    /// Faces read and stored per page: an interrupted run loses at most one page of work, and the
    /// next run starts from the faces still lacking a template.
    static let pageSize = 256
    /// The overlap (intersection over union) a face found again needs with a stored face's box
    /// to be taken for that face.
    static let minimumOverlap = 0.5

    /// Why a face keeps only dlib's template.
    enum KeptReason: String, CaseIterable, Sendable {
        case videoFrame = "video frame"
        case archiveEntry = "archive entry"
        case downloaded = "downloaded from a URL"
        case imageGone = "image no longer held"
        case imageUnreadable = "image unreadable"
        case imageChanged = "image changed since ingest"
        case noMatchingFace = "no matching face"
        case noLandmarks = "found without SFace's landmarks"
    }

    /// What a run did.
    struct Outcome {
        var added = 0
        var imagesRead = 0
        var kept: [KeptReason: Int] = [:]
        /// Held files that could not be used, with why: for the operator to look into.
        var skippedFiles: [(location: String, reason: String)] = []

        /// The faces kept with dlib's template alone.
        var keptCount: Int { kept.values.reduce(0, +) }
    }

    /// One image's share of a page.
    private struct ImageResult: Sendable {
        var templates: [FaceID: FaceTemplate] = [:]
        var kept: [KeptReason: Int] = [:]
        var skippedFile: (location: String, reason: String)?
        var read = false

        init() {}

        init(keeping count: Int, because reason: KeptReason) {
            if count > 0 { kept[reason] = count }
        }
    }

    /// A held file that cannot give templates: how its faces are counted, and what the operator reads.
    private struct UnusableFile: Error {
        var reason: KeptReason
        var detail: String
    }

    let store: any GalleryStore
    let pool: EnginePool

    func run() async throws -> Outcome {
        var outcome = Outcome()
        var after: FaceID = 0
        while true {
            let page = try await store.faceIDsLacking(model: Self.model, after: after, limit: Self.pageSize)
            guard let last = page.last else { return outcome }
            // Faces that stay without a template are lacking on the next query too: go past them.
            after = last.face
            let facesByImage = Dictionary(grouping: page, by: \.image).mapValues { Set($0.map(\.face)) }
            let results = try await withThrowingTaskGroup(of: ImageResult.self) { group in
                for (image, faces) in facesByImage { group.addTask { try await templates(for: faces, of: image) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            var computed: [FaceID: FaceTemplate] = [:]
            for result in results {
                computed.merge(result.templates) { _, later in later }
                outcome.kept.merge(result.kept, uniquingKeysWith: +)
                if let skipped = result.skippedFile { outcome.skippedFiles.append(skipped) }
                if result.read { outcome.imagesRead += 1 }
            }
            if !computed.isEmpty { try await store.setTemplates(computed, model: Self.model) }
            outcome.added += computed.count
        }
    }

    /// The templates of an image's faces among `faces`, or why they keep dlib's alone. Faces and
    /// images erased since the page was read are neither: they are gone.
    private func templates(for faces: Set<FaceID>, of id: ImageID) async throws -> ImageResult {
        guard let image = try await store.imageDetails(id) else { return ImageResult() }
        let lacking = image.faces.filter { faces.contains($0.id) }
        if image.videoDuration != nil { return ImageResult(keeping: lacking.count, because: .videoFrame) }
        let location = image.origin.location
        guard location.hasPrefix("/") else { return ImageResult(keeping: lacking.count, because: .downloaded) }
        // Ingest names an archive's entry `archive.zip!/entry.jpg`; the image was never a file of its own.
        if location.contains("!/"), !FileManager.default.fileExists(atPath: location) {
            return ImageResult(keeping: lacking.count, because: .archiveEntry)
        }
        let (width, height) = (image.width, image.height)
        return try await pool.run { engine in
            let picture: RGBImage
            do {
                let bytes = try Self.bytes(of: location)
                do {
                    picture = try ImageCodec.decode(data: bytes)
                } catch {
                    throw UnusableFile(reason: .imageChanged, detail: "cannot decode: \(error)")
                }
                guard picture.width == width, picture.height == height else {
                    throw UnusableFile(reason: .imageChanged,
                                       detail: "\(picture.width)×\(picture.height), not the \(width)×\(height) ingested")
                }
            } catch let unusable as UnusableFile {
                var result = ImageResult(keeping: lacking.count, because: unusable.reason)
                result.skippedFile = (location, unusable.detail)
                return result
            }
            var result = ImageResult()
            result.read = true
            let found = try engine.detectFaces(in: picture, policy: .standard)
            var matched: [(id: FaceID, face: DetectedFace)] = []
            for stored in lacking {
                guard let best = found.max(by: { stored.box.overlap(with: $0.box) < stored.box.overlap(with: $1.box) }),
                      stored.box.overlap(with: best.box) >= Self.minimumOverlap else {
                    result.kept[.noMatchingFace, default: 0] += 1
                    continue
                }
                guard best.alignment != nil else {
                    result.kept[.noLandmarks, default: 0] += 1
                    continue
                }
                matched.append((stored.id, best))
            }
            for (match, template) in zip(matched, try engine.sfaceTemplates(for: matched.map(\.face), in: picture)) {
                if let template {
                    result.templates[match.id] = template
                } else {
                    result.kept[.noLandmarks, default: 0] += 1
                }
            }
            return result
        }
    }

    /// A held file's bytes, read as ingest reads an image: at most its cap for one image, so a
    /// file that grew since cannot exhaust memory.
    private static func bytes(of path: String) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: path) else { throw UnusableFile(reason: .imageGone, detail: "no such file") }
        guard let file = FileHandle(forReadingAtPath: path) else { throw UnusableFile(reason: .imageUnreadable, detail: "cannot be read") }
        defer { try? file.close() }
        let data: Data
        do {
            data = try file.read(upToCount: IngestInputs.maxImageBytes + 1) ?? Data()
        } catch {
            throw UnusableFile(reason: .imageUnreadable, detail: "cannot be read: \(error)")
        }
        guard data.count <= IngestInputs.maxImageBytes else {
            throw UnusableFile(reason: .imageChanged, detail: "over the \(IngestInputs.maxImageBytes >> 20) MB limit for one image")
        }
        guard !data.isEmpty else { throw UnusableFile(reason: .imageChanged, detail: "empty file") }
        return [UInt8](data)
    }
}
