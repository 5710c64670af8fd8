import Foundation
import LikenessCore

/// A failure in the evaluation's inputs, worded for the operator: it names the file and, for
/// label and pair files, the line.
public struct EvaluationError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }

    init(file: String, line: Int, _ message: String) {
        self.init("\(file):\(line): \(message)")
    }
}

/// One photo of a labelled evaluation set.
public struct LabelledPhoto: Sendable, Hashable {
    /// The path as the labels give it, relative to the labels' folder.
    public var file: String
    /// Who the photo shows; nil for photos of several people or of no one in particular, which
    /// take part in detection checks but not in pairs or identification.
    public var identity: String?
    /// The exact number of faces a detector should find, when the labels say.
    public var expectedFaces: Int?
    /// The least number of faces a detector should find, when the labels say.
    public var expectedFacesMin: Int?
    /// Extra string fields (such as `"group": "indoor"`), by field name: the report repeats its
    /// figures for each value of each field.
    public var groups: [String: String]

    public init(file: String, identity: String?, expectedFaces: Int? = nil, expectedFacesMin: Int? = nil,
                groups: [String: String] = [:]) {
        self.file = file
        self.identity = identity
        self.expectedFaces = expectedFaces
        self.expectedFacesMin = expectedFacesMin
        self.groups = groups
    }
}

/// The labelled photos of an evaluation, and the folder their paths are relative to.
public struct LabelSet: Sendable {
    public var directory: URL
    public var photos: [LabelledPhoto]

    public init(directory: URL, photos: [LabelledPhoto]) {
        self.directory = directory
        self.photos = photos
    }

    public func url(of photo: LabelledPhoto) -> URL {
        URL(fileURLWithPath: photo.file, relativeTo: directory).standardizedFileURL
    }

    /// The names of the group fields any photo has, sorted.
    public var groupFields: [String] {
        Set(photos.flatMap(\.groups.keys)).sorted()
    }

