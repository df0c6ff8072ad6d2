package route

import (
	"errors"
	"fmt"
	"time"
)

// Silence mutes matching alerts between StartsAt and EndsAt. Silences come
// from the config and from the HTTP API; both are persisted.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  []string  `json:"matchers"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	Comment   string    `json:"comment,omitempty"`

	parsed Matchers
}

// Compile parses the matchers; a silence needs at least one and a window
// that ends after it starts.
func (s *Silence) Compile() error {
	if len(s.Matchers) == 0 {
		return errors.New("silence needs at least one matcher")
	}
	ms, err := ParseMatchers(s.Matchers)
	if err != nil {
		return err
	}
	if s.EndsAt.IsZero() {
		return errors.New("silence needs ends_at")
	}
	if !s.EndsAt.After(s.StartsAt) {
		return fmt.Errorf("silence ends_at %s is not after starts_at %s", s.EndsAt.Format(time.RFC3339), s.StartsAt.Format(time.RFC3339))
	}
	s.parsed = ms
	return nil
}

// Active reports whether the silence is in force at now.
func (s *Silence) Active(now time.Time) bool {
	return !now.Before(s.StartsAt) && now.Before(s.EndsAt)
}

// Expired reports whether the silence can never be active again.
func (s *Silence) Expired(now time.Time) bool { return !now.Before(s.EndsAt) }

// Mutes reports whether the silence is active at now and matches lset.
func (s *Silence) Mutes(now time.Time, lset map[string]string) bool {
	return s.parsed != nil && s.Active(now) && s.parsed.Matches(lset)
}
