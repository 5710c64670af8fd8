import Foundation
import LikenessCore
import LikenessStore
import PostgresNIO

/// Templates by model and the calibrated bands: what search and `likeness calibrate` read and write
/// beside the index.
extension PostgresGalleryStore {
    // MARK: Templates of each model

    public func templates(of ids: [FaceID], model: TemplateModel) async throws -> [FaceID: FaceTemplate] {
        guard !ids.isEmpty else { return [:] }
        let found = model == .dlibResNetV1
            ? try await rows("SELECT id, template FROM face WHERE id = ANY(\(ids))")
            : try await rows("""
                SELECT face_id AS id, template FROM face_template WHERE model = \(model.rawValue) AND face_id = ANY(\(ids))
                """)
        var templates: [FaceID: FaceTemplate] = [:]
        for row in found {
            let id: FaceID = try row.value("id")
            guard let template = FaceTemplate(bytes: try row.bytes("template")) else {
                throw StoreError.damaged("face \(id)'s \(model.rawValue) template is not \(FaceTemplate.dimension) float32")
            }
            templates[id] = template
        }
        return templates
    }

    public func templateModels() async throws -> [TemplateModel: Int] {
        var counts = Dictionary(uniqueKeysWithValues: TemplateModel.allCases.map { ($0, 0) })
        for row in try await rows("""
            SELECT \(TemplateModel.dlibResNetV1.rawValue)::text AS model, COUNT(*) AS faces FROM face
            UNION ALL SELECT model, COUNT(*) FROM face_template GROUP BY model
            """) {
            // A model this version does not know, written by a newer one, is left out.
            if let model = TemplateModel(rawValue: try row.value("model")) { counts[model] = try row.value("faces") }
        }
        return counts
    }

    /// One statement: it locks the faces it finds (FOR KEY SHARE) and writes their templates, so a
    /// face erased at the same time is either skipped or erased after, with its template, never
    /// a foreign-key error.
    public func setTemplates(_ templates: [FaceID: FaceTemplate], model: TemplateModel) async throws {
        guard model != .dlibResNetV1 else {
            throw StoreError.invalid("\(model.rawValue) templates are the vector index's: they are not replaced this way")
        }
        guard !templates.isEmpty else { return }
        let given = Array(templates)
        let faces = given.map(\.key)
        let bytes = given.map { ByteBuffer(bytes: $0.value.bytes) }
        try await run("""
            WITH held AS (SELECT id FROM face WHERE id = ANY(\(faces)) FOR KEY SHARE)
            INSERT INTO face_template (face_id, model, template)
            SELECT given.face, \(model.rawValue), given.template
            FROM unnest(\(faces)::bigint[], \(bytes)::bytea[]) AS given(face, template) JOIN held ON held.id = given.face
            ON CONFLICT (face_id, model) DO UPDATE SET template = excluded.template
            """)
    }

    public func faceIDsLacking(model: TemplateModel, after id: FaceID, limit: Int) async throws -> [(face: FaceID, image: ImageID)] {
        guard model != .dlibResNetV1 else { return [] }
        return try await rows("""
            SELECT f.id, f.image_id FROM face f
            WHERE f.id > \(id) AND NOT EXISTS (SELECT 1 FROM face_template t WHERE t.face_id = f.id AND t.model = \(model.rawValue))
            ORDER BY f.id LIMIT \(limit)
            """).map { (try $0.value("id"), try $0.value("image_id")) }
    }

    // MARK: Calibration

    public func bandThresholds() async throws -> BandThresholds? { try await setting("band_thresholds") }
    public func setBandThresholds(_ thresholds: BandThresholds) async throws { try await setSetting("band_thresholds", thresholds) }
    public func fusedBands() async throws -> FusedBands? { try await setting("fused_bands") }
    public func setFusedBands(_ bands: FusedBands) async throws { try await setSetting("fused_bands", bands) }

    /// A setting, kept as JSON under `key`.
    private func setting<Value: Decodable & Sendable>(_ key: String) async throws -> Value? {
        try await rows("SELECT value FROM setting WHERE key = \(key)").first.map { row in
            try JSONDecoder().decode(Value.self, from: Data(try row.value("value", as: String.self).utf8))
        }
    }

    private func setSetting(_ key: String, _ value: some Encodable) async throws {
        let json = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        try await run("""
            INSERT INTO setting (key, value) VALUES (\(key), \(json))
            ON CONFLICT (key) DO UPDATE SET value = excluded.value
            """)
    }
}
