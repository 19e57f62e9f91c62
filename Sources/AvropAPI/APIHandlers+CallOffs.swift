import CallOffs
import Foundation
import Identity
import OpenAPIRuntime

/// Call-offs over the API: the same `CallOffService` the pages will use.
extension APIHandlers {
    var callOffs: CallOffService { services.callOffs }

    func listCallOffs(_ input: Operations.ListCallOffs.Input) async throws -> Operations.ListCallOffs.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        let limit = try PageLimit.read(input.query.limit)
        var cursor: CallOffCursor?
        if let text = input.query.cursor {
            guard let read = CallOffCursor(text) else { return .badRequest(Problems.badRequest("the cursor is not one this service gave out")) }
            cursor = read
        }
        // One more than asked shows whether another page follows.
        let found = try await callOffs.list(for: actor, after: cursor, limit: limit + 1)
        let page = found.prefix(limit)
        let next = found.count > limit ? page.last.map { Pagination.nextLink("/api/v1/call-offs", ["cursor": $0.cursor.description, "limit": String(limit)]) } : nil
        return .ok(.init(body: .json(.init(items: page.map(CallOffJSON.callOff), next: next))))
    }

    func createCallOff(_ input: Operations.CreateCallOff.Input) async throws -> Operations.CreateCallOff.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard case .json(let body) = input.body else { return .badRequest(Problems.badRequest("expected a JSON body")) }
        guard let lotID = UUID(uuidString: body.lotId) else { return .unprocessableContent(Problems.callOff(.invalid(field: "lotId", reason: "a UUID")).1) }
        do {
            let draft = CallOffService.Draft(lotID: lotID, title: body.title, need: body.need ?? "", estimatedValueOre: body.estimatedValueOre)
            let created = try await callOffs.createDraft(draft, by: actor)
            return .created(.init(headers: .init(eTag: IfMatch.etag(created.version)), body: .json(CallOffJSON.callOff(created))))
        } catch let error as CallOffError {
            return Problems.callOff(error, notFound: { .notFound($0) }, conflict: { .conflict($0) }, other: { .unprocessableContent($0) })
        }
    }

    func getCallOff(_ input: Operations.GetCallOff.Input) async throws -> Operations.GetCallOff.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        do {
            let callOff = try await callOffs.find(id, for: actor)
            return .ok(.init(headers: .init(eTag: IfMatch.etag(callOff.version)), body: .json(CallOffJSON.callOff(callOff))))
        } catch CallOffError.notFound {
            return .notFound(Problems.notFound)
        }
    }

    func setCallOffCriteria(_ input: Operations.SetCallOffCriteria.Input) async throws -> Operations.SetCallOffCriteria.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        guard case .json(let body) = input.body else { return .badRequest(Problems.badRequest("expected a JSON body")) }
        let version = try IfMatch.version(input.headers.ifMatch)
        var weights: [UUID: Int] = [:]
        for item in body.weights {
            guard let requirement = UUID(uuidString: item.requirementId) else {
                return .unprocessableContent(Problems.callOff(.invalid(field: "requirementId", reason: "a UUID")).1)
            }
            guard weights.updateValue(item.weight, forKey: requirement) == nil else {
                return .unprocessableContent(Problems.callOff(.invalid(field: "weights", reason: "each requirement once")).1)
            }
        }
        do {
            let changed = try await callOffs.setCriteria(id, weights: weights, ifVersion: version, by: actor)
            return .ok(.init(headers: .init(eTag: IfMatch.etag(changed.version)), body: .json(CallOffJSON.callOff(changed))))
        } catch let error as CallOffError {
            return Problems.callOff(error, notFound: { .notFound($0) }, conflict: { .conflict($0) },
                                    stale: { .preconditionFailed($0) }, other: { .unprocessableContent($0) })
        }
    }

    func publishCallOff(_ input: Operations.PublishCallOff.Input) async throws -> Operations.PublishCallOff.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        guard case .json(let body) = input.body else { return .badRequest(Problems.badRequest("expected a JSON body")) }
        let version = try IfMatch.version(input.headers.ifMatch)
        var exclusions: [UUID: String] = [:]
        for exclusion in body.exclusions ?? [] {
            guard let supplier = UUID(uuidString: exclusion.supplierId) else {
                return .unprocessableContent(Problems.callOff(.invalid(field: "supplierId", reason: "a UUID")).1)
            }
            exclusions[supplier] = exclusion.reason
        }
        do {
            let published = try await callOffs.publish(
                id, timetable: CallOffTimetable(questionsDeadline: body.questionsDeadline, tenderDeadline: body.tenderDeadline),
                method: body.method.flatMap { CallOffMethod(rawValue: $0.rawValue) }, exclusions: exclusions, ifVersion: version, by: actor
            )
            return .ok(.init(headers: .init(eTag: IfMatch.etag(published.version)), body: .json(CallOffJSON.callOff(published))))
        } catch let error as CallOffError {
            return Problems.callOff(error, notFound: { .notFound($0) }, conflict: { .conflict($0) },
                                    stale: { .preconditionFailed($0) }, other: { .unprocessableContent($0) })
        }
    }

    func listCallOffInvitations(_ input: Operations.ListCallOffInvitations.Input) async throws -> Operations.ListCallOffInvitations.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        do {
            let invitations = try await callOffs.invitations(of: id, for: actor)
            return .ok(.init(body: .json(.init(items: invitations.map { invitation in
                .init(supplierId: invitation.supplierID.uuidString.lowercased(), position: invitation.position,
                      invitedAt: invitation.invitedAt, excludedReason: invitation.excludedReason)
            }))))
        } catch CallOffError.notFound {
            return .notFound(Problems.notFound)
        }
    }
}

