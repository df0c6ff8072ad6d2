package ga4test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// The limits below are spelled out here again on purpose rather than taken
// from the exporter, so that a wrong constant in the exporter cannot hide
// behind the same wrong constant in the server that checks it.
const (
	limitEvents          = 25
	limitParams          = 25
	limitNameLen         = 40
	limitParamValueLen   = 100
	limitUserProps       = 25
	limitUserPropNameLen = 24
	limitUserPropValLen  = 36
	limitItems           = 200
	limitBodyBytes       = 130_000
	limitPast            = 72 * time.Hour
	// futureSkew tolerates clock differences between client and server.
	futureSkew = time.Minute
)

var (
	nameRe          = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	measurementIDRe = regexp.MustCompile(`^G-[A-Z0-9]{4,}$`)
	emailRe         = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	reservedPrefix  = []string{"_", "firebase_", "ga_", "google_", "gtag."}
	reservedEvents  = map[string]bool{
		"ad_activeview": true, "ad_click": true, "ad_exposure": true, "ad_impression": true,
		"ad_query": true, "ad_reward": true, "adunit_exposure": true, "app_background": true,
		"app_clear_data": true, "app_exception": true, "app_remove": true, "app_store_refund": true,
		"app_store_subscription_cancel": true, "app_store_subscription_convert": true,
		"app_store_subscription_renew": true, "app_update": true, "app_upgrade": true,
		"click": true, "dynamic_link_app_open": true, "dynamic_link_app_update": true,
		"dynamic_link_first_open": true, "error": true, "firebase_campaign": true,
		"firebase_in_app_message_action": true, "firebase_in_app_message_dismiss": true,
		"firebase_in_app_message_impression": true, "first_open": true, "first_visit": true,
		"in_app_purchase": true, "notification_dismiss": true, "notification_foreground": true,
		"notification_open": true, "notification_receive": true, "notification_send": true,
		"os_update": true, "page_view": true, "screen_view": true, "session_start": true,
		"user_engagement": true,
	}
	reservedUserProps = map[string]bool{
		"first_open_time": true, "first_visit_time": true, "last_deep_link_referrer": true,
		"user_id": true, "first_open_after_install": true,
	}
)

