import Foundation

/// Prints an HTML document to PDF with Debian's headless Chromium: a fixed command line, a
/// private folder as its home and profile, every host name unresolvable (the document is whole,
/// its images inline), and killed if it has not finished within a minute.
enum PDFPrinter {
    static let chromium = "/usr/bin/chromium"
    static let timeLimit: TimeInterval = 60

    static func write(html: String, to output: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: chromium) else {
            throw UsageFailure("\(chromium) is not installed (Debian package chromium; `make setup` installs it): "
                               + "write the report as HTML with an --output ending in .html")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = folder.appendingPathComponent("report.html")
        let pdf = folder.appendingPathComponent("report.pdf")
        let log = folder.appendingPathComponent("chromium.log")
        try html.write(to: page, atomically: true, encoding: .utf8)
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let errors = try FileHandle(forWritingTo: log)
        defer { try? errors.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-extensions", "--host-resolver-rules=MAP * ~NOTFOUND", "--user-data-dir=\(folder.path)/profile",
            "--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)", page.absoluteString,
        ]
        process.environment = ["HOME": folder.path, "PATH": "/usr/bin:/bin"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        try process.run()
        let watchdog = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeLimit, execute: watchdog)
        process.waitUntilExit()
        watchdog.cancel()
        guard process.terminationReason == .exit, process.terminationStatus == 0,
              FileManager.default.fileExists(atPath: pdf.path) else {
            let said = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? ""
            throw UsageFailure("chromium could not print the report"
                               + (process.terminationReason == .uncaughtSignal ? " within \(Int(timeLimit)) s" : "") + ": \(said)")
        }
        if FileManager.default.fileExists(atPath: output.path) { try FileManager.default.removeItem(at: output) }
        try FileManager.default.moveItem(at: pdf, to: output)
    }
}
