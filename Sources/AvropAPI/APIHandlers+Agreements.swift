import AvropCore
import FrameworkAgreements
import Foundation
import Identity
import OpenAPIRuntime

/// Framework agreements over the API: the same `AgreementService` as the pages.
extension APIHandlers {
    var agreements: AgreementService { services.agreements }

    func listFrameworkAgreements(_ input: Operations.ListFrameworkAgreements.Input) async throws -> Operations.ListFrameworkAgreements.Output {
        let list = try await agreements.list(for: APIRequest.actor)
        return .ok(.init(body: .json(.init(items: list.map(AgreementJSON.agreement)))))
    }

    func createFrameworkAgreement(_ input: Operations.CreateFrameworkAgreement.Input) async throws -> Operations.CreateFrameworkAgreement.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard case .json(let body) = input.body else { return .badRequest(Problems.badRequest("expected a JSON body")) }
        do {
            let created = try await agreements.create(try AgreementJSON.terms(body), by: actor)
            return .created(.init(headers: .init(eTag: IfMatch.etag(created.version)), body: .json(AgreementJSON.agreement(created))))
        } catch let error as AgreementError {
            return Problems.agreement(error, notFound: { .notFound($0) }, conflict: { .conflict($0) }, other: { .unprocessableContent($0) })
        }
    }

    func getFrameworkAgreement(_ input: Operations.GetFrameworkAgreement.Input) async throws -> Operations.GetFrameworkAgreement.Output {
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        do {
            let details = try await agreements.details(id, for: APIRequest.actor)
            return .ok(.init(headers: .init(eTag: IfMatch.etag(details.agreement.version)), body: .json(AgreementJSON.details(details))))
        } catch AgreementError.notFound {
            return .notFound(Problems.notFound)
        }
    }

    func updateFrameworkAgreement(_ input: Operations.UpdateFrameworkAgreement.Input) async throws -> Operations.UpdateFrameworkAgreement.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        guard case .json(let body) = input.body else { return .badRequest(Problems.badRequest("expected a JSON body")) }
        let version = try IfMatch.version(input.headers.ifMatch)
        do {
            let changed = try await agreements.update(id, terms: try AgreementJSON.terms(body), ifVersion: version, by: actor)
            return .ok(.init(headers: .init(eTag: IfMatch.etag(changed.version)), body: .json(AgreementJSON.agreement(changed))))
        } catch let error as AgreementError {
            return Problems.agreement(error, notFound: { .notFound($0) }, conflict: { .conflict($0) },
                                      stale: { .preconditionFailed($0) }, other: { .unprocessableContent($0) })
        }
    }

    func addLot(_ input: Operations.AddLot.Input) async throws -> Operations.AddLot.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        guard case .json(let body) = input.body else { return .badRequest(Problems.badRequest("expected a JSON body")) }
        do {
            let lot = try await agreements.addLot(
                to: id, number: body.number, title: body.title, description: body.description ?? "", region: body.region ?? "",
                method: Lot.CallOffMethod(rawValue: body.callOffMethod.rawValue) ?? .renewedCompetition,
                combinedThresholdOre: body.combinedThresholdOre, dialogueAllowed: body.dialogueAllowed ?? true,
                minimumTenderDays: body.minimumTenderDays ?? 10, by: actor
            )
            return .created(.init(body: .json(AgreementJSON.lot(lot, suppliers: []))))
        } catch let error as AgreementError {
            return Problems.agreement(error, notFound: { .notFound($0) }, conflict: { .conflict($0) }, other: { .unprocessableContent($0) })
        }
    }

    func removeLot(_ input: Operations.RemoveLot.Input) async throws -> Operations.RemoveLot.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id), let lotID = UUID(uuidString: input.path.lotId) else { return .notFound(Problems.notFound) }
        do {
            // The lot must belong to the agreement of the path.
            guard try await agreements.details(id, for: actor).lots.contains(where: { $0.id == lotID }) else { return .notFound(Problems.notFound) }
            try await agreements.removeLot(lotID, by: actor)
            return .noContent(.init())
        } catch let error as AgreementError {
            return Problems.agreement(error, notFound: { .notFound($0) }, conflict: { .conflict($0) }, other: { .conflict($0) })
        }
    }

    func removeRequirement(_ input: Operations.RemoveRequirement.Input) async throws -> Operations.RemoveRequirement.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id), let requirementID = UUID(uuidString: input.path.requirementId) else {
            return .notFound(Problems.notFound)
        }
        do {
            try await agreements.removeRequirement(requirementID, from: id, by: actor)
            return .noContent(.init())
        } catch let error as AgreementError {
            return Problems.agreement(error, notFound: { .notFound($0) }, conflict: { .conflict($0) }, other: { .conflict($0) })
        }
    }

    func addLotSupplier(_ input: Operations.AddLotSupplier.Input) async throws -> Operations.AddLotSupplier.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard UUID(uuidString: input.path.id) != nil, let lotID = UUID(uuidString: input.path.lotId) else { return .notFound(Problems.notFound) }
        guard case .json(let body) = input.body else { return .badRequest(Problems.badRequest("expected a JSON body")) }
        guard let supplierID = UUID(uuidString: body.supplierId) else { return .badRequest(Problems.badRequest("supplierId is not a UUID")) }
        do {
            try await agreements.addSupplier(supplierID, to: lotID, rank: body.rank, by: actor)
            return .noContent(.init())
        } catch let error as AgreementError {
            return Problems.agreement(error, notFound: { .notFound($0) }, conflict: { .conflict($0) }, other: { .unprocessableContent($0) })
        }
    }

    func setLotSupplierStatus(_ input: Operations.SetLotSupplierStatus.Input) async throws -> Operations.SetLotSupplierStatus.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let lotID = UUID(uuidString: input.path.lotId), let supplierID = UUID(uuidString: input.path.supplierId) else {
            return .notFound(Problems.notFound)
        }
        guard case .json(let body) = input.body else { return .badRequest(Problems.badRequest("expected a JSON body")) }
        let status: LotSupplier.Status = switch body.status {
        case .active: .active
        case .suspended: .suspended(reason: body.reason ?? "", until: body.until.flatMap(CalendarDay.init))
        case .removed: .removed(reason: body.reason ?? "")
        }
        if body.until != nil, case .suspended(_, nil) = status { return .badRequest(Problems.badRequest("until is not a day (YYYY-MM-DD)")) }
        do {
            try await agreements.setSupplierStatus(supplierID, on: lotID, to: status, by: actor)
            return .noContent(.init())
        } catch let error as AgreementError {
            return Problems.agreement(error, notFound: { .notFound($0) }, conflict: { .conflict($0) }, other: { .unprocessableContent($0) })
        }
    }

    func addRequirement(_ input: Operations.AddRequirement.Input) async throws -> Operations.AddRequirement.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        guard case .json(let body) = input.body else { return .badRequest(Problems.badRequest("expected a JSON body")) }
        let kind: Requirement.Kind
        switch body.kind {
        case .mandatory: kind = .mandatory
        case .weighted:
            guard let low = body.weightMin, let high = body.weightMax else {
                return .unprocessableContent(Problems.make(422, "invalid-field", "A field has a value that is not allowed",
                                                           detail: "a weighted requirement needs weightMin and weightMax"))
            }
            kind = .weighted(minimum: low, maximum: high)
        }
        let lotID: UUID?
        if let text = body.lotId {
            guard let parsed = UUID(uuidString: text) else { return .badRequest(Problems.badRequest("lotId is not a UUID")) }
            lotID = parsed
        } else {
            lotID = nil
        }
        do {
            let requirement = try await agreements.addRequirement(
                to: id, lotID: lotID, code: body.code, text: body.text, kind: kind,
                category: Requirement.Category(rawValue: body.category.rawValue) ?? .quality, indicator: body.indicator,
                followUpMethod: body.followUpMethod ?? "",
                followUpFrequency: body.followUpFrequency.flatMap { Requirement.Frequency(rawValue: $0.rawValue) } ?? .none, by: actor
            )
            return .created(.init(body: .json(AgreementJSON.requirement(requirement))))
        } catch let error as AgreementError {
            return Problems.agreement(error, notFound: { .notFound($0) }, conflict: { .conflict($0) }, other: { .unprocessableContent($0) })
        }
    }

    func activateFrameworkAgreement(_ input: Operations.ActivateFrameworkAgreement.Input) async throws -> Operations.ActivateFrameworkAgreement.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        do {
            return .ok(.init(body: .json(AgreementJSON.agreement(try await agreements.activate(id, by: actor)))))
        } catch let error as AgreementError {
            return Problems.agreement(error, notFound: { .notFound($0) }, conflict: { .conflict($0) }, other: { .unprocessableContent($0) })
        }
    }

    func terminateFrameworkAgreement(_ input: Operations.TerminateFrameworkAgreement.Input) async throws -> Operations.TerminateFrameworkAgreement.Output {
        guard let actor = APIRequest.actor else { return .unauthorized(Problems.unauthorized) }
        guard let id = UUID(uuidString: input.path.id) else { return .notFound(Problems.notFound) }
        guard case .json(let body) = input.body else { return .badRequest(Problems.badRequest("expected a JSON body")) }
        do {
            return .ok(.init(body: .json(AgreementJSON.agreement(try await agreements.terminate(id, reason: body.reason, by: actor)))))
        } catch let error as AgreementError {
            return Problems.agreement(error, notFound: { .notFound($0) }, conflict: { .conflict($0) }, other: { .unprocessableContent($0) })
        }
    }
}

