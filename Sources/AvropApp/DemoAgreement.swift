import AvropCore
import FrameworkAgreements
import Foundation
import Identity
import Postgres

/// The demo's framework agreement (issue 4): "Innovativa lösningar för offentlig verksamhet", three lots,
/// the five demo suppliers ranked, twelve requirements across the categories; drafted and activated
/// through the same service as the API, by the demo framework manager.
enum DemoAgreement {
    static func seed(pool: ConnectionPool, suppliers: [UUID], today: Date = Date()) async throws {
        guard let manager = try await frameworkManager(pool), suppliers.count == 5 else { return }
        let service = AgreementService(pool: pool)
        let start = CalendarDay(today)
        let validFrom = CalendarDay("\(start.year)-01-01") ?? start
        let terms = FrameworkAgreement.Terms(
            reference: "IC-\(start.year)-001", title: "Innovativa lösningar för offentlig verksamhet",
            description: """
                Ramavtalet ger avropsberättigade myndigheter tillgång till innovativa lösningar som leverantörerna har prövat i \
                verklig verksamhet – i pilotprojekt, testbäddar eller hos referenskunder – och som inköpscentralen har verifierat.
                """,
            validFrom: validFrom, validTo: CalendarDay("\(start.year + 1)-12-31") ?? validFrom,
            maxExtendedTo: CalendarDay("\(start.year + 3)-12-31"), ceilingOre: 250_000_000_00,
            innovationStep: .deploy,
            innovationNote: "Lösningen ska vara ny för den offentliga sektorn i Sverige eller väsentligt förbättra en befintlig tjänst."
        )
        let agreement = try await service.create(terms, by: manager)
        let lots = [
            (1, "Digitala tjänster för invånare", "Hela Sverige", Lot.CallOffMethod.renewedCompetition, Int64?.none),
            (2, "Klimatsmart logistik och transporter", "Norra Sverige", .rankedCascade, nil),
            (3, "Välfärdsteknik i vård och omsorg", "Hela Sverige", .combined, Int64(2_000_000_00)),
        ]
        var lotIDs: [UUID] = []
        for (number, title, region, method, threshold) in lots {
            let lot = try await service.addLot(
                to: agreement.id, number: number, title: title, region: region, method: method, combinedThresholdOre: threshold,
                minimumTenderDays: method == .rankedCascade ? 5 : 15, by: manager
            )
            lotIDs.append(lot.id)
        }
        // Lot 1: the three digital suppliers; lot 2: logistics and smart cities; lot 3: welfare technology.
        let placements: [(lot: Int, supplier: Int, rank: Int)] = [
            (0, 0, 1), (0, 4, 2), (0, 3, 3), (1, 1, 1), (1, 3, 2), (2, 2, 1), (2, 4, 2), (2, 0, 3),
        ]
        for placement in placements {
            try await service.addSupplier(suppliers[placement.supplier], to: lotIDs[placement.lot], rank: placement.rank, by: manager)
        }
        let requirements: [(lot: Int?, code: String, text: String, kind: Requirement.Kind, category: Requirement.Category, indicator: String?, frequency: Requirement.Frequency)] = [
            (nil, "A1", "Leverantören ska uppfylla kraven i kollektivavtal eller motsvarande villkor för lön, semester och arbetstid.", .mandatory, .labourLaw, nil, .yearly),
            (nil, "A2", "Personuppgifter ska behandlas inom EU/EES och enligt dataskyddsförordningen.", .mandatory, .informationSecurity, nil, .yearly),
            (nil, "A3", "Leverantören ska ha ett ledningssystem för informationssäkerhet enligt ISO/IEC 27001 eller likvärdigt.", .mandatory, .informationSecurity, nil, .once),
            (nil, "A4", "Lösningen ska ha verifierats i minst ett pilotprojekt, en testbädd eller hos en referenskund.", .mandatory, .innovationEffect, nil, .once),
            (0, "D1", "Digitala gränssnitt ska uppfylla EN 301 549 och WCAG 2.1 nivå AA.", .mandatory, .accessibility, nil, .yearly),
            (0, "D2", "Tjänsten ska vara tillgänglig minst 99,5 procent av tiden per månad.", .weighted(minimum: 20, maximum: 50), .quality, "tillgänglighet i procent per månad", .monthly),
            (0, "D3", "Lösningen ska minska handläggningstiden för invånarnas ärenden.", .weighted(minimum: 30, maximum: 60), .innovationEffect, "minskad handläggningstid i procent", .quarterly),
            (1, "L1", "Transporterna ska drivas med förnybara drivmedel eller el.", .mandatory, .environment, nil, .quarterly),
            (1, "L2", "Utsläppen av koldioxid per levererat kolli ska minska jämfört med nuläget.", .weighted(minimum: 40, maximum: 70), .environment, "gram CO₂e per kolli", .quarterly),
            (1, "L3", "Leveranser ska ske inom avtalat tidsfönster.", .weighted(minimum: 30, maximum: 60), .delivery, "andel leveranser i tid", .monthly),
            (2, "V1", "Tekniken ska kunna användas av personer med nedsatt syn, hörsel eller rörlighet.", .mandatory, .accessibility, nil, .yearly),
            (2, "V2", "Lösningen ska frigöra tid för omsorgspersonalen.", .weighted(minimum: 50, maximum: 100), .innovationEffect, "frigjorda timmar per månad och enhet", .quarterly),
        ]
        for requirement in requirements {
            _ = try await service.addRequirement(
                to: agreement.id, lotID: requirement.lot.map { lotIDs[$0] }, code: requirement.code, text: requirement.text,
                kind: requirement.kind, category: requirement.category, indicator: requirement.indicator,
                followUpMethod: "Leverantörens rapport, stickprov av avtalsförvaltaren", followUpFrequency: requirement.frequency, by: manager
            )
        }
        _ = try await service.activate(agreement.id, by: manager)
        try await DemoSolutions.seed(pool: pool, manager: manager, lots: lotIDs, suppliers: suppliers)
    }

    private static func frameworkManager(_ pool: ConnectionPool) async throws -> Actor? {
        try await pool.withConnection { connection in
            guard let row = try await connection.query("""
                SELECT m.user_id, m.organization_id FROM avrop.membership m JOIN avrop.app_user u ON u.id = m.user_id
                WHERE u.email = 'ramavtal@demo.avrop.se' AND m.role = 'frameworkManager'
                """).first else { return nil }
            return Actor(userID: try row.decode("user_id", as: UUID.self), organizationID: try row.decode("organization_id", as: UUID.self),
                         roles: [.frameworkManager])
        }
    }
}
