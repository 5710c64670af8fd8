import Foundation
import LikenessStore
import GRDB
import LikenessCore

/// The embedded store: one SQLite database (WAL mode) in the data directory.
public final class SQLiteGalleryStore: GalleryStore {
    public let path: String
    /// Shared by the gallery and governance halves of the store.
    /// The database itself, for reading it whole (`likeness migrate` copies it into PostgreSQL).
    public let database: DatabasePool

    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // Erased biometric data must not linger in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        configuration.busyMode = .timeout(30)
        database = try DatabasePool(path: path, configuration: configuration)
        try SQLiteSchema.migrator.migrate(database)
    }

    // MARK: Collections

    public func createCollection(_ new: NewCollection) async throws -> CollectionRecord {
        try await database.write { db in
            if try Row.fetchOne(db, sql: "SELECT 1 FROM collection WHERE organization_id = ? AND name = ?",
                                arguments: [new.organization, new.name]) != nil {
                throw StoreError.conflict("a collection named '\(new.name)' already exists")
            }
            let now = Date()
            try db.execute(sql: """
                INSERT INTO collection (organization_id, name, description, source, lawful_basis, jurisdiction,
                                        retention_days, created_at, erasure_policy, requires_consent)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [new.organization, new.name, new.description, new.source, new.lawfulBasis,
                                 new.jurisdiction, new.retentionDays, now, new.erasurePolicy.rawValue, new.requiresConsent])
            return CollectionRecord(id: db.lastInsertedRowID, organization: new.organization,
                                    erasurePolicy: new.erasurePolicy, requiresConsent: new.requiresConsent, name: new.name,
                                    description: new.description,
                                    source: new.source, lawfulBasis: new.lawfulBasis, jurisdiction: new.jurisdiction,
                                    retentionDays: new.retentionDays, createdAt: now)
        }
    }

    public func collection(_ id: CollectionID) async throws -> CollectionRecord? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM collection WHERE id = ?", arguments: [id]).map(Self.collection)
        }
    }

    public func collection(named name: String, in organization: OrganizationID) async throws -> CollectionRecord? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM collection WHERE organization_id = ? AND name = ?",
                             arguments: [organization, name]).map(Self.collection)
        }
    }

    public func collections(in organization: OrganizationID?) async throws -> [CollectionSummary] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT c.*,
                       (SELECT COUNT(*) FROM image i WHERE i.collection_id = c.id) AS image_count,
                       (SELECT COUNT(*) FROM face f JOIN image i ON i.id = f.image_id WHERE i.collection_id = c.id) AS face_count
                FROM collection c WHERE ?1 IS NULL OR c.organization_id = ?1 ORDER BY c.name
                """, arguments: [organization]).map { row in
                CollectionSummary(collection: Self.collection(row), images: row["image_count"], faces: row["face_count"])
            }
        }
    }

    public func collectionRecords(in organization: OrganizationID) async throws -> [CollectionRecord] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM collection WHERE organization_id = ? ORDER BY name", arguments: [organization])
                .map(Self.collection)
        }
    }

    static func collection(_ row: Row) -> CollectionRecord {
        CollectionRecord(id: row["id"], organization: row["organization_id"],
                         erasurePolicy: ErasurePolicy(rawValue: row["erasure_policy"]) ?? .deleteImage,
                         requiresConsent: row["requires_consent"], name: row["name"], description: row["description"], source: row["source"],
                         lawfulBasis: row["lawful_basis"], jurisdiction: row["jurisdiction"],
                         retentionDays: row["retention_days"], createdAt: row["created_at"])
    }

    // MARK: Ingest

    public func beginJob(collection: CollectionID, key: String, inputs: [String]) async throws -> IngestJob {
        try await database.write { db in
            if let id = try Int64.fetchOne(db, sql: """
                SELECT id FROM ingest_job WHERE job_key = ? AND status = 'running' ORDER BY id DESC LIMIT 1
                """, arguments: [key]) {
                let settled = try String.fetchAll(db, sql: "SELECT item FROM ingest_item WHERE job_id = ?", arguments: [id])
                return IngestJob(id: id, collection: collection, resumed: true, settledItems: Set(settled))
            }
            let inputsJSON = String(decoding: try JSONEncoder().encode(inputs), as: UTF8.self)
            try db.execute(sql: """
                INSERT INTO ingest_job (collection_id, job_key, inputs, status, started_at) VALUES (?, ?, ?, 'running', ?)
                """, arguments: [collection, key, inputsJSON, Date()])
            return IngestJob(id: db.lastInsertedRowID, collection: collection, resumed: false, settledItems: [])
        }
    }

    public func finishJob(_ job: Int64, status: IngestJob.Status) async throws {
        try await database.write { db in
            try db.execute(sql: "UPDATE ingest_job SET status = ?, finished_at = ? WHERE id = ?",
                           arguments: [status.rawValue, Date(), job])
        }
    }

    public func image(in collection: CollectionID, sha256: String) async throws -> ImageID? {
        try await database.read { db in
            try Int64.fetchOne(db, sql: "SELECT id FROM image WHERE collection_id = ? AND sha256 = ?",
                               arguments: [collection, sha256])
        }
    }

    public func storeImage(_ image: NewImage, faces: [NewFace], job: Int64, item: String, note: String?) async throws -> StoredImage {
        try await database.write { db in
            let stored = try Self.insert(db, image: image, faces: faces, job: job)
            try Self.recordItem(db, job: job, item: item, outcome: stored.isDuplicate ? .duplicate : .stored,
                                reason: note, image: stored.image, faces: stored.faces.count)
            return stored
        }
    }

    public func storeImages(_ batch: [(image: NewImage, faces: [NewFace])]) async throws -> [StoredImage] {
        try await database.write { db in
            try batch.map { try Self.insert(db, image: $0.image, faces: $0.faces, job: nil) }
        }
    }

    /// Inserts an image, its faces and their index-log entries, unless a concurrent writer
    /// already stored the same bytes in the collection.
    private static func insert(_ db: Database, image: NewImage, faces: [NewFace], job: Int64?) throws -> StoredImage {
        if let existing = try Int64.fetchOne(db, sql: "SELECT id FROM image WHERE collection_id = ? AND sha256 = ?",
                                             arguments: [image.collection, image.sha256]) {
            return StoredImage(image: existing, faces: [], isDuplicate: true)
        }
        try db.execute(sql: """
            INSERT INTO image (collection_id, sha256, location, source_url, caption, taken_at, width, height,
                               byte_count, format, job_id, ingested_at, media, duration)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [image.collection, image.sha256, image.origin.location, image.origin.sourceURL,
                             image.origin.caption, image.origin.date, image.width, image.height,
                             image.byteCount, image.format, job, Date(), image.isVideo ? "video" : "image",
                             image.videoDuration])
        let imageID = db.lastInsertedRowID
        var faceIDs: [FaceID] = []
        for face in faces {
            let landmarks = face.face.landmarks.flatMap { [$0.x, $0.y] }.map(String.init).joined(separator: ",")
            try db.execute(sql: """
                INSERT INTO face (image_id, box_left, box_top, box_right, box_bottom, landmarks,
                                  detector_score, quality, template, crop, video_time, track_start, track_end)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [imageID, face.face.box.left, face.face.box.top, face.face.box.right,
                                 face.face.box.bottom, landmarks, face.face.detectorScore, face.quality,
                                 Data(face.template.bytes), Data(face.crop), face.video?.time, face.video?.start,
                                 face.video?.end])
            let faceID = db.lastInsertedRowID
            faceIDs.append(faceID)
            if let sface = face.sfaceTemplate {
                try db.execute(sql: "INSERT INTO face_template (face_id, model, template) VALUES (?, ?, ?)",
                               arguments: [faceID, TemplateModel.sface2021dec.rawValue, Data(sface.bytes)])
            }
            try db.execute(sql: "INSERT INTO index_log (face_id, change) VALUES (?, 'added')", arguments: [faceID])
        }
        return StoredImage(image: imageID, faces: faceIDs, isDuplicate: false)
    }

    public func recordItem(job: Int64, item: String, outcome: IngestItemOutcome, reason: String?, image: ImageID?) async throws {
        try await database.write { db in
            try Self.recordItem(db, job: job, item: item, outcome: outcome, reason: reason, image: image, faces: 0)
        }
    }

    private static func recordItem(_ db: Database, job: Int64, item: String, outcome: IngestItemOutcome,
                                   reason: String?, image: ImageID?, faces: Int) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO ingest_item (job_id, item, outcome, reason, image_id, faces) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [job, item, outcome.rawValue, reason, image, faces])
    }

    public func jobItems(_ job: Int64) async throws -> [IngestItemRecord] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM ingest_item WHERE job_id = ? ORDER BY item", arguments: [job]).map { row in
                IngestItemRecord(item: row["item"], outcome: IngestItemOutcome(rawValue: row["outcome"]) ?? .failed,
                                 reason: row["reason"], image: row["image_id"], faces: row["faces"])
            }
        }
    }

    public func ingestJob(_ job: Int64) async throws -> IngestJobRecord? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM ingest_job WHERE id = ?", arguments: [job]).map { row in
                IngestJobRecord(id: row["id"], collection: row["collection_id"],
                                status: IngestJob.Status(rawValue: row["status"]) ?? .failed,
                                startedAt: row["started_at"], finishedAt: row["finished_at"])
            }
        }
    }

    // MARK: Index change log

    public func indexChanges(after sequence: Int64, limit: Int) async throws -> [IndexChange] {
        try await database.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, face_id, change FROM index_log WHERE seq > ? ORDER BY seq LIMIT ?",
                             arguments: [sequence, limit]).map { row in
                IndexChange(sequence: row["seq"], face: row["face_id"], kind: IndexChange.Kind(rawValue: row["change"])!)
            }
        }
    }

    public func templates(of ids: [FaceID]) async throws -> [IndexEntry] {
        guard !ids.isEmpty else { return [] }
        return try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT f.id, f.image_id, i.collection_id, c.organization_id, c.jurisdiction, f.template
                FROM face f JOIN image i ON i.id = f.image_id JOIN collection c ON c.id = i.collection_id
                WHERE f.id IN (SELECT value FROM json_each(?)) ORDER BY f.id
                """, arguments: [Self.jsonArray(ids)]).compactMap(Self.indexEntry)
        }
    }

    public func templates(after id: FaceID, limit: Int) async throws -> [IndexEntry] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT f.id, f.image_id, i.collection_id, c.organization_id, c.jurisdiction, f.template
                FROM face f JOIN image i ON i.id = f.image_id JOIN collection c ON c.id = i.collection_id
                WHERE f.id > ? ORDER BY f.id LIMIT ?
                """, arguments: [id, limit]).compactMap(Self.indexEntry)
        }
    }

    private static func indexEntry(_ row: Row) -> IndexEntry? {
        let bytes: Data = row["template"]
        guard let template = FaceTemplate(bytes: bytes) else { return nil }
        return IndexEntry(id: row["id"], collection: row["collection_id"], template: template, image: row["image_id"],
                          organization: row["organization_id"], jurisdiction: row["jurisdiction"])
    }

    public func latestIndexSequence() async throws -> Int64 {
        try await database.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM index_log") ?? 0 }
    }

    /// The embedded index belongs to one process, whose gallery already runs its syncs one at a time.
    public func holdingIndexSyncLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await body()
    }

    // MARK: Search results

    public func matchDetails(for ids: [FaceID]) async throws -> [FaceID: MatchDetails] {
        guard !ids.isEmpty else { return [:] }
        return try await database.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT f.id, f.image_id, f.box_left, f.box_top, f.box_right, f.box_bottom,
                       f.video_time, f.track_start, f.track_end, i.collection_id, c.name AS collection, i.location, i.source_url, i.caption, i.taken_at
                FROM face f JOIN image i ON i.id = f.image_id JOIN collection c ON c.id = i.collection_id
                WHERE f.id IN (SELECT value FROM json_each(?))
                """, arguments: [Self.jsonArray(ids)])
            var details: [FaceID: MatchDetails] = [:]
            for row in rows {
                let id: FaceID = row["id"]
                details[id] = MatchDetails(
                    face: id, image: row["image_id"],
                    box: FaceBox(left: row["box_left"], top: row["box_top"], right: row["box_right"], bottom: row["box_bottom"]),
                    collectionID: row["collection_id"], collection: row["collection"],
                    origin: ImageOrigin(location: row["location"], sourceURL: row["source_url"],
                                        caption: row["caption"], date: row["taken_at"]),
                    video: Self.video(row))
            }
            return details
        }
    }

    public func imageDetails(_ id: ImageID) async throws -> ImageDetails? {
        try await database.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM image WHERE id = ?", arguments: [id]),
                  let collection = try Row.fetchOne(db, sql: "SELECT * FROM collection WHERE id = ?",
                                                    arguments: [row["collection_id"] as CollectionID]) else { return nil }
            let faces = try Row.fetchAll(db, sql: """
                SELECT id, box_left, box_top, box_right, box_bottom, video_time, track_start, track_end
                FROM face WHERE image_id = ? ORDER BY id
                """, arguments: [id]).map { face in
                (id: face["id"] as FaceID,
                 box: FaceBox(left: face["box_left"], top: face["box_top"], right: face["box_right"], bottom: face["box_bottom"]),
                 video: Self.video(face))
            }
            return ImageDetails(id: id, collection: Self.collection(collection),
                                origin: ImageOrigin(location: row["location"], sourceURL: row["source_url"],
                                                    caption: row["caption"], date: row["taken_at"]),
                                width: row["width"], height: row["height"], format: row["format"],
                                ingestedAt: row["ingested_at"], videoDuration: row["duration"], faces: faces)
        }
    }

    static func video(_ row: Row) -> VideoAppearance? {
        guard let time: Double = row["video_time"], let start: Double = row["track_start"], let end: Double = row["track_end"] else {
            return nil
        }
        return VideoAppearance(time: time, start: start, end: end)
    }

    public func faceCrop(_ id: FaceID) async throws -> (crop: [UInt8], collection: CollectionID)? {
        try await database.read { db in
            try Row.fetchOne(db, sql: """
                SELECT f.crop, i.collection_id FROM face f JOIN image i ON i.id = f.image_id WHERE f.id = ?
                """, arguments: [id]).map { row in
                ([UInt8](row["crop"] as Data), row["collection_id"])
            }
        }
    }

    public func detectedFace(_ id: FaceID) async throws -> DetectedFace? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT box_left, box_top, box_right, box_bottom, landmarks, detector_score FROM face WHERE id = ?",
                             arguments: [id]).map { row in
                DetectedFace(box: FaceBox(left: row["box_left"], top: row["box_top"], right: row["box_right"], bottom: row["box_bottom"]),
                             detectorScore: row["detector_score"], landmarks: DetectedFace.landmarks(stored: row["landmarks"]))
            }
        }
    }

    public func counts() async throws -> GalleryCounts {
        try await database.read { db in
            GalleryCounts(collections: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM collection") ?? 0,
                          images: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM image") ?? 0,
                          faces: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM face") ?? 0)
        }
    }

    static func jsonArray(_ ids: [Int64]) -> String {
        "[" + ids.map(String.init).joined(separator: ",") + "]"
    }
}
