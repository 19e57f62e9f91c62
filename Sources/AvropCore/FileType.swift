/// What an uploaded file is, decided by its first bytes (its magic number), never by the name or the
/// Content-Type the client sent: a renamed executable stays an executable and is refused.
public struct FileType: Sendable, Equatable {
    /// The media type the file is served with.
    public let mediaType: String
    /// The extension its name gets when the name has another (without the dot).
    public let fileExtension: String

    public init(mediaType: String, fileExtension: String) {
        self.mediaType = mediaType
        self.fileExtension = fileExtension
    }

    /// The accepted kinds: PDF, Office (OOXML, OpenDocument, and the older binary formats), images (PNG,
    /// JPEG, GIF, WebP) and plain UTF-8 text. Anything else, executables and scripts first of all, is `nil`.
    public static func detect(_ bytes: [UInt8], name: String) -> FileType? {
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + prefix.count && Array(bytes[offset..<(offset + prefix.count)]) == prefix
        }
        func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }
        if executableSignatures.contains(where: { starts($0) }) { return nil }
        if starts(ascii("%PDF-")) { return FileType(mediaType: "application/pdf", fileExtension: "pdf") }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return FileType(mediaType: "image/png", fileExtension: "png") }
        if starts([0xFF, 0xD8, 0xFF]) { return FileType(mediaType: "image/jpeg", fileExtension: "jpg") }
        if starts(ascii("GIF87a")) || starts(ascii("GIF89a")) { return FileType(mediaType: "image/gif", fileExtension: "gif") }
        if starts(ascii("RIFF")) && starts(ascii("WEBP"), at: 8) { return FileType(mediaType: "image/webp", fileExtension: "webp") }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return zipped(bytes) }
        if starts([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) { return compoundDocument(name: name) }
        return plainText(bytes)
    }

    /// ELF, Windows PE ("MZ"), Mach-O (both byte orders, 32/64 bit, universal) and scripts ("#!").
    static let executableSignatures: [[UInt8]] = [
        [0x7F, 0x45, 0x4C, 0x46], [0x4D, 0x5A], [0xFE, 0xED, 0xFA, 0xCE], [0xFE, 0xED, 0xFA, 0xCF],
        [0xCE, 0xFA, 0xED, 0xFE], [0xCF, 0xFA, 0xED, 0xFE], [0xCA, 0xFE, 0xBA, 0xBE], [0x23, 0x21],
    ]

    /// A ZIP archive is accepted only as an Office document: OpenDocument names its type in an
    /// uncompressed `mimetype` entry first; OOXML has `[Content_Types].xml` and a `word/`, `xl/` or `ppt/` part.
    private static func zipped(_ bytes: [UInt8]) -> FileType? {
        let openDocument: [(String, String)] = [
            ("application/vnd.oasis.opendocument.text", "odt"), ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
            ("application/vnd.oasis.opendocument.presentation", "odp"),
        ]
        // The first entry's name starts at byte 30; "mimetype" then its stored content.
        let head = bytes.prefix(30 + 8 + 60)
        if head.count > 38, Array(head[30..<38]) == Array("mimetype".utf8) {
            let content = String(decoding: head[38...], as: UTF8.self)
            for (type, fileExtension) in openDocument where content.hasPrefix(type) {
                return FileType(mediaType: type, fileExtension: fileExtension)
            }
            return nil
        }
        // Entry names are stored uncompressed in the local headers and the central directory.
        guard contains(bytes, "[Content_Types].xml") else { return nil }
        if contains(bytes, "word/") {
            return FileType(mediaType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", fileExtension: "docx")
        }
        if contains(bytes, "xl/") {
            return FileType(mediaType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", fileExtension: "xlsx")
        }
        if contains(bytes, "ppt/") {
            return FileType(mediaType: "application/vnd.openxmlformats-officedocument.presentationml.presentation", fileExtension: "pptx")
        }
        return nil
    }

    /// The older Office formats share one container (OLE compound document); the name tells which.
    private static func compoundDocument(name: String) -> FileType? {
        switch name.split(separator: ".").last?.lowercased() {
        case "doc": FileType(mediaType: "application/msword", fileExtension: "doc")
        case "xls": FileType(mediaType: "application/vnd.ms-excel", fileExtension: "xls")
        case "ppt": FileType(mediaType: "application/vnd.ms-powerpoint", fileExtension: "ppt")
        default: nil
        }
    }

    /// UTF-8 without control characters other than tab, line feed, form feed and carriage return.
    private static func plainText(_ bytes: [UInt8]) -> FileType? {
        guard !bytes.isEmpty, String(validating: bytes, as: UTF8.self) != nil else { return nil }
        let allowed: Set<UInt8> = [0x09, 0x0A, 0x0C, 0x0D]
        guard !bytes.contains(where: { ($0 < 0x20 && !allowed.contains($0)) || $0 == 0x7F }) else { return nil }
        return FileType(mediaType: "text/plain; charset=utf-8", fileExtension: "txt")
    }

    private static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard let first = needle.first, bytes.count >= needle.count else { return false }
        var index = 0
        while index <= bytes.count - needle.count {
            if bytes[index] == first && Array(bytes[index..<(index + needle.count)]) == needle { return true }
            index += 1
        }
        return false
    }
}
