import ArgumentParser
import AsyncHTTPClient
import Foundation
import LikenessBench
import LikenessCore
import LikenessGallery
import LikenessIngest
import LikenessStore
import NIOCore
import Synchronization

/// Minutes of mixed API traffic against a real `likeness serve` over N synthetic templates, with
/// the server's memory and open files sampled: a pass/fail check that a server under steady load
/// answers every request and does not leak.
struct SoakBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "soak",
        abstract: "Mixed API load against `likeness serve` for minutes: errors, p50/p99 per kind, memory and open files.",
        discussion: """
            Reuses (or builds) the gallery in bench-data/search-N and its benchmark accounts: an \
            investigator searches with the probe photo, pivots from faces found and reads its \
            history; an admin uploads the labelled fixture photos, each made unique so that each \
            is ingested, into a collection of its own; an auditor reads the newest page of the \
            audit log. --concurrency requests stay in flight, each of a kind drawn by weight \
            (search 50%, pivot 15%, upload 10%, history 15%, audit 10%), for a one-minute \
            warm-up and then --minutes. The server's resident memory and open file descriptors \
            are sampled every 10 s. Exits 1 on any error or 5xx, on an upload whose ingest \
            fails, on resident memory growing 10% or more from the minute after the warm-up to \
            the last minute (medians), or on open files growing by more than \(fileSlack).
            """)

    @Option(help: "Templates in the gallery.") var size = 100_000
    @Option(help: "Requests in flight at once.") var concurrency = 16
    @Option(help: "How long to keep the load on after the one-minute warm-up.") var minutes = 10
    @Option(help: "The probe photo.") var probe = "Tests/Fixtures/faces/img11.jpg"

    static let warmUp: Duration = .seconds(60)
    static let sampleInterval: Duration = .seconds(10)
    static let maxGrowth = 0.10
    /// Open files may differ by a few between two samples without leaking: a client connection
    /// being replaced, an upload's file open for ingest, SQLite's journal.
    static let fileSlack = 8
    static let fixtures = URL(fileURLWithPath: "Tests/Fixtures/faces")

    func run() async throws {
        try await failingWithExitCode2 {
            let data = URL(fileURLWithPath: "bench-data/search-\(size)")
            try await SearchBench.buildGallery(at: data, size: size)
            let keys = Keys(investigator: try await HTTPBench.benchKey(data: data, role: .investigator),
                            admin: try await HTTPBench.benchKey(data: data, role: .admin),
                            auditor: try await HTTPBench.benchKey(data: data, role: .auditor))
            let collection = try await Self.uploadCollection(data: data)
            let probePhoto = try [UInt8](Data(contentsOf: URL(fileURLWithPath: probe)))
            let uploadPhotos = try Self.uploadPhotos()
            let port = try HTTPBench.freePort()
            let server = try HTTPBench.startServer(data: data, port: port)
            defer { server.terminate(); server.waitUntilExit() }

            var configuration = HTTPClient.Configuration()
            // AsyncHTTPClient opens at most 8 connections to a host by default: more requests
            // in flight would wait in the client, not the server.
            configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: concurrency)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            do {
                let traffic = Traffic(base: "http://127.0.0.1:\(port)", keys: keys, collection: collection, probe: probePhoto,
                                      uploadPhotos: uploadPhotos, client: client)
                try await HTTPBench.waitUntilHealthy(client, traffic.base)
                // A first search gives the pivots faces to start from.
                let first = await traffic.send(.search)
                guard first.problem == nil else { throw UsageFailure("the first search failed: \(first.problem!)") }

                let duration = Self.warmUp + .seconds(60 * minutes)
                async let samples = Self.sample(process: server.processIdentifier, for: duration)
                let outcomes = await traffic.keepBusy(concurrency: concurrency, for: duration)
                let series = try await samples
                let uploads = await traffic.settleUploads()
                try await client.shutdown()
                let passed = report(outcomes, series, uploads)
                if !passed { throw ExitCode(1) }
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
    }

    struct Keys {
        var investigator: String
        var admin: String
        var auditor: String
    }

    /// The bench organisation's collection for uploads, made on first use.
    static func uploadCollection(data: URL) async throws -> CollectionID {
        let store = try await Backends.embedded(in: DataDirectory(data)).store
        guard let organization = try await store.organization(named: "bench") else {
            throw UsageFailure("\(data.path) has no 'bench' organisation; remove it to rebuild")
        }
        if let existing = try await store.collections(in: organization.id).first(where: { $0.collection.name == "soak uploads" }) {
            return existing.collection.id
        }
        return try await store.createCollection(NewCollection(
            organization: organization.id, name: "soak uploads", source: "likeness bench soak", lawfulBasis: "benchmark",
            jurisdiction: "GB", retentionDays: nil)).id
    }

    /// The labelled fixture photos that are JPEGs (one is WebP): people photographed as a
    /// collection would hold them. Unlabelled `mosaic-100-faces.jpg` is left out: its hundred
    /// faces would make uploads most of the load.
    static func uploadPhotos() throws -> [[UInt8]] {
        struct Label: Decodable { var file: String }
        let labels = try String(contentsOf: fixtures.appendingPathComponent("labels.jsonl"), encoding: .utf8)
        let photos = try labels.split(separator: "\n").map { line -> [UInt8] in
            let label = try JSONDecoder().decode(Label.self, from: Data(line.utf8))
            return try [UInt8](Data(contentsOf: fixtures.appendingPathComponent(label.file)))
        }.filter { $0.starts(with: [0xFF, 0xD8]) }
        guard !photos.isEmpty else { throw UsageFailure("no JPEG fixtures in \(fixtures.path)") }
        return photos
    }

    struct Sample {
        var elapsed: Duration
        var residentBytes: Int
        var openFiles: Int
    }

    /// The server's resident memory and open file descriptors now and every `sampleInterval`
    /// until `duration` has passed.
    static func sample(process: Int32, for duration: Duration) async throws -> [Sample] {
        let clock = ContinuousClock()
        let started = clock.now
        var samples: [Sample] = []
        while true {
            let elapsed = clock.now - started
            let openFiles = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(process)/fd").count
            samples.append(Sample(elapsed: elapsed, residentBytes: ProcessMemory.residentBytes(of: process), openFiles: openFiles))
            let next = started + sampleInterval * samples.count
            guard next - started <= duration else { return samples }
            try await clock.sleep(until: next)
        }
    }

    /// Prints the results; true when the soak passed.
    func report(_ outcomes: [Outcome], _ series: [Sample], _ uploads: UploadTally) -> Bool {
        var failures: [String] = []
        print("Soak: \(Machine.current.summary); gallery of \(size) synthetic templates; \(concurrency) requests in flight; "
            + "1 min warm-up + \(minutes) min")
        var rows: [[String]] = []
        for kind in Kind.allCases + [nil] {
            let mine = outcomes.filter { kind == nil || $0.kind == kind }
            let latencies = mine.filter { $0.problem == nil }.map(\.seconds).sorted()
            rows.append([kind?.rawValue ?? "all", "\(mine.count)", "\(mine.count - latencies.count)",
                         "\(mine.filter { ($0.status ?? 0) >= 500 }.count)",
                         HTTPBench.milliseconds(atPercentile: 0.5, of: latencies), HTTPBench.milliseconds(atPercentile: 0.99, of: latencies)])
        }
        print(Output.table(["kind", "requests", "errors", "5xx", "p50 ms", "p99 ms"], rows))
        let errors = Dictionary(grouping: outcomes.filter { $0.problem != nil }) { "\($0.kind.rawValue) \($0.status.map { "HTTP \($0)" } ?? "no response")" }
        for (what, failed) in errors.sorted(by: { $0.key < $1.key }) {
            failures.append("\(what) ×\(failed.count), first: \(failed[0].problem!)")
        }

        print("")
        print("Uploads: \(uploads.sent) sent, \(uploads.finished) finished, \(uploads.failed.count) failed, "
            + "\(uploads.unsettled) unfinished after waiting; \(uploads.stored) images stored (\(uploads.faces) faces), "
            + "\(uploads.failedItems) photos failed to ingest")
        failures += uploads.failed.prefix(5).map { "upload failed: \($0)" }
        if uploads.failedItems > 0 { failures.append("\(uploads.failedItems) uploaded photos failed to ingest") }
        if uploads.unsettled > 0 { failures.append("\(uploads.unsettled) uploads never finished") }

        print("")
        print("Server memory and open files, every \(Self.sampleInterval.components.seconds) s:")
        func mebibytes(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / 1_048_576) }
        print(Output.table(["s", "RSS MiB", "open fds"], series.map {
            ["\($0.elapsed.components.seconds)", mebibytes($0.residentBytes), "\($0.openFiles)"]
        }))
        // Memory is compared minute against minute, by median: one sample swings by ±10% with
        // the requests in flight and the page cache the kernel takes back from the mapped files.
        let minuteOfSamples = Int(Duration.seconds(60) / Self.sampleInterval) + 1
        let afterWarmUp = series.drop { $0.elapsed < Self.warmUp }.prefix(minuteOfSamples)
        if let warm = afterWarmUp.first, let last = series.last {
            let lastMinute = series.suffix(minuteOfSamples)
            func median(_ samples: ArraySlice<Sample>) -> Int { samples.map(\.residentBytes).sorted()[samples.count / 2] }
            func seconds(_ samples: ArraySlice<Sample>) -> String {
                "\(samples.first!.elapsed.components.seconds)–\(samples.last!.elapsed.components.seconds) s"
            }
            let (before, after) = (median(afterWarmUp), median(lastMinute))
            let growth = Double(after - before) / Double(before)
            print("Growth after warm-up: RSS (median) \(mebibytes(before)) MiB at \(seconds(afterWarmUp)) → \(mebibytes(after)) MiB at "
                + "\(seconds(lastMinute)) (\(String(format: "%+.1f%%", growth * 100))); open fds \(warm.openFiles) at "
                + "\(warm.elapsed.components.seconds) s → \(last.openFiles) at \(last.elapsed.components.seconds) s "
                + "(\(String(format: "%+d", last.openFiles - warm.openFiles)))")
            if growth >= Self.maxGrowth { failures.append(String(format: "resident memory grew %.1f%% after warm-up", growth * 100)) }
            if last.openFiles - warm.openFiles > Self.fileSlack {
                failures.append("open files grew by \(last.openFiles - warm.openFiles) after warm-up")
            }
        } else {
            failures.append("no memory sample after the warm-up")
        }

        print("")
        if failures.isEmpty {
            print("PASS")
        } else {
            for failure in failures { print("FAIL: \(failure)") }
        }
        return failures.isEmpty
    }
}

