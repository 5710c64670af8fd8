import ArgumentParser
import Foundation
import LikenessCore
import LikenessEngine

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "Show where the face model weights are, verified by SHA-256, and which models' templates the gallery holds.")

    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var data: DataOptions

    func run() async throws {
        try await failingWithExitCode2 {
            let models = try FaceModels.locate()
            let held = try await templateModelsOfExistingGallery()
            if json {
                print(Output.json(ModelsJSON(directory: models.directory, files: models.files.map {
                    ModelsJSON.File(name: $0.name, path: $0.path, sha256: $0.sha256, verified: true)
                }, facesWithTemplates: held.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.key.rawValue, $0.value) }) })))
            } else {
                print("Models in \(models.directory), all verified:")
                print(Output.table(["file", "sha256"], models.files.map { [$0.name, $0.sha256] }))
                if let held { print("\n" + Output.templateModels(held)) }
            }
        }
    }

    /// How many faces hold each model's template, when there is a gallery: a store named by
    /// --store (or $LIKENESS_STORE), else the data directory's database if it exists. Listing the
    /// models creates no data directory.
    private func templateModelsOfExistingGallery() async throws -> [TemplateModel: Int]? {
        let environment = ProcessInfo.processInfo.environment
        let namesScaleOut = [data.store, data.vectors, environment["LIKENESS_STORE"], environment["LIKENESS_VECTORS"]]
            .contains { $0 != nil }
        guard namesScaleOut || FileManager.default.fileExists(atPath: data.directory.database.path) else { return nil }
        return try await data.openStore().templateModels()
    }
}

extension Output {
    /// How many faces hold a template of each model, every model named: what a gallery holds,
    /// and how far `reindex --templates` has come.
    static func templateModels(_ counts: [TemplateModel: Int]) -> String {
        "Faces holding a template of each model:\n"
            + table(["model", "faces"], TemplateModel.allCases.map { [$0.rawValue, "\(counts[$0] ?? 0)"] })
    }
}

/// `models --json`: where the models are, each checked against its SHA-256, and, when there is
/// a gallery, how many of its faces hold each model's template.
struct ModelsJSON: Encodable {
    struct File: Encodable {
        var name: String
        var path: String
        var sha256: String
        var verified: Bool
    }

    var directory: String
    var files: [File]
    /// Faces per model (`dlib-resnet-v1`, `sface-2021dec`); absent without a gallery.
    var facesWithTemplates: [String: Int]?
}