extension Problems {
    /// The answer to a refused agreement use case, in the operation's own output type: each operation passes
    /// the cases it has (`stale` only where it takes If-Match; without it a stale version is a conflict).
    static func agreement<Output>(
        _ error: AgreementError, notFound: (Components.Responses.Problem) -> Output, conflict: (Components.Responses.Problem) -> Output,
        stale: ((Components.Responses.Problem) -> Output)? = nil, other: (Components.Responses.Problem) -> Output
    ) -> Output {
        let (status, problem) = agreement(error)
        return answer(status, problem, notFound: notFound, conflict: conflict, stale: stale, other: other)
    }

    /// A refused use case's problem in the operation's own output type, by its status: each operation passes
    /// the cases it has (`stale` only where it takes If-Match; without it a stale version is a conflict).
    static func answer<Output>(
        _ status: Int, _ problem: Components.Responses.Problem, notFound: (Components.Responses.Problem) -> Output,
        conflict: (Components.Responses.Problem) -> Output, stale: ((Components.Responses.Problem) -> Output)?,
        other: (Components.Responses.Problem) -> Output
    ) -> Output {
        switch status {
        case 404: notFound(problem)
        case 409: conflict(problem)
        case 412: stale.map { $0(problem) } ?? conflict(problem)
        default: other(problem)
        }
    }

