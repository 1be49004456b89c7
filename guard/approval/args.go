package approval

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql/driver"
	"encoding/json"
	"strconv"
	"time"

	"github.com/sqlvigil/sqlvigil/guard"
	"github.com/sqlvigil/sqlvigil/identity"
)

// MinArgKeyLen is the shortest Config.ArgKey a [Queue] uses, in bytes.
const MinArgKeyLen = 16

// Arg is one bound argument as a reviewer is shown it: its type and size
// and, when a [RevealFunc] allows, its value as text.
type Arg struct {
	guard.ArgInfo
	// Value is what the reviewer may see of the value — masked by the
	// reviewer's own mask rules, or clear where none is in force for them,
	// as the RevealFunc decides. nil means not shown.
	Value *string `json:"value,omitempty"`
}

// RevealInput is what a [RevealFunc] decides on.
type RevealInput struct {
	// Reviewer is who looks: a reviewer of the ticket's tenant.
	Reviewer identity.Identity
	// Ticket is the request; read it, do not change it.
	Ticket *Ticket
	// Values are the arguments' values in clear, in the order of
	// Ticket.Args (nil for an argument of type "other", which is not kept).
	Values []driver.Value
}

// RevealFunc decides what a reviewer sees of a request's argument values:
// it returns the text to show for each of in.Values, in order, or nil to
// show none. A result of another length, or a panic, shows none.
//
// The approval service holds no mask rules (guard and approval do not
// import mask), so the application wires this to its *mask.Masker: for
// each value, a plan for one column of unknown source
// (mask.Column{Name: arg name, Attributed: false}) for the reviewer, then
// Apply, and a placeholder where the plan refuses. A reviewer with a rule in
// force then sees masked values, one exempt from every rule sees them clear.
// It must not log, store or send the values anywhere else.
type RevealFunc func(ctx context.Context, in RevealInput) []string

// ArgsFor returns t's arguments as reviewer may see them: type and size
// always, and values only where reveal shows them, for a reviewer of t's
// tenant, on the replica that can open them (see Config.ArgKey). Without
// reveal, no value is shown.
func (q *Queue) ArgsFor(ctx context.Context, t *Ticket, reviewer identity.Identity, reveal RevealFunc) []Arg {
	if len(t.Args) == 0 {
		return nil
	}
	out := make([]Arg, len(t.Args))
	for i, a := range t.Args {
		out[i].ArgInfo = a
	}
	if reveal == nil || !q.isReviewer(&reviewer) || t.Tenant != reviewer.Tenant {
		return out
	}
	vs, ok := q.sealer.open(t)
	if !ok || len(vs) != len(t.Args) {
		return out
	}
	shown := callReveal(ctx, reveal, RevealInput{Reviewer: reviewer.Clone(), Ticket: t, Values: vs})
	if len(shown) != len(vs) {
		return out
	}
	for i := range out {
		if out[i].Type != "other" {
			out[i].Value = &shown[i]
		}
	}
	return out
}

func callReveal(ctx context.Context, reveal RevealFunc, in RevealInput) (out []string) {
	defer func() {
		if recover() != nil {
			out = nil
		}
	}()
	return reveal(ctx, in)
}

// argSealer seals argument values for a ticket with AES-GCM, bound to the
// ticket's id and digest, so that a store holds them only as ciphertext.
type argSealer struct {
	aead cipher.AEAD
}

// newArgSealer derives the sealing key from key; a key shorter than
// MinArgKeyLen is replaced by a random one, known to this process alone.
func newArgSealer(key []byte) *argSealer {
	if len(key) < MinArgKeyLen {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("sqlvigil approval arguments v1"))
	block, err := aes.NewCipher(mac.Sum(nil))
	if err != nil {
		return &argSealer{}
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return &argSealer{}
	}
	return &argSealer{aead: aead}
}

const sealVersion = 1

// sealedValue is one value in the sealed text.
type sealedValue struct {
	T string `json:"t"`
	S string `json:"s,omitempty"`
	B []byte `json:"b,omitempty"`
}

func additional(t *Ticket) []byte { return []byte(t.ID + "\x00" + t.Digest) }

// seal returns vs sealed for t, or nil when there is nothing to keep.
func (s *argSealer) seal(t *Ticket, vs []driver.Value) []byte {
	if s == nil || s.aead == nil || len(vs) == 0 {
		return nil
	}
	enc := make([]sealedValue, len(vs))
	for i, v := range vs {
		switch x := v.(type) {
		case nil:
			enc[i].T = "n"
		case int64:
			enc[i] = sealedValue{T: "i", S: strconv.FormatInt(x, 10)}
		case float64:
			enc[i] = sealedValue{T: "f", S: strconv.FormatFloat(x, 'g', -1, 64)}
		case bool:
			enc[i] = sealedValue{T: "b", S: strconv.FormatBool(x)}
		case string:
			enc[i] = sealedValue{T: "s", S: x}
		case []byte:
			enc[i] = sealedValue{T: "y", B: x}
		case time.Time:
			enc[i] = sealedValue{T: "t", S: x.Format(time.RFC3339Nano)}
		default:
			enc[i].T = "o"
		}
	}
	plain, err := json.Marshal(enc)
	if err != nil {
		return nil
	}
	defer clear(plain)
	ns := s.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plain)+s.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1:]); err != nil {
		return nil
	}
	return s.aead.Seal(out, out[1:], plain, additional(t))
}

// open returns the values sealed in t, or false when they cannot be read
// here (none kept, sealed under another key, or altered).
func (s *argSealer) open(t *Ticket) ([]driver.Value, bool) {
	if s == nil || s.aead == nil || len(t.SealedArgs) < 1+s.aead.NonceSize() || t.SealedArgs[0] != sealVersion {
		return nil, false
	}
	n := 1 + s.aead.NonceSize()
	plain, err := s.aead.Open(nil, t.SealedArgs[1:n], t.SealedArgs[n:], additional(t))
	if err != nil {
		return nil, false
	}
	var enc []sealedValue
	if err := json.Unmarshal(plain, &enc); err != nil {
		return nil, false
	}
	vs := make([]driver.Value, len(enc))
	for i, e := range enc {
		var err error
		switch e.T {
		case "n", "o":
		case "i":
			vs[i], err = strconv.ParseInt(e.S, 10, 64)
		case "f":
			vs[i], err = strconv.ParseFloat(e.S, 64)
		case "b":
			vs[i], err = strconv.ParseBool(e.S)
		case "s":
			vs[i] = e.S
		case "y":
			vs[i] = e.B
		case "t":
			vs[i], err = time.Parse(time.RFC3339Nano, e.S)
		default:
			return nil, false
		}
		if err != nil {
			return nil, false
		}
	}
	return vs, true
}
