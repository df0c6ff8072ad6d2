package escalation

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPolicyDue(t *testing.T) {
	p, err := Build("p", PolicyConfig{Levels: []LevelConfig{
		{Delay: 10 * time.Minute, Channels: []string{"sms"}},
		{Delay: 30 * time.Minute, Channels: []string{"exec"}},
	}}, map[string]bool{"sms": true, "exec": true})
	require.NoError(t, err)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	assert.True(t, p.Applies("critical"))
	assert.False(t, p.Applies("high"), "critical only by default")
	assert.Equal(t, 3, p.MaxLevel())

	_, due := p.Due(0, at, at.Add(time.Hour))
	assert.False(t, due, "not notified at level 1 yet")
	_, due = p.Due(1, at, at.Add(10*time.Minute-time.Nanosecond))
	assert.False(t, due)
	next, due := p.Due(1, at, at.Add(10*time.Minute))
	assert.True(t, due)
	assert.Equal(t, 2, next)
	assert.Equal(t, []string{"sms"}, p.Channels(2))
	next, due = p.Due(2, at, at.Add(30*time.Minute))
	assert.True(t, due)
	assert.Equal(t, 3, next)
	assert.Equal(t, []string{"exec"}, p.Channels(3))
	_, due = p.Due(3, at, at.Add(24*time.Hour))
	assert.False(t, due, "top level reached")
	assert.Nil(t, p.Channels(1))

	_, err = Build("p", PolicyConfig{Levels: []LevelConfig{{Delay: time.Minute, Channels: []string{"nope"}}}}, map[string]bool{})
	require.ErrorContains(t, err, `unknown channel "nope"`)
	_, err = Build("p", PolicyConfig{Levels: []LevelConfig{{Delay: time.Minute}}}, map[string]bool{})
	assert.ErrorContains(t, err, "at least one channel")
}
