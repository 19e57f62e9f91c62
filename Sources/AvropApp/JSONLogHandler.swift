import Foundation
import AvropHTTP
public import Logging

/// Writes one JSON object per line to standard error: `time`, `level`, `label`, `message`, then the
/// metadata. Chosen with `AVROP_LOG_FORMAT=json`, for log collectors in production.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    /// A handler writing to standard error.
    public init(label: String) {
        self.init(label: label) { line in FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// A handler handing each line to `write`.
    public init(label: String, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        var line = "{\"time\":\(JSONText.quoted(Date().ISO8601Format(Date.ISO8601FormatStyle(includingFractionalSeconds: true))))"
        line += ",\"level\":\(JSONText.quoted(event.level.rawValue)),\"label\":\(JSONText.quoted(label)),\"message\":\(JSONText.quoted(event.message.description))"
        for key in merged.keys.sorted() where !["time", "level", "label", "message"].contains(key) {
            if let value = merged[key] { line += ",\(JSONText.quoted(key)):\(Self.json(value))" }
        }
        write(line + "}\n")
    }

    private static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): JSONText.quoted(text)
        case .stringConvertible(let convertible): JSONText.quoted(convertible.description)
        case .array(let items): "[" + items.map(json).joined(separator: ",") + "]"
        case .dictionary(let entries): "{" + entries.keys.sorted().map { "\(JSONText.quoted($0)):\(json(entries[$0] ?? .string("")))" }.joined(separator: ",") + "}"
        }
    }
}