extension SoakBench {
    enum Kind: String, CaseIterable, Sendable {
        case search, pivot, upload, history, audit

        /// Percent of requests.
        var weight: Int {
            switch self {
            case .search: 50
            case .pivot: 15
            case .upload: 10
            case .history: 15
            case .audit: 10
            }
        }

        static func drawn() -> Kind {
            var roll = Int.random(in: 0..<100)
            for kind in allCases {
                if roll < kind.weight { return kind }
                roll -= kind.weight
            }
            preconditionFailure("the weights add up to \(allCases.map(\.weight).reduce(0, +)), not 100")
        }
    }

    /// One request's kind, status (nil: no response), time to its whole response, and what was
    /// wrong with it, if anything.
    struct Outcome: Sendable {
        var kind: Kind
        var status: Int?
        var seconds: Double
        var problem: String?
    }

    struct UploadTally {
        var sent = 0
        var finished = 0
        var stored = 0
        var faces = 0
        var failedItems = 0
        var failed: [String] = []
        var unsettled = 0
    }

    /// The requests of each kind, and what they learn from the replies: faces to pivot from,
    /// the newest audit entry, the uploads to wait for.
    final class Traffic: Sendable {
        let base: String
        let keys: Keys
        let collection: CollectionID
        let probe: [UInt8]
        let uploadPhotos: [[UInt8]]
        let client: HTTPClient
        /// Makes each run's uploads differ from the last run's, which stay in the collection.
        let run = UUID().uuidString

