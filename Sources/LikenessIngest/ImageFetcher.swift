import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Fetches the image URLs an operator's manifest lists, and nothing else: no redirects are
/// followed and no page is parsed for links. Limits: http/https, an image content type, a
/// size cap and a time limit, so a wrong or hostile URL costs little.
public final class ImageFetcher: Sendable {
    public static let timeLimit: TimeAmount = .seconds(60)
    private let client: HTTPClient

    public init() {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async throws {
        try await client.shutdown()
    }

    public func fetch(_ url: URL, limit: Int = IngestInputs.maxImageBytes) async throws -> [UInt8] {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            throw IngestError("only http and https URLs are fetched")
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(HTTPClientRequest(url: url.absoluteString), timeout: Self.timeLimit)
        } catch {
            throw IngestError("fetch failed: \(error)")
        }
        if (300..<400).contains(response.status.code) {
            let target = response.headers.first(name: "location") ?? "elsewhere"
            throw IngestError("redirected to \(target); Likeness fetches only the URLs a manifest lists")
        }
        guard response.status == .ok else {
            throw IngestError("HTTP \(response.status.code) \(response.status.reasonPhrase)")
        }
        let contentType = response.headers.first(name: "content-type") ?? "none"
        guard contentType.lowercased().hasPrefix("image/") else {
            throw IngestError("content type \(contentType) is not an image")
        }
        if let length = response.headers.first(name: "content-length").flatMap(Int.init), length > limit {
            throw IngestError("\(length) bytes, over the \(limit >> 20) MB limit for one image")
        }
        var body: [UInt8] = []
        for try await chunk in response.body {
            body.append(contentsOf: chunk.readableBytesView)
            if body.count > limit { throw IngestError("over the \(limit >> 20) MB limit for one image") }
        }
        return body
    }
}
