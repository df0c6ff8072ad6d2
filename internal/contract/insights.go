package contract

// EventInventoryRelease is the business event of a checkout that ended
// without a purchase on the shop's side (cancelled, expired there): the
// units it held go back to sale. It names the checkout like
// ecommerce.begin_checkout did: checkout.session.id, else order.id.
const EventInventoryRelease = "inventory.release"

// Experiment attributes: the A/B test and the variant a session was
// assigned to, on checkout spans and on every business event of the
// session. paymentbi compares the variants of one experiment.
const (
	ExperimentID      = "experiment.id"
	ExperimentVariant = "experiment.variant"
)

// Acquisition attributes: where the visitor came from, as the shop's UTM
// parameters say, on every business event of the session. paymentbi
// breaks revenue and conversion down by UTMSource (its channel segment).
const (
	UTMSource   = "utm.source"
	UTMMedium   = "utm.medium"
	UTMCampaign = "utm.campaign"
)

// GeoCountry is the visitor's country as an ISO 3166-1 alpha-2 code
// (OpenTelemetry's geo.country.iso_code), on every business event of the
// session. paymentbi breaks revenue and conversion down by it (its
// country segment) after checking it with CountryCode.
const GeoCountry = "geo.country.iso_code"

// countryCodes are the 249 officially assigned ISO 3166-1 alpha-2 codes.
const countryCodes = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ " +
	"BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ " +
	"CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ " +
	"EC EE EG EH ER ES ET FI FJ FK FM FO FR " +
	"GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU " +
	"ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ " +
	"LA LB LC LI LK LR LS LT LU LV LY " +
	"MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ " +
	"NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY " +
	"QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ " +
	"TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ " +
	"VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW"

// countryIndex marks the assigned codes: bit (c0-'A')*26 + (c1-'A').
var countryIndex = func() (set [26*26/64 + 1]uint64) {
	for i := 0; i+1 < len(countryCodes); i += 3 {
		n := int(countryCodes[i]-'A')*26 + int(countryCodes[i+1]-'A')
		set[n/64] |= 1 << (n % 64)
	}
	return set
}()

// CountryCode returns s as an assigned ISO 3166-1 alpha-2 code, upper
// case, and whether it is one: "br" and "BR" are Brazil, "UK", "XX" and
// "BRA" are not codes. It does not allocate.
func CountryCode(s string) (string, bool) {
	if len(s) != 2 {
		return "", false
	}
	c0, c1 := s[0]&^0x20, s[1]&^0x20 // ASCII upper case
	if c0 < 'A' || c0 > 'Z' || c1 < 'A' || c1 > 'Z' {
		return "", false
	}
	n := int(c0-'A')*26 + int(c1-'A')
	if countryIndex[n/64]&(1<<(n%64)) == 0 {
		return "", false
	}
	if s[0] == c0 && s[1] == c1 {
		return s, true
	}
	return countryCodes[countryPos(c0, c1) : countryPos(c0, c1)+2], true
}

// countryPos is where an assigned code is in countryCodes.
func countryPos(c0, c1 byte) int {
	for i := 0; i+1 < len(countryCodes); i += 3 {
		if countryCodes[i] == c0 && countryCodes[i+1] == c1 {
			return i
		}
	}
	return 0
}