        private struct Learned {
            var faces: [Int64] = []
            var newestAuditEntry: Int64 = 0
            var uploads: [String] = []
            var uploadsSent = 0
        }
        private let learned = Mutex(Learned())
        /// Faces kept to pivot from: enough to vary, few enough to stay recent.
        static let facesKept = 256

        init(base: String, keys: Keys, collection: CollectionID, probe: [UInt8], uploadPhotos: [[UInt8]], client: HTTPClient) {
            self.base = base
            self.keys = keys
            self.collection = collection
            self.probe = probe
            self.uploadPhotos = uploadPhotos
            self.client = client
        }

        /// `concurrency` loops, each sending one request of a drawn kind after another until `duration` has passed.
        func keepBusy(concurrency: Int, for duration: Duration) async -> [Outcome] {
            let deadline = ContinuousClock.now + duration
            return await withTaskGroup(of: [Outcome].self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        var outcomes: [Outcome] = []
                        while ContinuousClock.now < deadline { outcomes.append(await self.send(Kind.drawn())) }
                        return outcomes
                    }
                }
                return await group.reduce(into: []) { $0 += $1 }
            }
        }

        func send(_ kind: Kind) async -> Outcome {
            let request = self.request(kind)
            let sent = ContinuousClock.now
            var outcome = Outcome(kind: kind, status: nil, seconds: 0, problem: nil)
            do {
                let response = try await client.execute(request, timeout: .seconds(120))
                let body = try await response.body.collect(upTo: 16 << 20)
                outcome.seconds = (ContinuousClock.now - sent).seconds
                outcome.status = Int(response.status.code)
                guard (200..<300).contains(response.status.code) else {
                    outcome.problem = String(String(buffer: body).prefix(300))
                    return outcome
                }
                try learn(from: body, of: kind)
            } catch {
                outcome.seconds = (ContinuousClock.now - sent).seconds
                outcome.problem = "\(error)"
            }
            return outcome
        }

        private func request(_ kind: Kind) -> HTTPClientRequest {
            switch kind {
            case .search:
                return HTTPBench.searchRequest(base: base, key: keys.investigator, photo: probe)
            case .pivot:
                let face = learned.withLock { $0.faces.randomElement() }
                var request = HTTPClientRequest(url: base + "/api/v1/searches/pivot")
                request.method = .POST
                request.headers.add(name: "Authorization", value: "Bearer \(keys.investigator)")
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: """
                    {"face_id": \(face ?? 0), "case_number": "\(HTTPBench.benchCase)", "purpose": "other", "purpose_text": "soak benchmark"}
                    """))
                return request
            case .upload:
                let number = learned.withLock {
                    $0.uploadsSent += 1
                    return $0.uploadsSent
                }
                return HTTPBench.multipartRequest(base + "/api/v1/collections/\(collection)/uploads", key: keys.admin, fields: [],
                                                  file: (field: "files", filename: "soak-\(number).jpg",
                                                         bytes: Self.unique(uploadPhotos[number % uploadPhotos.count], "\(run) \(number)")))
            case .history:
                return get("/api/v1/searches?limit=100", key: keys.investigator)
            case .audit:
                let newest = learned.withLock { $0.newestAuditEntry }
                return get("/api/v1/audit?after=\(max(0, newest - 100))&limit=100", key: keys.auditor)
            }
        }

        private func get(_ path: String, key: String) -> HTTPClientRequest {
            var request = HTTPClientRequest(url: base + path)
            request.headers.add(name: "Authorization", value: "Bearer \(key)")
            return request
        }

        private struct SearchReply: Decodable {
            var auditEntry: Int64
            var matches: [Match]
            struct Match: Decodable {
                var faceID: Int64
                enum CodingKeys: String, CodingKey { case faceID = "face_id" }
            }
            enum CodingKeys: String, CodingKey { case auditEntry = "audit_entry", matches }
        }

        private struct UploadReply: Decodable {
            var id: String
            var state: String
            var stored: Int
            var faces: Int
            var failed: Int
            var error: String?
        }

        private func learn(from body: ByteBuffer, of kind: Kind) throws {
            switch kind {
            case .search, .pivot:
                let reply = try JSONDecoder().decode(SearchReply.self, from: Data(body.readableBytesView))
                learned.withLock { learned in
                    learned.newestAuditEntry = max(learned.newestAuditEntry, reply.auditEntry)
                    for match in reply.matches {
                        if learned.faces.count < Self.facesKept {
                            learned.faces.append(match.faceID)
                        } else {
                            learned.faces[Int.random(in: 0..<Self.facesKept)] = match.faceID
                        }
                    }
                }
            case .upload:
                let reply = try JSONDecoder().decode(UploadReply.self, from: Data(body.readableBytesView))
                learned.withLock { $0.uploads.append(reply.id) }
            case .history, .audit:
                break
            }
        }

        /// Waits, up to ten minutes, for the ingest of every upload to end, and tallies them.
        func settleUploads() async -> UploadTally {
            let uploads = learned.withLock { $0.uploads }
            var tally = UploadTally(sent: uploads.count)
            let deadline = ContinuousClock.now + .seconds(600)
            for upload in uploads {
                while true {
                    do {
                        let response = try await client.execute(get("/api/v1/uploads/\(upload)", key: keys.admin), timeout: .seconds(30))
                        let body = try await response.body.collect(upTo: 1 << 20)
                        guard response.status == .ok else {
                            tally.failed.append("\(upload): status HTTP \(response.status.code): \(String(buffer: body).prefix(200))")
                            break
                        }
                        let status = try JSONDecoder().decode(UploadReply.self, from: Data(body.readableBytesView))
                        if status.state == "running" {
                            guard ContinuousClock.now < deadline else {
                                tally.unsettled += 1
                                break
                            }
                            try await Task.sleep(for: .milliseconds(500))
                            continue
                        }
                        if status.state == "finished" {
                            tally.finished += 1
                        } else {
                            tally.failed.append("\(upload): \(status.error ?? status.state)")
                        }
                        tally.stored += status.stored
                        tally.faces += status.faces
                        tally.failedItems += status.failed
                    } catch {
                        tally.failed.append("\(upload): \(error)")
                    }
                    break
                }
            }
            return tally
        }

        /// The JPEG with a comment segment after its start marker: another file, the same photo.
        static func unique(_ jpeg: [UInt8], _ comment: String) -> [UInt8] {
            let text = Array(comment.utf8)
            let length = text.count + 2
            return [0xFF, 0xD8, 0xFF, 0xFE, UInt8(length >> 8), UInt8(length & 0xFF)] + text + jpeg.dropFirst(2)
        }
    }
}
