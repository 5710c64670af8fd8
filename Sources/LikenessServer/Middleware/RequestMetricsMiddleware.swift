import Foundation
import HTTPTypes
import Hummingbird
import Prometheus

/// Request counts and latencies for `/metrics`, by route and status.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    func render() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    func record(route: String, method: String, status: Int, duration: Duration) {
        let labels = [("route", route), ("method", method), ("status", String(status))]
        registry.makeCounter(name: "likeness_http_requests_total", labels: labels).increment()
        registry.makeDurationHistogram(name: "likeness_http_request_duration_seconds", labels: [("route", route)],
                                       buckets: [.milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250),
                                                 .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(10)])
            .record(duration)
    }
}

struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var status = 500
        defer {
            // The matched route pattern, not the raw path: IDs would make a metric per face.
            metrics.record(route: context.endpointPath ?? "unmatched", method: request.method.rawValue, status: status,
                           duration: ContinuousClock.now - started)
        }
        do {
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as any HTTPResponseError {
            status = error.status.code
            throw error
        }
    }
}
