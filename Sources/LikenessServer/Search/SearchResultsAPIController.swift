import Foundation
import HTTPTypes
import Hummingbird
import LikenessCore
import LikenessGovernance
import LikenessIngest
import LikenessStore

/// What a search showed, opened by the person who made it: candidate crops, their images'
/// details and the images or videos themselves, under `/api/v1/searches/{search}/…`. Nothing
/// of the gallery is served by ID alone, so it cannot be downloaded outside the audit.
struct SearchResultsAPIController {
    let services: ServerServices

    var store: any GalleryStore { services.gallery.store }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("searches/:search/probe", use: probe)
            .get("searches/:search/faces/:id/crop", use: faceCrop)
            .get("searches/:search/images/:id", use: image)
            .get("searches/:search/images/:id/media", use: media)
    }

    /// The caller's own search named in the path, whose results the request opens.
    func shown(_ context: AppRequestContext) async throws -> ShownResult {
        let caller = try context.require(.search)
        return try await ShownResult.of(try context.id("search"), caller: caller, store: store, governance: services.governance)
    }

    /// The search's own probe thumbnail (for a pivot, the gallery face it started from).
    @Sendable func probe(_ request: Request, context: AppRequestContext) async throws -> Response {
        let shown = try await shown(context)
        guard let jpeg = try await services.governance.auditThumbnail(entry: shown.auditEntry, organization: shown.organization)?.jpeg else {
            throw GovernanceError.notFound("search \(shown.auditEntry) has no probe thumbnail")
        }
        return Response.bytes(jpeg, contentType: "image/jpeg")
    }

    @Sendable func faceCrop(_ request: Request, context: AppRequestContext) async throws -> Response {
        let shown = try await shown(context)
        let id = try context.id()
        try await shown.check(face: id)
        guard let crop = try await store.faceCrop(id) else { throw GovernanceError.notFound("face \(id) is no longer held") }
        return Response.bytes(crop.crop, contentType: "image/jpeg")
    }

    @Sendable func image(_ request: Request, context: AppRequestContext) async throws -> Response {
        let shown = try await shown(context)
        let id = try context.id()
        try await shown.check(image: id)
        guard let details = try await store.imageDetails(id) else { throw GovernanceError.notFound("image \(id) is no longer held") }
        return try Response.json(ImageResponse(details, search: shown.auditEntry))
    }

    /// The image or video file itself, for a reviewer (videos seek with Range requests).
    @Sendable func media(_ request: Request, context: AppRequestContext) async throws -> Response {
        let shown = try await shown(context)
        let id = try context.id()
        try await shown.check(image: id)
        guard let details = try await store.imageDetails(id) else { throw GovernanceError.notFound("image \(id) is no longer held") }
        let path = details.origin.location
        guard path.hasPrefix("/"), !path.contains("!/"), let size = try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int else {
            throw GovernanceError.notFound("image \(id) is not held as a file here: see its source, \(path)")
        }
        let type = MediaType.getMediaType(forExtension: .init(FileName.lowercasedExtension(path)))?.description
            ?? "application/octet-stream"
        var headers: HTTPFields = [.contentType: type, .acceptRanges: "bytes", .cacheControl: "no-store"]
        if let range = request.headers[.range].flatMap({ byteRange($0, size: size) }) {
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound)/\(size)"
            headers[.contentLength] = String(range.count)
            return Response(status: .partialContent, headers: headers,
                            body: try await FileIO().loadFile(path: path, range: range, context: context))
        }
        headers[.contentLength] = String(size)
        return Response(status: .ok, headers: headers, body: try await FileIO().loadFile(path: path, context: context))
    }
}

/// One `Range: bytes=a-b` (or `a-`, or `-n`) within a file of `size` bytes; nil for anything
/// else, which is then answered with the whole file.
func byteRange(_ header: String, size: Int) -> ClosedRange<Int>? {
    guard size > 0, header.hasPrefix("bytes="), !header.contains(",") else { return nil }
    let parts = header.dropFirst(6).split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 2 else { return nil }
    switch (Int(parts[0]), Int(parts[1])) {
    case (let start?, let end?) where start <= end && start < size: return start...min(end, size - 1)
    case (let start?, nil) where parts[1].isEmpty && start < size: return start...(size - 1)
    case (nil, let suffix?) where parts[0].isEmpty && suffix > 0: return max(0, size - suffix)...(size - 1)
    default: return nil
    }
}
