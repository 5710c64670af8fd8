import ArgumentParser
import AsyncHTTPClient
import Foundation
import LikenessBench
import LikenessGallery
import LikenessGovernance
import LikenessIngest
import LikenessSearch
import LikenessStore
import NIOCore
import NIOHTTP1

/// Concurrent searches through the HTTP API against a real `likeness serve` process over a
/// gallery of N synthetic face-like templates: what an organisation's users would see.
struct HTTPBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http",
        abstract: "Concurrent API searches against `likeness serve` over N templates: throughput, p50/p99, errors.",
        discussion: """
            Builds (once) or reuses the gallery in bench-data/search-N, gives it a benchmark \
            investigator with an API key, starts `likeness serve` on a free loopback port, then \
            keeps --concurrency searches in flight for --seconds with the probe photo. Each search \
            is a full one: upload, decode, detection, descriptor, index, database, audit entry.
            """)

    @Option(help: "Templates in the gallery.") var size = 100_000
    @Option(help: "Searches in flight at once.") var concurrency = 8
    @Option(help: "How long to keep searching, after a warm-up.") var seconds = 30
    @Option(help: "The probe photo.") var probe = "Tests/Fixtures/faces/img11.jpg"

    func run() async throws {
        try await failingWithExitCode2 {
            let data = URL(fileURLWithPath: "bench-data/search-\(size)")
            try await SearchBench.buildGallery(at: data, size: size)
            let key = try await Self.benchKey(data: data, role: .investigator)
            let port = try Self.freePort()
            let server = try Self.startServer(data: data, port: port)
            defer { server.terminate(); server.waitUntilExit() }

            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                let base = "http://127.0.0.1:\(port)"
                try await Self.waitUntilHealthy(client, base)
                let photo = try [UInt8](Data(contentsOf: URL(fileURLWithPath: probe)))
                let request = Self.searchRequest(base: base, key: key, photo: photo)
                _ = try await Self.timedSearches(client, request, concurrency: 2, for: .seconds(3))  // warm-up
                let run = try await Self.timedSearches(client, request, concurrency: concurrency, for: .seconds(seconds))
                try await client.shutdown()
                let latencies = run.latencies.sorted()
                print("HTTP search benchmark: \(Machine.current.summary); gallery of \(size) templates; probe \(probe)")
                print(Output.table(["concurrency", "seconds", "searches", "searches/s", "p50 ms", "p99 ms", "errors"], [[
                    "\(concurrency)", "\(seconds)", "\(latencies.count)",
                    String(format: "%.1f", Double(latencies.count) / run.elapsed),
                    Self.milliseconds(atPercentile: 0.5, of: latencies), Self.milliseconds(atPercentile: 0.99, of: latencies),
                    "\(run.errors.count)",
                ]]))
                print("\nWhere a search's time goes (the server's Server-Timing header):")
                print(run.breakdown)
                for error in Set(run.errors).sorted() { print("error: \(error)") }
                if !run.errors.isEmpty { throw ExitCode(1) }
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
    }

    /// A fresh API key for the gallery's benchmark account of `role`, `bench-ROLE` (made on first use).
    static func benchKey(data: URL, role: Role) async throws -> String {
        let gallery = try await Backends.embedded(in: DataDirectory(data))
        let governance = gallery.store
        let accounts = Accounts(store: governance)
        guard let organization = try await governance.organization(named: "bench") else {
            throw UsageFailure("\(data.path) has no 'bench' organisation; remove it to rebuild")
        }
        func caller(_ role: Role) async throws -> Accounts.Caller {
            let username = "bench-\(role.rawValue)"
            var account = try await governance.account(username: username)?.account
            if account == nil {
                account = try await accounts.createAccount(in: organization, username: username, password: Secrets.token(), role: role)
            }
            guard let account else { throw UsageFailure("could not make the benchmark account \(username)") }
            // A gallery built before searching needed training, or whose record has expired, is trained again.
            let training = Training(store: governance)
            if try await training.refusal(for: account, of: organization) != nil {
                _ = try await training.record(course: "benchmark", completedOn: Date(), for: account, caller: nil)
            }
            return Accounts.Caller(account: account, address: "bench")
        }
        let benchCaller = try await caller(role)
        if role == .investigator, try await governance.investigationCase(number: benchCase, in: organization.id) == nil {
            // The case the benchmark searches for, with the grant a search needs by default.
            let cases = Cases(store: governance)
            let opened = try await cases.open(try Cases.Opening(number: benchCase, title: "benchmark searches", offence: nil,
                                                                leadInvestigator: nil), caller: benchCaller)
            _ = try await cases.recordAuthorisation(
                of: opened.id, try Cases.Decision(decision: "granted", reference: "BENCH", authority: "the benchmark", decidedAt: Date()),
                caller: try await caller(.supervisor))
        }
        return try await accounts.createAPIKey(label: "bench", caller: benchCaller).secret
    }

    /// The case every benchmark search is made for.
    static let benchCase = "BENCH-1"

    /// `likeness serve` (this executable) over `data` on a loopback `port`, its output discarded.
    static func startServer(data: URL, port: Int) throws -> Process {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL
        server.arguments = ["serve", "--port", "\(port)", "--data", data.path]
        server.standardOutput = FileHandle.nullDevice
        try server.run()
        return server
    }

    static func freePort() throws -> Int {
        let socket = try ServerSocketProbe()
        return socket.port
    }

    static func waitUntilHealthy(_ client: HTTPClient, _ base: String) async throws {
        for _ in 0..<600 {
            if let response = try? await client.execute(HTTPClientRequest(url: base + "/healthz"), timeout: .seconds(2)),
               response.status == .ok { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw UsageFailure("the server did not become healthy within a minute")
    }

    static func searchRequest(base: String, key: String, photo: [UInt8]) -> HTTPClientRequest {
        multipartRequest(base + "/api/v1/searches", key: key,
                         fields: [("case_number", benchCase), ("purpose", "other"), ("purpose_text", "load benchmark"), ("top", "10")],
                         file: (field: "photo", filename: "probe.jpg", bytes: photo))
    }

    /// A `multipart/form-data` POST of text fields and one JPEG file, with an API key.
    static func multipartRequest(_ url: String, key: String, fields: [(String, String)],
                                 file: (field: String, filename: String, bytes: [UInt8])) -> HTTPClientRequest {
        let boundary = "likeness-bench-boundary"
        var body = ByteBuffer()
        for (name, value) in fields {
            body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
        }
        body.writeString("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(file.field)\"; filename=\"\(file.filename)\"\r\n"
            + "Content-Type: image/jpeg\r\n\r\n")
        body.writeBytes(file.bytes)
        body.writeString("\r\n--\(boundary)--\r\n")
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Content-Type", value: "multipart/form-data; boundary=\(boundary)")
        request.body = .bytes(body)
        return request
    }

    /// The `p` percentile of latencies in seconds, sorted, in whole milliseconds ("-" for none).
    static func milliseconds(atPercentile p: Double, of sorted: [Double]) -> String {
        sorted.isEmpty ? "-" : String(format: "%.0f", sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] * 1000)
    }

    struct Run: Sendable {
        var latencies: [Double] = []
        var errors: [String] = []
        var elapsed: Double = 0
        /// Each search's stages, from its `Server-Timing` header.
        var timings: [SearchTimings] = []

        /// Where the searches' time went: per stage (in the order a search runs them), the median
        /// and the mean, in milliseconds; then the server's total and the client's.
        var breakdown: String {
            var names: [String] = []
            var values: [String: [Double]] = [:]
            for timing in timings {
                var seen: [String: Double] = [:]
                for stage in timing.stages { seen[stage.name, default: 0] += stage.milliseconds }
                for stage in timing.stages where !names.contains(stage.name) { names.append(stage.name) }
                for (name, milliseconds) in seen { values[name, default: []].append(milliseconds) }
            }
            func row(_ name: String, _ milliseconds: [Double]) -> [String] {
                let sorted = milliseconds.sorted()
                return [name, sorted.isEmpty ? "-" : String(format: "%.1f", sorted[sorted.count / 2]),
                        sorted.isEmpty ? "-" : String(format: "%.1f", sorted.reduce(0, +) / Double(sorted.count))]
            }
            var rows = names.map { row($0, values[$0] ?? []) }
            rows.append(row("server, all stages", timings.map { $0.stages.reduce(0) { $0 + $1.milliseconds } }))
            rows.append(row("client, request to response", latencies.map { $0 * 1000 }))
            return Output.table(["stage", "p50 ms", "mean ms"], rows)
        }
    }

    /// `concurrency` loops each sending one search after another until `duration` has passed.
    static func timedSearches(_ client: HTTPClient, _ request: HTTPClientRequest, concurrency: Int,
                              for duration: Duration) async throws -> Run {
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started + duration
        var run = Run()
        try await withThrowingTaskGroup(of: Run.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var mine = Run()
                    while clock.now < deadline {
                        let sent = clock.now
                        do {
                            let response = try await client.execute(request, timeout: .seconds(60))
                            let body = try await response.body.collect(upTo: 1 << 20)
                            if response.status == .created {
                                mine.latencies.append((clock.now - sent).seconds)
                                if let header = response.headers.first(name: "Server-Timing") {
                                    mine.timings.append(SearchTimings(serverTiming: header))
                                }
                            } else {
                                mine.errors.append("HTTP \(response.status.code): \(String(buffer: body).prefix(200))")
                            }
                        } catch {
                            mine.errors.append("\(error)")
                        }
                    }
                    return mine
                }
            }
            for try await part in group {
                run.latencies += part.latencies
                run.errors += part.errors
                run.timings += part.timings
            }
        }
        run.elapsed = (clock.now - started).seconds
        return run
    }
}

/// Asks the kernel for a free loopback port by binding port 0.
struct ServerSocketProbe {
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw UsageFailure("cannot open a socket") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw UsageFailure("cannot find a free port") }
        port = Int(UInt16(bigEndian: address.sin_port))
    }
}
