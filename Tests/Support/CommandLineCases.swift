import Foundation

extension Subprocess {
    public struct CommandFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// What `lead` needs before searching for case `number` of the data directory's
    /// organisation: a current training record, and the case, open, with the authority's grant
    /// recorded by a supervisor made for the purpose (the organisation's default policy).
    public static func openAuthorisedCase(_ number: String, lead: String, organization: String, data: String) throws {
        let trained = try likeness("admin", "train", lead, "--course", "test course", "--completed-on", today, "--data", data)
        guard trained.status == 0 else { throw CommandFailure(description: "likeness admin train: \(trained.stderr)") }
        let supervisor = "case-supervisor"
        if try likeness("admin", "create", supervisor, "--organization", organization, "--role", "supervisor", "--data", data).status != 0,
           try likeness("case", "list", "--user", supervisor, "--data", data).status != 0 {
            throw CommandFailure(description: "could not make the supervisor \(supervisor)")
        }
        for arguments in [["case", "open", number, "--title", "test case \(number)", "--user", lead, "--data", data],
                          ["case", "authorise", number, "--decision", "granted", "--reference", "ORDER-\(number)",
                           "--authority", "test court", "--decided-at", "2026-01-01", "--user", supervisor, "--data", data]] {
            let result = try likeness(arguments)
            guard result.status == 0 else { throw CommandFailure(description: "likeness \(arguments.prefix(3).joined(separator: " ")): \(result.stderr)") }
        }
    }

    /// Today as YYYY-MM-DD (UTC).
    static var today: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: Date())
    }
}
