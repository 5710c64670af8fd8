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
    /// Where derived, rebuildable files go (`$XDG_CACHE_HOME/likeness`, else ~/.cache/likeness);
    /// nil when it cannot be created.
    public let cacheDirectory: String?

    /// dlib's frontal face detector in binary form (see `lk_engine_create`).
    public var hogDetectorCache: String? {
        cacheDirectory.map { ($0 as NSString).appendingPathComponent("frontal_face_detector.dat") }
    }

    public var landmarks: String { files[0].path }
    public var recognition: String { files[1].path }
    public var mmodDetector: String { files[2].path }

    static let installHint = """
        Install them with `make setup` (or `.venv/bin/pip install face-recognition-models`), \
        or point LIKENESS_MODELS at the folder holding the .dat files.
        """

    /// Finds the weights: `directory` if given, else $LIKENESS_MODELS, else the folder of the
    /// `face_recognition_models` Python package (asked of ./.venv's Python, then python3).
    /// Verifies every file's SHA-256. A file already verified is not hashed again while its
    /// size, modification time and inode are unchanged (a stamp in the cache directory), which
    /// keeps ~80 ms off every command's start.
    public static func locate(directory: String? = nil) throws -> FaceModels {
        let environment = ProcessInfo.processInfo.environment
        guard let folder = directory ?? environment["LIKENESS_MODELS"] ?? askPython() else {
            throw FaceModelsError(description: "The face model weights were not found: the Python package "
                                  + "face-recognition-models is not installed. " + installHint)
        }
        let cache = cacheDirectory()
        let files = try expected.map { try verifiedFile($0.name, sha256: $0.sha256, in: folder, cache: cache, hint: installHint) }
        return FaceModels(directory: folder, files: files, cacheDirectory: cache)
    }

    /// `folder/name`, checked against `sha256` unless a stamp in `cache` says this very file
    /// (same size, modification time and inode) was checked before.
    static func verifiedFile(_ name: String, sha256: String, in folder: String, cache: String?, hint: String) throws -> File {
        let path = (folder as NSString).appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: path) else {
            throw FaceModelsError(description: "The model file \(path) is missing. " + hint)
        }
        let stampFile = cache.map { ($0 as NSString).appendingPathComponent("verified-\(name).stamp") }
        let stamp = try fileStamp(path, sha256: sha256, hint: hint)
        if let stampFile, (try? String(contentsOfFile: stampFile, encoding: .utf8)) == stamp {
            return File(name: name, sha256: sha256, path: path)
        }
        let digest = try sha256Hex(of: path, hint: hint)
        guard digest == sha256 else {
            throw FaceModelsError(description: "The model file \(path) has SHA-256 \(digest), "
                                  + "expected \(sha256): it is damaged or a different model. " + hint)
        }
        if let stampFile { try? stamp.write(toFile: stampFile, atomically: true, encoding: .utf8) }
        return File(name: name, sha256: digest, path: path)
    }

    private static func sha256Hex(of path: String, hint: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FaceModelsError(description: "The model file \(path) cannot be read. " + hint)
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Identifies one version of a file on disk: any rewrite changes its size, time or inode.
    private static func fileStamp(_ path: String, sha256: String, hint: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw FaceModelsError(description: "The model file \(path) cannot be read. " + hint)
        }
        return "\(path) \(info.st_size) \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec) \(info.st_ino) \(sha256)"
    }

    static func cacheDirectory() -> String? {
        let environment = ProcessInfo.processInfo.environment
        guard let base = environment["XDG_CACHE_HOME"] ?? environment["HOME"].map({ ($0 as NSString).appendingPathComponent(".cache") })
        else { return nil }
        let directory = (base as NSString).appendingPathComponent("likeness")
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return directory
        } catch {
            return nil
        }
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
