import Foundation
import LikenessCore
import LikenessStore

/// Erasure, end to end: one database transaction (the faces, their templates and crops, the
/// audit thumbnails showing them, the suppression list's additions, the audit entry and a
/// journal entry), then everything past the database, driven by the journal so that a crash
/// at any point leaves either nothing done or something the next start finishes.
extension Gallery {
    public enum ErasureTarget: Sendable {
        /// Faces, and the images they leave faceless when their collection says so.
        case faces([FaceID])
        /// Whole images with all their faces (retention, withdrawn consent).
        case images([ImageID])
    }

    public struct Erased: Sendable {
        public var faces: ErasedFaces
        /// Held copies of deleted images removed from `uploads`.
        public var filesRemoved: Int
    }

    /// Erases everywhere. With `suppressFor` (the person agreed), their templates go on that
    /// organisation's suppression list, sealed, in the same transaction: later ingests drop
    /// their faces. `request` names the privacy request whose look-up thumbnails were redacted,
    /// so that a restore redacts them again; `closing` is that request when the erasure answers
    /// it, closed in the same transaction.
    public func erase(_ target: ErasureTarget, request: String? = nil,
                      suppressFor owner: (organization: OrganizationID, reference: String)? = nil,
                      closing: ClosingRequest? = nil,
                      audit: @escaping @Sendable (ErasedFaces) -> NewAuditEntry) async throws -> Erased {
        if owner != nil, suppressionKey == nil { throw StoreError.unavailable("this gallery keeps no suppression list") }
        let order = ErasureOrder(prepare: { [erasureLog, suppressionKey] faces in
            let sealed = owner == nil ? [] : try faces.map { try suppressionKey!.seal($0.template) }
            guard let erasureLog else { return ([], sealed) }
            let entry = ErasureLog.Entry(
                id: UUID().uuidString, at: Date(), faces: faces.map { erasureLog.digest(face: $0.face, template: $0.template) },
                request: request,
                suppressions: owner.map { owner in
                    sealed.map { ErasureLog.SealedSuppression(organization: owner.organization, reference: owner.reference, sealed: $0) }
                } ?? [])
            return (Array(try JSONEncoder.erasureLog.encode(entry)), sealed)
        }, suppressionOwner: owner, closing: closing, audit: audit)
        let erased: ErasedFaces
        switch target {
        case .faces(let ids): erased = try await store.eraseFaces(ids, order)
        case .images(let ids): erased = try await store.eraseImages(ids, order)
        }
        let removed = removeHeldCopies(erased.deletedImages.map(\.location))
        try await finishErasures()
        return Erased(faces: erased, filesRemoved: removed)
    }

    /// Does what the journal says is left of committed erasures: appends them to the erasure
    /// log, drops the faces from the index and rewrites it, removes held copies, then folds
    /// the write-ahead log into the database so no file keeps the erased bytes. Each step can
    /// run twice without harm, so a crash in the middle is finished by the next call (every
    /// start makes one). Returns how many held copies it removed.
    @discardableResult
    public func finishErasures() async throws -> Int {
        try await finishing.run { [self] in
            let unfinished = try await store.unfinishedErasures()
            guard !unfinished.isEmpty else { return 0 }
            if let erasureLog {
                for erasure in unfinished where !erasure.record.isEmpty {
                    try erasureLog.append(try JSONDecoder.erasureLog.decode(ErasureLog.Entry.self, from: Data(erasure.record)))
                }
            }
            try await syncIndex()
            try await persistIndex()
            let removed = removeHeldCopies(unfinished.flatMap(\.deletedImageLocations))
            for erasure in unfinished { try await store.finishErasure(erasure.id) }
            try await store.checkpoint()
            return removed
        }
    }

    /// Erases again, from the erasure log, whoever was erased since `since` but is in the
    /// database: what restoring a backup taken at `since` brings back. Their suppression list
    /// entries and redactions come back too. Returns how many faces it erased.
    ///
    /// An entry is stamped before its transaction commits, so one stamped shortly before the
    /// backup began may have committed after the backup's snapshot: entries from
    /// `replayMargin` before are replayed too. Replaying one that the backup already lacks
    /// finds nothing to erase. `restored` names what was restored, for the audit
    /// ("backup likeness-backup-…").
    @discardableResult
    public func replayErasures(since: Date, restored: String) async throws -> Int {
        guard let erasureLog else { throw StoreError.unavailable("this gallery keeps no erasure log") }
        let entries = try erasureLog.entries().filter { $0.at >= since.addingTimeInterval(-Self.replayMargin) }
        guard !entries.isEmpty else { return 0 }
        let erased = Set(entries.flatMap(\.faces))
        var found: [FaceID] = []
        var after: FaceID = 0
        while true {
            let page = try await store.templates(after: after, limit: 10_000)
            guard let last = page.last else { break }
            found += page.filter { erased.contains(erasureLog.digest(face: $0.id, template: $0.template)) }.map(\.id)
            after = last.id
        }
        for (organization, additions) in Dictionary(grouping: entries.flatMap(\.suppressions), by: \.organization) {
            let held = Set(try await store.suppressions(of: organization).map(\.sealedTemplate))
            for (reference, group) in Dictionary(grouping: additions.filter { !held.contains($0.sealed) }, by: \.reference) {
                try await store.addSuppressions(group.map(\.sealed), organization: organization, reference: reference)
            }
        }
        for request in Set(entries.compactMap(\.request)) {
            try await store.redactAuditThumbnails(of: .privacyRequest(request))
        }
        guard !found.isEmpty else { return 0 }
        let count = entries.count
        _ = try await erase(.faces(found)) { erased in
            NewAuditEntry(organization: nil, actorID: nil, actor: "restore", action: "erasure",
                          detail: "\(restored) restored: \(erased.faces.count) faces erased after it was taken erased again "
                              + "(\(count) erasures replayed from the erasure log)")
        }
        return found.count
    }

    static let replayMargin: TimeInterval = 600

    /// Removes the held copies among these image locations; returns how many it removed.
    private func removeHeldCopies(_ locations: [String]) -> Int {
        guard let uploads else { return 0 }
        return locations.filter { $0.hasPrefix(uploads.path + "/") }
            .filter { (try? FileManager.default.removeItem(atPath: $0)) != nil }.count
    }
}

extension JSONEncoder {
    static var erasureLog: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}

extension JSONDecoder {
    static var erasureLog: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