extension APIHandlers {
    func listAgreementCallOffs(_ input: Operations.ListAgreementCallOffs.Input) async throws -> Operations.ListAgreementCallOffs.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        do {
            let entries = try await callOffs.register(ofAgreement: id, for: actor)
            return .ok(.init(body: .json(.init(items: entries.map { entry in
                .init(
                    id: entry.id.uuidString.lowercased(), reference: entry.reference.description, authorityId: entry.authorityID.uuidString.lowercased(),
                    authorityName: entry.authorityName, lotId: entry.lotID.uuidString.lowercased(), method: .init(rawValue: entry.method.rawValue) ?? .renewedCompetition,
                    status: .init(rawValue: entry.status.rawValue) ?? .closed, estimatedValueOre: entry.estimatedValueOre, publishedAt: entry.publishedAt
                )
            }))))
        } catch CallOffError.notFound {
            return .notFound(Problems.notFound)
        }
    }
}

extension Problems {
    /// The answer to a refused call-off use case, in the operation's own output type.
    static func callOff<Output>(
        _ error: CallOffError, notFound: (Components.Responses.Problem) -> Output, conflict: (Components.Responses.Problem) -> Output,
        stale: ((Components.Responses.Problem) -> Output)? = nil, other: (Components.Responses.Problem) -> Output
    ) -> Output {
        let (status, problem) = callOff(error)
        return answer(status, problem, notFound: notFound, conflict: conflict, stale: stale, other: other)
    }

    /// The status and problem of a refused call-off use case; the type names the rule where one applies.
    static func callOff(_ error: CallOffError) -> (Int, Components.Responses.Problem) {
        let detail = error.description
        return switch error {
        case .notFound: (404, notFound)
        case .invalid: (422, make(422, "invalid-field", "A field has a value that is not allowed", detail: detail))
        case .notDraft: (409, make(409, "not-a-draft", "Only a draft can be changed this way"))
        case .versionMismatch: (412, make(412, "precondition-failed", "The resource has changed since you read it"))
        case .agreementNotActive, .deadlineAfterAgreementEnds:
            (422, make(422, "r2-agreement-period", "The framework agreement does not allow this call-off now (R2)", detail: detail))
        case .authorityNotEligible, .supplierNotActiveOnLot:
            (422, make(422, "r3-not-eligible", "Only eligible authorities and suppliers active on the lot take part (R3)", detail: detail))
        case .methodNotAllowed, .exclusionInCascade, .exclusionWithoutReason, .noSupplierToInvite:
            (422, make(422, "r5-r7-call-off-method", "The lot's call-off method does not allow this (R5-R7)", detail: detail))
        case .tenderPeriodTooShort:
            (422, make(422, "r6-tender-period", "The tender period is shorter than the lot's minimum (R6)", detail: detail))
        case .questionsDeadlineNotBeforeTenderDeadline:
            (422, make(422, "invalid-deadlines", "The questions deadline must come before the tender deadline", detail: detail))
        case .notAFrameworkRequirement, .weightOnMandatory, .weightOutOfRange, .weightsDoNotSumTo100:
            (422, make(422, "r8-award-criteria", "Award criteria and weights must follow the framework agreement (R8)", detail: detail))
        case .standstillTooShort:
            (422, make(422, "r18-standstill", "The standstill is too short (R18)", detail: detail))
        }
    }
}

/// Between the API's JSON and the call-off types.
enum CallOffJSON {
    static func callOff(_ callOff: CallOff) -> Components.Schemas.CallOff {
        .init(
            value1: .init(lotId: callOff.lotID.uuidString.lowercased(), title: callOff.title, need: callOff.need,
                          estimatedValueOre: callOff.estimatedValueOre),
            value2: .init(
                id: callOff.id.uuidString.lowercased(), authorityId: callOff.authorityID.uuidString.lowercased(),
                agreementId: callOff.agreementID.uuidString.lowercased(), reference: callOff.reference.description,
                method: callOff.method.flatMap { .init(rawValue: $0.rawValue) }, questionsDeadline: callOff.timetable?.questionsDeadline,
                tenderDeadline: callOff.timetable?.tenderDeadline, publishedAt: callOff.publishedAt,
                status: .init(rawValue: callOff.status.rawValue) ?? .draft, version: callOff.version
            )
        )
    }
}
