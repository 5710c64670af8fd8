import Foundation

/// Why a search was made. The list is fixed: a search states one of these, and "other" must
/// say what it is. Supervisors are alerted to "other" searches, which fall outside the list.
public enum Purpose: String, Sendable, Codable, CaseIterable {
    case criminalInvestigation = "criminal_investigation"
    case missingPerson = "missing_person"
    case victimIdentification = "victim_identification"
    case identityFraud = "identity_fraud"
    case other

    public var label: String {
        switch self {
        case .criminalInvestigation: "Criminal investigation"
        case .missingPerson: "Missing person"
        case .victimIdentification: "Victim identification"
        case .identityFraud: "Identity fraud"
        case .other: "Other (describe)"
        }
    }
}

/// The case a search is made for: required on every search, checked before any face is read.
public struct SearchJustification: Sendable, Hashable {
    public var caseNumber: String
    public var purpose: Purpose
    /// What "other" means; nil for the listed purposes.
    public var purposeText: String?
    public var offence: String?

    /// Validates what a user typed, naming each field that is wrong.
    public init(caseNumber: String?, purpose: String?, purposeText: String?, offence: String?) throws(FieldErrors) {
        var errors = FieldErrors()
        let caseNumber = caseNumber?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if caseNumber.isEmpty {
            errors.add("case_number", "a case number is required")
        } else if caseNumber.count > 64 {
            errors.add("case_number", "at most 64 characters")
        }
        let purposeText = purposeText?.trimmingCharacters(in: .whitespacesAndNewlines)
        var parsed: Purpose?
        switch purpose?.trimmingCharacters(in: .whitespaces) {
        case nil, "": errors.add("purpose", "a purpose is required")
        case let value?:
            parsed = Purpose(rawValue: value)
            if parsed == nil {
                errors.add("purpose", "must be one of: " + Purpose.allCases.map(\.rawValue).joined(separator: ", "))
            }
        }
        if parsed == .other, (purposeText ?? "").isEmpty {
            errors.add("purpose_text", "describe the purpose when it is 'other'")
        }
        if (purposeText?.count ?? 0) > 500 { errors.add("purpose_text", "at most 500 characters") }
        let offence = offence?.trimmingCharacters(in: .whitespacesAndNewlines)
        if (offence?.count ?? 0) > 200 { errors.add("offence", "at most 200 characters") }
        guard errors.isEmpty, let parsed else { throw errors }
        self.caseNumber = caseNumber
        self.purpose = parsed
        self.purposeText = parsed == .other ? purposeText : nil
        self.offence = offence?.isEmpty == false ? offence : nil
    }

    /// The purpose as the audit records it: the listed name, or "other: <text>".
    public var auditedPurpose: String {
        purpose == .other ? "other: \(purposeText ?? "")" : purpose.rawValue
    }
}

/// Problems with named fields of a request, reported together.
public struct FieldErrors: Error, Sendable, CustomStringConvertible {
    public var fields: [(field: String, detail: String)] = []

    public init() {}
    public init(_ field: String, _ detail: String) { add(field, detail) }

    public mutating func add(_ field: String, _ detail: String) { fields.append((field, detail)) }
    public var isEmpty: Bool { fields.isEmpty }
    public var description: String { fields.map { "\($0.field): \($0.detail)" }.joined(separator: "; ") }
}
