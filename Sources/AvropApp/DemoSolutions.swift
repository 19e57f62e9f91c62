import AvropCore
import FrameworkAgreements
import Foundation
import Identity
import Postgres

/// The demo catalogue (issue 4): thirty solutions of the five demo suppliers on the lots they are active
/// on, in every state – most verified, some submitted and waiting, some drafts, rejected or withdrawn – in
/// realistic Swedish, through the same service as the API.
enum DemoSolutions {
    typealias Entry = (name: String, summary: String, text: String, type: Solution.InnovationType, trl: Int, tags: [String])

    /// Per lot, the solutions offered there (each by a supplier active on it).
    static let offers: [(lot: Int, supplier: Int, entries: [Entry])] = [
        (1, 0, [
            ("Digital tjänst för bygglov", "Invånare söker bygglov på nätet och ser hela tiden var ärendet står.", "Prövad hos en kommun med 40 000 invånare: handläggningstiden minskade med 35 procent.", .service, 8, ["e-tjänst", "bygglov"]),
            ("Chattbot för invånarfrågor", "Svarar på vanliga frågor dygnet runt på svenska, engelska och arabiska.", "Tränad på kommunens egna texter; lämnar över till handläggare vid behov.", .service, 7, ["ai", "kundtjänst"]),
            ("Automatiserad ekonomiskt bistånd", "Regelstyrd automatisering av ansökningar om försörjningsstöd.", "Beslut fattas av handläggare; roboten samlar underlag och räknar normen.", .process, 8, ["automatisering", "socialtjänst"]),
            ("Digital brevlåda för myndighetspost", "Säker digital post till invånare och företag.", "Ansluten till den gemensamma infrastrukturen för digital post.", .service, 9, ["digital post"]),
            ("E-arkiv som tjänst", "Långtidsbevarande av handlingar enligt arkivlagen.", "Uppfyller FGS-specifikationerna och stöder gallring.", .product, 7, ["arkiv", "e-arkiv"]),
            ("Bokningssystem för lokaler", "Föreningar bokar idrottshallar och möteslokaler på nätet.", "Integrerat med passersystem och fakturering.", .service, 8, ["bokning"]),
        ]),
        (1, 4, [
            ("Tillgänglighetsgranskning av webbplatser", "Automatisk och manuell granskning mot WCAG 2.1 AA.", "Rapporten pekar ut varje brist och hur den åtgärdas.", .service, 8, ["tillgänglighet", "wcag"]),
            ("Lättläst-tjänst med språkmodell", "Skriver om myndighetstexter till lättläst svenska för granskning.", "Texterna granskas av en lättläst-redaktör innan publicering.", .service, 5, ["lättläst", "ai"]),
            ("Teckenspråkstolk i videomöten", "Tolk kopplas in i videomöten med en knapptryckning.", "Pilot med två regioner under 2025.", .service, 6, ["tolk", "teckenspråk"]),
        ]),
        (1, 3, [
            ("Digital tvilling för stadsplanering", "Tredimensionell modell av staden för samråd med invånare.", "Invånare lämnar synpunkter direkt i modellen.", .product, 6, ["stadsplanering", "3d"]),
            ("Sensorer för luftkvalitet", "Mätning av partiklar och kvävedioxid i realtid.", "Öppna data publiceras varje timme.", .product, 7, ["luft", "sensorer", "öppna data"]),
        ]),
        (2, 1, [
            ("Elektrifierad varudistribution", "Eldrivna lastcyklar och mikroterminaler i stadskärnan.", "Halverade utsläpp per levererat kolli i en pilot i Umeå.", .process, 7, ["logistik", "klimat", "el"]),
            ("Samordnad varudistribution för kommuner", "En gemensam omlastningscentral för kommunens leveranser.", "Färre tunga transporter till skolor och äldreboenden.", .organisational, 9, ["logistik", "samordning"]),
            ("Ruttoptimering med vädertjänst", "Planerar rutter efter väder och väglag i norra Sverige.", "Minskade körsträckan med 12 procent vintertid.", .product, 6, ["rutter", "vinter"]),
            ("Vätgasdrivna lastbilar", "Tunga transporter med vätgas från förnybar el.", "Tankstation i drift sedan 2025.", .product, 5, ["vätgas", "klimat"]),
            ("Fossilfri snöröjning", "Snöröjning med eldrivna maskiner och förnybar diesel.", "Upphandlad som funktion: framkomlighet i stället för timmar.", .service, 7, ["snöröjning", "klimat"]),
            ("Returlogistik för möbler", "Kommunens möbler återanvänds i stället för att köpas nya.", "Inventering, lager och bokning i en tjänst.", .service, 8, ["cirkulärt", "återbruk"]),
        ]),
        (2, 3, [
            ("Smart parkering för leveransfordon", "Lastzoner som bokas i förväg och övervakas med sensorer.", "Kortare stopptider och färre felparkeringar.", .product, 6, ["parkering", "sensorer"]),
            ("Laddinfrastruktur som tjänst", "Laddplatser för kommunens fordon, drift och underhåll ingår.", "Betalning per kilowattimme, ingen investering.", .service, 8, ["laddning", "el"]),
        ]),
        (3, 2, [
            ("Digital tillsyn nattetid", "Kameror med integritetsskydd ersätter störande nattbesök.", "Samtycke dokumenteras; bilden visas bara vid larm.", .product, 8, ["välfärdsteknik", "tillsyn"]),
            ("Läkemedelsrobot i hemmet", "Påminner och delar ut rätt dos vid rätt tid.", "Larmar hemtjänsten om en dos inte tas.", .product, 8, ["läkemedel", "hemtjänst"]),
            ("Videobesök i hemtjänsten", "Planerade besök kan ske på video när brukaren vill.", "Frigjorde i snitt 20 timmar i månaden per grupp.", .service, 9, ["video", "hemtjänst"]),
            ("Fallsensorer utan kamera", "Radarbaserad upptäckt av fall i hemmet.", "Fungerar i badrum där kameror inte får användas.", .product, 6, ["fall", "sensorer"]),
            ("Journalföring med taligenkänning", "Omsorgspersonal dikterar anteckningar på svenska.", "Texten granskas och signeras i verksamhetssystemet.", .service, 5, ["tal", "dokumentation"]),
        ]),
        (3, 4, [
            ("Tillgängliga larmknappar", "Trygghetslarm för personer med nedsatt syn eller motorik.", "Utformat tillsammans med brukarorganisationer.", .product, 7, ["trygghetslarm", "tillgänglighet"]),
            ("Bildstöd i vardagen", "Digitalt bildschema för personer med kognitiva funktionsnedsättningar.", "Används i LSS-boenden i tre kommuner.", .product, 8, ["kognition", "lss"]),
        ]),
        (3, 0, [
            ("Digital tolk i vården", "Tolkning på distans med automatisk bokning.", "Pilot i region: väntetiden på tolk minskade med 40 procent.", .service, 7, ["tolk", "vård"]),
            ("Egenmätning av blodtryck hemma", "Patienten mäter hemma; värdena når vårdcentralen direkt.", "Färre fysiska besök för kontroll.", .service, 6, ["egenmonitorering", "vård"]),
            ("Planering av hemtjänstens rutter", "Optimerar besöksordning och restid i hemtjänsten.", "Mer tid hos brukarna, mindre i bilen.", .process, 7, ["planering", "hemtjänst"]),
            ("Medicinteknisk app för KOL", "Stöd för egenvård vid kroniskt obstruktiv lungsjukdom.", "CE-märkt; utvärderas i klinisk studie.", .product, 4, ["kol", "egenvård"]),
        ]),
    ]

