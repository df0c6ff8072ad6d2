package piisanitizer

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// leakCase is one realistic input, written the way applications emit it,
// and its expected output. The input is a log record attribute under key
// (default "message"); want may use {pii:v} for the pseudonym of v and
// «b64:v» / «b64url:v» / «b64raw:v» for v base64-encoded after expansion;
// removed means the attribute is dropped.
type leakCase struct {
	class, key, in, want string
}

const removed = "<removed>"

// leakCorpus holds the leak classes found by an adversarial run of realistic
// PII variants, grouped by class. Every input must come out as want, and a
// second pass must change nothing.
var leakCorpus = []leakCase{
	// Emails with JSON, HTML or double URL escaping (.NET System.Text.Json
	// escapes '+' by default; HTML templates and double-encoded redirects).
	{"escaped-email", "", `john.doe\u002Bshop@example.com`, `{pii:john.doe+shop@example.com}`},
	{"escaped-email", "", `{"email":"john.doe\u002Bshop@example.com","amount":4999}`, `{"email":"{pii:john.doe+shop@example.com}","amount":4999}`},
	{"escaped-email", "", `{"Email":"Jane.O\u0027Neil@example.ie"}`, `{"Email":"{pii:jane.o'neil@example.ie}"}`},
	{"escaped-email", "", `{"to":"alice\u0040example.com"}`, `{"to":"{pii:alice@example.com}"}`},
	{"escaped-email", "", `{"to":"alice\u0040example.com","reply_to":"bob\u002bnews\u0040example.org"}`, `{"to":"{pii:alice@example.com}","reply_to":"{pii:bob+news@example.org}"}`},
	{"escaped-email", "", `receipt for alice&#64;example.com`, `receipt for {pii:alice@example.com}`},
	{"escaped-email", "", `<a href="mailto:alice&#64;example.com">alice&#64;example.com</a>`, `<a href="mailto:{pii:alice@example.com}">{pii:alice@example.com}</a>`},
	{"escaped-email", "", `contact: alice&#x40;example.com`, `contact: {pii:alice@example.com}`},
	{"escaped-email", "", `GET /login?next=%2Fhome%3Fuser%3Dalice%2540example.com`, `GET /login?next=%2Fhome%3Fuser%3D{pii:alice@example.com}`},
	{"escaped-email", "", `redirect_uri=https%3A%2F%2Fshop.example%2Fcb%3Femail%3Dbob.smith%2540example.org%26x%3D1`, `redirect_uri=https%3A%2F%2Fshop.example%2Fcb%3Femail%3D{pii:bob.smith@example.org}%26x%3D1`},
	{"escaped-email", "", `email=alice%2Bshop%40example.com`, `email={pii:alice+shop@example.com}`},
	{"escaped-email", "", `john.doe\u002Bshop@example.com failed 3DS`, `{pii:john.doe+shop@example.com} failed 3DS`},
	{"escaped-email", "", `"customer":"O\u0027Brien.Kate@example.co.uk"`, `"customer":"{pii:o'brien.kate@example.co.uk}"`},
	{"escaped-email", "", `user=mary\u002Djane@example.com`, `user={pii:mary-jane@example.com}`},

	// Email forms the detector skipped.
	{"email-form", "", `"john doe"@example.com`, `{pii:"john doe"@example.com}`},
	{"email-form", "", `mail from "John Doe"@example.com bounced`, `mail from {pii:"john doe"@example.com} bounced`},
	{"email-form", "", `alice＠example.com`, `{pii:alice@example.com}`},
	{"email-form", "", `お問い合わせ: taro.yamada＠example.jp`, `お問い合わせ: {pii:taro.yamada@example.jp}`},
	{"email-form", "", `user@[203.0.113.5]`, `{pii:user@[203.0.113.5]}`},
	{"email-form", "", `postmaster@[IPv6:2001:db8::1] rejected`, `{pii:postmaster@[ipv6:2001:db8::1]} rejected`},
	{"email-form", "", `RCPT TO:<bob@[198.51.100.23]>`, `RCPT TO:<{pii:bob@[198.51.100.23]}>`},

	// Key names as applications spell them.
	{"key-spelling", "Customer.Email", "alice@example.com", "{pii:alice@example.com}"},
	{"key-spelling", "customerEmail", "Alice@Example.com", "{pii:alice@example.com}"},
	{"key-spelling", "customer_email", "alice@example.com", "{pii:alice@example.com}"},
	{"key-spelling", "CUSTOMER-EMAIL", "alice@example.com", "{pii:alice@example.com}"},
	{"key-spelling", "CustomerEmail", "alice(at)example.com", "{pii:alice(at)example.com}"},
	{"key-spelling", "app.customer.email", "alice at example dot com", "{pii:alice at example dot com}"},
	{"key-spelling", "CustomerId", "cus_8812", "{pii:cus_8812}"},
	{"key-spelling", "customer_id", "cus_8812", "{pii:cus_8812}"},
	{"key-spelling", "CUSTOMER-ID", "cus_8812", "{pii:cus_8812}"},
	{"key-spelling", "customerID", "cus_8812", "{pii:cus_8812}"},
	{"key-spelling", "payment.Customer.Id", "cus_8812", "{pii:cus_8812}"},
	{"key-spelling", "CVV", "123", removed},
	{"key-spelling", "Card.CVC", "123", removed},
	{"key-spelling", "cardCvv", "123", removed},
	{"key-spelling", "card_cvc", "123", removed},
	{"key-spelling", "payment.card.securityCode", "1234", removed},
	{"key-spelling", "card-expiry", "12/29", removed},
	{"key-spelling", "cardExpMonth", "12", removed},
	{"key-spelling", "Authorization", "Token abc", "[REDACTED:sensitive_key]"},
	{"key-spelling", "X-API-KEY", "k_9f8e7d", "[REDACTED:sensitive_key]"},
	{"key-spelling", "ClientSecret", "s3cr3t", "[REDACTED:sensitive_key]"},
	{"key-spelling", "http.request.header.Cookie", "sid=1", "[REDACTED:sensitive_key]"},
	{"key-spelling", "Card.Number", "4111-1111-1111-1111", "[REDACTED:sensitive_key]"},
	{"key-spelling", "customer.SSN", "078-05-1120", "***-**-1120"},

	// Cards with separators applications use.
	{"card-separator", "", "4111\t1111\t1111\t1111", "****\t****\t****\t1111"},
	{"card-separator", "", "card=4111_1111_1111_1111", "card=[REDACTED:sensitive_param]"},
	{"card-separator", "", "pan 4111_1111_1111_1111 declined", "pan ****_****_****_1111 declined"},
	{"card-separator", "", "4242/4242/4242/4242", "****/****/****/4242"},
	{"card-separator", "", "number: 5555/5555/5555/4444 exp 12/29", "number: ****/****/****/4444 exp 12/29"},
	{"card-separator", "", "3782\t822463\t10005", "****\t******\t*0005"},
	{"card-separator", "", "row\t4000056655665556\tEUR", "row\t************5556\tEUR"},
	{"card-separator", "", "6011_0009_9013_9424", "****_****_****_9424"},
	{"card-separator", "", "card 5105 1051 0510 5100", "card **** **** **** 5100"},
	{"card-separator", "", "visa:4012-8888-8888-1881", "visa:****-****-****-1881"},

	// Base64 inside a value: decoded, checked, re-encoded when the decoded
	// bytes are text.
	{"base64", "", "NDExMTExMTExMTExMTExMQ==", "«b64:************1111»"},
	{"base64", "", "payload=NDI0MjQyNDI0MjQyNDI0Mg==", "payload=«b64:************4242»"},
	{"base64", "", "am9obi5kb2VAZXhhbXBsZS5jb20=", "«b64:{pii:john.doe@example.com}»"},
	{"base64", "", `{"ctx":"YWxpY2VAZXhhbXBsZS5jb20="}`, `{"ctx":"«b64:{pii:alice@example.com}»"}`},
	{"base64", "", "state=eyJlbWFpbCI6ImFsaWNlQGV4YW1wbGUuY29tIn0", "state=«b64raw:{\"email\":\"{pii:alice@example.com}\"}»"},
	{"base64", "", "X-Customer: Y2FyZCA0MTExIDExMTEgMTExMSAxMTEx", "X-Customer: «b64:card **** **** **** 1111»"},
	{"base64", "", "ref=Y2FyZD00MTExMTExMTExMTExMTExJmN2dj0xMjM=", "ref=«b64:card=[REDACTED:sensitive_param]&cvv=[REDACTED:sensitive_param]»"},
	{"base64", "", "link bWFpbHRvOmJvYkBleGFtcGxlLm9yZz9zdWJqZWN0PXJlZnVuZF8_Pw== end", "link «b64url:mailto:{pii:bob@example.org}?subject=refund_??» end"},

	// Provider secrets.
	{"secret", "", "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH", "pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_****"},
	{"secret", "", `{"client_secret":"pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH"}`, `{"client_secret":"[REDACTED:sensitive_param]"}`},
	{"secret", "", `stripe.confirmCardPayment("pi_1Jx2yZAbCdEf12345678_secret_abcdEFGHijklMNOPqrst")`, `stripe.confirmCardPayment("pi_1Jx2yZAbCdEf12345678_secret_****")`},
	{"secret", "", "seti_1NGvYq2eZvKYlo2C9mGK3R8h_secret_O2zqwXUv9hYQqAbnSpmhJvDbVBcPzM4", "seti_1NGvYq2eZvKYlo2C9mGK3R8h_secret_****"},
	{"secret", "", "webhook https://hooks.slack.com/services/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", "webhook https://hooks.slack.com/services/****"},
	{"secret", "", `{"url":"https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX"}`, `{"url":"https://hooks.slack.com/services/****"}`},
	{"secret", "", "POST https://discord.com/api/webhooks/1234567890123456/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789 429", "POST https://discord.com/api/webhooks/**** 429"},
	{"secret", "", `headers: [["X-Api-Key","k_live_9f8e7d6c5b4a"]]`, `headers: [["X-Api-Key","[REDACTED:sensitive_param]"]]`},
	{"secret", "", `rawHeaders: [ [ 'authorization', 'Token 0f9e8d7c6b5a4938' ], [ 'host', 'api.example.com' ] ]`, `rawHeaders: [ [ 'authorization', '[REDACTED:sensitive_param]' ], [ 'host', 'api.example.com' ] ]`},
	{"secret", "", `[("Cookie", "sid=abc123; csrftoken=xyz")]`, `[("Cookie", "[REDACTED:sensitive_param]")]`},
	{"secret", "", `map[Authorization:[Basic YWxhZGRpbjpvcGVuc2VzYW1l] Content-Type:[application/json]]`, `map[Authorization:[[REDACTED:sensitive_param]] Content-Type:[application/json]]`},
	{"secret", "", `[["x-api-key","abc"],["accept","*/*"]]`, `[["x-api-key","[REDACTED:sensitive_param]"],["accept","*/*"]]`},

	// CVV/CVC values.
	{"cvv", "", "cvv=123", "cvv=[REDACTED:sensitive_param]"},
	{"cvv", "", `"cvc": "123"`, `"cvc": "[REDACTED:sensitive_param]"`},
	{"cvv", "", "UPDATE cards SET cvv = '123' WHERE id = 7", "UPDATE cards SET cvv = '[REDACTED:sensitive_param]' WHERE id = 7"},
	{"cvv", "", "INSERT INTO payments (pan, cvv) VALUES ('x', '737') -- cvv = 737", "INSERT INTO payments (pan, cvv) VALUES ('x', '737') -- cvv = [REDACTED:sensitive_param]"},
	{"cvv", "", "card_cvc=4321&amount=100", "card_cvc=[REDACTED:sensitive_param]&amount=100"},
	{"cvv", "", "CVV2: 987", "CVV2: [REDACTED:sensitive_param]"},
	{"cvv", "", `{"card":{"cvc":"123","exp":"12/29"}}`, `{"card":{"cvc":"[REDACTED:sensitive_param]","exp":"12/29"}}`},
	{"cvv", "", "securityCode=1234", "securityCode=[REDACTED:sensitive_param]"},
	{"cvv", "", "where card_cvv2 = 555", "where card_cvv2 = [REDACTED:sensitive_param]"},
	{"cvv", "", `cvc: '042'`, `cvc: '[REDACTED:sensitive_param]'`},

	// Identifiers: lower-case IBANs, SSNs without dashes next to an SSN key.
	{"iban-lower", "", "de89370400440532013000", "de****************3000"},
	{"iban-lower", "", "iban: gb82west12345698765432", "iban: gb****************5432"},
	{"iban-lower", "", "refund to nl91abna0417164300 ok", "refund to nl************4300 ok"},
	{"iban-lower", "", "fr14 2004 1010 0505 0001 3m02 606", "fr** **** **** **** **** ***2 606"},
	{"iban-lower", "", `{"iban":"es9121000418450200051332"}`, `{"iban":"es******************1332"}`},
	{"iban-lower", "", "be68539007547034", "be**********7034"},
	{"ssn-key", "", "ssn=078051120", "ssn=*****1120"},
	{"ssn-key", "", `{"ssn":"078051120","name":"x"}`, `{"ssn":"*****1120","name":"x"}`},
	{"ssn-key", "", "SSN: 219099999", "SSN: *****9999"},
	{"ssn-key", "", "social_security_number=536221234", "social_security_number=*****1234"},
	{"ssn-key", "ssn", "078051120", "*****1120"},
	{"ssn-key", "customer.ssn", "536 22 1234", "*** ** 1234"},
	{"ssn-key", "SocialSecurityNumber", "219099999", "*****9999"},
	{"ssn-key", "applicant_ssn", "078051120", "*****1120"},

	// Over-masking next to sensitive names: a key or name that looks
	// sensitive but is one of these still hides what follows.
	{"sensitive-value", "", "password=hunter2", "password=[REDACTED:sensitive_param]"},
	{"sensitive-value", "", "token=null_but_not_really", "token=[REDACTED:sensitive_param]"},
	{"sensitive-value", "", "card=4111111111111111", "card=[REDACTED:sensitive_param]"},
	// More of each class, as services write them.
	{"escaped-email", "", `{"user":{"email":"maria.garcia\u002Bpromo@example.es"}}`, `{"user":{"email":"{pii:maria.garcia+promo@example.es}"}}`},
	{"escaped-email", "", `"Email": "KLAUS\u002BTEST@EXAMPLE.DE"`, `"Email": "{pii:klaus+test@example.de}"`},
	{"escaped-email", "", `<input name="email" value="alice&#64;example.com">`, `<input name="email" value="{pii:alice@example.com}">`},
	{"escaped-email", "", `to: bob&#X40;example.org`, `to: {pii:bob@example.org}`},
	{"escaped-email", "", `email=alice%252Bshop%2540example.com`, `email={pii:alice+shop@example.com}`},
	{"escaped-email", "", `href=mailto%3Aalice%40example.com`, `href=mailto%3A{pii:alice@example.com}`},
	{"escaped-email", "", `{"detail":"{\"email\":\"john.doe\\u002Bshop@example.com\"}"}`, `{"detail":"{\"email\":\"{pii:john.doe+shop@example.com}\"}"}`},
	{"escaped-email", "", `log: user "o\u0027hara@example.ie" signed in`, `log: user "{pii:o'hara@example.ie}" signed in`},
	{"escaped-email", "", `state=%7B%22email%22%3A%22carol%2540example.net%22%7D`, `state=%7B%22email%22%3A%22{pii:carol@example.net}%22%7D`},
	{"escaped-email", "", `Receipt sent to dave\u0040example.com (order 1000234556)`, `Receipt sent to {pii:dave@example.com} (order 1000234556)`},
	{"email-form", "", `"Jane Q. Public"@example.org`, `{pii:"jane q. public"@example.org}`},
	{"email-form", "", `From: Support <"john smith"@example.com>`, `From: Support <{pii:"john smith"@example.com}>`},
	{"email-form", "", `{"detail":"{\"to\":\"bounce\",\"rcpt\":\"john doe\"@example.com}"}`, `{"detail":"{\"to\":\"bounce\",\"rcpt\":{pii:"john doe"@example.com}}"}`},
	{"email-form", "", `customer: 山田 taro＠example.co.jp`, `customer: 山田 {pii:taro@example.co.jp}`},
	{"email-form", "", `root@[192.0.2.1] unreachable`, `{pii:root@[192.0.2.1]} unreachable`},
	{"email-form", "", `bounce: "billing-dept"@[198.51.100.7]`, `bounce: {pii:"billing-dept"@[198.51.100.7]}`},
	{"key-spelling", "Customer_Email", "alice@example.com", "{pii:alice@example.com}"},
	{"key-spelling", "customer.Email", "n/a-ALICE@EXAMPLE", "{pii:n/a-ALICE@EXAMPLE}"},
	{"key-spelling", "CustomerEMAIL", "alice@example.com", "{pii:alice@example.com}"},
	{"key-spelling", "billing.customerEmail", "alice@example.com", "{pii:alice@example.com}"},
	{"key-spelling", "customer-id", "4711", "{pii:4711}"},
	{"key-spelling", "stripe.customer_id", "cus_NffrFeUfNV2Hib", "{pii:cus_NffrFeUfNV2Hib}"},
	{"key-spelling", "Password", "hunter2", "[REDACTED:sensitive_key]"},
	{"key-spelling", "DB_PASSWORD", "hunter2", "[REDACTED:sensitive_key]"},
	{"key-spelling", "dbPassword", "hunter2", "[REDACTED:sensitive_key]"},
	{"key-spelling", "X-Auth-Token", "0f9e8d7c", "[REDACTED:sensitive_key]"},
	{"key-spelling", "apiKey", "k_9f8e7d", "[REDACTED:sensitive_key]"},
	{"key-spelling", "api-key", "k_9f8e7d", "[REDACTED:sensitive_key]"},
	{"key-spelling", "ApiSecret", "s3cr3t", "[REDACTED:sensitive_key]"},
	{"key-spelling", "refreshToken", "1//0gdeadbeef", "[REDACTED:sensitive_key]"},
	{"key-spelling", "Proxy-Authorization", "Basic Ym9iOnNlY3JldA==", "[REDACTED:sensitive_key]"},
	{"key-spelling", "SET-COOKIE", "sid=abc; HttpOnly", "[REDACTED:sensitive_key]"},
	{"key-spelling", "cardNumber", "4242 4242 4242 4242", "[REDACTED:sensitive_key]"},
	{"key-spelling", "credit_card_number", "4242424242424242", "[REDACTED:sensitive_key]"},
	{"key-spelling", "PAN", "4242424242424242", "[REDACTED:sensitive_key]"},
	{"key-spelling", "CVC2", "123", removed},
	{"key-spelling", "Card.ExpiryDate", "12/29", removed},
	{"key-spelling", "payment_method.card.exp_year", "2029", removed},
	{"key-spelling", "CARD_PIN", "1234", removed},
	{"key-spelling", "pinBlock", "0412AC89ABCDEF67", removed},
	{"key-spelling", "x_cvv", "123", removed},
	{"card-separator", "", "/v1/cards/4111_1111_1111_1111/verify", "/v1/cards/****_****_****_1111/verify"},
	{"card-separator", "", "2026-11-28\t4242\t4242\t4242\t4242\tEUR", "2026-11-28\t****\t****\t****\t4242\tEUR"},
	{"card-separator", "", "amex 3714_496353_98431", "amex ****_******_*8431"},
	{"card-separator", "", "6011\t1111\t1111\t1117", "****\t****\t****\t1117"},
	{"card-separator", "", "jcb 3566/0020/2036/0505 ok", "jcb ****/****/****/0505 ok"},
	{"card-separator", "", "unionpay 6200_0000_0000_0005", "unionpay ****_****_****_0005"},
	{"card-separator", "", "1,4111111111111111,12/29", "1,************1111,12/29"},
	{"card-separator", "", "PAN=4111 1111 1111 1111", "PAN=[REDACTED:sensitive_param]"},
	{"card-separator", "", "card[number]=4242424242424242&card[exp_month]=12", "card[number]=************4242&card[exp_month]=12"},
	{"card-separator", "", `{"n":"5555 / 5555 / 5555 / 4444"}`, `{"n":"**** / **** / **** / 4444"}`},
	{"base64", "", `{"data":"eyJjYXJkIjoiNDExMTExMTExMTExMTExMSJ9"}`, `{"data":"«b64raw:{"card":"[REDACTED:sensitive_param]"}»"}`},
	{"base64", "", "kafka value=T3JkZXIgZm9yIGFsaWNlQGV4YW1wbGUuY29t", "kafka value=«b64raw:Order for {pii:alice@example.com}»"},
	{"base64", "", "REU4OSAzNzA0IDAwNDQgMDUzMiAwMTMwIDAw", "«b64:DE** **** **** **** **30 00»"},
	{"base64", "", "ctx: KzQ0IDIwIDc5NDYgMDk1OA==", "ctx: «b64:+** ** **** **58»"},
	{"base64", "", "u=Ym9iLnNtaXRoQGV4YW1wbGUub3Jn&v=2", "u=«b64:{pii:bob.smith@example.org}»&v=2"},
	{"base64", "", "NTU1NSA1NTU1IDU1NTUgNDQ0NA", "«b64raw:**** **** **** 4444»"},
	{"secret", "", `{"clientSecret":"pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH"}`, `{"clientSecret":"[REDACTED:sensitive_param]"}`},
	{"secret", "", "return_url?payment_intent=pi_3Mtw&payment_intent_client_secret=pi_3MtwBwLkdIwHu7ix28a3tqPa_secret_YrKJUKribcBjcG8HVhfZluoGH", "return_url?payment_intent=pi_3Mtw&payment_intent_client_secret=[REDACTED:sensitive_param]"},
	{"secret", "", "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T1A2B3C4D/B5E6F7G8H/abcdEFGHijklMNOPqrstUVWX", "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/****"},
	{"secret", "", "alert via https://discordapp.com/api/webhooks/998877665544332211/Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0", "alert via https://discordapp.com/api/webhooks/****"},
	{"secret", "", `[ [ 'cookie', 'sid=s%3Aabc.def' ] ]`, `[ [ 'cookie', '[REDACTED:sensitive_param]' ] ]`},
	{"secret", "", `[["Authorization","Bearer 0123456789abcdef0123"]]`, `[["Authorization","[REDACTED:sensitive_param]"]]`},
	{"secret", "", `[('Authorization', 'Basic dXNlcjpwYXNz')]`, `[('Authorization', '[REDACTED:sensitive_param]')]`},
	{"secret", "", `map[Cookie:[session=abc] User-Agent:[curl/8.0]]`, `map[Cookie:[[REDACTED:sensitive_param]] User-Agent:[curl/8.0]]`},
	{"secret", "", `header=map[X-Api-Key:[k_123456]]`, `header=map[X-Api-Key:[[REDACTED:sensitive_param]]]`},
	{"secret", "", "seti_1NGvYq2eZvKYlo2C_secret_O2zqwXUv9hYQqAbnSpmh in setup", "seti_1NGvYq2eZvKYlo2C_secret_**** in setup"},
	{"cvv", "", "card[cvc]=123&card[exp_month]=12", "card[cvc]=[REDACTED:sensitive_param]&card[exp_month]=12"},
	{"cvv", "", `{"securityCode":"123"}`, `{"securityCode":"[REDACTED:sensitive_param]"}`},
	{"cvv", "", "CVV2=987", "CVV2=[REDACTED:sensitive_param]"},
	{"cvv", "", "and cvc2 = '042'", "and cvc2 = '[REDACTED:sensitive_param]'"},
	{"cvv", "", "card.cvv=123 status=declined", "card.cvv=[REDACTED:sensitive_param] status=declined"},
	{"cvv", "", "cvv: 123", "cvv: [REDACTED:sensitive_param]"},
	{"cvv", "", "WHERE cvv='321'", "WHERE cvv='[REDACTED:sensitive_param]'"},
	{"iban-lower", "", "it60x0542811101000000123456", "it*********************3456"},
	{"iban-lower", "", "ch9300762011623852957", "ch***************2957"},
	{"iban-lower", "", "at611904300234573201", "at**************3201"},
	{"iban-lower", "", "pl61109010140000071219812874", "pl**********************2874"},
	{"iban-lower", "", "iban=nl91abna0417164300", "iban=nl************4300"},
	{"iban-lower", "", "de89 3704 0044 0532 0130 00", "de** **** **** **** **30 00"},
	{"ssn-key", "", "ssn: 078 05 1120", "ssn: *** ** 1120"},
	{"ssn-key", "", `{"SSN":"123456789"}`, `{"SSN":"*****6789"}`},
	{"ssn-key", "", "applicantSSN=536221234", "applicantSSN=*****1234"},
	{"ssn-key", "", "social_security_number: 078051120", "social_security_number: *****1120"},
	{"ssn-key", "SSN", "219 09 9999", "*** ** 9999"},
	// A national number without '+' is a phone number next to a phone name
	// only ("phone":"4155552671"); elsewhere ten digits are an id or a time.
	{"phone-key", "phone", "4155552671", "********71"},
	{"phone-key", "customer.phone_number", "07700 900123", "***** ****23"},
	{"phone-key", "billing.mobile", "030-901820", "***-****20"},
	{"phone-key", "", `{"phone":"4155552671","amount":4999}`, `{"phone":"********71","amount":4999}`},
	{"phone-key", "", "mobile=07700900123&order=1000234556", "mobile=*********23&order=1000234556"},
	{"phone-key", "", "customerPhone: 030 901820", "customerPhone: *** ****20"},
	{"phone-key", "", "Customer(phoneNumber=4155552671, email=n/a)", "Customer(phoneNumber=********71, email=n/a)"},
	{"ssn-key", "user.ssn", "078051120", "*****1120"},

	// Group separators URL-encoded as form values and query strings write
	// them (url.full, url.query, http.target): '+' or %20 for a space and
	// %2B for the '+' of an international number.
	{"url-encoded", "", "number=4111%201111%201111%201111&exp=12%2F29", "number=****%20****%20****%201111&exp=12%2F29"},
	{"url-encoded", "", "/search?q=4111+1111+1111+1111", "/search?q=****+****+****+1111"},
	{"url-encoded", "url.query", "holder=A+Smith&number=5555+5555+5555+4444", "holder=A+Smith&number=****+****+****+4444"},
	{"url-encoded", "", "phone=%2B14155552671", "phone=%2B*********71"},
	{"url-encoded", "", "to=%2B44%2020%207946%200958&body=hi", "to=%2B**%20**%20****%20**58&body=hi"},
	{"url-encoded", "", "to=%2B44+20+7946+0958", "to=%2B**+**+****+**58"},
	{"url-encoded", "", "iban=DE89%203704%200044%200532%200130%2000", "iban=DE**%20****%20****%20****%20**30%2000"},
	{"url-encoded", "http.target", "/pay?account=DE89+3704+0044+0532+0130+00&amount=10", "/pay?account=DE**+****+****+****+**30+00&amount=10"},
	{"url-encoded", "", "q=visa%204111%201111%201111%201111", "q=visa%20****%20****%20****%201111"},
	{"url-encoded", "", "redirect_uri=https%3A%2F%2Fshop.example%2Fcb%3Fref%3D4111111111111111%26ssn%3D078-05-1120", "redirect_uri=https%3A%2F%2Fshop.example%2Fcb%3Fref%3D************1111%26ssn%3D***-**-1120"},

	// A query string inside a query parameter (login redirects, return
	// URLs) or JSON in one: '=', ':' and quotes are percent-encoded.
	{"url-encoded", "", "GET /login?next=%2Fcheckout%3Ftoken%3Dsecret123%26step%3D2", "GET /login?next=%2Fcheckout%3Ftoken%3D[REDACTED:sensitive_param]%26step%3D2"},
	{"url-encoded", "url.full", "https://shop.example/cb?redirect_uri=https%3A%2F%2Fapp%2Fdone%3Fpassword%3DSup3rSecret", "https://shop.example/cb?redirect_uri=https%3A%2F%2Fapp%2Fdone%3Fpassword%3D[REDACTED:sensitive_param]"},
	{"url-encoded", "", "state=%7B%22password%22%3A%22hunter2%22%2C%22cvc%22%3A%22123%22%7D", "state=%7B%22password%22%3A%22[REDACTED:sensitive_param]%22%2C%22cvc%22%3A%22[REDACTED:sensitive_param]%22%7D"},
	{"url-encoded", "", "h=Authorization%3A%20Bearer%20abcdef0123456789", "h=Authorization%3A%20[REDACTED:sensitive_param]"},
	{"url-encoded", "", "next=%2Fapp%3Fssn%3D078051120%26phone%3D4155552671", "next=%2Fapp%3Fssn%3D*****1120%26phone%3D********71"},

	// Password names frameworks and tools use: Django's password1/2 and
	// new_password1/2, Rails' and Laravel's password_confirmation, libpq's
	// PGPASSWORD, MySQL's MYSQL_PWD.
	{"password-name", "", "username=bob&password1=Sup3rSecret&password2=Sup3rSecret", "username=bob&password1=[REDACTED:sensitive_param]&password2=[REDACTED:sensitive_param]"},
	{"password-name", "", `{"new_password1":"Sup3rSecret","new_password2":"Sup3rSecret"}`, `{"new_password1":"[REDACTED:sensitive_param]","new_password2":"[REDACTED:sensitive_param]"}`},
	{"password-name", "", `{"password_confirmation":"Sup3rSecret"}`, `{"password_confirmation":"[REDACTED:sensitive_param]"}`},
	{"password-name", "", "exec: PGPASSWORD=Sup3rSecret psql -h db", "exec: PGPASSWORD=[REDACTED:sensitive_param] psql -h db"},
	{"password-name", "", "MYSQL_PWD=Sup3rSecret mysqldump pay", "MYSQL_PWD=[REDACTED:sensitive_param] mysqldump pay"},
	{"password-name", "password1", "Sup3rSecret", "[REDACTED:sensitive_key]"},
	{"password-name", "form.new_password2", "Sup3rSecret", "[REDACTED:sensitive_key]"},
	{"password-name", "user.password_confirmation", "Sup3rSecret", "[REDACTED:sensitive_key]"},
	{"password-name", "env.PGPASSWORD", "Sup3rSecret", "[REDACTED:sensitive_key]"},

	// Command lines: process.command_line as resource detectors record it,
	// with the value of a flag after a space.
	{"cli-flag", "process.command_line", "node server.js --db-password Sup3rSecret --port 8080", "node server.js --db-password [REDACTED:sensitive_param] --port 8080"},
	{"cli-flag", "", "exec: psql --password 'Sup3r Secret' -h db", "exec: psql --password '[REDACTED:sensitive_param]' -h db"},
	{"cli-flag", "", "java -jar pay.jar --api-key k_live_9f8e7d", "java -jar pay.jar --api-key [REDACTED:sensitive_param]"},

	// XML elements, as SOAP and ISO 20022 gateway clients (Java, .NET) log
	// their requests.
	{"xml", "", "<Password>Sup3rSecret</Password>", "<Password>[REDACTED:sensitive_param]</Password>"},
	{"xml", "", "<ns2:CVV>123</ns2:CVV>", "<ns2:CVV>[REDACTED:sensitive_param]</ns2:CVV>"},
	{"xml", "", "<card><number>4111111111111111</number><cvc>737</cvc></card>", "<card><number>************1111</number><cvc>[REDACTED:sensitive_param]</cvc></card>"},
	{"xml", "", `<SecurityCode type="string">1234</SecurityCode>`, `<SecurityCode type="string">[REDACTED:sensitive_param]</SecurityCode>`},
	{"xml", "", "<auth><ApiKey>k_live_9f8e7d</ApiKey></auth>", "<auth><ApiKey>[REDACTED:sensitive_param]</ApiKey></auth>"},
	{"xml", "", "<SSN>078051120</SSN>", "<SSN>*****1120</SSN>"},
	{"xml", "", "<MobilePhone>07700900123</MobilePhone>", "<MobilePhone>*********23</MobilePhone>"},

	// Classes detected before, in the shapes services log them.
	{"email", "", "Order confirmation sent to alice.smith@example.com", "Order confirmation sent to {pii:alice.smith@example.com}"},
	{"email", "", `{"receipt_email":"Bob@Example.ORG"}`, `{"receipt_email":"{pii:bob@example.org}"}`},
	{"email", "", "user=müller@bücher.de action=login", "user={pii:müller@bücher.de} action=login"},
	{"card", "", `{"amount":4999,"number":"4242424242424242"}`, `{"amount":4999,"number":"************4242"}`},
	{"card", "", "Card 5555-5555-5555-4444 declined: insufficient_funds", "Card ****-****-****-4444 declined: insufficient_funds"},
	{"card", "", "charge 378282246310005 amex", "charge ***********0005 amex"},
	{"ip", "", "X-Forwarded-For: 203.0.113.77, 198.51.100.23", "X-Forwarded-For: 203.0.113.0, 198.51.100.0"},
	{"ip", "", "client [2001:db8:4321:8765:abcd::42]:51234", "client [2001:db8:4321::]:51234"},
	{"jwt", "", "Authorization: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "Authorization: [REDACTED:sensitive_param]"},
	{"jwt", "", "id_tok eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U", "id_tok [REDACTED:jwt]"},
	{"credential", "", "upstream said 401 for Bearer 9f86d081884c7d659a2feaa0c55ad015", "upstream said 401 for Bearer [REDACTED:credential]"},
	{"phone", "", "sms to +44 20 7946 0958 queued", "sms to +** ** **** **58 queued"},
	{"phone", "", "callback (415) 555-2671", "callback (***) ***-**71"},
	{"iban", "", "refund to DE89 3704 0044 0532 0130 00", "refund to DE** **** **** **** **30 00"},
	{"ssn", "", "ssn 078-05-1120 on file", "ssn ***-**-1120 on file"},
	{"url", "", "dsn=postgres://app:Tr0ub4dor@db.internal:5432/ledger", "dsn=postgres://[REDACTED:url_userinfo]@db.internal:5432/ledger"},
	{"secret", "", "STRIPE_KEY=sk_live_51HxYzAbCdEfGhIjKlMnOpQr", "STRIPE_KEY=sk_live_****"},
	{"secret", "", "aws_access_key_id=AKIAIOSFODNN7EXAMPLE", "aws_access_key_id=AKIA****"},
	{"secret", "", "private key -----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "private key [REDACTED:private_key]"},
	{"sensitive-value", "", "login failed password=Summer2026!", "login failed password=[REDACTED:sensitive_param]"},
	{"sensitive-value", "", `{"api_key":"k_live_abc","amount":1}`, `{"api_key":"[REDACTED:sensitive_param]","amount":1}`},

	// Provider keys that were caught only next to a sensitive name:
	// SendGrid API keys (69 characters: "SG.", 22, ".", 43), Checkout.com
	// secret keys (sandbox "sk_sbox_…", live "sk_<uuid>").
	{"secret-prefix", "", "sendgrid init with 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 failed: 401", "sendgrid init with SG.**** failed: 401"},
	{"secret-prefix", "", `{"mailer":"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","from":"shop"}`, `{"mailer":"SG.****","from":"shop"}`},
	{"secret-prefix", "", "SENDGRID=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", "SENDGRID=SG.****"},
	{"secret-prefix", "", "new Checkout('sk_sbox_m73dzbpy7cf3gfd46xr4yj5xo4e')", "new Checkout('sk_sbox_****')"},
	{"secret-prefix", "", "cko client sk_sbox_3oqkuf6ztnx7k4v5j3wgb2mqjy ready", "cko client sk_sbox_**** ready"},
	{"secret-prefix", "", `Checkout("sk_0b9b5db6-fabc-49d0-b68f-92645dc4f508")`, `Checkout("sk_****")`},
	{"secret-prefix", "", "CKO_KEY=sk_3e1ad21b-ac23-4eb3-ad1f-375e9fb56481 env=prod", "CKO_KEY=sk_**** env=prod"},

	// International numbers dialled with the "00" exit code instead of '+'.
	{"phone-00", "", "call 0044 20 7946 0958", "call **** ** **** **58"},
	{"phone-00", "", "0049 30 901820", "**** ** ****20"},
	{"phone-00", "", "callback 001 415 555 2671 after 6pm", "callback *** *** *** **71 after 6pm"},
	{"phone-00", "", "fax 0033 1 42 68 53 00", "fax **** * ** ** ** 00"},
	{"phone-00", "", "Rome office 0039 06 6982 3456", "Rome office **** ** **** **56"},
	{"phone-00", "", "desk 0061.2.9374.4000 (AU)", "desk ****.*.****.**00 (AU)"},
	{"phone-00", "", `{"contact":"0041-44-668-1800","amount":4999}`, `{"contact":"****-**-***-**00","amount":4999}`},
}

// cleanCorpus is realistic data without PII that must come out unchanged.
// key defaults to "message".
var cleanCorpus = []struct{ key, value string }{
	// Order, payment and customer-facing ids.
	{"", "ord_8f14e45fceea167a5a36dedd4bea2543"},
	{"", "order 1000234556 shipped"},
	{"order.id", "100023455678"},
	{"", "pi_3MtwBwLkdIwHu7ix28a3tqPa"},
	{"", "ch_3MmlLrLkdIwHu7ix0snN0B15"},
	{"", "cus_NffrFeUfNV2Hib"},
	{"", "seti_1NGvYq2eZvKYlo2C9mGK3R8h"},
	{"", "INV-2026-000123"},
	{"", "invoice #A1B2-C3D4-E5F6"},
	{"", "PO-4500012345"},
	{"", "txn 7340012345678901 settled"},
	{"", "RRN 612345678901"},
	{"", "auth code 0A1B2C"},
	{"", "merchant MID 000000123456789"},
	// UUIDs, trace and span ids.
	{"", "550e8400-e29b-41d4-a716-446655440000"},
	{"", "f47ac10b-58cc-4372-a567-0e02b2c3d479"},
	{"", "0190d7e4-5c2b-7c9a-8f1e-3b2a1c0d9e8f"},
	{"", "4bf92f3577b34da6a3ce929d0e0e4736"},
	{"", "00f067aa0ba902b7"},
	{"", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
	{"", "traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
	{"", "X-Request-Id: 6f1c2a9e-4b7d-4e0a-9c3f-2d8e5a1b7c60"},
	{"", "ULID 01ARZ3NDEKTSV4RRFFQ69G5FAV"},
	{"", "ksuid 0ujtsYcgvSTl8PAuAdqWYSMnLOv"},
	// Amounts in many locales.
	{"", "amount 1,234.56 USD"},
	{"", "Betrag 1.234,56 €"},
	{"", "montant 1 234,56 €"},
	{"", "CHF 1'234.50"},
	{"", "₹1,23,456.78"},
	{"", "¥123,456"},
	{"", "R$ 1.234,56"},
	{"", "total: 4999 minor units"},
	{"amount", "12345678.90"},
	{"", "price=0.0001 BTC"},
	{"", "refund -42.00 EUR"},
	{"", "Σ 1 000 000,00 kr"},
	{"", "amount_minor=1234567890123"},
	// Versions and builds.
	{"", "v1.42.0"},
	{"", "checkout-service 2.13.4-rc.1+build.5678"},
	{"", "go1.26.1 linux/amd64"},
	{"", "node v20.11.1"},
	{"", "OpenSSL 3.0.13 30 Jan 2024"},
	{"", "otelcol-contrib 0.165.1"},
	{"", "Chrome/120.0.6099.109 Safari/537.36"},
	{"", "build 20261128.3 (7f3a9c1)"},
	// Timestamps and durations.
	{"", "2026-11-28T12:34:56.123456789Z"},
	{"", "2026-11-28 12:34:56+01:00"},
	{"", "28/11/2026 12:34"},
	{"", "11/28/2026"},
	{"", "Sat, 28 Nov 2026 12:34:56 GMT"},
	{"", "1700000000"},
	{"", "1700000000123"},
	{"", "1700000000123456789"},
	{"", "took 1234567890123 ns"},
	{"", "P1DT2H30M"},
	{"", "uptime 12:34:56"},
	// SKUs and product codes.
	{"", "SKU-12345-BLK-XL"},
	{"", "sku 4006381333931"},
	{"", "EAN 5901234123457"},
	{"", "UPC 036000291452"},
	{"", "ISBN 978-3-16-148410-0"},
	{"", "GTIN 00012345600012"},
	{"", "item 2024/05/0001"},
	{"", "part no. 1234/5678/9012"},
	// Base64 image ids, hashes and binary-looking tokens.
	{"", "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="},
	{"", "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"},
	{"", "/9j/4AAQSkZJRgABAQEASABIAAD/2wBDAAYEBQYFBAYGBQYGBwcHBgkICQoLCBUQEAoKCBcRERQQFBsXGxsbFxoaHR0gJCshHSIqIBoaJjYnKywuMTMxHR0oNj02MD0rMDEw"},
	{"", "image_id=aW1nXzAwMDEyMzQ1Njc4OTAxMjM0NTY3"},
	{"", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	{"", "d41d8cd98f00b204e9800998ecf8427e"},
	{"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
	{"", "etag W/\"5f3b2a1c9d8e7f60\""},
	{"", "commit 7f3a9c1d2e4b5a6978c0d1e2f3a4b5c6d7e8f901"},
	{"", "nonce=MTIzNDU2Nzg5MGFiY2RlZg"},
	{"", "ZGVhZGJlZWZkZWFkYmVlZmRlYWRiZWVm"},
	{"", "bytes=AAECAwQFBgcICQoLDA0ODxAREhM="},
	// Hostnames, URLs, paths.
	{"", "https://shop.example.com/checkout?step=2&lang=en"},
	{"", "GET /api/v1/orders/1000234556/items HTTP/1.1"},
	{"", "ip-10-0-1-17.eu-west-1.compute.internal"},
	{"", "redis://cache.internal:6379/0"},
	{"", "/var/log/payments/2026-11-28.log"},
	{"", "s3://bucket/exports/2026/11/28/part-00001.parquet"},
	// Sensitive-looking names next to harmless values (over-masking).
	{"", "token_type=Bearer"},
	{"", "max_tokens=1024"},
	{"", "card_brand=visa"},
	{"", "card=************1111"},
	{"", "card: 411111******1111"},
	{"", "pan=************4242"},
	{"", "password=null"},
	{"", `{"password":null,"token":""}`},
	{"", `{"token":"","session":null}`},
	{"", "cvv=***"},
	{"", "session=true"},
	{"", "cookie_consent=accepted"},
	{"", "password_reset=requested"},
	{"", "tokens_used=3512"},
	{"", "secret_santa=false"},
	{"", "auth=none"},
	{"", "next_page_token=CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA"},
	{"", "page_token=eyJvZmZzZXQiOjEwMH0"},
	{"", "card_last4=4242"},
	{"", "card.bin=411111"},
	{"card.last4", "1111"},
	{"card.bin", "424242"},
	{"card.brand", "mastercard"},
	{"token_expiry", "2026-12-01T00:00:00Z"},
	{"auth.method", "3ds2"},
	{"phone.verified", "true"},
	{"phone.country_code", "44"},
	{"", "phone_count=3 mobile=true"},
	{"", `{"phone":null,"mobile":"ios"}`},
	{"", "telephone=n/a"},
	{"process.command_line", "node server.js --no-password --port 8080 --token-endpoint https://idp.example/token"},
	{"", "git commit --password-file /run/secrets/db -m x"},
	// Values the application redacted itself: pino's "[Redacted]", Rails'
	// "[FILTERED]", Serilog's "***MASKED***", this processor's "[REDACTED]".
	{"", "password=[REDACTED] user=bob"},
	{"", `{"password":"[Redacted]","token":"[FILTERED]","card":"<redacted>"}`},
	{"", "Authorization: ***MASKED***"},
	{"password", "[REDACTED]"},
	{"http.request.header.authorization", "[Redacted]"},
	{"", "next=%2Fcheckout%3Fstep%3D2%26token_type%3DBearer%26max_tokens%3D100"},
	{"", "addr=fe80%3A%3A1%25eth0"},
	{"", `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>x</ds:SignedInfo></ds:Signature>`},
	{"", "<token_type>Bearer</token_type><password></password><PasswordPolicy>strong</PasswordPolicy>"},
	{"", "<Token>\n  <Id>1</Id>\n</Token> a -> b, x => y"},
	// Other everyday values.
	{"", "payment.charge"},
	{"", "card_declined: the card was declined by the issuer, do not retry"},
	{"", "3DS challenge required"},
	{"", "country=DE currency=EUR"},
	{"", "DE VAT DE123456789"},
	{"", "lat 48.137154 lon 11.576124"},
	{"", "error code 0x80070005"},
	{"", "mac 00:1a:2b:3c:4d:5e"},
	{"", "port 8443"},
	{"", "1.2.3"},
	{"", "retry 3 of 5"},
	{"", "user agent Mozilla/5.0 (X11; Linux x86_64)"},
	{"", "Hello, world! The quick brown fox jumps over the lazy dog."},
	{"", "Zahlung für Bestellung 1000234556 abgelehnt"},
	{"", "支付失败，请重试"},
	{"", "@mention in #payments"},
	{"", "user@localhost"},
	{"", "a@b"},
	{"", "C:\\Users\\svc_payments\\AppData"},
	{"", `{"status":"ok","items":3,"total":{"value":4999,"currency":"EUR"}}`},
	{"", "SELECT id, status FROM orders WHERE created_at > '2026-11-01' LIMIT 100"},
	{"", "ratio 0.25"},
	// Public keys and lookalikes of provider secrets: Checkout.com public
	// keys, Razorpay key ids (sent to the browser in Checkout's "key"
	// option), "SG." and "sk_" in front of something else.
	{"", "Frames.init('pk_sbox_xlttgxqiyo7d46mjiha6sz5rmaq')"},
	{"", "public key pk_0b9b5db6-fabc-49d0-b68f-92645dc4f508"},
	{"", `Razorpay({"key":"rzp_live_ILgsfZCZoFIKMb","amount":50000})`},
	{"", "rzp_test_1DP5mmOlF5G5ag"},
	{"", "region SG.north build SG.2026.11"},
	{"", "SG.ngeVfQFYQlKU0ufo8x5d1A is a short code"},
	{"", "desk_550e8400-e29b-41d4-a716-446655440000"},
	{"", "sk_count=3 sk_id=550e8400"},

	// Digits starting with 00 that are no "00" international number: no
	// country code (12, 01), blocks of four like ids and accounts, the
	// trunk 0 after the country code, no grouping, too few digits.
	{"", "order 0012 3456 7890"},
	{"", "qty 0001 0002 0003 0004"},
	{"", "ref 0049-3090-1820"},
	{"", "acct 0044 0532 0130 01"},
	{"", "batch 00447946095812"},
	{"", "2026-11-28 0030 UTC"},
	{"", "amount 0044.20 EUR"},
	{"", "build 0044.20.1"},
	{"", "0033 1234 5678"},
}

var (
	piiPlaceholder    = regexp.MustCompile(`\{pii:([^{}]*)\}`)
	base64Placeholder = regexp.MustCompile(`«(b64|b64url|b64raw):([^«»]*)»`)
)

// expand replaces the placeholders of a corpus want.
func expand(want string) string {
	want = piiPlaceholder.ReplaceAllStringFunc(want, func(m string) string {
		return pseudonym(piiPlaceholder.FindStringSubmatch(m)[1])
	})
	return base64Placeholder.ReplaceAllStringFunc(want, func(m string) string {
		sub := base64Placeholder.FindStringSubmatch(m)
		enc := map[string]*base64.Encoding{"b64": base64.StdEncoding, "b64url": base64.URLEncoding, "b64raw": base64.RawStdEncoding}[sub[1]]
		return enc.EncodeToString([]byte(sub[2]))
	})
}

// sanitizeAttr runs one log record attribute through the processor and
// returns the output (removed if the attribute was dropped).
func sanitizeAttr(t *testing.T, h *harness, key, in string) string {
	t.Helper()
	ld := plog.NewLogs()
	attrs := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().Attributes()
	attrs.PutStr(key, in)
	out := h.processLogs(t, ld).ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
	v, ok := out.Get(key)
	if !ok {
		return removed
	}
	return v.AsString()
}

func corpusKey(k string) string {
	if k == "" {
		return "message"
	}
	return k
}

func TestLeakCorpus(t *testing.T) {
	h := newHarness(t, testConfig())
	byClass := map[string]int{}
	for _, c := range leakCorpus {
		byClass[c.class]++
		key, want := corpusKey(c.key), expand(c.want)
		got := sanitizeAttr(t, h, key, c.in)
		if got != want {
			t.Errorf("%s: %s=%q\n got  %q\n want %q", c.class, key, c.in, got, want)
			continue
		}
		if got != removed {
			if again := sanitizeAttr(t, h, key, got); again != got {
				t.Errorf("%s: second pass changed %q to %q", c.class, got, again)
			}
		}
	}
	t.Logf("%d leak inputs: %v", len(leakCorpus), byClass)
}

func TestCleanCorpusUnchanged(t *testing.T) {
	h := newHarness(t, testConfig())
	for _, c := range cleanCorpus {
		key := corpusKey(c.key)
		if got := sanitizeAttr(t, h, key, c.value); got != c.value {
			t.Errorf("control %s=%q changed to %q", key, c.value, got)
		}
	}
}

// TestLeakCorpusFields covers fields that were not scanned (bytes values,
// tracestate, scope names and versions, metric names and descriptions) and
// card numbers split over two adjacent values.
func TestLeakCorpusFields(t *testing.T) {
	h := newHarness(t, testConfig())
	alice := pseudonym("alice@example.com")

	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	ss.Scope().SetName("audit.alice@example.com")
	ss.Scope().SetVersion("1.0.0 (built on 203.0.113.7)")
	span := ss.Spans().AppendEmpty()
	span.TraceState().FromRaw("congo=t61rcWkgMzE,shop=uid:alice@example.com,vnd=session=abc123")
	span.Links().AppendEmpty().TraceState().FromRaw("rojo=00f067aa0ba902b7,acct=card:4111111111111111")
	span.Attributes().PutEmptyBytes("http.request.body").FromRaw([]byte(`{"email":"alice@example.com","card":"4111 1111 1111 1111"}`))
	binary := []byte{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, '4', '1', '1', '1'}
	span.Attributes().PutEmptyBytes("thumbnail").FromRaw(binary)
	a := span.Attributes()
	a.PutStr("card.first8", "4111 1111")
	a.PutStr("card.last8", "1111 1111")
	a.PutStr("card.bin", "424242") // BIN and last four are not a card
	a.PutStr("card.last4", "4242")
	a.PutStr("zip", "94107")
	a.PutStr("store", "1234")

	// process.command_args is an array: a flag's value is the next element.
	args := td.ResourceSpans().At(0).Resource().Attributes().PutEmptySlice("process.command_args")
	for _, a := range []string{"node", "server.js", "--password", "Sup3rSecret", "--port", "8080", "--token"} {
		args.AppendEmpty().SetStr(a)
	}
	out := h.processTraces(t, td)
	argsOut, _ := out.ResourceSpans().At(0).Resource().Attributes().Get("process.command_args")
	ss = out.ResourceSpans().At(0).ScopeSpans().At(0)
	span = ss.Spans().At(0)
	body, _ := span.Attributes().Get("http.request.body")
	thumb, _ := span.Attributes().Get("thumbnail")
	checks := []struct{ field, got, want string }{
		{"scope name", ss.Scope().Name(), pseudonym("audit.alice@example.com")},
		{"scope version", ss.Scope().Version(), "1.0.0 (built on 203.0.113.0)"},
		{"tracestate", span.TraceState().AsRaw(), "congo=t61rcWkgMzE,shop=uid:" + alice + ",vnd=session=[REDACTED:sensitive_param]"},
		{"link tracestate", span.Links().At(0).TraceState().AsRaw(), "rojo=00f067aa0ba902b7,acct=card:[REDACTED:sensitive_param]"},
		{"bytes", string(body.Bytes().AsRaw()), `{"email":"` + alice + `","card":"[REDACTED:sensitive_param]"}`},
		{"binary bytes", string(thumb.Bytes().AsRaw()), string(binary)},
		{"split card first", str(t, span.Attributes(), "card.first8"), "**** ****"},
		{"split card last", str(t, span.Attributes(), "card.last8"), "**** 1111"},
		{"bin", str(t, span.Attributes(), "card.bin"), "424242"},
		{"last4", str(t, span.Attributes(), "card.last4"), "4242"},
		{"zip", str(t, span.Attributes(), "zip"), "94107"},
		{"store", str(t, span.Attributes(), "store"), "1234"},
		{"command args", fmt.Sprint(argsOut.Slice().AsRaw()), "[node server.js --password [REDACTED:sensitive_param] --port 8080 --token]"},
	}
	if body.Type() != pcommon.ValueTypeBytes {
		t.Errorf("bytes value became %s", body.Type())
	}

	md := pmetric.NewMetrics()
	sm := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("meter for bob@example.org")
	m := sm.Metrics().AppendEmpty()
	m.SetName("checkout.alice@example.com.count")
	m.SetDescription("Checkouts of card 5555 5555 5555 4444")
	m.Metadata().PutStr("source.query", "email=alice@example.com")
	m.SetEmptySum().DataPoints().AppendEmpty().SetIntValue(1)
	mo := h.processMetrics(t, md).ResourceMetrics().At(0).ScopeMetrics().At(0)
	metadataQuery, _ := mo.Metrics().At(0).Metadata().Get("source.query")
	checks = append(checks, []struct{ field, got, want string }{
		{"meter scope", mo.Scope().Name(), "meter for " + pseudonym("bob@example.org")},
		{"metric name", mo.Metrics().At(0).Name(), pseudonym("checkout.alice@example.com.count")},
		{"metric description", mo.Metrics().At(0).Description(), "Checkouts of card **** **** **** 4444"},
		{"metric metadata", metadataQuery.Str(), "email=" + alice},
	}...)

	ld := plog.NewLogs()
	sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	sl.Scope().SetName("com.shop.Users/alice@example.com")
	bm := sl.LogRecords().AppendEmpty().Body().SetEmptyMap()
	bm.PutStr("pan_part1", "5555555")
	bm.PutStr("pan_part2", "555554444")
	// Key rules apply to keys of nested maps in any spelling.
	order := bm.PutEmptyMap("order")
	order.PutStr("CustomerEmail", "alice(at)example.com")
	order.PutStr("card-CVC", "123")
	order.PutStr("X_API_KEY", "k_123")
	// ... and to keys named by their parent: customer.id, card.number.
	customer := order.PutEmptyMap("customer")
	customer.PutStr("id", "cus_8812")
	customer.PutStr("name_hint", "A.")
	order.PutEmptyMap("card").PutStr("number", "4111-1111-1111-1111")
	lo := h.processLogs(t, ld).ResourceLogs().At(0).ScopeLogs().At(0)
	bo := lo.LogRecords().At(0).Body().Map()
	checks = append(checks, []struct{ field, got, want string }{
		{"logger scope", lo.Scope().Name(), "com.shop.Users/" + alice},
		{"split card in body first", str(t, bo, "pan_part1"), "*******"},
		{"split card in body last", str(t, bo, "pan_part2"), "*****4444"},
	}...)
	orderOut, _ := bo.Get("order")
	checks = append(checks, []struct{ field, got, want string }{
		{"nested CustomerEmail", str(t, orderOut.Map(), "CustomerEmail"), pseudonym("alice(at)example.com")},
		{"nested X_API_KEY", str(t, orderOut.Map(), "X_API_KEY"), "[REDACTED:sensitive_key]"},
	}...)
	customerOut, _ := orderOut.Map().Get("customer")
	cardOut, _ := orderOut.Map().Get("card")
	checks = append(checks, []struct{ field, got, want string }{
		{"nested customer.id", str(t, customerOut.Map(), "id"), pseudonym("cus_8812")},
		{"nested customer.name_hint", str(t, customerOut.Map(), "name_hint"), "A."},
		{"nested card.number", str(t, cardOut.Map(), "number"), "[REDACTED:sensitive_key]"},
	}...)
	if _, ok := orderOut.Map().Get("card-CVC"); ok {
		t.Error("nested card-CVC not removed")
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.field, c.got, c.want)
		}
	}
}
