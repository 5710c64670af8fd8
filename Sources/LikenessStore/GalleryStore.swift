import Foundation
import LikenessCore

/// The source of truth for everything Likeness holds: collections and their provenance,
/// images, faces and their templates, ingest jobs, and the change log the vector index
/// follows. The embedded implementation is SQLite (`SQLiteGalleryStore`).
public protocol GalleryStore: Sendable {
    // Collections
    func createCollection(_ collection: NewCollection) async throws -> CollectionRecord
    func collection(_ id: CollectionID) async throws -> CollectionRecord?
    func collection(named name: String, in organization: OrganizationID) async throws -> CollectionRecord?
    /// The organisation's collections, or every collection when `organization` is nil, with
    /// their image and face counts (a cost that grows with the gallery: pages, not searches).
    func collections(in organization: OrganizationID?) async throws -> [CollectionSummary]
    /// The organisation's collections without counts: what every search scopes itself with.
    func collectionRecords(in organization: OrganizationID) async throws -> [CollectionRecord]

    // Ingest
    /// Starts a job, or resumes the unfinished one with the same key (same collection and
    /// inputs) so that a rerun after a crash finishes it instead of starting over.
    func beginJob(collection: CollectionID, key: String, inputs: [String]) async throws -> IngestJob
    func finishJob(_ job: Int64, status: IngestJob.Status) async throws
    /// The image with these bytes already in the collection, if any.
    func image(in collection: CollectionID, sha256: String) async throws -> ImageID?
    /// Stores an image, its faces and the job item's outcome in one transaction: after a
    /// crash either all of it is there or none of it. `note` says what was not read (the
    /// rest of a truncated video).
    func storeImage(_ image: NewImage, faces: [NewFace], job: Int64, item: String, note: String?) async throws -> StoredImage
    /// Stores many images and their faces in one transaction, outside any job: bulk loads
    /// such as benchmarks and migrations. Images already in their collection are skipped.
    func storeImages(_ batch: [(image: NewImage, faces: [NewFace])]) async throws -> [StoredImage]
    /// Records a job item that stored nothing (a duplicate, or a failure with its reason).
    func recordItem(job: Int64, item: String, outcome: IngestItemOutcome, reason: String?, image: ImageID?) async throws
    func jobItems(_ job: Int64) async throws -> [IngestItemRecord]
    func ingestJob(_ job: Int64) async throws -> IngestJobRecord?

    // Erasure
    /// Deletes faces (their templates of every model, and crops), logs their removal for the
    /// index, redacts audit thumbnails showing them, and deletes the images they leave without
    /// any face when their collection's policy says so; with the order's suppressions, audit
    /// entry and journal entry: one transaction.
    func eraseFaces(_ ids: [FaceID], _ order: ErasureOrder) async throws -> ErasedFaces
    /// Deletes whole images and all their faces (retention, consent), as `eraseFaces` does.
    func eraseImages(_ ids: [ImageID], _ order: ErasureOrder) async throws -> ErasedFaces
    /// Erasures whose work past the database is not yet known to be done, oldest first.
    func unfinishedErasures() async throws -> [UnfinishedErasure]
    /// Removes an erasure's journal entry once its work past the database is done.
    func finishErasure(_ id: Int64) async throws
    /// Images held longer than their collection's retention allows at `now`.
    func expiredImages(at now: Date) async throws -> [(image: ImageID, collection: CollectionID)]
    /// Folds the write-ahead log into the database file and truncates it, so that erased
    /// bytes are gone from every file, not only from the database's live pages.
    func checkpoint() async throws

    // Consent
    func recordConsent(_ consent: NewConsent) async throws
    /// The images a subject enrolled with consent in a collection, not yet withdrawn.
    func consentedImages(collection: CollectionID, subject: String) async throws -> [ImageID]
    func markConsentWithdrawn(collection: CollectionID, subject: String) async throws

    // Suppression: sealed templates of people who must not be ingested again
    func addSuppressions(_ sealedTemplates: [[UInt8]], organization: OrganizationID, reference: String) async throws
    func suppressions(of organization: OrganizationID) async throws -> [Suppression]

    // The index's change log
    /// Changes after `sequence`, oldest first.
    func indexChanges(after sequence: Int64, limit: Int) async throws -> [IndexChange]
    /// Templates of the faces that still exist among `ids`.
    func templates(of ids: [FaceID]) async throws -> [IndexEntry]
    /// All templates in face-ID order, a page at a time (for rebuilding the index).
    func templates(after id: FaceID, limit: Int) async throws -> [IndexEntry]
    func latestIndexSequence() async throws -> Int64
    /// Runs `body` while no other process applies the change log to the same index. A shared
    /// index (Milvus, fed by many servers and workers) stays right only if one process at a
    /// time replays the log: two interleaved replays could re-add a face the other removed.
    func holdingIndexSyncLock<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T

    // Templates of each model
    /// The faces' templates of `model`; a face without one, or no longer held, is absent. For
    /// `.dlibResNetV1` these are the index's templates, which every face has. One query for all
    /// of them: a search re-scores a few hundred of the index's candidates with a second model.
    func templates(of ids: [FaceID], model: TemplateModel) async throws -> [FaceID: FaceTemplate]
    /// How many faces hold a template of each model, every model named (0 when none do):
    /// how far a reindex with a second model has come. Every face holds `.dlibResNetV1`'s.
    func templateModels() async throws -> [TemplateModel: Int]
    /// Adds templates of a second model, or replaces them, for faces stored before it ran (a
    /// reindex). `.dlibResNetV1` is refused as invalid: that template is the vector index's, and
    /// rewriting it here would leave the index holding the old one. Faces erased since the
    /// templates were computed are skipped: a template never outlives its face.
    func setTemplates(_ templates: [FaceID: FaceTemplate], model: TemplateModel) async throws
    /// Faces without a template of `model` after `id`, in face-ID order, a page at a time: what a
    /// reindex with that model has left to do, with the image to compute each from. None for
    /// `.dlibResNetV1`, which every face holds.
    func faceIDsLacking(model: TemplateModel, after id: FaceID, limit: Int) async throws -> [(face: FaceID, image: ImageID)]

    // Calibration
    /// The score bands `likeness calibrate` measured for this gallery, if any.
    func bandThresholds() async throws -> BandThresholds?
    func setBandThresholds(_ thresholds: BandThresholds) async throws
    /// The fused bands (both models) `likeness calibrate` measured for this gallery, if any.
    func fusedBands() async throws -> FusedBands?
    func setFusedBands(_ bands: FusedBands) async throws

    // Search results
    func matchDetails(for ids: [FaceID]) async throws -> [FaceID: MatchDetails]
    /// An image, its collection and its faces, for a reviewer following up a match.
    func imageDetails(_ id: ImageID) async throws -> ImageDetails?
    /// The JPEG of a face's aligned chip and the collection it belongs to.
    func faceCrop(_ id: FaceID) async throws -> (crop: [UInt8], collection: CollectionID)?
    /// Where a face was found in its image: its box, detector score and 5 landmarks.
    func detectedFace(_ id: FaceID) async throws -> DetectedFace?
    func counts() async throws -> GalleryCounts
}