    /// Labels from a LABELS.jsonl file, or from a folder with one subfolder per identity.
    public static func load(_ path: String) throws -> LabelSet {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw EvaluationError("\(path): no such file or folder")
        }
        return isDirectory.boolValue ? try folderTree(path) : try jsonLines(file: path)
    }

    /// Fields that describe a photo rather than sort it into a group: a hash or a free-text note
    /// would put every photo into a group of its own.
    static let nonGroupFields: Set<String> = ["file", "identity", "sha256", "notes", "expected_faces", "expected_faces_min"]

    /// Parses LABELS.jsonl: one object per line with `file` and `identity` (a string, or null
    /// for a photo that is not of one known person; the key is required so that a misspelt key
    /// is an error rather than a silently unlabelled photo). `expected_faces` and
    /// `expected_faces_min` are read when present; other string fields become group fields.
    /// Numeric extra fields are not groups: a continuous value would make one group per photo.
    public static func jsonLines(file path: String) throws -> LabelSet {
        var photos: [LabelledPhoto] = []
        var lineOfFile: [String: Int] = [:]
        for (number, object) in try JSONLines.objects(in: path) {
            let fail = { (message: String) in EvaluationError(file: path, line: number, message) }
            guard case .string(let file)? = object["file"], !file.isEmpty else {
                throw fail(object["file"] == nil ? "missing \"file\"" : "\"file\" must be a non-empty string")
            }
            if let earlier = lineOfFile[file] { throw fail("\(file) is already listed on line \(earlier)") }
            lineOfFile[file] = number

            let identity: String?
            switch object["identity"] {
            case .string(let name)?: identity = name
            case .null?: identity = nil
            case nil: throw fail("missing \"identity\" (use null for a photo not of one known person)")
            default: throw fail("\"identity\" must be a string or null")
            }

            func count(_ key: String) throws -> Int? {
                guard let value = object[key], value != .null else { return nil }
                guard let count = value.wholeNumber, count >= 0 else { throw fail("\"\(key)\" must be a whole number ≥ 0") }
                return count
            }
            var groups: [String: String] = [:]
            for (key, value) in object where !nonGroupFields.contains(key) {
                if case .string(let text) = value { groups[key] = text }
            }
            photos.append(LabelledPhoto(file: file, identity: identity, expectedFaces: try count("expected_faces"),
                                        expectedFacesMin: try count("expected_faces_min"), groups: groups))
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        return LabelSet(directory: directory, photos: photos)
    }

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff", "heic", "avif"]

    /// Labels from a folder with one subfolder per identity (`root/identity/photo.jpg`). Images
    /// directly inside the root are unlabelled. Deeper folders are not read, so that a stray
    /// folder of crops inside an identity's folder is not mistaken for more of that person.
    public static func folderTree(_ path: String) throws -> LabelSet {
        let manager = FileManager.default
        let root = URL(fileURLWithPath: path, isDirectory: true)
        func entries(_ relative: String) throws -> [String] {
            let folder = relative.isEmpty ? root : root.appendingPathComponent(relative, isDirectory: true)
            do {
                return try manager.contentsOfDirectory(atPath: folder.path).filter { !$0.hasPrefix(".") }.sorted()
            } catch {
                throw EvaluationError("\(folder.path): cannot be read: \(error.localizedDescription)")
            }
        }
        func isFolder(_ relative: String) -> Bool {
            var isDirectory: ObjCBool = false
            return manager.fileExists(atPath: root.appendingPathComponent(relative).path, isDirectory: &isDirectory)
                && isDirectory.boolValue
        }
        func isImage(_ name: String) -> Bool { imageExtensions.contains((name as NSString).pathExtension.lowercased()) }

        var photos: [LabelledPhoto] = []
        for name in try entries("") {
            if isFolder(name) {
                for file in try entries(name) where isImage(file) && !isFolder("\(name)/\(file)") {
                    photos.append(LabelledPhoto(file: "\(name)/\(file)", identity: name))
                }
            } else if isImage(name) {
                photos.append(LabelledPhoto(file: name, identity: nil))
            }
        }
        if photos.isEmpty { throw EvaluationError("\(path): no images found (expected one folder per identity)") }
        return LabelSet(directory: root, photos: photos)
    }
}

/// A JSON value with its type kept exact, so that `true` is not read as 1 nor 1 as `true`.
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    var wholeNumber: Int? {
        guard case .number(let value) = self, value.rounded() == value, abs(value) < 1e15 else { return nil }
        return Int(value)
    }
}

enum JSONLines {
    /// The objects of a JSON Lines file with their 1-based line numbers; blank lines are skipped.
    static func objects(in path: String) throws -> [(line: Int, object: [String: JSONValue])] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EvaluationError("\(path): cannot be read")
        }
        let decoder = JSONDecoder()
        var objects: [(Int, [String: JSONValue])] = []
        for (offset, line) in String(decoding: data, as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            guard let value = try? decoder.decode(JSONValue.self, from: Data(text.utf8)) else {
                throw EvaluationError(file: path, line: offset + 1, "not valid JSON")
            }
            guard case .object(let object) = value else {
                throw EvaluationError(file: path, line: offset + 1, "expected a JSON object")
            }
            objects.append((offset + 1, object))
        }
        return objects
    }
}

extension LabelledPhoto {
    /// The face a labelled photo's label names, among the faces found in it. A photo may also
    /// hold bystanders, sometimes larger than the person it names. LFW centres each of its photos
    /// on the face it names (every photo is a crop around that face's detection), so the named
    /// face is the one whose box centre is nearest the photo's centre.
    public static func namedFace<Face>(among faces: [Face], width: Int, height: Int, box: (Face) -> FaceBox) -> Face? {
        func offCentre(_ face: Face) -> Int {
            let b = box(face)
            let dx = (b.left + b.right) - width, dy = (b.top + b.bottom) - height
            return dx * dx + dy * dy
        }
        return faces.min { offCentre($0) < offCentre($1) }
    }
}