    static func seed(pool: ConnectionPool, manager: Actor, lots: [UUID], suppliers: [UUID]) async throws {
        let service = SolutionService(pool: pool)
        var index = 0
        for offer in offers {
            guard let supplier = try await representative(of: suppliers[offer.supplier], pool) else { continue }
            for entry in offer.entries {
                defer { index += 1 }
                let draft = try await service.create(
                    on: lots[offer.lot - 1],
                    .init(name: entry.name, summary: entry.summary, text: entry.text, innovationType: entry.type,
                          innovationStep: entry.trl >= 7 ? .deploy : entry.trl >= 4 ? .introduce : .initiate,
                          innovationNote: "Ny för offentlig sektor i Sverige", trl: entry.trl, tags: entry.tags),
                    by: supplier
                )
                // Every state: twenty verified, three drafts, three waiting for verification, two rejected, two withdrawn.
                switch index {
                case 3, 10, 17: continue
                case 5, 19, 26:
                    _ = try await service.submit(draft.id, by: supplier)
                case 11, 23:
                    _ = try await service.submit(draft.id, by: supplier)
                    _ = try await service.reject(draft.id, reasons: "Underlaget visar inte mätbara resultat från piloten.", by: manager)
                case 14, 28:
                    _ = try await service.submit(draft.id, by: supplier)
                    _ = try await service.verify(draft.id, method: .referenceCustomer, reasons: "Referenskunden bekräftar resultaten.",
                                                 validUntil: CalendarDay("\(CalendarDay(Date()).year + 2)-06-30") ?? CalendarDay(Date()), by: manager)
                    _ = try await service.withdraw(draft.id, by: supplier)
                default:
                    _ = try await service.submit(draft.id, by: supplier)
                    let method: Solution.VerificationMethod = [.pilot, .testBed, .referenceCustomer, .thirdPartyCertification, .labTest][index % 5]
                    _ = try await service.verify(draft.id, method: method, reasons: "Verifierad: resultaten från \(entry.name.lowercased()) är dokumenterade och mätbara.",
                                                 validUntil: CalendarDay("\(CalendarDay(Date()).year + 2)-12-31") ?? CalendarDay(Date()), by: manager)
                }
            }
        }
    }

    private static func representative(of supplier: UUID, _ pool: ConnectionPool) async throws -> Actor? {
        try await pool.withConnection { connection in
            try await connection.query("""
                SELECT user_id FROM avrop.membership WHERE organization_id = \(supplier) AND role = 'supplierRepresentative' ORDER BY user_id LIMIT 1
                """).first.map { Actor(userID: try $0.decode("user_id", as: UUID.self), organizationID: supplier, roles: [.supplierRepresentative]) }
        }
    }
}
