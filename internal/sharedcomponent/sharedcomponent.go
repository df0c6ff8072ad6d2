// Package sharedcomponent lets the components a factory creates for
// several signals (or pipelines) of one configured component share one
// instance: one engine, one server, one storage client.
//
// It has the shape of the collector's own sharedcomponent, which is an
// internal package of the collector module and cannot be imported here,
// with one difference the shared instances here rely on: the instance is
// shut down when the last of its users shuts down, not at the first
// Shutdown, so one pipeline stopping does not stop the others' instance.
package sharedcomponent // import "github.com/otelcol-payments/otelcol-payments/internal/sharedcomponent"

import (
	"context"
	"sync"

	"go.opentelemetry.io/collector/component"
)

// Map holds one shared instance per key, usually the component's
// *Config, which the collector creates once per component id.
type Map[K comparable, V component.Component] struct {
	mu         sync.Mutex
	components map[K]*Component[V]
}

// NewMap returns an empty Map.
func NewMap[K comparable, V component.Component]() *Map[K, V] {
	return &Map[K, V]{components: map[K]*Component[V]{}}
}

// GetOrAdd returns the instance of key, calling create for it if there is
// none. An error from create is returned and nothing is kept.
func (m *Map[K, V]) GetOrAdd(key K, create func() (V, error)) (*Component[V], error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.components[key]; ok {
		return c, nil
	}
	v, err := create()
	if err != nil {
		return nil, err
	}
	c := &Component[V]{component: v}
	c.remove = func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.components[key] == c {
			delete(m.components, key)
		}
	}
	m.components[key] = c
	return c, nil
}

// Len is the number of instances not yet shut down.
func (m *Map[K, V]) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.components)
}

// Component counts the users of one shared instance: the first Start
// starts it, the last Shutdown shuts it down and removes it from its Map.
type Component[V component.Component] struct {
	component V
	remove    func()

	mu       sync.Mutex
	users    int  // Start calls not yet matched by a Shutdown
	stopped  bool // shut down, and not started again since
	startErr error
}

// Unwrap returns the shared instance.
func (c *Component[V]) Unwrap() V { return c.component }

// Start starts the instance on the first call; later calls return the
// first call's result. A failed start still counts its caller as a user,
// so the instance is shut down (to release what it opened) when that
// user shuts down, as the collector does after a failed start.
func (c *Component[V]) Start(ctx context.Context, host component.Host) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.users++
	if c.users > 1 {
		return c.startErr
	}
	c.stopped = false
	c.startErr = c.component.Start(ctx, host)
	return c.startErr
}

// Shutdown shuts the instance down when its last user does, and removes
// it from its Map. A Shutdown without a Start (the collector shuts down
// every component it created) shuts the instance down once too, so it
// can release what create made; further calls do nothing.
func (c *Component[V]) Shutdown(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.users > 1 {
		c.users--
		return nil
	}
	c.remove()
	c.users, c.startErr = 0, nil
	if c.stopped {
		return nil
	}
	c.stopped = true
	return c.component.Shutdown(ctx)
}
