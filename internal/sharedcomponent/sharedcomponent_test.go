package sharedcomponent

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
)

// counting records how often it is started and shut down.
type counting struct {
	starts, shutdowns atomic.Int32
	startErr          error
	running           atomic.Bool
}

func (c *counting) Start(context.Context, component.Host) error {
	c.starts.Add(1)
	if c.startErr != nil {
		return c.startErr
	}
	if !c.running.CompareAndSwap(false, true) {
		panic("started while running")
	}
	return nil
}

func (c *counting) Shutdown(context.Context) error {
	c.shutdowns.Add(1)
	c.running.Store(false)
	return nil
}

func add(t *testing.T, m *Map[string, *counting], key string, inst *counting) *Component[*counting] {
	t.Helper()
	c, err := m.GetOrAdd(key, func() (*counting, error) { return inst, nil })
	require.NoError(t, err)
	return c
}

func TestOneInstancePerKey(t *testing.T) {
	m := NewMap[string, *counting]()
	a, b := &counting{}, &counting{}
	first := add(t, m, "x", a)
	again := add(t, m, "x", b)
	other := add(t, m, "y", b)
	assert.Same(t, first, again)
	assert.Same(t, a, again.Unwrap(), "the second create is not called")
	assert.Same(t, b, other.Unwrap())
	assert.Equal(t, 2, m.Len())
}

func TestStartsOnceAndShutsDownWithTheLastUser(t *testing.T) {
	ctx, host := context.Background(), componenttest.NewNopHost()
	m := NewMap[string, *counting]()
	inst := &counting{}
	c := add(t, m, "x", inst)
	for range 3 {
		require.NoError(t, c.Start(ctx, host))
	}
	assert.EqualValues(t, 1, inst.starts.Load())

	require.NoError(t, c.Shutdown(ctx))
	require.NoError(t, c.Shutdown(ctx))
	assert.True(t, inst.running.Load(), "one user is left")
	assert.EqualValues(t, 0, inst.shutdowns.Load())
	assert.Equal(t, 1, m.Len())

	require.NoError(t, c.Shutdown(ctx))
	assert.False(t, inst.running.Load())
	assert.EqualValues(t, 1, inst.shutdowns.Load())
	assert.Equal(t, 0, m.Len(), "removed with its last user")

	require.NoError(t, c.Shutdown(ctx))
	assert.EqualValues(t, 1, inst.shutdowns.Load(), "an extra Shutdown does nothing")

	fresh := add(t, m, "x", &counting{})
	assert.NotSame(t, c, fresh, "a new create after the shutdown gets a new instance")
}

func TestRestartAfterShutdown(t *testing.T) {
	ctx, host := context.Background(), componenttest.NewNopHost()
	inst := &counting{}
	c := add(t, NewMap[string, *counting](), "x", inst)
	require.NoError(t, c.Start(ctx, host))
	require.NoError(t, c.Shutdown(ctx))
	require.NoError(t, c.Start(ctx, host))
	assert.True(t, inst.running.Load())
	require.NoError(t, c.Shutdown(ctx))
	assert.EqualValues(t, 2, inst.starts.Load())
	assert.EqualValues(t, 2, inst.shutdowns.Load())
}

func TestShutdownWithoutStartShutsDownOnce(t *testing.T) {
	ctx := context.Background()
	m := NewMap[string, *counting]()
	inst := &counting{}
	c := add(t, m, "x", inst)
	// The collector shuts down every component it created, started or not.
	require.NoError(t, c.Shutdown(ctx))
	require.NoError(t, c.Shutdown(ctx))
	assert.EqualValues(t, 0, inst.starts.Load())
	assert.EqualValues(t, 1, inst.shutdowns.Load())
	assert.Equal(t, 0, m.Len())
}

func TestFailedStart(t *testing.T) {
	ctx, host := context.Background(), componenttest.NewNopHost()
	m := NewMap[string, *counting]()
	errStart := errors.New("storage missing")
	inst := &counting{startErr: errStart}
	c := add(t, m, "x", inst)
	require.ErrorIs(t, c.Start(ctx, host), errStart)
	require.ErrorIs(t, c.Start(ctx, host), errStart, "every user sees the failure")
	assert.EqualValues(t, 1, inst.starts.Load(), "not started again")

	require.NoError(t, c.Shutdown(ctx))
	assert.EqualValues(t, 0, inst.shutdowns.Load())
	require.NoError(t, c.Shutdown(ctx))
	assert.EqualValues(t, 1, inst.shutdowns.Load(), "shut down to release what the failed start opened")
	assert.Equal(t, 0, m.Len())
}

func TestFailedCreateKeepsNothing(t *testing.T) {
	m := NewMap[string, *counting]()
	errCreate := errors.New("bad rule")
	_, err := m.GetOrAdd("x", func() (*counting, error) { return nil, errCreate })
	require.ErrorIs(t, err, errCreate)
	assert.Equal(t, 0, m.Len())
	inst := &counting{}
	assert.Same(t, inst, add(t, m, "x", inst).Unwrap(), "the next create is tried")
}

func TestConcurrentUse(t *testing.T) {
	ctx, host := context.Background(), componenttest.NewNopHost()
	m := NewMap[string, *counting]()
	var created atomic.Int32
	const users = 16
	comps := make([]*Component[*counting], users)
	var wg sync.WaitGroup
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := m.GetOrAdd("x", func() (*counting, error) {
				created.Add(1)
				return &counting{}, nil
			})
			assert.NoError(t, err)
			assert.NoError(t, c.Start(ctx, host))
			comps[i] = c
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, created.Load())
	inst := comps[0].Unwrap()
	assert.EqualValues(t, 1, inst.starts.Load())

	for _, c := range comps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, c.Shutdown(ctx))
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 1, inst.shutdowns.Load())
	assert.False(t, inst.running.Load())
	assert.Equal(t, 0, m.Len())
}
