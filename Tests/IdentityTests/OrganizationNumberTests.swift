import Identity
import Testing

@Suite("Swedish organisation numbers")
struct OrganizationNumberTests {
    @Test(arguments: ["202100-5489", "2021005489", " 556036-0793 ", "212000-0142", "556703-7485"])
    func validNumbersParse(_ text: String) throws {
        let number = try OrganizationNumber(text)
        #expect(number.digits.count == 10)
        #expect(number.description.count == 11)
    }

    @Test func theCheckDigitIsChecked() {
        #expect(throws: OrganizationNumber.Problem.wrongCheckDigit) { try OrganizationNumber("202100-5488") }
        #expect(throws: OrganizationNumber.Problem.wrongCheckDigit) { try OrganizationNumber("1234567890") }
    }

    @Test(arguments: ["", "20210054", "202100-54890", "2021-005489", "20210O5489", "٢٠٢١٠٠٥٤٨٩"])
    func malformedNumbersAreRefused(_ text: String) {
        #expect(throws: OrganizationNumber.Problem.notTenDigits) { try OrganizationNumber(text) }
    }

    @Test func isWrittenWithAHyphen() throws {
        #expect(try OrganizationNumber("2021005489").description == "202100-5489")
    }
}
