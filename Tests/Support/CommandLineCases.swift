import Foundation

extension Subprocess {
    public struct CommandFailure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Opens case `number` of the data directory's organisation, led by `lead`, with the
    /// authority's grant recorded by a supervisor made for the purpose: what the organisation's
    /// default policy asks before `lead` can search for it.
    public static func openAuthorisedCase(_ number: String, lead: String, organization: String, data: String) throws {
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
}
