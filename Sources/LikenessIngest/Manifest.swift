import Foundation

/// A manifest: a CSV (with a header row) or JSONL file listing images by `path` (relative to
/// the manifest) or `url`, with optional `source_url`, `caption` and `date`.
struct Manifest {
    struct Row {
        let line: Int
        var path: String?
        var url: String?
        var sourceURL: String?
        var caption: String?
        var date: String?
    }

    static func isManifest(_ path: String) -> Bool {
        ["csv", "jsonl", "ndjson"].contains(FileName.lowercasedExtension(path))
    }

    /// The manifest's rows; a row that cannot be parsed is returned with neither path nor url,
    /// and `problem` set, so it is reported as a failed item rather than stopping the ingest.
    static func rows(of file: String) throws -> [(row: Row, problem: String?)] {
        // Through a FileHandle: FileManager.contents(atPath:) leaks a 4 KB buffer for every empty
        // file on Linux (swift-foundation, Swift 6.3), as fuzzing found (Tests/Fixtures/fuzz/manifest).
        guard let handle = FileHandle(forReadingAtPath: file), let data = try? handle.readToEnd() ?? Data() else {
            throw IngestError("\(file): cannot be read")
        }
        let text = String(decoding: data, as: UTF8.self)
        return FileName.lowercasedExtension(file) == "csv" ? try csvRows(text, file: file) : jsonlRows(text)
    }


    private static func jsonlRows(_ text: String) -> [(row: Row, problem: String?)] {
        var rows: [(Row, String?)] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if trimmed.isEmpty { continue }
            let number = offset + 1
            guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
                rows.append((Row(line: number), "line \(number) is not a JSON object"))
                continue
            }
            rows.append((Row(line: number, values: object.compactMapValues { $0 as? String }), nil))
        }
        return rows
    }

    private static func csvRows(_ text: String, file: String) throws -> [(row: Row, problem: String?)] {
        let records = parseCSV(text)
        guard let header = records.first?.fields.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }),
              header.contains("path") || header.contains("url")
        else { throw IngestError("\(file): the first line must be a header naming a `path` or `url` column") }
        return records.dropFirst().compactMap { record in
            if record.fields.allSatisfy({ $0.isEmpty }) { return nil }
            guard record.fields.count == header.count else {
                return (Row(line: record.line), "line \(record.line) has \(record.fields.count) fields, the header \(header.count)")
            }
            return (Row(line: record.line, values: Dictionary(zip(header, record.fields), uniquingKeysWith: { a, _ in a })), nil)
        }
    }

    /// RFC 4180 CSV: quoted fields may hold commas, newlines and doubled quotes.
    static func parseCSV(_ text: String) -> [(line: Int, fields: [String])] {
        var records: [(Int, [String])] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var recordLine = 1
        var iterator = Array(text.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending { pending = nil; return p }
            return iterator.next()
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let following = next() {
                        if following == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = following }
                    } else { quoted = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",": fields.append(field); field = ""
            case "\r": continue
            case "\n":
                fields.append(field)
                records.append((recordLine, fields))
                fields = []
                field = ""
                line += 1
                recordLine = line
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append((recordLine, fields))
        }
        return records
    }
}

extension Manifest.Row {
    init(line: Int) { self.line = line }

    init(line: Int, values: [String: String]) {
        func value(_ key: String) -> String? {
            values[key].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
        }
        self.line = line
        path = value("path")
        url = value("url")
        sourceURL = value("source_url")
        caption = value("caption")
        date = value("date")
    }
}
