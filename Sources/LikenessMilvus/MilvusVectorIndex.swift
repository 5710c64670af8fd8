import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import LikenessCore
import LikenessIndex
import ServiceLifecycle
import SwiftProtobuf
import Synchronization

/// The scale-out vector index: templates in a Milvus collection, shared by every server and
/// worker, with the face's image, collection, organisation and jurisdiction as scalar fields.
/// Like the in-process index it mirrors the database's change log, and it keeps how far it got
/// (`appliedSequence`) in a one-row Milvus collection beside the templates, so the mirror and
/// its position change together whichever process applies the log.
///
/// The client speaks Milvus's gRPC protocol (REST v1 cannot declare our own primary key,
/// scalar fields or index type). Tested against milvus-lite 3.x and Milvus 2.3.5.
public final class MilvusVectorIndex: VectorIndex {
    typealias Service = Milvus_Proto_Milvus_MilvusService
    typealias Transport = HTTP2ClientTransport.Posix

    /// `milvus://HOST:PORT[/COLLECTION]`; the collection defaults to `likeness_faces`.
    public struct Location: Sendable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public var collection: String

        public init(_ url: String) throws {
            guard let components = URLComponents(string: url), components.scheme == "milvus", let host = components.host,
                  !host.isEmpty else {
                throw MilvusError("'\(url)' is not a Milvus address: expected milvus://HOST:PORT[/COLLECTION]")
            }
            self.host = host
            port = components.port ?? 19530
            let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            collection = path.isEmpty ? "likeness_faces" : path
            guard collection.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), collection.first?.isLetter == true else {
                throw MilvusError("'\(collection)' is not a Milvus collection name: letters, digits and _ only, starting with a letter")
            }
        }

        public var description: String { "milvus://\(host):\(port)/\(collection)" }
    }

    /// HNSW, which both servers Likeness supports accept. Its recall is set at search time by
    /// `searchBreadth` (see there). M 32 rather than 16: face templates cluster tightly, and at
    /// M 16 recall@10 over 1M stopped at 0.98 even at a breadth of 2,048.
    public static let indexParameters = (type: "HNSW", build: #"{"M":32,"efConstruction":256}"#)
    /// Rows per upsert: 5,000 templates are ~2.6 MB, well under the server's 64 MB message limit.
    static let upsertBatch = 5_000
    /// How long an erasure waits for Milvus to stop returning deleted ids before failing.
    static let deleteVisibilityTimeout: Duration = .seconds(30)
    /// How long an erasure waits for Milvus to write its deletes and rewrite the segments without
    /// the deleted rows: a compaction rewrites every segment of the collection, minutes at millions.
    static let compactionTimeout: Duration = .seconds(1800)

    public let location: Location
    private let grpc: GRPCClient<Transport>
    private let milvus: Service.Client<Transport>
    private let connections: Task<Void, any Error>
    private var faces: String { location.collection }
    private var state: String { location.collection + "_state" }
    /// Search `ef`: candidates HNSW keeps while searching; at least k. Measured on Milvus 2.3.5
    /// over 1M synthetic face-like templates (`likeness bench search --vectors`, HNSW M 32,
    /// 2 cores): recall@10 0.966 at ef 256 (p50 6.8 ms), 0.984 at 512 (9.4 ms), 0.991 at
    /// 1,024 (12.4 ms), 0.993 at 2,048 (25.9 ms). A missed match costs an investigation more
    /// than a few milliseconds cost a search, so the default is the first breadth past 0.99.
    public let searchBreadth: Int
    /// Milvus's timestamp of this process's last acknowledged upsert. Searches ask Milvus to
    /// have applied at least that much ("session" consistency): a process finds what it wrote
    /// itself, and what others wrote once Milvus has consumed it (within ~0.2 s). A Strong
    /// search would wait for every write in flight anywhere: ~400 ms on Milvus 2.3.5 against
    /// ~7 ms. Erased faces are never shown either way: `remove` waits until a Strong read no
    /// longer returns them, and results are joined with the database, which no longer has them.
    private let lastWrite = Mutex<UInt64>(0)

    /// Connects, and creates the collections (templates, and the applied sequence) if absent.
    public init(_ location: Location, searchBreadth: Int = 1_024) async throws {
        self.location = location
        self.searchBreadth = searchBreadth
        // Milvus (grpc-go) pings on almost every request, and swift-nio-http2 closes a connection
        // after 200 pings in 30 s: the client reconnects, and in-flight calls fail UNAVAILABLE.
        // Every call here is idempotent (upsert, delete by id, reads), so they are retried.
        let retry = RetryPolicy(maxAttempts: 5, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(500),
                                backoffMultiplier: 2, retryableStatusCodes: [.unavailable])
        let serviceConfig = ServiceConfig(methodConfig: [
            MethodConfig(names: [MethodConfig.Name(service: Service.descriptor.fullyQualifiedService)],
                         waitForReady: true, maxRequestMessageBytes: 64 << 20, executionPolicy: .retry(retry)),
        ])
        let transport = try HTTP2ClientTransport.Posix(target: .dns(host: location.host, port: location.port),
                                                       transportSecurity: .plaintext, serviceConfig: serviceConfig)
        grpc = GRPCClient(transport: transport)
        milvus = Service.Client(wrapping: grpc)
        connections = Task { [grpc] in try await grpc.runConnections() }
        do {
            try await createCollectionsIfAbsent()
        } catch {
            shutdown()
            throw MilvusError("cannot use Milvus at \(location): \(error)")
        }
    }

    public convenience init(url: String) async throws {
        try await self.init(try Location(url))
    }

    deinit { shutdown() }

    public func shutdown() {
        grpc.beginGracefulShutdown()
        connections.cancel()
    }

    // MARK: VectorIndex

    public var count: Int {
        get async throws { try await rowCount(faces) }
    }

    public var appliedSequence: Int64 {
        get async throws {
            let result = try await query(state, expression: "id == 1", output: ["sequence"])
            return result.fieldsData.first { $0.fieldName == "sequence" }?.scalars.longData.data.first ?? 0
        }
    }

    public func insert(_ entries: [IndexEntry], through sequence: Int64) async throws {
        for start in stride(from: 0, to: entries.count, by: Self.upsertBatch) {
            let batch = entries[start ..< min(entries.count, start + Self.upsertBatch)]
            var request = Milvus_Proto_Milvus_UpsertRequest()
            request.collectionName = faces
            request.numRows = UInt32(batch.count)
            request.fieldsData = [
                .int64("face_id", batch.map(\.id)),
                .floatVector("template", dimension: FaceTemplate.dimension, batch.flatMap(\.template.values)),
                .int64("image_id", batch.map(\.image)),
                .int64("collection_id", batch.map(\.collection)),
                .int64("organization_id", batch.map(\.organization)),
                .varChar("jurisdiction", batch.map(\.jurisdiction)),
            ]
            let result = try await milvus.upsert(request)
            try check(result.status, "upsert into \(faces)")
            lastWrite.withLock { $0 = max($0, result.timestamp) }
        }
        if sequence > 0 { try await setAppliedSequence(sequence) }
    }

    /// Returns once Milvus no longer returns any of `ids` to a search (a delete becomes visible
    /// asynchronously, and an erasure must not report done while a search could still find one)
    /// and has rewritten its segments without them (see `compactAwayDeletedRows`).
    public func remove(_ ids: [FaceID], through sequence: Int64) async throws {
        for start in stride(from: 0, to: ids.count, by: 1_000) {
            let batch = Array(ids[start ..< min(ids.count, start + 1_000)])
            var request = Milvus_Proto_Milvus_DeleteRequest()
            request.collectionName = faces
            request.expr = "face_id in \(Self.list(batch))"
            request.consistencyLevel = .strong
            try check(try await milvus.delete(request).status, "delete from \(faces)")
            try await waitUntilGone(batch)
        }
        if !ids.isEmpty { try await compactAwayDeletedRows() }
        if sequence > 0 { try await setAppliedSequence(sequence) }
    }

    public func removeAll() async throws {
        try await drop()
        try await createCollectionsIfAbsent()
    }

    /// Deletes the index's collections from Milvus: a decommissioned gallery's, or a test's.
    public func drop() async throws {
        for name in [faces, state] where try await hasCollection(name) {
            var request = Milvus_Proto_Milvus_DropCollectionRequest()
            request.collectionName = name
            try check(try await milvus.dropCollection(request), "drop \(name)")
        }
    }

    public func nearest(to query: FaceTemplate, k: Int, in collections: Set<CollectionID>?) async throws -> [Neighbor] {
        if let collections, collections.isEmpty { return [] }
        var probe = Milvus_Proto_Common_PlaceholderValue()
        probe.tag = "$0"
        probe.type = .floatVector
        probe.values = [query.values.withUnsafeBufferPointer { Data(buffer: $0) }]
        var group = Milvus_Proto_Common_PlaceholderGroup()
        group.placeholders = [probe]

        var request = Milvus_Proto_Milvus_SearchRequest()
        request.collectionName = faces
        request.dsl = collections.map { "collection_id in \(Self.list($0.sorted()))" } ?? ""
        request.dslType = .boolExprV1
        request.placeholderGroup = try group.serializedBytes()
        request.nq = 1
        request.searchParams = [
            .init("anns_field", "template"), .init("topk", String(k)), .init("metric_type", "L2"),
            .init("params", #"{"ef":\#(max(k, searchBreadth))}"#), .init("round_decimal", "-1"),
        ]
        request.consistencyLevel = .session
        request.guaranteeTimestamp = lastWrite.withLock { $0 }
        let response = try await milvus.search(request)
        try check(response.status, "search \(faces)")
        let results = response.results
        // Milvus's L2 score is the squared distance; Likeness's distances are Euclidean.
        return zip(results.ids.intID.data, results.scores).map { Neighbor(id: $0, distance: $1.squareRoot()) }
    }

    /// Milvus makes every acknowledged write durable in its own log; there is nothing to write.
    public func persist() async throws {}

    /// Seals the rows Milvus holds in memory and waits until it has built the HNSW graph over
    /// every one of them. Until then new rows are searched less well (by a temporary index), so
    /// a bulk load (a benchmark, a rebuild) is measured or served at steady state only after this.
    /// Not for every ingest: each seal makes a segment, and many small ones search slowly.
    public func sealAndWaitUntilIndexed(timeout: Duration = .seconds(3600)) async throws {
        var flush = Milvus_Proto_Milvus_FlushRequest()
        flush.collectionNames = [faces]
        try check(try await milvus.flush(flush).status, "seal \(faces)")
        let expected = try await rowCount(faces)
        var describe = Milvus_Proto_Milvus_DescribeIndexRequest()
        describe.collectionName = faces
        describe.fieldName = "template"
        let deadline = ContinuousClock.now + timeout
        while true {
            let response = try await milvus.describeIndex(describe)
            try check(response.status, "describe the index of \(faces)")
            if let index = response.indexDescriptions.first {
                if index.state == .failed { throw MilvusError("Milvus failed to index \(faces): \(index.indexStateFailReason)") }
                if index.totalRows >= expected, index.indexedRows >= index.totalRows, index.pendingIndexRows == 0 { return }
            }
            guard ContinuousClock.now < deadline else { throw MilvusError("\(faces) was not fully indexed within \(timeout)") }
            try await Task.sleep(for: .seconds(1))
        }
    }

    /// A Milvus delete only marks rows: their templates stay in the segment files (binlogs and
    /// index files) until a compaction rewrites those segments without them. An erasure reaches
    /// every copy, so this writes the deletes out, has Milvus compact the collection, and waits
    /// for it. What is left after that is Milvus's to remove on its own schedule: the replaced
    /// files at its garbage collection, the inserts in its message log at its retention (the
    /// README's Milvus settings bound both; a test checks the files with them).
    private func compactAwayDeletedRows() async throws {
        var flush = Milvus_Proto_Milvus_FlushRequest()
        flush.collectionNames = [faces]
        let flushed = try await milvus.flush(flush)
        try check(flushed.status, "write out the deletes from \(faces)")
        var flushState = Milvus_Proto_Milvus_GetFlushStateRequest()
        flushState.collectionName = faces
        flushState.segmentIds = flushed.collSegIds[faces]?.data ?? []
        flushState.flushTs = flushed.collFlushTs[faces] ?? 0
        let deadline = ContinuousClock.now + Self.compactionTimeout
        while true {
            let response = try await milvus.getFlushState(flushState)
            try check(response.status, "follow the flush of \(faces)")
            if response.flushed { break }
            guard ContinuousClock.now < deadline else { throw MilvusError("Milvus did not write out \(faces) within \(Self.compactionTimeout)") }
            try await Task.sleep(for: .milliseconds(200))
        }

        var describe = Milvus_Proto_Milvus_DescribeCollectionRequest()
        describe.collectionName = faces
        let description = try await milvus.describeCollection(describe)
        try check(description.status, "describe \(faces)")
        var compact = Milvus_Proto_Milvus_ManualCompactionRequest()
        compact.collectionID = description.collectionID
        let started = try await milvus.manualCompaction(compact)
        try check(started.status, "compact \(faces)")
        var compaction = Milvus_Proto_Milvus_GetCompactionStateRequest()
        compaction.compactionID = started.compactionID
        while true {
            let response = try await milvus.getCompactionState(compaction)
            try check(response.status, "follow the compaction of \(faces)")
            if response.failedPlanNo > 0 || response.timeoutPlanNo > 0 {
                throw MilvusError("Milvus's compaction of \(faces) failed (\(response.failedPlanNo) plans failed, \(response.timeoutPlanNo) timed out)")
            }
            if response.state == .completed { return }
            guard ContinuousClock.now < deadline else { throw MilvusError("Milvus did not compact \(faces) within \(Self.compactionTimeout)") }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    // MARK: Collections

    private func createCollectionsIfAbsent() async throws {
        if try await !hasCollection(faces) {
            try await createCollection(faces, fields: [
                .field("face_id", .int64, primaryKey: true),
                .field("template", .floatVector, ["dim": String(FaceTemplate.dimension)]),
                .field("image_id", .int64),
                .field("collection_id", .int64),
                .field("organization_id", .int64),
                .field("jurisdiction", .varChar, ["max_length": "16"]),
            ], vector: "template", index: Self.indexParameters)
        }
        if try await !hasCollection(state) {
            // Milvus requires a vector field in every collection; this one's is unused.
            try await createCollection(state, fields: [
                .field("id", .int64, primaryKey: true),
                .field("sequence", .int64),
                .field("unused", .floatVector, ["dim": "2"]),
            ], vector: "unused", index: (type: "FLAT", build: "{}"))
        }
        try await load(faces)
        try await load(state)
    }

    private func hasCollection(_ name: String) async throws -> Bool {
        var request = Milvus_Proto_Milvus_HasCollectionRequest()
        request.collectionName = name
        let response = try await milvus.hasCollection(request)
        try check(response.status, "look for \(name)")
        return response.value
    }

    private func createCollection(_ name: String, fields: [Milvus_Proto_Schema_FieldSchema], vector: String,
                                  index: (type: String, build: String)) async throws {
        var schema = Milvus_Proto_Schema_CollectionSchema()
        schema.name = name
        schema.fields = fields
        var request = Milvus_Proto_Milvus_CreateCollectionRequest()
        request.collectionName = name
        request.schema = try schema.serializedBytes()
        request.shardsNum = 1
        request.consistencyLevel = .strong
        try check(try await milvus.createCollection(request), "create \(name)")

        var indexRequest = Milvus_Proto_Milvus_CreateIndexRequest()
        indexRequest.collectionName = name
        indexRequest.fieldName = vector
        indexRequest.indexName = "\(vector)_index"
        indexRequest.extraParams = [.init("index_type", index.type), .init("metric_type", "L2"), .init("params", index.build)]
        try check(try await milvus.createIndex(indexRequest), "index \(name)")
    }

    /// Loading is asynchronous: wait until the server reports the collection loaded.
    private func load(_ name: String) async throws {
        var request = Milvus_Proto_Milvus_LoadCollectionRequest()
        request.collectionName = name
        request.replicaNumber = 1
        try check(try await milvus.loadCollection(request), "load \(name)")
        var stateRequest = Milvus_Proto_Milvus_GetLoadStateRequest()
        stateRequest.collectionName = name
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            let response = try await milvus.getLoadState(stateRequest)
            try check(response.status, "load state of \(name)")
            if response.state == .loaded { return }
            guard ContinuousClock.now < deadline else { throw MilvusError("\(name) did not load within 120 s (\(response.state))") }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: Reads and writes

    private func setAppliedSequence(_ sequence: Int64) async throws {
        var request = Milvus_Proto_Milvus_UpsertRequest()
        request.collectionName = state
        request.numRows = 1
        request.fieldsData = [.int64("id", [1]), .int64("sequence", [sequence]), .floatVector("unused", dimension: 2, [0, 0])]
        try check(try await milvus.upsert(request).status, "record the applied sequence")
    }

    private func query(_ name: String, expression: String, output: [String]) async throws -> Milvus_Proto_Milvus_QueryResults {
        var request = Milvus_Proto_Milvus_QueryRequest()
        request.collectionName = name
        request.expr = expression
        request.outputFields = output
        request.consistencyLevel = .strong
        let response = try await milvus.query(request)
        try check(response.status, "query \(name)")
        return response
    }

    private func rowCount(_ name: String) async throws -> Int {
        let response = try await query(name, expression: "", output: ["count(*)"])
        guard let count = response.fieldsData.first(where: { $0.fieldName == "count(*)" })?.scalars.longData.data.first else {
            throw MilvusError("Milvus answered count(*) without a count")
        }
        return Int(count)
    }

    /// Waits until a Strong read (one that sees every acknowledged write) no longer returns any of `ids`.
    private func waitUntilGone(_ ids: [FaceID]) async throws {
        let deadline = ContinuousClock.now + Self.deleteVisibilityTimeout
        while true {
            let found = try await query(faces, expression: "face_id in \(Self.list(ids))", output: ["face_id"])
            let remaining = found.fieldsData.first { $0.fieldName == "face_id" }?.scalars.longData.data ?? []
            if remaining.isEmpty { return }
            guard ContinuousClock.now < deadline else {
                throw MilvusError("Milvus still returns \(remaining.count) deleted face(s) after \(Self.deleteVisibilityTimeout)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    private static func list(_ ids: [Int64]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }

    /// A Milvus error arrives as a status inside a successful gRPC response; both its legacy
    /// `error_code` and its newer `code` are checked.
    private func check(_ status: Milvus_Proto_Common_Status, _ what: String) throws {
        guard status.code == 0, status.errorCode == .success else {
            throw MilvusError("Milvus refused to \(what): \(status.reason.isEmpty ? "\(status.errorCode)" : status.reason)")
        }
    }
}

public struct MilvusError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// In a service group (`likeness serve`'s application), the index closes its connections at the
/// group's graceful shutdown, after the HTTP server has stopped. Like the PostgreSQL store's, its
/// connections start when it opens: the gallery reads it as it opens.
extension MilvusVectorIndex: ServiceLifecycle.Service {
    public func run() async {
        try? await gracefulShutdown()
        shutdown()
    }
}
