import Foundation
import LikenessStore
import LikenessCore
import PostgresNIO
import ServiceLifecycle

/// The store in a PostgreSQL database, for several servers and ingest workers sharing one
/// gallery. It behaves as `SQLiteGalleryStore` does; where PostgreSQL differs (concurrent
/// writers, sequences, erasure) the comments say what this store does about it.
public final class PostgresGalleryStore: GalleryStore {
    public let location: PostgresLocation
    let client: PostgresClient
    /// The client's connection pool runs in this task until `shutdown()`.
    private let clientRun: Task<Void, Never>

    /// Connects to the database at `url` (`postgres://user[:password]@host[:port]/database`)
    /// and brings its schema up to date.
    public init(url: String, maximumConnections: Int = 20) async throws {
        let location = try PostgresLocation(url: url)
        self.location = location
        do {
            try await PostgresSchema.migrate(PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.username, password: location.password,
                database: location.database, tls: .disable))
        } catch {
            throw StoreError.unavailable("cannot open the PostgreSQL database \(location): \(Self.reason(error))")
        }
        var configuration = PostgresClient.Configuration(host: location.host, port: location.port, username: location.username,
                                                         password: location.password, database: location.database, tls: .disable)
        configuration.options.maximumConnections = maximumConnections
        let client = PostgresClient(configuration: configuration, backgroundLogger: postgresLogger)
        self.client = client
        clientRun = Task { await client.run() }
    }

    /// Closes the connections. The store answers nothing afterwards.
    public func shutdown() async {
        clientRun.cancel()
        await clientRun.value
    }

    deinit { clientRun.cancel() }

    /// What went wrong, for an operator. A PSQLError describes itself only as "generic", lest
    /// it leak details to end users; the server's message or the connection's error says more.
    static func reason(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return String(describing: error) }
        if let message = error.serverInfo?[.message] { return message }
        if let underlying = error.underlying { return String(describing: underlying) }
        return String(describing: error.code)
    }

    // MARK: Collections

    public func createCollection(_ new: NewCollection) async throws -> CollectionRecord {
        // ON CONFLICT rather than a look first: two servers creating the same name at once get
        // one collection and one refusal, not a constraint error.
        let inserted = try await rows("""
            INSERT INTO collection (organization_id, name, description, source, lawful_basis, jurisdiction, retention_days,
                                    erasure_policy, requires_consent)
            VALUES (\(new.organization), \(new.name), \(new.description), \(new.source), \(new.lawfulBasis), \(new.jurisdiction),
                    \(new.retentionDays), \(new.erasurePolicy.rawValue), \(new.requiresConsent))
            ON CONFLICT (organization_id, name) DO NOTHING
            RETURNING *
            """)
        guard let row = inserted.first else { throw StoreError.conflict("a collection named '\(new.name)' already exists") }
        return try Self.collection(row)
    }

    public func collection(_ id: CollectionID) async throws -> CollectionRecord? {
        try await rows("SELECT * FROM collection WHERE id = \(id)").first.map(Self.collection)
    }

    public func collection(named name: String, in organization: OrganizationID) async throws -> CollectionRecord? {
        try await rows("SELECT * FROM collection WHERE organization_id = \(organization) AND name = \(name)")
            .first.map(Self.collection)
    }

    public func collections(in organization: OrganizationID?) async throws -> [CollectionSummary] {
        // COLLATE "C": byte order, as SQLite sorts, whatever the database's locale.
        try await rows("""
            SELECT c.*,
                   (SELECT COUNT(*) FROM image i WHERE i.collection_id = c.id) AS image_count,
                   (SELECT COUNT(*) FROM face f JOIN image i ON i.id = f.image_id WHERE i.collection_id = c.id) AS face_count
            FROM collection c WHERE \(organization)::bigint IS NULL OR c.organization_id = \(organization)
            ORDER BY c.name COLLATE "C"
            """).map { row in
            CollectionSummary(collection: try Self.collection(row), images: try row.value("image_count"), faces: try row.value("face_count"))
        }
    }

    public func collectionRecords(in organization: OrganizationID) async throws -> [CollectionRecord] {
        try await rows("SELECT * FROM collection WHERE organization_id = \(organization) ORDER BY name COLLATE \"C\"").map(Self.collection)
    }

    static func collection(_ row: PostgresRandomAccessRow) throws -> CollectionRecord {
        CollectionRecord(id: try row.value("id"), organization: try row.value("organization_id"),
                         erasurePolicy: ErasurePolicy(rawValue: try row.value("erasure_policy")) ?? .deleteImage,
                         requiresConsent: try row.value("requires_consent"), name: try row.value("name"),
                         description: try row.value("description"), source: try row.value("source"),
                         lawfulBasis: try row.value("lawful_basis"), jurisdiction: try row.value("jurisdiction"),
                         retentionDays: try row.value("retention_days"), createdAt: try row.value("created_at"))
    }

    // MARK: Ingest

    public func beginJob(collection: CollectionID, key: String, inputs: [String]) async throws -> IngestJob {
        let inputsJSON = String(decoding: try JSONEncoder().encode(inputs), as: UTF8.self)
        return try await transaction { connection in
            // Two runs of the same job starting at once would each see no running job and start
            // one; the lock on the key makes the second wait and resume the first's instead.
            try await connection.run("SELECT pg_advisory_xact_lock(hashtextextended(\(key), 0))")
            if let id = try await connection.rows("""
                SELECT id FROM ingest_job WHERE job_key = \(key) AND status = 'running' ORDER BY id DESC LIMIT 1
                """).first.map({ try $0.value("id", as: Int64.self) }) {
                let settled = try await connection.rows("SELECT item FROM ingest_item WHERE job_id = \(id)")
                    .map { try $0.value("item", as: String.self) }
                return IngestJob(id: id, collection: collection, resumed: true, settledItems: Set(settled))
            }
            let id: Int64 = try await connection.rows("""
                INSERT INTO ingest_job (collection_id, job_key, inputs, status) VALUES (\(collection), \(key), \(inputsJSON), 'running')
                RETURNING id
                """)[0].value("id")
            return IngestJob(id: id, collection: collection, resumed: false, settledItems: [])
        }
    }

    public func finishJob(_ job: Int64, status: IngestJob.Status) async throws {
        try await run("UPDATE ingest_job SET status = \(status.rawValue), finished_at = now() WHERE id = \(job)")
    }

    public func image(in collection: CollectionID, sha256: String) async throws -> ImageID? {
        try await rows("SELECT id FROM image WHERE collection_id = \(collection) AND sha256 = \(sha256)")
            .first.map { try $0.value("id") }
    }

    public func storeImage(_ image: NewImage, faces: [NewFace], job: Int64, item: String, note: String?) async throws -> StoredImage {
        try await transaction { connection in
            let stored = try await Self.insert(connection, image: image, faces: faces, job: job)
            try await Self.recordItem(connection, job: job, item: item, outcome: stored.isDuplicate ? .duplicate : .stored,
                                      reason: note, image: stored.image, faces: stored.faces.count)
            try await Self.logIndexChanges(connection, faces: stored.faces, kind: .added)
            return stored
        }
    }

    public func storeImages(_ batch: [(image: NewImage, faces: [NewFace])]) async throws -> [StoredImage] {
        try await transaction { connection in
            var stored: [StoredImage] = []
            for (image, faces) in batch {
                stored.append(try await Self.insert(connection, image: image, faces: faces, job: nil))
            }
            try await Self.logIndexChanges(connection, faces: stored.flatMap(\.faces), kind: .added)
            return stored
        }
    }

    /// Inserts an image and its faces, unless the collection already holds the same bytes.
    private static func insert(_ connection: PostgresConnection, image: NewImage, faces: [NewFace], job: Int64?) async throws -> StoredImage {
        let (imageID, isNew) = try await insertImage(connection, image, job: job)
        guard isNew else { return StoredImage(image: imageID, faces: [], isDuplicate: true) }
        var faceIDs: [FaceID] = []
        for face in faces {
            let landmarks = face.face.landmarks.flatMap { [$0.x, $0.y] }.map(String.init).joined(separator: ",")
            let box = face.face.box
            let faceID: FaceID = try await connection.rows("""
                INSERT INTO face (image_id, box_left, box_top, box_right, box_bottom, landmarks, detector_score, quality,
                                  template, crop, video_time, track_start, track_end)
                VALUES (\(imageID), \(box.left), \(box.top), \(box.right), \(box.bottom), \(landmarks), \(face.face.detectorScore),
                        \(face.quality), \(ByteBuffer(bytes: face.template.bytes)), \(ByteBuffer(bytes: face.crop)),
                        \(face.video?.time), \(face.video?.start), \(face.video?.end))
                RETURNING id
                """)[0].value("id")
            faceIDs.append(faceID)
            if let sface = face.sfaceTemplate {
                try await connection.run("""
                    INSERT INTO face_template (face_id, model, template)
                    VALUES (\(faceID), \(TemplateModel.sface2021dec.rawValue), \(ByteBuffer(bytes: sface.bytes)))
                    """)
            }
        }
        return StoredImage(image: imageID, faces: faceIDs, isDuplicate: false)
    }

    /// The image's ID: inserted now, or that of the image with the same bytes already in the
    /// collection. Workers may store the same image at once: ON CONFLICT makes the later insert
    /// wait for the earlier transaction and, once it commits, skip; the image it stored is then
    /// visible to the next statement. Should that image be erased in between, the insert is
    /// tried again.
    private static func insertImage(_ connection: PostgresConnection, _ image: NewImage, job: Int64?) async throws -> (id: ImageID, isNew: Bool) {
        while true {
            if let inserted: ImageID = try await connection.rows("""
                INSERT INTO image (collection_id, sha256, location, source_url, caption, taken_at, width, height,
                                   byte_count, format, job_id, media, duration)
                VALUES (\(image.collection), \(image.sha256), \(image.origin.location), \(image.origin.sourceURL),
                        \(image.origin.caption), \(image.origin.date), \(image.width), \(image.height),
                        \(image.byteCount), \(image.format), \(job), \(image.isVideo ? "video" : "image"), \(image.videoDuration))
                ON CONFLICT (collection_id, sha256) DO NOTHING
                RETURNING id
                """).first?.value("id") {
                return (inserted, true)
            }
            if let existing: ImageID = try await connection.rows("""
                SELECT id FROM image WHERE collection_id = \(image.collection) AND sha256 = \(image.sha256)
                """).first?.value("id") {
                return (existing, false)
            }
        }
    }

    public func recordItem(job: Int64, item: String, outcome: IngestItemOutcome, reason: String?, image: ImageID?) async throws {
        try await client.withConnection { connection in
            try await Self.recordItem(connection, job: job, item: item, outcome: outcome, reason: reason, image: image, faces: 0)
        }
    }

    private static func recordItem(_ connection: PostgresConnection, job: Int64, item: String, outcome: IngestItemOutcome,
                                   reason: String?, image: ImageID?, faces: Int) async throws {
        try await connection.run("""
            INSERT INTO ingest_item (job_id, item, outcome, reason, image_id, faces)
            VALUES (\(job), \(item), \(outcome.rawValue), \(reason), \(image), \(faces))
            ON CONFLICT (job_id, item) DO UPDATE
                SET outcome = excluded.outcome, reason = excluded.reason, image_id = excluded.image_id, faces = excluded.faces
            """)
    }

    public func jobItems(_ job: Int64) async throws -> [IngestItemRecord] {
        try await rows("SELECT * FROM ingest_item WHERE job_id = \(job) ORDER BY item COLLATE \"C\"").map { row in
            IngestItemRecord(item: try row.value("item"), outcome: IngestItemOutcome(rawValue: try row.value("outcome")) ?? .failed,
                             reason: try row.value("reason"), image: try row.value("image_id"), faces: try row.value("faces"))
        }
    }

    public func ingestJob(_ job: Int64) async throws -> IngestJobRecord? {
        try await rows("SELECT * FROM ingest_job WHERE id = \(job)").first.map { row in
            IngestJobRecord(id: try row.value("id"), collection: try row.value("collection_id"),
                            status: IngestJob.Status(rawValue: try row.value("status")) ?? .failed,
                            startedAt: try row.value("started_at"), finishedAt: try row.value("finished_at"))
        }
    }

    // MARK: Index change log

    /// Appends the faces' changes to the index log. Called last in its transaction, which it
    /// keeps until commit.
    ///
    /// The vector index follows the log by sequence number: it reads the changes after the last
    /// one it applied. An identity column hands out numbers when rows are inserted, not when
    /// they commit, so two transactions may commit in the other order than their numbers: a
    /// reader that came between them would see 11 but not 10, move on to 11, and never apply 10.
    /// A transaction-level advisory lock, taken before the first number is drawn and held to
    /// commit, lets one log-writing transaction at a time draw numbers: sequence order is commit
    /// order, and a reader that sees a number has seen every smaller one that will ever exist.
    ///
    /// The lock is the transaction's last: after it, only these inserts run. A transaction
    /// holding it therefore never waits for another's row locks, and none deadlocks on it.
    static func logIndexChanges(_ connection: PostgresConnection, faces: [FaceID], kind: IndexChange.Kind) async throws {
        guard !faces.isEmpty else { return }
        try await connection.run("SELECT pg_advisory_xact_lock(\(AdvisoryLock.indexLog.rawValue))")
        try await connection.run("""
            INSERT INTO index_log (face_id, change)
            SELECT face, \(kind.rawValue) FROM unnest(\(faces)::bigint[]) WITH ORDINALITY AS logged(face, position) ORDER BY position
            """)
    }

    public func indexChanges(after sequence: Int64, limit: Int) async throws -> [IndexChange] {
        try await rows("SELECT seq, face_id, change FROM index_log WHERE seq > \(sequence) ORDER BY seq LIMIT \(limit)").map { row in
            IndexChange(sequence: try row.value("seq"), face: try row.value("face_id"),
                        kind: IndexChange.Kind(rawValue: try row.value("change"))!)
        }
    }

    public func templates(of ids: [FaceID]) async throws -> [IndexEntry] {
        guard !ids.isEmpty else { return [] }
        return try await rows("""
            SELECT f.id, f.image_id, i.collection_id, c.organization_id, c.jurisdiction, f.template
            FROM face f JOIN image i ON i.id = f.image_id JOIN collection c ON c.id = i.collection_id
            WHERE f.id = ANY(\(ids)) ORDER BY f.id
            """).compactMap(Self.indexEntry)
    }

    public func templates(after id: FaceID, limit: Int) async throws -> [IndexEntry] {
        try await rows("""
            SELECT f.id, f.image_id, i.collection_id, c.organization_id, c.jurisdiction, f.template
            FROM face f JOIN image i ON i.id = f.image_id JOIN collection c ON c.id = i.collection_id
            WHERE f.id > \(id) ORDER BY f.id LIMIT \(limit)
            """).compactMap(Self.indexEntry)
    }

    private static func indexEntry(_ row: PostgresRandomAccessRow) throws -> IndexEntry? {
        guard let template = FaceTemplate(bytes: try row.bytes("template")) else { return nil }
        return IndexEntry(id: try row.value("id"), collection: try row.value("collection_id"), template: template,
                          image: try row.value("image_id"), organization: try row.value("organization_id"),
                          jurisdiction: try row.value("jurisdiction"))
    }

    public func latestIndexSequence() async throws -> Int64 {
        try await rows("SELECT COALESCE(MAX(seq), 0) AS latest FROM index_log")[0].value("latest")
    }

    /// A session advisory lock on a connection of its own, held while `body` runs: servers and
    /// workers replay the change log into the shared Milvus index one at a time. A process
    /// that dies loses its connection, and with it the lock.
    public func holdingIndexSyncLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await connection.run("SELECT pg_advisory_lock(\(AdvisoryLock.indexSync.rawValue))")
            let result: T
            do {
                result = try await body()
            } catch {
                _ = try? await connection.run("SELECT pg_advisory_unlock(\(AdvisoryLock.indexSync.rawValue))")
                throw error
            }
            try await connection.run("SELECT pg_advisory_unlock(\(AdvisoryLock.indexSync.rawValue))")
            return result
        }
    }

    // MARK: Search results

    public func matchDetails(for ids: [FaceID]) async throws -> [FaceID: MatchDetails] {
        guard !ids.isEmpty else { return [:] }
        let found = try await rows("""
            SELECT f.id, f.image_id, f.box_left, f.box_top, f.box_right, f.box_bottom, f.video_time, f.track_start, f.track_end,
                   i.collection_id, c.name AS collection, i.location, i.source_url, i.caption, i.taken_at
            FROM face f JOIN image i ON i.id = f.image_id JOIN collection c ON c.id = i.collection_id
            WHERE f.id = ANY(\(ids))
            """)
        var details: [FaceID: MatchDetails] = [:]
        for row in found {
            let id: FaceID = try row.value("id")
            details[id] = MatchDetails(face: id, image: try row.value("image_id"), box: try Self.box(row),
                                       collectionID: try row.value("collection_id"), collection: try row.value("collection"),
                                       origin: try Self.origin(row), video: try Self.video(row))
        }
        return details
    }

    public func imageDetails(_ id: ImageID) async throws -> ImageDetails? {
        guard let row = try await rows("SELECT * FROM image WHERE id = \(id)").first,
              let collection = try await collection(try row.value("collection_id")) else { return nil }
        let faces = try await rows("""
            SELECT id, box_left, box_top, box_right, box_bottom, video_time, track_start, track_end
            FROM face WHERE image_id = \(id) ORDER BY id
            """).map { face in (id: try face.value("id", as: FaceID.self), box: try Self.box(face), video: try Self.video(face)) }
        return ImageDetails(id: id, collection: collection, origin: try Self.origin(row), width: try row.value("width"),
                            height: try row.value("height"), format: try row.value("format"),
                            ingestedAt: try row.value("ingested_at"), videoDuration: try row.value("duration"), faces: faces)
    }

    private static func box(_ row: PostgresRandomAccessRow) throws -> FaceBox {
        FaceBox(left: try row.value("box_left"), top: try row.value("box_top"), right: try row.value("box_right"),
                bottom: try row.value("box_bottom"))
    }

    private static func origin(_ row: PostgresRandomAccessRow) throws -> ImageOrigin {
        ImageOrigin(location: try row.value("location"), sourceURL: try row.value("source_url"), caption: try row.value("caption"),
                    date: try row.value("taken_at"))
    }

    private static func video(_ row: PostgresRandomAccessRow) throws -> VideoAppearance? {
        guard let time: Double = try row.value("video_time"), let start: Double = try row.value("track_start"),
              let end: Double = try row.value("track_end") else { return nil }
        return VideoAppearance(time: time, start: start, end: end)
    }

    public func faceCrop(_ id: FaceID) async throws -> (crop: [UInt8], collection: CollectionID)? {
        try await rows("SELECT f.crop, i.collection_id FROM face f JOIN image i ON i.id = f.image_id WHERE f.id = \(id)")
            .first.map { (try $0.bytes("crop"), try $0.value("collection_id")) }
    }

    public func detectedFace(_ id: FaceID) async throws -> DetectedFace? {
        try await rows("SELECT box_left, box_top, box_right, box_bottom, landmarks, detector_score FROM face WHERE id = \(id)")
            .first.map { row in
                DetectedFace(box: FaceBox(left: try row.value("box_left"), top: try row.value("box_top"), right: try row.value("box_right"),
                                          bottom: try row.value("box_bottom")),
                             detectorScore: try row.value("detector_score"), landmarks: DetectedFace.landmarks(stored: try row.value("landmarks")))
            }
    }

    public func counts() async throws -> GalleryCounts {
        let row = try await rows("""
            SELECT (SELECT COUNT(*) FROM collection) AS collections, (SELECT COUNT(*) FROM image) AS images,
                   (SELECT COUNT(*) FROM face) AS faces
            """)[0]
        return GalleryCounts(collections: try row.value("collections"), images: try row.value("images"), faces: try row.value("faces"))
    }
}

/// In a service group (`likeness serve`'s application), the store is one of the services: it
/// closes its connections at the group's graceful shutdown, once the services that came after
/// it (the HTTP server, the background sweeps) have stopped using it. The pool itself starts
/// when the store opens, because the gallery reads the store as it opens, before any group runs.
extension PostgresGalleryStore: Service {
    public func run() async {
        try? await gracefulShutdown()
        await shutdown()
    }
}