    /// The status and problem of a refused agreement use case; the type names the rule where one applies.
    static func agreement(_ error: AgreementError) -> (Int, Components.Responses.Problem) {
        switch error {
        case .notFound: (404, notFound)
        case .invalid: (422, make(422, "invalid-field", "A field has a value that is not allowed", detail: error.description))
        case .validityTooLong: (422, make(422, "r1-validity-too-long", "Validity with extension exceeds four years without a justification (R1)"))
        case .notDraft: (409, make(409, "not-a-draft", "Only a draft can be changed this way"))
        case .closedSystem: (409, make(409, "r3-closed-system", "No supplier joins an activated framework agreement (R3)"))
        case .duplicate: (409, make(409, "duplicate", "It exists already", detail: error.description))
        case .incomplete: (422, make(422, "agreement-incomplete", "The agreement cannot be activated yet", detail: error.description))
        case .versionMismatch: (412, make(412, "precondition-failed", "The resource has changed since you read it"))
        case .fileTooLarge: (413, make(413, "payload-too-large", "The file is too large", detail: error.description))
        case .fileTypeRefused: (415, make(415, "unsupported-media-type", "This kind of file is not accepted", detail: error.description))
        }
    }
}

/// Between the API's JSON and the agreement types.
enum AgreementJSON {
    static func terms(_ body: Components.Schemas.AgreementTerms) throws -> FrameworkAgreement.Terms {
        guard let from = CalendarDay(body.validFrom) else { throw AgreementError.invalid(field: "validFrom", reason: "a day, YYYY-MM-DD") }
        guard let to = CalendarDay(body.validTo) else { throw AgreementError.invalid(field: "validTo", reason: "a day, YYYY-MM-DD") }
        var extended: CalendarDay?
        if let text = body.maxExtendedTo {
            guard let day = CalendarDay(text) else { throw AgreementError.invalid(field: "maxExtendedTo", reason: "a day, YYYY-MM-DD") }
            extended = day
        }
        let authorities = try (body.eligibleAuthorityIds ?? []).map { text in
            guard let id = UUID(uuidString: text) else { throw AgreementError.invalid(field: "eligibleAuthorityIds", reason: "UUIDs") }
            return id
        }
        return .init(
            reference: body.reference, title: body.title, description: body.description ?? "", validFrom: from, validTo: to,
            maxExtendedTo: extended, longValidityJustification: body.longValidityJustification, ceilingOre: body.ceilingOre,
            eligibility: authorities.isEmpty ? .allAuthorities : .authorities(authorities), innovationStep: body.innovationStep.flatMap { InnovationStep(rawValue: $0.rawValue) }, innovationNote: body.innovationNote ?? ""
        )
    }

