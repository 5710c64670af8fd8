import ArgumentParser
import Foundation
import LikenessEngine
import LikenessGallery
import LikenessGovernance
import LikenessIngest
import LikenessStore

struct ConsentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consent", abstract: "Enrol people with their consent into consent collections, and withdraw it.",
        subcommands: [Enrol.self, Withdraw.self])

    struct Enrol: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Ingest a person's photos into a consent collection, recording their consent.")
        @Argument(help: "Their photos.") var photos: [String]
        @Option(help: "The consent collection.") var collection: String
        @Option(help: "Who consented.") var subject: String
        @Option(help: "The version of the consent text they agreed to.") var textVersion: String
        @OptionGroup var data: DataOptions

        func run() async throws {
            try await failingWithExitCode2 {
                let gallery = try await data.openGallery()
                let governance = gallery.store
                let target = try await data.collection(named: collection, in: gallery)
                guard target.requiresConsent else { throw UsageFailure("\(collection) is not a consent collection (create it with --consent)") }
                try await CollectionRules.checkIngestAllowed(into: target, governance: governance, enrolling: true)
                let pool = EnginePool(models: try FaceModels.locate(), onnx: try ONNXFaceModels.locate(), size: 1)
                defer { pool.shutdown() }
                let fetcher = ImageFetcher()
                let summary = try await Ingester(gallery: gallery, pool: pool, fetcher: fetcher, options: .init(concurrency: 2))
                    .run(inputs: photos, into: target)
                try await fetcher.shutdown()
                let images = try await gallery.store.jobItems(summary.job).filter { $0.outcome == .stored }.compactMap(\.image)
                try await Consent(gallery: gallery, audit: AuditLog(store: governance)).recordEnrolment(
                    images: images, collection: target, subject: subject, textVersion: textVersion,
                    recordedBy: "cli:\(ProcessInfo.processInfo.userName)")
                print("Enrolled \(subject): \(images.count) images, \(summary.progress.faces) faces, consent text \(textVersion).")
            }
        }
    }

    struct Withdraw: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Withdraw a person's consent: their enrolled images are erased.")
        @Option(help: "The consent collection.") var collection: String
        @Option(help: "Who withdraws.") var subject: String
        @OptionGroup var data: DataOptions

        func run() async throws {
            try await failingWithExitCode2 {
                let gallery = try await data.openGallery()
                let target = try await data.collection(named: collection, in: gallery)
                let faces = try await Consent(gallery: gallery, audit: AuditLog(store: gallery.store))
                    .withdraw(subject: subject, collection: target, recordedBy: "cli:\(ProcessInfo.processInfo.userName)")
                print("Consent of \(subject) withdrawn: \(faces) faces erased.")
            }
        }
    }
}
