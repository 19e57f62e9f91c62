import AvropCore
import Testing

@Suite("Uploaded files: type by magic bytes, safe names")
struct FileTypeTests {
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func typesComeFromTheFirstBytesNotTheName() {
        #expect(FileType.detect(bytes("%PDF-1.7\n…"), name: "rapport.docx")?.mediaType == "application/pdf")
        #expect(FileType.detect([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0], name: "x")?.mediaType == "image/png")
        #expect(FileType.detect([0xFF, 0xD8, 0xFF, 0xE0, 0, 0], name: "bild.jpeg")?.mediaType == "image/jpeg")
        #expect(FileType.detect(bytes("GIF89a......"), name: "a.gif")?.mediaType == "image/gif")
        #expect(FileType.detect(bytes("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 "), name: "a.webp")?.mediaType == "image/webp")
        #expect(FileType.detect(bytes("Mätvärden från piloten\r\nkvartal 1\t42\n"), name: "data.csv")?.mediaType == "text/plain; charset=utf-8")
    }

    @Test func officeDocumentsAreRecognisedInsideTheirZip() {
        var docx: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 26) + bytes("[Content_Types].xml")
        docx += bytes("PK\u{3}\u{4}word/document.xml")
        #expect(FileType.detect(docx, name: "avtal.docx")?.fileExtension == "docx")
        let xlsx: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 26) + bytes("[Content_Types].xml xl/workbook.xml")
        #expect(FileType.detect(xlsx, name: "x")?.fileExtension == "xlsx")
        let odt: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 26) + bytes("mimetypeapplication/vnd.oasis.opendocument.text")
        #expect(FileType.detect(odt, name: "x.odt")?.mediaType == "application/vnd.oasis.opendocument.text")
        // Any other ZIP is refused: it could carry anything.
        let zip: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 26) + bytes("program.exe")
        #expect(FileType.detect(zip, name: "rapport.docx") == nil)
        let ole: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]
        #expect(FileType.detect(ole, name: "Gammal rapport.DOC")?.mediaType == "application/msword")
        #expect(FileType.detect(ole, name: "okänd.bin") == nil)
    }

    @Test func executablesAndBinaryJunkAreRefusedWhateverTheirName() {
        #expect(FileType.detect([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0], name: "rapport.pdf") == nil)
        #expect(FileType.detect(bytes("MZ\u{90}\u{0}"), name: "bild.png") == nil)
        #expect(FileType.detect(bytes("#!/bin/sh\nrm -rf /\n"), name: "anteckningar.txt") == nil)
        #expect(FileType.detect([0xCF, 0xFA, 0xED, 0xFE, 7, 0, 0, 1], name: "a.txt") == nil)
        #expect(FileType.detect([0x00, 0x01, 0x02, 0xFF], name: "a.txt") == nil)
        #expect(FileType.detect([], name: "tom.txt") == nil)
    }

    @Test func namesKeepTheirWordsLoseTheirPathsAndGetTheRightExtension() {
        let pdf = FileType(mediaType: "application/pdf", fileExtension: "pdf")
        #expect(FileName.sanitized("Utvärdering pilot Umeå.pdf", for: pdf) == "Utvärdering pilot Umeå.pdf")
        #expect(FileName.sanitized("../../etc/passwd", for: pdf) == "passwd.pdf")
        #expect(FileName.sanitized("C:\\Users\\eva\\rapport.PDF", for: pdf) == "rapport.pdf")
        #expect(FileName.sanitized("rapport.exe", for: pdf) == "rapport.pdf")
        #expect(FileName.sanitized("a\u{0}b\r\n<script>.pdf", for: pdf) == "a_b___script.pdf")
        #expect(FileName.sanitized(".hidden", for: pdf) == "hidden.pdf")
        #expect(FileName.sanitized("", for: pdf) == "dokument.pdf")
        #expect(FileName.sanitized(String(repeating: "å", count: 500) + ".pdf", for: pdf).count == 114)
    }

    @Test func theDownloadHeaderCarriesAnASCIIFallbackAndTheUTF8Name() {
        #expect(FileName.attachmentHeader("Utvärdering \"1\".pdf")
            == "attachment; filename=\"Utv_rdering _1_.pdf\"; filename*=UTF-8''Utv%C3%A4rdering%20%221%22.pdf")
    }
}
