import ArgumentParser
import LikenessEngine

struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "Show where the face model weights are, verified by SHA-256.")

    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        try await failingWithExitCode2 {
            let models = try FaceModels.locate()
            if json {
                print(Output.json(ModelsJSON(directory: models.directory, files: models.files.map {
                    ModelsJSON.File(name: $0.name, path: $0.path, sha256: $0.sha256, verified: true)
                })))
            } else {
                print("Models in \(models.directory), all verified:")
                print(Output.table(["file", "sha256"], models.files.map { [$0.name, $0.sha256] }))
            }
        }
    }
}

/// `models --json`: where the models are, each checked against its SHA-256.
struct ModelsJSON: Encodable {
    struct File: Encodable {
        var name: String
        var path: String
        var sha256: String
        var verified: Bool
    }

    var directory: String
    var files: [File]
}
