import ArgumentParser
import Foundation
import LikenessCore
import LikenessGovernance
import LikenessStore

struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Set up organisations and their accounts from the server's machine.",
        subcommands: [Create.self, Bootstrap.self, ResetPassword.self, Train.self, Jurisdictions.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an active account (and the organisation, if new).",
            discussion: """
                Prints a generated one-time password, which the account must change at its first \
                sign-in; with --password-stdin, takes the password its user chose instead. Accounts \
                made here need no approval: whoever runs this holds the data directory.
                """)
        @Argument(help: "The username.") var username: String
        @Option(help: "The organisation (created if it does not exist).") var organization: String
        @Option(help: "admin, supervisor, investigator, auditor or examiner.") var role: String = Role.admin.rawValue
        @Flag(help: "Read the password from the first line of standard input (its user chose it, so it need not be changed).")
        var passwordStdin = false
        @OptionGroup var data: DataOptions

        func validate() throws {
            guard Role(rawValue: role) != nil else { throw ValidationError("--role takes admin, supervisor, investigator, auditor or examiner") }
        }

        func run() async throws {
            try await failingWithExitCode2 {
                let chosen: String?
                if passwordStdin {
                    guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                        throw UsageFailure("--password-stdin read no password from standard input")
                    }
                    chosen = line
                } else {
                    chosen = nil
                }
                let gallery = try await data.openGallery()
                let accounts = Accounts(store: gallery.store)
                var org = try await gallery.store.organization(named: organization)
                if org == nil { org = try await accounts.createOrganization(name: organization) }
                guard let org else { return }
                let password = chosen ?? String(Secrets.token().prefix(20))
                _ = try await accounts.createAccount(in: org, username: username, password: password, role: Role(rawValue: role)!,
                                                     oneTime: chosen == nil)
                if chosen != nil {
                    print("Account '\(username)' (\(role)) of '\(org.name)' created with the password given.")
                } else {
                    print("Account '\(username)' (\(role)) of '\(org.name)' created. One-time password (to change at the first sign-in): \(password)")
                }
            }
        }
    }

    struct Bootstrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make the first administrator, if there is none: prints only its one-time password.",
            discussion: """
                For installers: with no administrator anywhere, creates 'admin' (in --org, or the \
                first organisation, or a new one named "Likeness") with a one-time password to \
                change at the first sign-in, and prints that password alone on standard output, \
                for the installer to keep where only root can read it. With an administrator \
                already, prints nothing. `serve` does the same at its first start, into a file in \
                the data directory.
                """)
        @OptionGroup var data: DataOptions

        func run() async throws {
            try await failingWithExitCode2 {
                let gallery = try await data.openGallery()
                guard let (_, password) = try await Accounts(store: gallery.store).createFirstAdministrator(organizationName: data.org)
                else { return }
                print(password)
            }
        }
    }
}

extension AdminCommand {
    struct Jurisdictions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set the ISO 3166 jurisdictions an organisation may ingest and search (a country admits its subdivisions).",
            discussion: "Searches skip collections of other jurisdictions, and ingest into them is refused.")
        @Argument(help: "ISO 3166 codes, e.g. GB FR US-CA.") var codes: [String] = []
        @Flag(help: "Allow any jurisdiction (the default).") var any = false
        @Option(help: "The organisation.") var organization: String
        @OptionGroup var data: DataOptions

        func validate() throws {
            guard any != !codes.isEmpty else { throw ValidationError("give ISO 3166 codes, or --any") }
            for code in codes where !CollectionRules.isISO3166(code.uppercased()) {
                throw ValidationError("\(code) is not an ISO 3166 code such as GB or US-CA")
            }
        }

        func run() async throws {
            try await failingWithExitCode2 {
                let gallery = try await data.openGallery()
                let governance = gallery.store
                guard let org = try await governance.organization(named: organization) else {
                    throw UsageFailure("no organisation named '\(organization)'")
                }
                let list = any ? nil : codes.map { $0.uppercased() }
                try await governance.setJurisdictions(list, for: org.id)
                try await governance.appendAudit(NewAuditEntry(
                    organization: org.id, actorID: nil, actor: "cli:\(ProcessInfo.processInfo.userName)",
                    action: AuditLog.Action.settingsChange.rawValue,
                    detail: "jurisdictions: " + (list?.joined(separator: ", ") ?? "any")))
                print("\(org.name) may ingest and search: " + (list?.joined(separator: ", ") ?? "any jurisdiction"))
            }
        }
    }
}

extension AdminCommand {
    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-password",
            abstract: "Give an account a one-time password, to change at its next sign-in; ends its sessions.",
            discussion: "For an administrator locked out with no other administrator to reset them from /accounts.")
        @Argument(help: "The username.") var username: String
        @OptionGroup var data: DataOptions

        func run() async throws {
            try await failingWithExitCode2 {
                let gallery = try await data.openGallery()
                let accounts = Accounts(store: gallery.store)
                let password = try await accounts.resetPassword(username: username,
                                                                by: "cli:\(ProcessInfo.processInfo.userName)")
                print("Account '\(username)' has a one-time password (to change at the next sign-in): \(password)")
            }
        }
    }

    struct Train: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a course an account completed: searching needs one within the organisation's limit (12 months by default).")
        @Argument(help: "The username.") var username: String
        @Option(help: "The course.") var course: String
        @Option(help: "When it was completed: YYYY-MM-DD.") var completedOn: String
        @OptionGroup var data: DataOptions

        func run() async throws {
            try await failingWithExitCode2 {
                let completed = try date(completedOn, option: "--completed-on")
                let gallery = try await data.openGallery()
                guard let account = try await gallery.store.account(username: username)?.account else {
                    throw UsageFailure("no account '\(username)'")
                }
                let record = try await Training(store: gallery.store).record(course: course, completedOn: completed, for: account,
                                                                             caller: nil)
                print("Recorded: \(username) completed \(record.course) on \(String(AuditEntry.timestamp(record.completedOn).prefix(10))).")
            }
        }
    }
}
