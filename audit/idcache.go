package audit

import (
	"slices"
	"sync"

	"go.opentelemetry.io/otel/attribute"

	"github.com/sqlvigil/sqlvigil/identity"
)

// idCache keeps the span attributes of the identities seen last, one per
// subject: the statements of a request share an identity, and copying its
// attributes costs a seventh of building them (and no allocation for the
// roles' list).
type idCache struct {
	keys []string // the configured identity attributes (WithIdentityAttributes)
	all  bool     // every attribute is recorded (WithAllAttributes)

	mu sync.RWMutex
	m  map[string]*idEntry // by subject
}

// idEntry is an identity and its attributes, both read-only once stored.
type idEntry struct {
	id   identity.Identity
	vals []idValue // id.Attributes' values of the configured keys
	kv   []attribute.KeyValue
}

type idValue struct {
	v  string
	ok bool
}

// maxCachedIdentities bounds the cache; past it, the attributes of a
// subject not yet cached are built for each statement.
const maxCachedIdentities = 1024

func newIDCache(keys []string, all bool) *idCache {
	return &idCache{keys: keys, all: all, m: make(map[string]*idEntry)}
}

// appendAttrs appends the attributes of id to kv, from the cache when id is
// the identity last seen for its subject.
func (c *idCache) appendAttrs(kv []attribute.KeyValue, id *identity.Identity) []attribute.KeyValue {
	c.mu.RLock()
	e := c.m[id.Subject]
	c.mu.RUnlock()
	if e != nil && c.same(e, id) {
		return append(kv, e.kv...)
	}
	n := len(kv)
	kv = identityAttrs(kv, *id, c.keys, c.all)
	e = &idEntry{id: *id, kv: slices.Clone(kv[n:])}
	// The entry keeps its own copies of what the caller could change.
	e.id.Roles = slices.Clone(id.Roles)
	e.id.Attributes = nil
	if id.Agent != nil {
		ag := *id.Agent
		e.id.Agent = &ag
	}
	for _, k := range c.keys {
		v, ok := id.Attributes[k]
		e.vals = append(e.vals, idValue{v, ok})
	}
	c.mu.Lock()
	if _, ok := c.m[id.Subject]; ok || len(c.m) < maxCachedIdentities {
		c.m[id.Subject] = e
	}
	c.mu.Unlock()
	return kv
}

// same reports whether id has the attributes of e.
func (c *idCache) same(e *idEntry, id *identity.Identity) bool {
	x := &e.id
	if x.Kind != id.Kind || x.Name != id.Name || x.Tenant != id.Tenant ||
		x.Service != id.Service || x.Purpose != id.Purpose || x.Ticket != id.Ticket ||
		x.Untrusted != id.Untrusted || !slices.Equal(x.Roles, id.Roles) {
		return false
	}
	if (x.Agent == nil) != (id.Agent == nil) || x.Agent != nil && *x.Agent != *id.Agent {
		return false
	}
	for i, k := range c.keys {
		if v, ok := id.Attributes[k]; (idValue{v, ok}) != e.vals[i] {
			return false
		}
	}
	return true
}