    static func agreement(_ agreement: FrameworkAgreement) -> Components.Schemas.FrameworkAgreement {
        let terms = agreement.terms
        let eligible: [String]? = switch terms.eligibility {
        case .allAuthorities: nil
        case .authorities(let ids): ids.map { $0.uuidString.lowercased() }
        }
        return .init(
            value1: .init(
                reference: terms.reference, title: terms.title, description: terms.description, validFrom: terms.validFrom.description,
                validTo: terms.validTo.description, maxExtendedTo: terms.maxExtendedTo?.description,
                longValidityJustification: terms.longValidityJustification, ceilingOre: terms.ceilingOre,
                eligibleAuthorityIds: eligible, innovationStep: terms.innovationStep.flatMap { .init(rawValue: $0.rawValue) },
                innovationNote: terms.innovationNote
            ),
            value2: .init(
                id: agreement.id.uuidString.lowercased(), ownerId: agreement.ownerID.uuidString.lowercased(),
                status: .init(rawValue: agreement.status.rawValue) ?? .draft, activatedAt: agreement.activatedAt,
                terminatedAt: agreement.terminatedAt, terminationReason: agreement.terminationReason, version: agreement.version
            )
        )
    }

    static func lot(_ lot: Lot, suppliers: [LotSupplier]) -> Components.Schemas.Lot {
        .init(
            value1: .init(
                number: lot.number, title: lot.title, description: lot.description, region: lot.region,
                callOffMethod: .init(rawValue: lot.method.rawValue) ?? .renewedCompetition, combinedThresholdOre: lot.combinedThresholdOre,
                dialogueAllowed: lot.dialogueAllowed, minimumTenderDays: lot.minimumTenderDays
            ),
            value2: .init(id: lot.id.uuidString.lowercased(), suppliers: suppliers.map(supplier))
        )
    }

    static func supplier(_ supplier: LotSupplier) -> Components.Schemas.LotSupplier {
        let (reason, until): (String?, String?) = switch supplier.status {
        case .active: (nil, nil)
        case .suspended(let reason, let until): (reason, until?.description)
        case .removed(let reason): (reason, nil)
        }
        return .init(
            supplierId: supplier.supplierID.uuidString.lowercased(), name: supplier.supplierName, rank: supplier.rank,
            status: .init(rawValue: supplier.status.name) ?? .active, reason: reason, until: until
        )
    }

    static func requirement(_ requirement: Requirement) -> Components.Schemas.Requirement {
        let (kind, low, high): (Components.Schemas.RequirementInput.KindPayload, Int?, Int?) = switch requirement.kind {
        case .mandatory: (.mandatory, nil, nil)
        case .weighted(let low, let high): (.weighted, low, high)
        }
        return .init(
            value1: .init(
                lotId: requirement.lotID?.uuidString.lowercased(), code: requirement.code, text: requirement.text, kind: kind,
                weightMin: low, weightMax: high, category: .init(rawValue: requirement.category.rawValue) ?? .quality,
                indicator: requirement.indicator, followUpMethod: requirement.followUpMethod,
                followUpFrequency: .init(rawValue: requirement.followUpFrequency.rawValue)
            ),
            value2: .init(id: requirement.id.uuidString.lowercased())
        )
    }

    static func details(_ details: AgreementDetails) -> Components.Schemas.AgreementDetails {
        .init(
            agreement: agreement(details.agreement),
            lots: details.lots.map { lot($0, suppliers: details.suppliers(of: $0.id)) },
            requirements: details.requirements.map(requirement)
        )
    }
}
