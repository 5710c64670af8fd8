import Crypto
import Foundation
import LikenessCore
import LikenessStore

/// Seals and opens the suppression list's templates. The key is a file of its own in the data
/// directory (mode 0600), never in the database, so a copy of the database alone holds no
/// usable template of a suppressed person; and the templates are opened only to drop matching
/// faces at ingest.
public struct SuppressionKey: Sendable {
    private let bytes: Data
    private var key: SymmetricKey { SymmetricKey(data: bytes) }

    /// The data directory's key, made on first use.
    public static func load(in directory: DataDirectory) throws -> SuppressionKey {
        SuppressionKey(bytes: try KeyFile.load(directory.root.appendingPathComponent("keys/suppression.key")))
    }

    public func seal(_ template: FaceTemplate) throws -> [UInt8] {
        guard let combined = try AES.GCM.seal(Data(template.bytes), using: key).combined else {
            throw StoreError.damaged("AES-GCM gave no sealed box")
        }
        return [UInt8](combined)
    }

    public func open(_ sealed: [UInt8]) throws -> FaceTemplate {
        let bytes = try AES.GCM.open(AES.GCM.SealedBox(combined: Data(sealed)), using: key)
        guard let template = FaceTemplate(bytes: [UInt8](bytes)) else { throw StoreError.damaged("a sealed template of the wrong size") }
        return template
    }
}
