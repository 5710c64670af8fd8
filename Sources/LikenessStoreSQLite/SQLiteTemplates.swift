import Foundation
import GRDB
import LikenessCore
import LikenessStore

/// Templates by model and the calibrated bands: what search and `likeness calibrate` read and write
/// beside the index.
extension SQLiteGalleryStore {
    // MARK: Templates of each model

    public func templates(of ids: [FaceID], model: TemplateModel) async throws -> [FaceID: FaceTemplate] {
        guard !ids.isEmpty else { return [:] }
        return try await database.read { db in
            let rows = model == .dlibResNetV1
                ? try Row.fetchAll(db, sql: "SELECT id, template FROM face WHERE id IN (SELECT value FROM json_each(?))",
                                   arguments: [Self.jsonArray(ids)])
                : try Row.fetchAll(db, sql: """
                    SELECT face_id AS id, template FROM face_template WHERE model = ? AND face_id IN (SELECT value FROM json_each(?))
                    """, arguments: [model.rawValue, Self.jsonArray(ids)])
            var templates: [FaceID: FaceTemplate] = [:]
            for row in rows {
                let id: FaceID = row["id"]
                guard let template = FaceTemplate(bytes: row["template"] as Data) else {
                    throw StoreError.damaged("face \(id)'s \(model.rawValue) template is not \(FaceTemplate.dimension) float32")
                }
                templates[id] = template
            }
            return templates
        }
    }

    public func templateModels() async throws -> [TemplateModel: Int] {
        try await database.read { db in
            var counts = Dictionary(uniqueKeysWithValues: TemplateModel.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: """
                SELECT ? AS model, COUNT(*) AS faces FROM face
                UNION ALL SELECT model, COUNT(*) FROM face_template GROUP BY model
                """, arguments: [TemplateModel.dlibResNetV1.rawValue]) {
                // A model this version does not know, written by a newer one, is left out.
                if let model = TemplateModel(rawValue: row["model"]) { counts[model] = row["faces"] }
            }
            return counts
        }
    }

    public func setTemplates(_ templates: [FaceID: FaceTemplate], model: TemplateModel) async throws {
        guard model != .dlibResNetV1 else {
            throw StoreError.invalid("\(model.rawValue) templates are the vector index's: they are not replaced this way")
        }
        try await database.write { db in
            // Selecting the face first skips one erased since, rather than breaking its foreign key.
            let upsert = try db.makeStatement(sql: """
                INSERT INTO face_template (face_id, model, template) SELECT id, ?, ? FROM face WHERE id = ?
                ON CONFLICT (face_id, model) DO UPDATE SET template = excluded.template
                """)
            for (face, template) in templates {
                try upsert.execute(arguments: [model.rawValue, Data(template.bytes), face])
            }
        }
    }

    public func faceIDsLacking(model: TemplateModel, after id: FaceID, limit: Int) async throws -> [(face: FaceID, image: ImageID)] {
        guard model != .dlibResNetV1 else { return [] }
        return try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT f.id, f.image_id FROM face f
                WHERE f.id > ? AND NOT EXISTS (SELECT 1 FROM face_template t WHERE t.face_id = f.id AND t.model = ?)
                ORDER BY f.id LIMIT ?
                """, arguments: [id, model.rawValue, limit]).map { ($0["id"], $0["image_id"]) }
        }
    }

    // MARK: Calibration

    public func bandThresholds() async throws -> BandThresholds? { try await setting("band_thresholds") }
    public func setBandThresholds(_ thresholds: BandThresholds) async throws { try await setSetting("band_thresholds", thresholds) }
    public func fusedBands() async throws -> FusedBands? { try await setting("fused_bands") }
    public func setFusedBands(_ bands: FusedBands) async throws { try await setSetting("fused_bands", bands) }

    /// A setting, kept as JSON under `key`.
    private func setting<Value: Decodable & Sendable>(_ key: String) async throws -> Value? {
        try await database.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [key])
                .map { try JSONDecoder().decode(Value.self, from: Data($0.utf8)) }
        }
    }

    private func setSetting(_ key: String, _ value: some Encodable) async throws {
        let json = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        try await database.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO setting (key, value) VALUES (?, ?)", arguments: [key, json])
        }
    }
}
