import Foundation
import LikenessCore
import LikenessStore
import TestSupport

/// The records the store contract tests put into a store.
enum StoreSamples {
    /// Whether a store stamped `date` with the time of a call made after `start`: from `start`
    /// (less a second, for stores that keep whole seconds) to now. Bracketing the call, not
    /// "within a minute of now", keeps a test right on a machine slowed to a crawl.
    static func isStamped(_ date: Date, since start: Date) -> Bool {
        date >= start.addingTimeInterval(-1) && date <= Date().addingTimeInterval(1)
    }

    /// An erasure recorded as tests erase: its journal record is the number of templates it
    /// was given, and its audit entry counts what went.
    static let erasure = ErasureOrder(prepare: { templates in ([UInt8(templates.count)], []) }) { erased in
        NewAuditEntry(organization: nil, actorID: nil, actor: "test", action: "erasure", detail: "\(erased.faces.count) faces erased")
    }

    static func organization(_ store: any DataStore, named name: String = "org") async throws -> Organization {
        if let existing = try await store.organization(named: name) { return existing }
        return try await store.createOrganization(name: name)
    }

    static func collection(_ store: any DataStore, named name: String = "press", organization organizationName: String = "org",
                           retentionDays: Int? = 3650, erasurePolicy: ErasurePolicy = .deleteImage,
                           requiresConsent: Bool = false) async throws -> CollectionRecord {
        let organization = try await organization(store, named: organizationName)
        return try await store.createCollection(NewCollection(
            organization: organization.id, name: name, description: "\(name) photographs", source: "Daily Herald archive",
            lawfulBasis: "licence 2024-17", jurisdiction: "GB", retentionDays: retentionDays, erasurePolicy: erasurePolicy,
            requiresConsent: requiresConsent))
    }

    /// A face whose template is distinct for each seed; `withSFace`, with a second template too.
    static func face(_ seed: Float, video: VideoAppearance? = nil, withSFace: Bool = false) -> NewFace {
        NewFace(face: DetectedFace(box: FaceBox(left: 1, top: 2, right: 81, bottom: 82), detectorScore: 1.5,
                                   landmarks: (0..<5).map { PixelPoint(x: $0, y: $0 * 2) }),
                quality: 0.9, template: FaceTemplate((0..<128).map { Float($0) * seed + 0.25 }),
                sfaceTemplate: withSFace ? sfaceTemplate(seed) : nil, crop: [0xFF, 0xD8, UInt8(seed)], video: video)
    }

    /// The SFace template of the face of `seed`: unlike any sample's dlib template, and with
    /// values whose every bit matters, so that a template that comes back changed shows.
    static func sfaceTemplate(_ seed: Float) -> FaceTemplate {
        FaceTemplate((0..<128).map { sin(Float($0) * seed + 0.1) / 11 })
    }

    static func image(in collection: CollectionID, sha256: String, location: String? = nil) -> NewImage {
        NewImage(collection: collection, sha256: sha256,
                 origin: ImageOrigin(location: location ?? "/archive/\(sha256).jpg", sourceURL: "https://example.org/\(sha256)",
                                     caption: "caption \(sha256)", date: "2019-05-04"),
                 width: 640, height: 480, byteCount: 12_345, format: "jpegload")
    }

    /// Stores an image with faces of the given seeds in a job of its own.
    static func store(_ store: any DataStore, in collection: CollectionID, sha256: String, seeds: [Float]) async throws -> StoredImage {
        let job = try await store.beginJob(collection: collection, key: "job-\(sha256)", inputs: ["/archive"])
        return try await store.storeImage(image(in: collection, sha256: sha256), faces: seeds.map { face($0) }, job: job.id,
                                          item: "/archive/\(sha256).jpg", note: nil)
    }
}

extension StoreSamples {
    /// Whether two records are the same apart from their creation time, which may differ by
    /// less than a second: a store returns the time it stamped, which can be more precise than
    /// the time it keeps (SQLite keeps milliseconds).
    static func same<Record: Equatable>(_ a: Record?, _ b: Record?, createdAt: WritableKeyPath<Record, Date>) -> Bool {
        guard var a, let b else { return a == nil && b == nil }
        guard abs(a[keyPath: createdAt].timeIntervalSince(b[keyPath: createdAt])) < 1 else { return false }
        a[keyPath: createdAt] = b[keyPath: createdAt]
        return a == b
    }
}
