import AvropApp
import Foundation
import Logging
import Synchronization
import Testing

@Suite("JSON log lines")
struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
    }

    @Test func oneParsableObjectPerLineWithMetadata() throws {
        let captured = Lines()
        var handler = JSONLogHandler(label: "avrop") { line in captured.lines.withLock { $0.append(line) } }
        handler[metadataKey: "request_id"] = "r-1"
        let logger = Logger(label: "avrop", factory: { _ in handler })
        logger.info("request \"quoted\"\nnext line", metadata: ["status": .stringConvertible(200), "route": "/readyz"])
        let lines = captured.lines.withLock { $0 }
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.hasSuffix("}\n"))
        #expect(line.dropLast().contains("\n") == false)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["level"] as? String == "info")
        #expect(object["message"] as? String == "request \"quoted\"\nnext line")
        #expect(object["request_id"] as? String == "r-1")
        #expect(object["status"] as? String == "200")
        #expect(object["route"] as? String == "/readyz")
        let time = try #require(object["time"] as? String)
        #expect(time.contains("T") && time.hasSuffix("Z"), "UTC with a zone designator: \(time)")
    }
}
