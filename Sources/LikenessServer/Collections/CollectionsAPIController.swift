import Foundation
import Hummingbird
import LikenessGovernance
import LikenessStore

/// `/api/v1/collections`: the organisation's collections, each with its source and lawful basis,
/// and uploads of images into one, whose progress is asked for at `/api/v1/uploads/{upload}`.
struct CollectionsAPIController {
    let services: ServerServices

    var store: any GalleryStore { services.gallery.store }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("collections", use: list)
            .post("collections", use: create)
            .get("collections/:id", use: show)
            .post("collections/:id/uploads", use: upload)
            .get("uploads/:upload", use: uploadStatus)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCollections)
        let summaries = try await store.collections(in: caller.account.organization)
        return try Response.json(CollectionsResponse(summaries))
    }

    struct CollectionBody: Decodable {
        var name: String
        var description: String?
        var source: String
        var lawfulBasis: String
        var jurisdiction: String
        var retentionDays: Int?
        enum CodingKeys: String, CodingKey {
            case name, description, source, lawfulBasis = "lawful_basis", jurisdiction, retentionDays = "retention_days"
        }
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageCollections)
        let body = try await request.decodeJSON(CollectionBody.self)
        let record = try await CollectionRules.create(
            name: body.name, description: body.description, source: body.source, lawfulBasis: body.lawfulBasis,
            jurisdiction: body.jurisdiction, retentionDays: body.retentionDays, caller: caller, store: store,
            audit: services.accounts.audit)
        return try Response.json(CollectionResponse(record, images: 0, faces: 0), status: .created)
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCollections)
        let record = try await CollectionRules.owned(try context.id(), by: caller, store: store)
        let summary = try await store.collections(in: caller.account.organization).first { $0.collection.id == record.id }
        return try Response.json(CollectionResponse(record, images: summary?.images ?? 0, faces: summary?.faces ?? 0))
    }

    @Sendable func upload(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageCollections)
        let record = try await CollectionRules.owned(try context.id(), by: caller, store: store)
        let form = try await request.form(limit: Limits.uploadBytes)
        let status = try await services.uploads.start(form.files, into: record, caller: caller)
        var response = try Response.json(status.response, status: .accepted)
        response.headers[.location] = "/api/v1/uploads/\(status.id)"
        return response
    }

    @Sendable func uploadStatus(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.manageCollections)
        let id = context.parameters.get("upload") ?? ""
        guard let status = services.uploads.status(id, organization: caller.account.organization) else {
            throw GovernanceError.notFound("no upload \(id) in your organisation")
        }
        return try Response.json(status.response)
    }
}
