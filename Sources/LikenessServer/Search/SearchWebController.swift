import Foundation
import Hummingbird
import LikenessCore
import LikenessEngine
import LikenessGovernance
import LikenessIngest
import LikenessSearch
import LikenessStore

/// The search page: a photo and a case in, candidates to review out, another face of the same
/// photo or a pivot from a candidate, and the user's own history of searches.
struct SearchWebController {
    let services: ServerServices
    /// Probe photos kept a few minutes, so that another face of one can be searched.
    let probes = ProbeCache()

    var store: any GalleryStore { services.gallery.store }

    var endpoints: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("/", use: home)
            .post("search", use: search)
            .post("search/face", use: searchAnotherFace)
            .post("search/pivot", use: pivot)
            .get("history", use: history)
    }

    func page(_ template: String, _ values: [String: Any], _ context: AppRequestContext) -> Response {
        services.pages.render(template, values, caller: context.caller, csrf: context.csrfToken)
    }

    /// The watches the forms offer: a month, two, or the longest.
    static let watchDays = [30, 60, Watches.longestDays]

    static var purposes: [[String: Any]] { Purpose.allCases.map { ["value": $0.rawValue, "label": $0.label] } }

    @Sendable func home(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        guard caller.account.role.allows(.search) else { return page("home", [:], context) }
        // The open cases it may search for, offered as the case number is typed.
        let open = try await services.cases.list(status: .open, caller: caller).filter { $0.blockedAt == nil }
        return page("search", ["purposes": Self.purposes, "open_cases": open.map { ["number": $0.number, "title": $0.title] },
                               "watch_days": Self.watchDays], context)
    }

    @Sendable func search(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await request.signedInForm(context, limit: Limits.probeBytes)
        guard let photo = form.file("photo"), photo.content.readableBytes > 0 else {
            throw GovernanceError.invalid(FieldErrors("photo", "choose or take a photo"))
        }
        return try await results(photo: photo.bytes, probeToken: nil, form: form, caller: caller, context: context)
    }

    @Sendable func searchAnotherFace(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await request.signedInForm(context)
        guard let token = form["probe"], let photo = probes.photo(token, for: caller.account.id) else {
            throw GovernanceError.notFound("that probe photo is no longer held (kept 10 minutes): search again with the photo")
        }
        return try await results(photo: photo, probeToken: token, form: form, caller: caller, context: context)
    }

    /// A search's page. A new probe (`probeToken` nil) is kept for another face only once the
    /// search was allowed and made: a refused one (role, account, justification) keeps nothing.
    func results(photo: [UInt8], probeToken: String?, form: FormBody, caller: Accounts.Caller,
                 context: AppRequestContext) async throws -> Response {
        let justification = try SearchJustification(caseNumber: form["case_number"], purpose: form["purpose"],
                                                    purposeText: form["purpose_text"], offence: form["offence"])
        let outcome = try await services.search.search(photo: photo, face: try form.integer("face", in: 0...99),
                                                       top: try form.integer("top", in: 1...100) ?? 12,
                                                       watchDays: try form.integer("watch_days", in: 1...Watches.longestDays),
                                                       justification: justification, caller: caller)
        let probeToken = probeToken ?? probes.keep(photo, for: caller.account.id)
        // Crops of the probe's faces, so the user can see which face was searched and pick another.
        let probe = try? ImageCodec.decode(data: photo)
        let faces: [[String: Any]] = outcome.result.faces.enumerated().map { index, box in
            let crop = probe.flatMap {
                try? ImageCodec.jpeg(of: $0, left: box.left, top: box.top, width: box.width, height: box.height, maxSide: 96)
            }
            return ["index": index, "number": index + 1, "chosen": index == outcome.result.face,
                    "crop": crop.map { "data:image/jpeg;base64," + Data($0).base64EncodedString() } ?? ""]
        }
        return try await resultsPage(outcome, probeFaces: faces, probeToken: probeToken, context: context)
    }

    @Sendable func pivot(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (caller, form) = try await request.signedInForm(context)
        let justification = try SearchJustification(caseNumber: form["case_number"], purpose: form["purpose"],
                                                    purposeText: form["purpose_text"], offence: form["offence"])
        guard let face = form["face_id"].flatMap(Int64.init) else { throw GovernanceError.invalid(FieldErrors("face_id", "required")) }
        let outcome = try await services.search.search(fromFace: face, top: 12, justification: justification, caller: caller)
        return try await resultsPage(outcome, probeFaces: [], probeToken: nil, context: context, pivotFace: face)
    }

    /// A card shows this many of its image's other faces and counts the rest: a crowd photo's
    /// hundred faces would bury the candidates.
    static let otherFacesShown = 5

    func resultsPage(_ outcome: AccountableSearch.Outcome, probeFaces: [[String: Any]], probeToken: String?,
                     context: AppRequestContext, pivotFace: FaceID? = nil) async throws -> Response {
        var candidates: [[String: Any]] = []
        for match in outcome.result.matches {
            let others = try await store.imageDetails(match.image)?.faces.filter { $0.id != match.face }.map(\.id) ?? []
            let source = match.origin.sourceURL ?? match.origin.location
            // A local path is long and says little to a reviewer: its file name is shown, the whole path on hover.
            let isLink = source.hasPrefix("http://") || source.hasPrefix("https://")
            candidates.append([
                "rank": match.rank, "face_id": match.face, "image_id": match.image, "band": match.band.rawValue,
                "band_label": match.band.rawValue.capitalized, "similarity": String(format: "%.0f%%", match.similarity * 100),
                "distance": String(format: "%.3f", match.distance), "collection": match.collection,
                "scored_by": match.fusedDistance == nil ? "dlib alone" : "both models",
                "source": source, "source_is_link": isLink,
                "source_name": isLink ? source : FileName.lastComponent(source),
                "other_faces": others.prefix(Self.otherFacesShown).map { ["face_id": $0] },
                "others_more": others.count > Self.otherFacesShown ? [["count": others.count - Self.otherFacesShown]] : [],
                "others_label": match.video == nil ? "Others in this image" : "Others seen in this video",
                // A face from a video: the moment, and the video ready to play from it.
                "video": match.video.map { [["clock": VideoAppearance.clock($0.time), "time": String(format: "%.1f", $0.time),
                                             "span": "\(VideoAppearance.clock($0.start))–\(VideoAppearance.clock($0.end))",
                                             "image_id": match.image]] } ?? [],
            ])
        }
        let j = outcome.justification
        // A probe not yet on watch can be: searched again from the photo held, and kept.
        let watch: [[String: Any]] = outcome.watch.map { watch in
            [["id": watch.id, "case_id": watch.caseID, "until": CasesWebController.day(watch.expiresAt)]]
        } ?? []
        let mayWatch = outcome.watch == nil && probeToken != nil && context.caller?.account.trialSearchQuota == nil
        return page("results", [
            "watch": watch, "may_watch": mayWatch, "watch_days": Self.watchDays, "chosen_face": outcome.result.face,
            "audit_entry": outcome.auditEntry, "case_number": j.caseNumber, "purpose": j.purpose.rawValue,
            "purpose_label": j.purpose.label, "purpose_text": j.purposeText ?? "", "offence": j.offence ?? "",
            "probe_token": probeToken ?? "", "probe_faces": probeFaces, "many_faces": probeFaces.count > 1,
            "pivot_face": pivotFace.map { [["face_id": $0]] } ?? [], "candidates": candidates,
            "no_candidates": candidates.isEmpty, "notice": SearchResponse.notice, "bands": bandRows,
            "warnings": outcome.result.warnings.map { ["text": $0] },
        ], context)
    }

    var bandRows: [[String: Any]] {
        let b = services.bands
        return [["band": "strong", "meaning": "distance ≤ \(String(format: "%.4f", b.strong))"],
                ["band": "possible", "meaning": "distance ≤ \(String(format: "%.4f", b.possible))"],
                ["band": "weak", "meaning": "farther: most likely a different person"]]
    }

    @Sendable func history(_ request: Request, context: AppRequestContext) async throws -> Response {
        let caller = try context.require(.search)
        let entries = try await services.governance.auditEntries(actor: caller.account.id, action: AuditLog.Action.search.rawValue, limit: 200)
        return page("history", ["searches": entries.map(OversightWebController.auditRow), "empty": entries.isEmpty], context)
    }
}
