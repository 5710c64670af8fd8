import Foundation
import HTTPTypes
import Hummingbird

/// One line per request for the operator's log (the journal, under systemd): when, the method,
/// the matched route (its pattern, so no IDs or query strings), the status, the milliseconds,
/// and the signed-in account's id. Never a body or an image. What was searched, by whom and
/// why is the audit log's, which stays apart.
public struct RequestLog: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        /// `time=… method=GET route=/api/v1/me status=200 ms=3.1 account=4`
        case logfmt
        /// `{"time":"…","method":"GET","route":"/api/v1/me","status":200,"ms":3.1,"account":4}`
        case json
    }

    public let format: Format
    let write: @Sendable (String) -> Void

    /// Lines go to standard output, each in one write, so that lines of requests served at once
    /// do not interleave.
    public init(format: Format, write: @escaping @Sendable (String) -> Void = { line in
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }) {
        self.format = format
        self.write = write
    }

    func line(at time: Date, method: String, route: String, status: Int, milliseconds: Double, account: Int64?) -> String {
        let stamp = time.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
        let ms = String(format: "%.1f", milliseconds)
        switch format {
        case .logfmt:
            // Route patterns hold no spaces or quotes, so no value needs quoting.
            return "time=\(stamp) method=\(method) route=\(route) status=\(status) ms=\(ms)" + (account.map { " account=\($0)" } ?? "")
        case .json:
            return #"{"time":"\#(stamp)","method":"\#(method)","route":"\#(route)","status":\#(status),"ms":\#(ms)"#
                + (account.map { #","account":\#($0)"# } ?? "") + "}"
        }
    }
}

/// Inside the authentication middleware, so the caller is known; a failure is logged with its
/// problem's status (a browser that is not signed in gets the sign-in page for a 401).
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let log: RequestLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now, time = Date()
        var status = 500
        defer {
            let elapsed = (ContinuousClock.now - started) / .milliseconds(1)
            log.write(log.line(at: time, method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                               status: status, milliseconds: elapsed, account: context.caller?.account.id))
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch {
            status = Problem(error).status.code
            throw error
        }
    }
}
