// Package mp is the GA4 Measurement Protocol payload model: request and event
// types, the documented limits, name rules, and packing of events into
// requests that stay within those limits.
package mp

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Documented Measurement Protocol limits (standard properties).
const (
	MaxEventsPerRequest     = 25
	MaxParamsPerEvent       = 25
	MaxNameLen              = 40
	MaxParamValueLen        = 100
	MaxUserProperties       = 25
	MaxUserPropertyNameLen  = 24
	MaxUserPropertyValueLen = 36
	MaxItemsPerEvent        = 200
	// MaxBodyBytes is the body size limit; a body must be strictly smaller.
	// "130 kB" is read as 130,000 bytes, the stricter of the two readings.
	MaxBodyBytes = 130_000
	// MaxEventAge is how far back timestamp_micros may go.
	MaxEventAge = 72 * time.Hour
)

// ReservedPrefixes may not start an event, parameter or user property name.
var ReservedPrefixes = []string{"_", "firebase_", "ga_", "google_", "gtag."}

// reservedEventNames are names GA4 reserves for automatically collected
// events; the Measurement Protocol drops events that use them.
var reservedEventNames = map[string]struct{}{
	"ad_activeview": {}, "ad_click": {}, "ad_exposure": {}, "ad_impression": {},
	"ad_query": {}, "ad_reward": {}, "adunit_exposure": {}, "app_background": {},
	"app_clear_data": {}, "app_exception": {}, "app_remove": {}, "app_store_refund": {},
	"app_store_subscription_cancel": {}, "app_store_subscription_convert": {},
	"app_store_subscription_renew": {}, "app_update": {}, "app_upgrade": {},
	"click": {}, "dynamic_link_app_open": {}, "dynamic_link_app_update": {},
	"dynamic_link_first_open": {}, "error": {}, "file_download": {},
	"firebase_campaign": {}, "firebase_in_app_message_action": {},
	"firebase_in_app_message_dismiss": {}, "firebase_in_app_message_impression": {},
	"first_open": {}, "first_visit": {}, "form_start": {}, "form_submit": {},
	"in_app_purchase": {}, "notification_dismiss": {}, "notification_foreground": {},
	"notification_open": {}, "notification_receive": {}, "notification_send": {},
	"os_update": {}, "page_view": {}, "screen_view": {}, "scroll": {},
	"session_start": {}, "user_engagement": {}, "video_complete": {},
	"video_progress": {}, "video_start": {}, "view_search_results": {},
}

// reservedParamNames are parameter names GA4 reserves besides the prefixes.
var reservedParamNames = map[string]struct{}{"firebase_conversion": {}}

// ValidName reports whether name follows the event/parameter name rules:
// 1–40 characters, ASCII letters, digits and underscores, starting with a letter.
func ValidName(name string) bool {
	if name == "" || len(name) > MaxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		isLetter := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		if i == 0 && !isLetter {
			return false
		}
		if !isLetter && !(c >= '0' && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

// HasReservedPrefix reports whether name starts with a reserved prefix.
func HasReservedPrefix(name string) bool {
	for _, p := range ReservedPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// ReservedEventName reports whether GA4 reserves name for events.
func ReservedEventName(name string) bool {
	_, ok := reservedEventNames[name]
	return ok || HasReservedPrefix(name)
}

// ReservedParamName reports whether GA4 reserves name for parameters.
func ReservedParamName(name string) bool {
	_, ok := reservedParamNames[name]
	return ok || HasReservedPrefix(name)
}

// Truncate cuts s to at most max characters (runes, never splitting one) and
// reports whether it cut anything.
func Truncate(s string, max int) (string, bool) {
	if len(s) <= max { // byte length bounds rune count
		return s, false
	}
	if utf8.RuneCountInString(s) <= max {
		return s, false
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i], true
		}
		n++
	}
	return s, false
}
