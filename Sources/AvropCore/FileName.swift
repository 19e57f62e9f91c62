import Foundation

/// File names as they are kept and offered for download: the last path component only, no control or
/// path characters, at most 120 characters, and an extension that matches what the file is.
public enum FileName {
    public static func sanitized(_ name: String, for type: FileType) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var kept = ""
        for scalar in last.unicodeScalars {
            let properties = scalar.properties
            if properties.isAlphabetic || properties.numericType != nil || " .-_()+,".unicodeScalars.contains(scalar) {
                kept.unicodeScalars.append(scalar)
            } else {
                kept.append("_")
            }
        }
        // No hidden files, no trailing dots or spaces (Windows drops them), no runs of separators.
        var trimmed = kept.trimmingCharacters(in: CharacterSet(charactersIn: " ._"))
        while trimmed.contains("  ") { trimmed = trimmed.replacingOccurrences(of: "  ", with: " ") }
        var stem = trimmed
        if let dot = trimmed.lastIndex(of: ".") { stem = String(trimmed[..<dot]) }
        let givenExtension = trimmed.lastIndex(of: ".").map { String(trimmed[trimmed.index(after: $0)...]).lowercased() }
        let matches = givenExtension == type.fileExtension || (givenExtension == "jpeg" && type.fileExtension == "jpg")
        if stem.isEmpty { stem = "dokument" }
        stem = String(stem.prefix(110)).trimmingCharacters(in: CharacterSet(charactersIn: " ._"))
        let fileExtension = matches ? (givenExtension ?? type.fileExtension) : type.fileExtension
        return "\(stem.isEmpty ? "dokument" : stem).\(fileExtension)"
    }

    /// `Content-Disposition: attachment` with an ASCII fallback and the UTF-8 name (RFC 6266, RFC 8187).
    public static func attachmentHeader(_ name: String) -> String {
        let fallback = String(name.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0 != "\\" && $0.value >= 0x20 ? Character($0) : "_" })
        var encoded = ""
        for byte in name.utf8 {
            let unreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || [0x2D, 0x2E, 0x5F, 0x7E].contains(byte)
            encoded += unreserved ? String(UnicodeScalar(byte)) : "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
        }
        return "attachment; filename=\"\(fallback)\"; filename*=UTF-8''\(encoded)"
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        String(repeating: "0", count: max(0, length - count)) + self
    }
}