// Violation is one broken rule, in the shape of a validationMessages entry.
type Violation struct {
	FieldPath      string `json:"fieldPath"`
	Description    string `json:"description"`
	ValidationCode string `json:"validationCode"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s: %s (%s)", v.FieldPath, v.Description, v.ValidationCode)
}

// Validation codes (GA4's own where one exists).
const (
	CodeValueInvalid  = "VALUE_INVALID"
	CodeValueRequired = "VALUE_REQUIRED"
	CodeNameInvalid   = "NAME_INVALID"
	CodeNameReserved  = "NAME_RESERVED"
	CodeValueTooLong  = "VALUE_OUT_OF_BOUNDS"
	CodeExceededMax   = "EXCEEDED_MAX_ENTITIES"
	CodeNameTooLong   = "NAME_DUPLICATED_OR_TOO_LONG"
	CodeBodyTooLarge  = "BODY_TOO_LARGE"
	CodePrivacy       = "PERSONAL_DATA"
)

// Payload is a decoded Measurement Protocol body.
type Payload struct {
	ClientID        string                  `json:"client_id"`
	UserID          string                  `json:"user_id,omitempty"`
	TimestampMicros json.Number             `json:"timestamp_micros,omitempty"`
	UserProperties  map[string]UserProperty `json:"user_properties,omitempty"`
	Consent         *Consent                `json:"consent,omitempty"`
	Events          []Event                 `json:"events"`
	// Fields the protocol knows but our exporter must never send: they carry
	// personal data (IP address, hashed email/phone) or belong to app streams.
	AppInstanceID string          `json:"app_instance_id,omitempty"`
	IPOverride    string          `json:"ip_override,omitempty"`
	UserData      json.RawMessage `json:"user_data,omitempty"`
	UserLocation  json.RawMessage `json:"user_location,omitempty"`
	Device        json.RawMessage `json:"device,omitempty"`
	NonPersAds    *bool           `json:"non_personalized_ads,omitempty"`
	ValidationBeh string          `json:"validation_behavior,omitempty"`
}

// UserProperty is one user property.
type UserProperty struct {
	Value           any         `json:"value"`
	TimestampMicros json.Number `json:"timestamp_micros,omitempty"`
}

// Consent is the consent block.
type Consent struct {
	AdUserData        string `json:"ad_user_data,omitempty"`
	AdPersonalization string `json:"ad_personalization,omitempty"`
}

// Event is one decoded event; Params values are string, json.Number or
// []any (items).
type Event struct {
	Name            string         `json:"name"`
	TimestampMicros json.Number    `json:"timestamp_micros,omitempty"`
	Params          map[string]any `json:"params,omitempty"`
}

// Validate checks a body against every documented limit and our privacy
// rules, at server time now. It returns the decoded payload (when it decodes)
// and the violations.
func Validate(body []byte, now time.Time) (*Payload, []Violation) {
	var vs []Violation
	add := func(path, code, format string, args ...any) {
		vs = append(vs, Violation{FieldPath: path, ValidationCode: code, Description: fmt.Sprintf(format, args...)})
	}
	if len(body) >= limitBodyBytes {
		add("", CodeBodyTooLarge, "body is %d bytes; must be under %d", len(body), limitBodyBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var p Payload
	if err := dec.Decode(&p); err != nil {
		add("", CodeValueInvalid, "body is not a valid Measurement Protocol payload: %v", err)
		return nil, vs
	}
	if dec.More() {
		add("", CodeValueInvalid, "trailing data after the JSON payload")
	}

	if p.ClientID == "" {
		add("client_id", CodeValueRequired, "client_id is required for web streams")
	}
	checkPII := func(path, s string) {
		if emailRe.MatchString(s) {
			add(path, CodePrivacy, "value looks like an email address")
		}
		if net.ParseIP(strings.TrimSpace(s)) != nil {
			add(path, CodePrivacy, "value is an IP address")
		}
	}
	checkPII("client_id", p.ClientID)
	checkPII("user_id", p.UserID)
	if p.IPOverride != "" || len(p.UserData) > 0 || len(p.UserLocation) > 0 || len(p.Device) > 0 {
		add("", CodePrivacy, "ip_override, user_data, user_location and device must not be sent")
	}
	if p.AppInstanceID != "" {
		add("app_instance_id", CodeValueInvalid, "app_instance_id is for app streams; this is a web stream")
	}
	checkTimestamp := func(path string, n json.Number, required bool) {
		if n == "" {
			if required {
				add(path, CodeValueRequired, "timestamp_micros is required")
			}
			return
		}
		us, err := n.Int64()
		if err != nil || us < 1e15 {
			add(path, CodeValueInvalid, "timestamp_micros %q is not a Unix time in microseconds", n)
			return
		}
		t := time.UnixMicro(us)
		if now.Sub(t) > limitPast {
			add(path, CodeValueInvalid, "timestamp is %s old; at most %s back is accepted", now.Sub(t), limitPast)
		}
		if t.Sub(now) > futureSkew {
			add(path, CodeValueInvalid, "timestamp is %s in the future", t.Sub(now))
		}
	}
	checkTimestamp("timestamp_micros", p.TimestampMicros, false)

	if p.Consent != nil {
		for path, v := range map[string]string{"consent.ad_user_data": p.Consent.AdUserData, "consent.ad_personalization": p.Consent.AdPersonalization} {
			if v != "" && v != "GRANTED" && v != "DENIED" {
				add(path, CodeValueInvalid, "consent must be GRANTED or DENIED, got %q", v)
			}
		}
	}

	if len(p.UserProperties) > limitUserProps {
		add("user_properties", CodeExceededMax, "%d user properties; at most %d", len(p.UserProperties), limitUserProps)
	}
	for name, up := range p.UserProperties {
		path := "user_properties." + name
		if !nameRe.MatchString(name) || len(name) > limitUserPropNameLen {
			add(path, CodeNameInvalid, "user property names are letters, digits and underscores, start with a letter, at most %d chars", limitUserPropNameLen)
		}
		if reservedUserProps[name] || hasReservedPrefix(name) {
			add(path, CodeNameReserved, "user property name is reserved")
		}
		if s, ok := up.Value.(string); ok {
			if utf8.RuneCountInString(s) > limitUserPropValLen {
				add(path, CodeValueTooLong, "user property value longer than %d chars", limitUserPropValLen)
			}
			checkPII(path, s)
		}
		checkTimestamp(path+".timestamp_micros", up.TimestampMicros, false)
	}

	if len(p.Events) == 0 {
		add("events", CodeValueRequired, "at least one event is required")
	}
	if len(p.Events) > limitEvents {
		add("events", CodeExceededMax, "%d events; at most %d per request", len(p.Events), limitEvents)
	}
	for i, e := range p.Events {
		path := fmt.Sprintf("events[%d]", i)
		checkName(path+".name", e.Name, add)
		if reservedEvents[e.Name] || hasReservedPrefix(e.Name) {
			add(path+".name", CodeNameReserved, "event name %q is reserved", e.Name)
		}
		checkTimestamp(path+".timestamp_micros", e.TimestampMicros, false)
		if len(e.Params) > limitParams {
			add(path+".params", CodeExceededMax, "%d params; at most %d per event", len(e.Params), limitParams)
		}
		for name, v := range e.Params {
			ppath := path + ".params." + name
			checkName(ppath, name, add)
			if hasReservedPrefix(name) || name == "firebase_conversion" {
				add(ppath, CodeNameReserved, "parameter name %q is reserved", name)
			}
			switch v := v.(type) {
			case string:
				if utf8.RuneCountInString(v) > limitParamValueLen {
					add(ppath, CodeValueTooLong, "value longer than %d chars", limitParamValueLen)
				}
				checkPII(ppath, v)
			case json.Number:
			case []any:
				if name != "items" {
					add(ppath, CodeValueInvalid, "only items may be an array")
				}
				checkItems(ppath, v, add, checkPII)
			default:
				add(ppath, CodeValueInvalid, "parameter values are strings or numbers, got %T", v)
			}
		}
		if _, hasValue := e.Params["value"]; hasValue {
			if c, _ := e.Params["currency"].(string); c == "" {
				add(path+".params.currency", CodeValueRequired, "currency is required when value is set")
			}
		}
		if e.Name == "purchase" || e.Name == "refund" {
			if tid, _ := e.Params["transaction_id"].(string); strings.TrimSpace(tid) == "" {
				add(path+".params.transaction_id", CodeValueRequired, "%s needs a non-blank transaction_id", e.Name)
			}
		}
		checkValueIsItemsSum(path, e, add)
	}
	return &p, vs
}

type addFunc func(path, code, format string, args ...any)

// ecommerceEvents are the events whose value the events reference defines as
// the sum of price × quantity of their items, without tax and shipping.
var ecommerceEvents = map[string]bool{
	"view_item": true, "add_to_cart": true, "begin_checkout": true,
	"add_payment_info": true, "purchase": true, "refund": true,
}

// checkValueIsItemsSum checks, in exact decimal arithmetic, that an ecommerce
// event with items has value = Σ price × quantity (quantity defaults to 1,
// a missing price counts as 0).
func checkValueIsItemsSum(path string, e Event, add addFunc) {
	items, _ := e.Params["items"].([]any)
	value, hasValue := e.Params["value"].(json.Number)
	if !ecommerceEvents[e.Name] || len(items) == 0 || !hasValue {
		return
	}
	want, ok := new(big.Rat).SetString(string(value))
	if !ok {
		add(path+".params.value", CodeValueInvalid, "value %q is not a decimal number", value)
		return
	}
	sum := new(big.Rat)
	for i, it := range items {
		m, _ := it.(map[string]any)
		price, qty := new(big.Rat), big.NewRat(1, 1)
		if p, ok := m["price"].(json.Number); ok {
			if _, ok := price.SetString(string(p)); !ok {
				add(fmt.Sprintf("%s.params.items[%d].price", path, i), CodeValueInvalid, "price %q is not a decimal number", p)
				return
			}
		}
		if q, ok := m["quantity"].(json.Number); ok {
			if _, ok := qty.SetString(string(q)); !ok || !qty.IsInt() || qty.Sign() <= 0 {
				add(fmt.Sprintf("%s.params.items[%d].quantity", path, i), CodeValueInvalid, "quantity %q is not a positive integer", q)
				return
			}
		}
		sum.Add(sum, price.Mul(price, qty))
	}
	if want.Cmp(sum) != 0 {
		add(path+".params.value", CodeValueInvalid, "value %s is not the sum of price × quantity of the items (%s); tax and shipping have their own params",
			value, sum.FloatString(6))
	}
}

func checkName(path, name string, add addFunc) {
	if len(name) > limitNameLen {
		add(path, CodeNameTooLong, "name %q longer than %d chars", name, limitNameLen)
	}
	if !nameRe.MatchString(name) {
		add(path, CodeNameInvalid, "name %q must be letters, digits and underscores starting with a letter", name)
	}
}

func checkItems(path string, items []any, add addFunc, checkPII func(string, string)) {
	if len(items) > limitItems {
		add(path, CodeExceededMax, "%d items; at most %d", len(items), limitItems)
	}
	for i, it := range items {
		ipath := fmt.Sprintf("%s[%d]", path, i)
		m, ok := it.(map[string]any)
		if !ok {
			add(ipath, CodeValueInvalid, "items are objects")
			continue
		}
		id, _ := m["item_id"].(string)
		name, _ := m["item_name"].(string)
		if id == "" && name == "" {
			add(ipath, CodeValueRequired, "an item needs item_id or item_name")
		}
		for k, v := range m {
			switch v := v.(type) {
			case string:
				if utf8.RuneCountInString(v) > limitParamValueLen {
					add(ipath+"."+k, CodeValueTooLong, "value longer than %d chars", limitParamValueLen)
				}
				checkPII(ipath+"."+k, v)
			case json.Number:
			default:
				add(ipath+"."+k, CodeValueInvalid, "item fields are strings or numbers, got %T", v)
			}
		}
	}
}

func hasReservedPrefix(name string) bool {
	for _, p := range reservedPrefix {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}
