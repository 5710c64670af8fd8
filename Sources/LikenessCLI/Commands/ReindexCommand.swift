import ArgumentParser
import LikenessCore
import LikenessEngine
import LikenessGallery

struct ReindexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex", abstract: "Rebuild the vector index from the database, or with --templates add SFace's templates.",
        discussion: """
            --templates computes SFace's template (sface-2021dec) for every face that lacks one, \
            from its image when that is held here as a file, unchanged since ingest. Faces of \
            archive entries, downloads and videos, of files gone or changed, and faces not found \
            again keep dlib's template alone; they are counted by reason. Templates are stored a \
            page at a time: an interrupted run loses little, and running again adds only what is \
            still missing.
            """)

    @Flag(help: "Add SFace's templates to the faces that lack one, instead of rebuilding the index.") var templates = false
    @OptionGroup var data: DataOptions

    func run() async throws {
        try await failingWithExitCode2 {
            if templates { return try await addTemplates() }
            let gallery = try await data.openGallery()
            let clock = ContinuousClock()
            let started = clock.now
            let count = try await gallery.reindex()
            print("Indexed \(count) templates in \(clock.now - started).")
        }
    }

    /// Reads the database alone: the index holds dlib's templates, which this leaves as they are.
    private func addTemplates() async throws {
        let store = try await data.openStore()
        let pool = EnginePool(models: try FaceModels.locate(), onnx: try ONNXFaceModels.locate())
        defer { pool.shutdown() }
        let clock = ContinuousClock()
        let started = clock.now
        let outcome = try await TemplateBackfill(store: store, pool: pool).run()
        print("Added \(outcome.added) \(TemplateBackfill.model.rawValue) template\(outcome.added == 1 ? "" : "s") "
              + "from \(outcome.imagesRead) image\(outcome.imagesRead == 1 ? "" : "s") in \(clock.now - started).")
        for skipped in outcome.skippedFiles { print("  skipped \(skipped.location): \(skipped.reason)") }
        if outcome.keptCount > 0 {
            let reasons = outcome.kept.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.rawValue < $1.key.rawValue }
                .map { "\($0.key.rawValue): \($0.value)" }
            print("Kept only \(TemplateModel.dlibResNetV1.rawValue): \(outcome.keptCount) face\(outcome.keptCount == 1 ? "" : "s") "
                  + "(\(reasons.joined(separator: ", ")))")
        }
        print(Output.templateModels(try await store.templateModels()))
    }
}
