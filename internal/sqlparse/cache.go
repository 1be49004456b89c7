package sqlparse

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// Cache bounds.
const (
	// DefaultCacheEntries is the capacity of a cache made with a
	// non-positive size.
	DefaultCacheEntries = 4096
	// MaxCachedTextLen is the longest text a cache keeps. Longer texts are
	// analysed on every call: with the entry bound, it caps the memory a
	// cache holds at about entries × (text + analysis).
	MaxCachedTextLen = 16 << 10
)

const cacheShards = 16

// Cache memoises [Analyze] by (dialect, text) with bounded memory. It is
// safe for concurrent use. A hit costs a hash and a read-locked map lookup
// and does not allocate. Eviction is CLOCK (second chance) per shard.
//
// A text is kept the second time it is analysed, not the first: a
// doorkeeper remembers the hashes of recent misses. An application issues
// the same statements over and over, and they are cached from their second
// run on; an agent writes a new text for every statement (literals inline),
// and caching those only evicted useful entries, cost a map insertion and
// an eviction per statement, and made every garbage collection mark
// thousands of analyses nobody would ask for again.
//
// The scripts it returns are shared between callers: treat them as
// read-only.
type Cache struct {
	seed     maphash.Seed
	perShard int
	shards   [cacheShards]cacheShard
}

type cacheKey struct {
	d   Dialect
	sql string
}

type cacheEntry struct {
	h   uint64
	key cacheKey
	s   *Script
	ref atomic.Bool
}

type cacheShard struct {
	mu   sync.RWMutex
	m    map[uint64]*cacheEntry // by hash of (dialect, text)
	ring []*cacheEntry
	hand int
	// door holds hashes of texts analysed once and not kept (0: empty).
	door []atomic.Uint64
	_    [16]byte // keep shards on separate cache lines
}

// NewCache returns a cache holding at most maxEntries analyses
// (DefaultCacheEntries when maxEntries <= 0).
func NewCache(maxEntries int) *Cache {
	if maxEntries <= 0 {
		maxEntries = DefaultCacheEntries
	}
	per := (maxEntries + cacheShards - 1) / cacheShards
	c := &Cache{seed: maphash.MakeSeed(), perShard: per}
	for i := range c.shards {
		c.shards[i].m = make(map[uint64]*cacheEntry, per)
		c.shards[i].door = make([]atomic.Uint64, per)
	}
	return c
}

// Analyze returns the analysis of sql in dialect d, from the cache when it
// holds it. It never returns nil. A nil *Cache analyses without caching.
func (c *Cache) Analyze(d Dialect, sql string) *Script {
	if c == nil || len(sql) > MaxCachedTextLen {
		return Analyze(d, sql)
	}
	// One hash picks the shard and keys its map; the entry holds the text
	// to tell a collision from a hit.
	h := maphash.String(c.seed, sql) ^ uint64(d)*0x9E3779B97F4A7C15
	sh := &c.shards[h%cacheShards]
	key := cacheKey{d, sql}
	sh.mu.RLock()
	e := sh.m[h]
	sh.mu.RUnlock()
	if e != nil && e.key == key {
		if !e.ref.Load() {
			e.ref.Store(true)
		}
		return e.s
	}
	s := Analyze(d, sql)
	if e != nil {
		return s // a collision: keep the entry there
	}
	if !sh.admit(h) {
		return s
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e := sh.m[h]; e != nil {
		if e.key == key {
			return e.s
		}
		return s
	}
	ne := &cacheEntry{h: h, key: key, s: s}
	if len(sh.ring) < c.perShard {
		sh.ring = append(sh.ring, ne)
	} else {
		// Second chance: skip recently used entries once.
		for {
			old := sh.ring[sh.hand]
			if old.ref.Load() {
				old.ref.Store(false)
				sh.hand = (sh.hand + 1) % len(sh.ring)
				continue
			}
			delete(sh.m, old.h)
			sh.ring[sh.hand] = ne
			sh.hand = (sh.hand + 1) % len(sh.ring)
			break
		}
	}
	sh.m[h] = ne
	return s
}

// admit reports whether the text of hash h was analysed recently and not
// kept, and remembers it otherwise.
func (sh *cacheShard) admit(h uint64) bool {
	mark := h | 1 // never 0, the empty slot
	slot := &sh.door[(h/cacheShards)%uint64(len(sh.door))]
	if slot.Load() == mark {
		slot.Store(0)
		return true
	}
	slot.Store(mark)
	return false
}

// Len returns how many analyses the cache holds.
func (c *Cache) Len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.RLock()
		n += len(sh.m)
		sh.mu.RUnlock()
	}
	return n
}
