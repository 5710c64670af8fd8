import Foundation
import LikenessCore
import LikenessGovernance
import LikenessSearch
import LikenessStore

/// The JSON shapes of the API (documented in openapi.json).
enum Views {
    static let notice = "Candidates are investigative leads, not identifications: a trained person must review them before any action"

    static func timestamp(_ date: Date?) -> Any { date.map(AuditEntry.timestamp) ?? NSNull() }

    static func account(_ a: Account) -> [String: Any] {
        [
            "id": a.id, "organization_id": a.organization, "username": a.username, "display_name": a.displayName,
            "role": a.role.rawValue, "status": a.status.rawValue, "trial_expires_at": timestamp(a.trialExpiresAt),
            "trial_search_quota": a.trialSearchQuota ?? NSNull(), "created_at": timestamp(a.createdAt),
            "must_change_password": a.mustChangePassword,
        ]
    }

    static func collection(_ c: CollectionRecord, images: Int? = nil, faces: Int? = nil) -> [String: Any] {
        var object: [String: Any] = [
            "id": c.id, "name": c.name, "description": c.description ?? NSNull(), "source": c.source,
            "lawful_basis": c.lawfulBasis, "jurisdiction": c.jurisdiction, "retention_days": c.retentionDays ?? NSNull(),
            "created_at": timestamp(c.createdAt),
        ]
        if let images { object["images"] = images }
        if let faces { object["faces"] = faces }
        return object
    }

    /// A candidate of search `search`, with links that open it as part of that search's results.
    static func match(_ m: Match, search: Int64) -> [String: Any] {
        let object: [String: Any] = [
            "rank": m.rank, "face_id": m.face, "image_id": m.image,
            "distance": (Double(m.distance) * 10000).rounded() / 10000,
            "similarity": (m.similarity * 10000).rounded() / 10000, "band": m.band.rawValue,
            "collection": m.collection, "location": m.origin.location, "source_url": m.origin.sourceURL ?? NSNull(),
            "box": m.box.array, "crop_url": "/api/v1/searches/\(search)/faces/\(m.face)/crop",
            "image_url": "/api/v1/searches/\(search)/images/\(m.image)",
        ]
        return object.merging(m.videoJSON) { $1 }
    }

    static func search(_ outcome: AccountableSearch.Outcome) -> [String: Any] {
        [
            "audit_entry": outcome.auditEntry, "case_number": outcome.justification.caseNumber,
            "purpose": outcome.justification.purpose.rawValue,
            "probe": [
                "sha256": outcome.probeSHA256 ?? NSNull(),
                "faces": outcome.result.faces.enumerated().map { ["index": $0.offset, "box": $0.element.array] },
            ] as [String: Any],
            "face": outcome.result.face, "matches": outcome.result.matches.map { match($0, search: outcome.auditEntry) }, "notice": notice,
            "warnings": outcome.result.warnings,
        ]
    }

    static func auditEntry(_ e: AuditEntry) -> [String: Any] {
        var object = AuditExport.json(e)
        object["has_thumbnail"] = e.hasThumbnail
        return object
    }

    static func apiKey(_ k: APIKey) -> [String: Any] {
        ["id": k.id, "prefix": k.prefix, "label": k.label, "created_at": timestamp(k.createdAt), "revoked_at": timestamp(k.revokedAt)]
    }

    static func image(_ i: ImageDetails, search: Int64) -> [String: Any] {
        [
            "id": i.id, "collection": collection(i.collection), "location": i.origin.location,
            "source_url": i.origin.sourceURL ?? NSNull(), "caption": i.origin.caption ?? NSNull(),
            "date": i.origin.date ?? NSNull(), "width": i.width, "height": i.height, "format": i.format,
            "ingested_at": timestamp(i.ingestedAt),
            "video_duration": i.videoDuration ?? NSNull(),
            "faces": i.faces.map { face in
                var object: [String: Any] = ["face_id": face.id, "box": face.box.array, "crop_url": "/api/v1/searches/\(search)/faces/\(face.id)/crop"]
                if let video = face.video { object["video_time"] = video.time }
                return object
            },
        ]
    }
}
