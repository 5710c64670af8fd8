import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LikenessServer
import NIOCore
import Synchronization
import Testing
import TestSupport

/// The operator's log: a line per request with the route's pattern, the status, the time taken
/// and the account, in logfmt or JSON; never a body or an image.
@Suite struct RequestLogTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
    }

    func serve(_ rig: ServerRig, format: RequestLog.Format,
               _ requests: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws -> [String] {
        let lines = Lines()
        let log = RequestLog(format: format) { line in lines.lines.withLock { $0.append(line) } }
        try await rig.application(ServerConfiguration(requestLog: log)).test(.router, requests)
        return lines.all
    }

    @Test func logfmtLinesNameTheRouteStatusAndAccountButNoImage() async throws {
        let rig = try await ServerRig(engine: .fake)
        let investigator = try #require(rig.accounts["A.investigator"])
        let photo = try Samples.bytes("img53.jpg")
        let lines = try await serve(rig, format: .logfmt) { client in
            _ = try await client.execute(uri: "/healthz", method: .get)
            _ = try await client.execute(uri: "/api/v1/searches/424242/faces/1/crop", method: .get, headers: rig.headers("A.investigator"))
            var form = Multipart()
            form.field("case_number", "LOG-1")
            form.field("purpose", "criminal_investigation")
            form.file("photo", filename: "probe.jpg", photo)
            var headers = rig.headers("A.investigator")
            headers[.contentType] = form.contentType
            _ = try await client.execute(uri: "/api/v1/searches", method: .post, headers: headers, body: form.finished())
        }
        #expect(lines.count == 3, "\(lines)")
        let pattern = #/^time=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z method=(\w+) route=(\S+) status=(\d+) ms=\d+\.\d( account=(\d+))?$/#
        let parsed = lines.compactMap { try? pattern.wholeMatch(in: $0) }
        #expect(parsed.count == 3, "\(lines)")
        #expect(parsed.map { "\($0.1) \($0.2) \($0.3)" } == ["GET /healthz 200", "GET /api/v1/searches/{search}/faces/{id}/crop 404", "POST /api/v1/searches 201"])
        #expect(parsed[0].5 == nil && parsed[1].5.map(String.init) == String(investigator.id) && parsed[2].5.map(String.init) == String(investigator.id))
        #expect(lines.allSatisfy { $0.utf8.count < 200 })
        try await rig.close()
    }

    @Test func jsonLinesHoldTheSameFields() async throws {
        let rig = try await ServerRig(engine: .fake)
        let lines = try await serve(rig, format: .json) { client in
            _ = try await client.execute(uri: "/api/v1/me", method: .get, headers: rig.headers("A.auditor"))
            _ = try await client.execute(uri: "/api/v1/me", method: .get)
        }
        let objects = try lines.map { try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(objects.map { Set($0.keys) } == [["time", "method", "route", "status", "ms", "account"], ["time", "method", "route", "status", "ms"]])
        #expect(objects.map { $0["status"] as? Int } == [200, 401])
        #expect(objects[0]["account"] as? Int64 == rig.accounts["A.auditor"]?.id)
        try await rig.close()
    }
}
