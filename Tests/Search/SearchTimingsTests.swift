import LikenessSearch
import Testing

@Suite struct SearchTimingsTests {
    @Test func stagesAreWrittenAsServerTimingAndReadBackInOrder() {
        var timings = SearchTimings()
        let sum = timings.measure("decode") { (1...1_000).reduce(0, +) }
        timings.measure("detect") {}
        #expect(sum == 500_500)
        let header = timings.serverTiming
        #expect(header.hasPrefix("decode;dur=") && header.contains(", detect;dur="), "\(header)")
        let read = SearchTimings(serverTiming: header)
        #expect(read.stages.map(\.name) == ["decode", "detect"])
        for (a, b) in zip(read.stages, timings.stages) { #expect(abs(a.milliseconds - b.milliseconds) <= 0.05) }
    }

    /// Other servers' entries (a proxy's, with a description and no duration) are skipped, not misread.
    @Test func entriesWithoutADurationAreSkipped() {
        let read = SearchTimings(serverTiming: #"cache;desc="hit", db;dur=53.2, ;dur=1, app;dur=abc, total;desc="x";dur=7"#)
        #expect(read.stages == [.init(name: "db", milliseconds: 53.2), .init(name: "total", milliseconds: 7)])
    }
}
