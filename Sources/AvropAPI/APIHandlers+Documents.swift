import AvropCore
import FrameworkAgreements
import Foundation
import Identity
import OpenAPIRuntime

/// Evidence documents over the API: the same `SolutionDocuments` as the pages.
extension APIHandlers {
    func listSolutionDocuments(_ input: Operations.ListSolutionDocuments.Input) async throws -> Operations.ListSolutionDocuments.Output {
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        do {
            let list = try await documents.list(id, for: APIRequest.actor)
            return .ok(.init(body: .json(.init(items: list.map(Self.document)))))
        } catch AgreementError.notFound {
            return .notFound(Problems.notFound)
        }
    }

    func addSolutionDocument(_ input: Operations.AddSolutionDocument.Input) async throws -> Operations.AddSolutionDocument.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        guard case .binary(let body) = input.body else { return .badRequest(Problems.badRequest("send the file as application/octet-stream")) }
        let bytes: [UInt8]
        do {
            bytes = try await [UInt8](collecting: body, upTo: documents.maximumBytes)
        } catch {
            // Only a body over the limit stops the collection (a dropped connection never gets an answer).
            return .contentTooLarge(Problems.agreement(AgreementError.fileTooLarge(maximumBytes: documents.maximumBytes)).1)
        }
        do {
            let added = try await documents.add(to: id, name: input.query.name, bytes: bytes, by: actor)
            return .created(.init(body: .json(Self.document(added))))
        } catch let error as AgreementError {
            let (status, problem) = Problems.agreement(error)
            switch status {
            case 404: return .notFound(problem)
            case 409: return .conflict(problem)
            case 413: return .contentTooLarge(problem)
            case 415: return .unsupportedMediaType(problem)
            default: return .badRequest(problem)
            }
        }
    }

    func downloadDocument(_ input: Operations.DownloadDocument.Input) async throws -> Operations.DownloadDocument.Output {
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        do {
            let (document, content) = try await documents.download(id, for: APIRequest.actor)
            return .ok(.init(headers: .init(contentDisposition: FileName.attachmentHeader(document.fileName)), body: .binary(HTTPBody(content))))
        } catch AgreementError.notFound {
            return .notFound(Problems.notFound)
        }
    }

    static func document(_ document: SolutionDocument) -> Components.Schemas.Document {
        .init(
            id: document.id.uuidString.lowercased(), solutionId: document.solutionID.uuidString.lowercased(), fileName: document.fileName,
            mediaType: document.mediaType, sizeBytes: Int64(document.sizeBytes), sha256: document.sha256, createdAt: document.createdAt
        )
    }
}
