/// The start page: what Avrop is, in Swedish. A placeholder until the pages of later issues replace it.
enum StartPage {
    static let html = """
        <!doctype html>
        <html lang="sv">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Avrop – avrop från ramavtal med verifierade innovativa lösningar</title>
        <style>
        body { font-family: system-ui, sans-serif; max-width: 42rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #1a1a1a; }
        h1 { font-size: 1.8rem; }
        </style>
        </head>
        <body>
        <main>
        <h1>Avrop</h1>
        <p>Avrop är en tjänst för offentlig upphandling enligt ramavtal. En inköpscentral publicerar ramavtal
        vars leverantörer erbjuder verifierade innovativa lösningar. Avropande myndigheter gör avrop inom ett
        anbudsområde, för dialog och anonymiserade frågor och svar med ramavtalsleverantörerna, tar emot
        förseglade avropssvar och fattar tilldelningsbeslut.</p>
        <p>Avtalsförvaltare följer sedan upp att varje krav som ställdes i upphandlingen uppfylls.</p>
        <p>Tjänsten är under uppbyggnad.</p>
        </main>
        </body>
        </html>
        """
}
