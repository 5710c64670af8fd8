import Foundation
import Hummingbird
import LikenessGovernance
import LikenessStore

/// The collections pages: the list with a form for a new one, and one collection with its
/// upload form (app.js posts the files to the API with the session's CSRF token).
struct CollectionsWebController {
    let services: ServerServices

    var store: any GalleryStore { services.gallery.store }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("collections", use: list)
            .post("collections", use: create)
            .get("collections/:id", use: show)
    }

    func page(_ template: String, _ values: [String: Any], _ context: AppRequestContext) -> Response {
        services.pages.render(template, values, caller: context.caller, csrf: context.csrfToken)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCollections)
        let summaries = try await store.collections(in: caller.account.organization)
        return page("collections", ["collections": summaries.map { s in
            ["id": s.collection.id, "name": s.collection.name, "source": s.collection.source,
             "lawful_basis": s.collection.lawfulBasis, "jurisdiction": s.collection.jurisdiction,
             "retention": s.collection.retentionDays.map { "\($0) days" } ?? "until erased",
             "images": s.images, "faces": s.faces] as [String: Any]
        }, "empty": summaries.isEmpty], context)
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await request.signedInForm(context)
        let record = try await CollectionRules.create(
            name: form["name"] ?? "", description: form["description"], source: form["source"] ?? "",
            lawfulBasis: form["lawful_basis"] ?? "", jurisdiction: form["jurisdiction"] ?? "",
            retentionDays: try form.integer("retention_days", in: 1...36_500), caller: caller, store: store,
            audit: services.accounts.audit)
        return .redirect(to: "/collections/\(record.id)")
    }

    @Sendable func show(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.readCollections)
        let record = try await CollectionRules.owned(try context.id(), by: caller, store: store)
        let summary = try await store.collections(in: caller.account.organization).first { $0.collection.id == record.id }
        return page("collection", [
            "id": record.id, "name": record.name, "description": record.description ?? "", "source": record.source,
            "lawful_basis": record.lawfulBasis, "jurisdiction": record.jurisdiction,
            "retention": record.retentionDays.map { "\($0) days" } ?? "until erased",
            "images": summary?.images ?? 0, "faces": summary?.faces ?? 0,
        ], context)
    }
}
