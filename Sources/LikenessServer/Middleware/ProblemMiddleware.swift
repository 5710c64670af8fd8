import Foundation
import HTTPTypes
import Hummingbird
import LikenessGovernance
import LikenessStore

/// Turns failures into answers: RFC 9457 problem+json naming the fields at fault for the API,
/// an error page (or the sign-in page) for the browser. Unexpected errors are logged and
/// reported without internals.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let pages: Pages

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Problem(error)
            if problem.status.code >= 500 {
                context.logger.error("\(request.method) \(request.uri.path): \(error)")
            }
            if request.isAPI || request.uri.path == "/openapi.json" {
                return try problem.response
            }
            if problem.status == .unauthorized {
                return Response.redirect(to: "/login")
            }
            return pages.error(problem, caller: context.caller, csrf: context.csrfToken)
        }
    }
}

extension Request {
    /// Whether the router sees an API path: it skips empty segments, so `//api/v1/…` is one too.
    var isAPI: Bool { uri.path.split(separator: "/").first == "api" }
}

struct Problem: Sendable {
    var status: HTTPResponse.Status
    var title: String
    var detail: String
    var fields: [(field: String, detail: String)] = []
    var retryAfter: Int?

    init(status: HTTPResponse.Status, title: String, detail: String, fields: [(field: String, detail: String)] = []) {
        self.status = status
        self.title = title
        self.detail = detail
        self.fields = fields
    }

    init(_ error: any Error) {
        switch error {
        case let error as GovernanceError:
            switch error {
            case .unauthenticated(let message): self.init(status: .unauthorized, title: "Not signed in", detail: message)
            case .forbidden(let message): self.init(status: .forbidden, title: "Not allowed", detail: message)
            case .notFound(let message): self.init(status: .notFound, title: "Not found", detail: message)
            case .conflict(let message): self.init(status: .conflict, title: "Conflict", detail: message)
            case .invalid(let errors):
                self.init(status: .unprocessableContent, title: "Invalid request", detail: errors.description, fields: errors.fields)
            case .tooManyRequests(let message, let wait):
                self.init(status: .tooManyRequests, title: "Too many requests", detail: message)
                retryAfter = wait
            }
        case let error as FieldErrors:
            self.init(status: .unprocessableContent, title: "Invalid request", detail: error.description, fields: error.fields)
        case let error as StoreError:
            switch error {
            case .conflict(let message): self.init(status: .conflict, title: "Conflict", detail: message)
            case .invalid(let message): self.init(status: .unprocessableContent, title: "Invalid request", detail: message)
            case .unavailable(let message):
                self.init(status: .serviceUnavailable, title: "Service unavailable", detail: message)
            case .damaged:
                // The message names files and columns: it is logged, not shown.
                self.init(status: .internalServerError, title: "Internal error", detail: "the server failed; the error is logged")
            }
        case let error as HTTPError:
            self.init(status: error.status, title: error.status.reasonPhrase, detail: error.body ?? error.status.reasonPhrase)
        case let error as any HTTPResponseError:
            self.init(status: error.status, title: error.status.reasonPhrase, detail: "\(error)")
        default:
            self.init(status: .internalServerError, title: "Internal error", detail: "the server failed; the error is logged")
        }
    }

    var body: ProblemResponse {
        ProblemResponse(title: title, status: status.code, detail: detail, fields: fields)
    }

    var response: Response {
        get throws {
            var response = try Response.json(body, status: status)
            response.headers[.contentType] = "application/problem+json"
            if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
            return response
        }
    }
}

extension Response {
    /// `value` as JSON, written as the CLI writes its lines. A value that cannot be encoded throws
    /// (and is answered as a server error), never an empty object.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try ResponseJSON.data(value))))
    }

    static func redirect(to location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location])
    }

    /// Crops and thumbnails are biometric: no cache, not even the browser's, may keep them.
    static func bytes(_ bytes: [UInt8], contentType: String, cache: String = "no-store") -> Response {
        Response(status: .ok, headers: [.contentType: contentType, .cacheControl: cache],
                 body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
