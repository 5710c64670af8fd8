import Foundation
import LikenessCore

/// What erasing a person's face does to an image that has no other face left.
public enum ErasurePolicy: String, Sendable, Codable, CaseIterable {
    /// The image has no purpose left in a face-search collection: it goes too.
    case deleteImage = "delete_image"
    /// The image stays (an archive's record), with the face removed.
    case keepImage = "keep_image"
}

public struct Suppression: Sendable {
    public var id: Int64
    /// AES-GCM sealed box of the template's stored form; only the suppression key opens it.
    public var sealedTemplate: [UInt8]
    public var reference: String
    public var createdAt: Date

    public init(id: Int64, sealedTemplate: [UInt8], reference: String, createdAt: Date) {
        self.id = id
        self.sealedTemplate = sealedTemplate
        self.reference = reference
        self.createdAt = createdAt
    }
}

public struct ErasedFaces: Sendable {
    public var faces: [FaceID]
    /// Images deleted because no face was left, with where they were (to remove held copies).
    public var deletedImages: [(id: ImageID, location: String)]
    /// Images kept without the erased faces.
    public var keptImages: Int

    public init(faces: [FaceID], deletedImages: [(id: ImageID, location: String)], keptImages: Int) {
        self.faces = faces
        self.deletedImages = deletedImages
        self.keptImages = keptImages
    }
}

public struct NewCollection: Sendable {
    public var organization: OrganizationID
    public var erasurePolicy: ErasurePolicy
    /// Only enrolment, which records each person's consent, adds images to it.
    public var requiresConsent: Bool
    public var name: String
    public var description: String?
    public var source: String
    public var lawfulBasis: String
    public var jurisdiction: String
    public var retentionDays: Int?

    public init(organization: OrganizationID, name: String, description: String? = nil, source: String,
                lawfulBasis: String, jurisdiction: String, retentionDays: Int?, erasurePolicy: ErasurePolicy = .deleteImage,
                requiresConsent: Bool = false) {
        self.organization = organization
        self.erasurePolicy = erasurePolicy
        self.requiresConsent = requiresConsent
        self.name = name
        self.description = description
        self.source = source
        self.lawfulBasis = lawfulBasis
        self.jurisdiction = jurisdiction
        self.retentionDays = retentionDays
    }
}

public struct CollectionRecord: Sendable, Codable, Hashable {
    public var id: CollectionID
    public var organization: OrganizationID
    public var erasurePolicy: ErasurePolicy
    public var requiresConsent: Bool
    public var name: String
    public var description: String?
    public var source: String
    public var lawfulBasis: String
    public var jurisdiction: String
    public var retentionDays: Int?
    public var createdAt: Date

    public init(id: CollectionID, organization: OrganizationID, erasurePolicy: ErasurePolicy, requiresConsent: Bool,
                name: String, description: String? = nil, source: String, lawfulBasis: String, jurisdiction: String,
                retentionDays: Int? = nil, createdAt: Date) {
        self.id = id
        self.organization = organization
        self.erasurePolicy = erasurePolicy
        self.requiresConsent = requiresConsent
        self.name = name
        self.description = description
        self.source = source
        self.lawfulBasis = lawfulBasis
        self.jurisdiction = jurisdiction
        self.retentionDays = retentionDays
        self.createdAt = createdAt
    }
}

public struct CollectionSummary: Sendable {
    public var collection: CollectionRecord
    public var images: Int
    public var faces: Int

    public init(collection: CollectionRecord, images: Int, faces: Int) {
        self.collection = collection
        self.images = images
        self.faces = faces
    }
}

public struct NewConsent: Sendable {
    public var collection: CollectionID
    public var image: ImageID
    public var subject: String
    public var textVersion: String
    public var recordedBy: String

    public init(collection: CollectionID, image: ImageID, subject: String, textVersion: String, recordedBy: String) {
        self.collection = collection
        self.image = image
        self.subject = subject
        self.textVersion = textVersion
        self.recordedBy = recordedBy
    }
}
