import Foundation
import LikenessStore

/// The audit log as JSONL or CSV, for supervisors, auditors and regulators. Thumbnails are
/// left out of exports: the probe's SHA-256 identifies it.
public enum AuditExport {
    public enum Format: String, Sendable, CaseIterable { case jsonl, csv }

    public static let csvHeader = ["id", "at", "organization_id", "actor", "action", "outcome", "case_number", "purpose",
                                   "offence", "probe_sha256", "collections", "candidates", "client_address", "detail",
                                   "previous_hash", "hash"]

    public static func csvRow(_ audit: AuditEntry) -> [String] {
        let e = audit.entry
        return [String(audit.id), audit.at, e.organization.map(String.init) ?? "", e.actor, e.action, e.outcome,
                e.caseNumber ?? "", e.purpose ?? "", e.offence ?? "", e.probeSHA256 ?? "",
                e.collections.map(String.init).joined(separator: " "),
                e.candidates.map { "\($0.face):\($0.distance):\($0.band)" }.joined(separator: " "),
                e.clientAddress ?? "", e.detail ?? "", audit.previousHash, audit.hash]
    }

    /// The entries, then the checkpoint made for the export if any: in JSONL its own line (as
    /// `audit checkpoint --json` prints it, which `audit verify --checkpoints` reads back), in
    /// CSV a last row with `checkpoint` for its ID and that line as its detail. With it an
    /// export shows, to whoever holds the public key, which head the log had when it was made.
    public static func render(_ entries: [AuditEntry], checkpoint: AuditCheckpoint? = nil, as format: Format) -> String {
        switch format {
        case .jsonl:
            let lines = entries.map { entry -> String in
                // Strings and numbers only: encoding them cannot fail short of a broken encoder.
                do { return try ResponseJSON.line(AuditEntryResponse(entry, withThumbnailFlag: false)) } catch {
                    fatalError("audit entry \(entry.id) could not be written as JSON: \(error)")
                }
            }
            return (lines + [checkpoint?.jsonLine].compactMap { $0 }).map { $0 + "\n" }.joined()
        case .csv:
            return CSV.render(header: csvHeader, rows: entries.map(csvRow) + [checkpoint.map { csvRow($0) }].compactMap { $0 })
        }
    }

    static func csvRow(_ checkpoint: AuditCheckpoint) -> [String] {
        ["checkpoint", checkpoint.at, "", "", "audit_checkpoint", "ok", "", "", "", "", "", "", "", checkpoint.jsonLine, "",
         checkpoint.entryHash]
    }
}

/// RFC 4180 CSV: fields with a comma, quote or line break are quoted, quotes doubled.
public enum CSV {
    public static func render(header: [String], rows: [[String]]) -> String {
        ([header] + rows).map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }

    static func field(_ value: String) -> String {
        // A leading =, +, - or @ would make a spreadsheet run the cell as a formula, and so can a
        // leading tab or carriage return, which some spreadsheets skip before reading the formula.
        // By scalar, here and below: "\r\n" is one Character, which a Character comparison would miss.
        let safe = value.unicodeScalars.first.map { "=+-@\t\r".unicodeScalars.contains($0) } == true ? "'" + value : value
        guard safe.unicodeScalars.contains(where: { ",\"\n\r".unicodeScalars.contains($0) }) else { return safe }
        return "\"" + safe.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
