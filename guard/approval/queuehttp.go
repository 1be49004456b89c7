package approval

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sqlvigil/sqlvigil/identity"
)

// HandlerConfig configures [Queue.Handler]. The zero value takes the
// reviewer from the request's context (identity.FromContext), as set by the
// service's authentication middleware.
type HandlerConfig struct {
	// Reviewer returns who is making an HTTP request. Never take it from
	// the request body or an unauthenticated header.
	Reviewer func(*http.Request) (identity.Identity, bool)
	// TrustedOrigins are origins ("https://admin.example.com", scheme and
	// host exactly as a browser sends them in Origin) whose pages may call
	// the API besides its own host: a review console on another host, or
	// the public name in front of a proxy that rewrites Host. Empty means
	// only same-origin requests.
	TrustedOrigins []string
	// Reveal decides what each reviewer sees of a request's argument
	// values ("value" in each entry of "args"), typically by the
	// reviewer's own mask rules; see [RevealFunc]. nil shows type and size
	// only, never a value.
	Reveal RevealFunc
	// BodyTimeout bounds the time a decision's body takes to arrive, from
	// when the handler starts reading it; a body still incomplete then is
	// answered 408. Zero means 10 seconds. It needs a server whose
	// ResponseWriter supports read deadlines (net/http's does).
	BodyTimeout time.Duration
}

// ticketView is a ticket as the HTTP API shows it to one reviewer: Args
// (which hides the Ticket's own) with what the reviewer may see of the
// values, and no sealed values.
type ticketView struct {
	Ticket
	Args []Arg `json:"args,omitempty"`
}

// maxBody bounds a decision's body.
const maxBody = 64 << 10

// defaultBodyTimeout is HandlerConfig.BodyTimeout's zero value.
const defaultBodyTimeout = 10 * time.Second

// Handler returns the queue's JSON API, to be mounted behind the service's
// authentication (use http.StripPrefix to mount it under a path):
//
//	GET  /pending                  the pending requests of the reviewer's tenant
//	GET  /requests/{id}            one request, pending or decided
//	POST /requests/{id}/approve    {"comment": "…", "grant_minutes": 0}
//	POST /requests/{id}/deny       {"comment": "…"}
//
// Every route, reads included, needs a reviewer: an identity from
// HandlerConfig.Reviewer with a subject, trusted, not an AI agent,
// holding one of Config.ReviewerRoles when they are set. A reviewer sees
// and decides only the requests of their own tenant
// (identity.Identity.Tenant); another tenant's request is answered 404, as
// if it did not exist.
//
// The API faces browsers, so it refuses cross-site requests: a request whose
// Sec-Fetch-Site is neither "same-origin" nor "none", or whose Origin header
// names another host than the request's, is answered 403, unless its Origin
// is one of HandlerConfig.TrustedOrigins. A POST must carry
// Content-Type application/json (which a plain HTML form cannot send without
// a CORS preflight) and a body of exactly one JSON object holding only the
// keys "comment" (a string) and, on an approval, "grant_minutes" (an
// integer from 0 to Config.MaxGrant in minutes), spelled exactly so;
// anything else — an empty body, null, unknown or case-variant keys,
// trailing data — is answered 400.
//
// A request shows the statement (literal-free), who asked (with the agent's
// model, tool and tool call id, and the purpose), and "args": each bound
// argument's type and size, with a "value" only as HandlerConfig.Reveal
// shows it to this reviewer.
//
// grant_minutes > 0 makes the approval a time-boxed grant for the
// requester, the user an agent acts for, the tenant, the rules and the
// statement's shape; 0 a one-time grant for that exact statement and
// arguments. Errors are {"error": "…"} with 400 (bad body, or a grant the
// request cannot take), 401 (no reviewer), 403 (cross-site, self-approval,
// not a reviewer), 404 (no such request), 408 (the body did not arrive
// within HandlerConfig.BodyTimeout), 409 (already decided), 413 (a body
// over 64 KiB), 415 (not JSON) or 500 (the store failed, or panicked: the
// request is left as it was, and the answer quotes nothing the store
// said).
func (q *Queue) Handler(cfg HandlerConfig) http.Handler {
	who := cfg.Reviewer
	if who == nil {
		who = func(r *http.Request) (identity.Identity, bool) { return identity.FromContext(r.Context()) }
	}
	// reviewer authenticates r and writes the refusal when it cannot.
	reviewer := func(w http.ResponseWriter, r *http.Request) (identity.Identity, bool) {
		if crossSite(r, cfg.TrustedOrigins) {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "cross-site request refused"})
			return identity.Identity{}, false
		}
		id, ok := who(r)
		if !ok || id.Subject == "" {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "no reviewer identity"})
			return identity.Identity{}, false
		}
		if !q.isReviewer(&id) {
			writeError(w, ErrNotReviewer)
			return identity.Identity{}, false
		}
		return id, true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /pending", func(w http.ResponseWriter, r *http.Request) {
		id, ok := reviewer(w, r)
		if !ok {
			return
		}
		ts, err := q.PendingFor(r.Context(), id)
		if err != nil {
			writeError(w, err)
			return
		}
		views := make([]ticketView, len(ts))
		for i := range ts {
			views[i] = q.view(r, &ts[i], id, cfg.Reveal)
		}
		writeJSON(w, http.StatusOK, map[string]any{"requests": views})
	})
	mux.HandleFunc("GET /requests/{id}", func(w http.ResponseWriter, r *http.Request) {
		id, ok := reviewer(w, r)
		if !ok {
			return
		}
		t, err := q.GetFor(r.Context(), r.PathValue("id"), id)
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, q.view(r, &t, id, cfg.Reveal))
	})
	decide := func(approve bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			id, ok := reviewer(w, r)
			if !ok {
				return
			}
			if !isJSON(r.Header.Get("Content-Type")) {
				writeJSON(w, http.StatusUnsupportedMediaType, map[string]string{"error": "Content-Type must be application/json"})
				return
			}
			raw, code := readBody(w, r, cfg.BodyTimeout)
			if code != 0 {
				writeJSON(w, code, map[string]string{"error": http.StatusText(code)})
				return
			}
			rv, msg := q.decodeRuling(raw, approve)
			if msg != "" {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
				return
			}
			t, err := q.Decide(r.Context(), r.PathValue("id"), id, rv)
			if err != nil {
				writeError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, q.view(r, &t, id, cfg.Reveal))
		}
	}
	mux.HandleFunc("POST /requests/{id}/approve", decide(true))
	mux.HandleFunc("POST /requests/{id}/deny", decide(false))
	return recovered(mux)
}

// recovered answers 500 for a handler that panicked (a Store's or a
// RevealFunc's bug) instead of letting net/http cut the connection without
// an answer. The panic's value is not shown: it may quote a value.
func recovered(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rw := &answerWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				if !rw.wrote {
					writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "approval service failed"})
				}
			}
		}()
		h.ServeHTTP(rw, r)
	})
}

// answerWriter notes whether an answer was begun.
type answerWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *answerWriter) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *answerWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *answerWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (q *Queue) view(r *http.Request, t *Ticket, reviewer identity.Identity, reveal RevealFunc) ticketView {
	v := ticketView{Ticket: *t, Args: q.ArgsFor(r.Context(), t, reviewer, reveal)}
	v.Ticket.SealedArgs = nil
	return v
}

// crossSite reports whether r comes from another site, by the Fetch
// Metadata a browser sends (Sec-Fetch-Site) or, from older browsers, by an
// Origin naming another host (or plain HTTP, on a TLS connection); an
// Origin in trusted passes. Requests from non-browser clients carry
// neither and pass: they hold no reviewer's ambient cookies.
func crossSite(r *http.Request, trusted []string) bool {
	origin := r.Header.Get("Origin")
	if origin != "" && slices.Contains(trusted, origin) {
		return false
	}
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return true
	}
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return true // "null" and other opaque origins
	}
	if r.TLS != nil && u.Scheme != "https" {
		// The same host over plain HTTP is another origin, whose pages
		// anyone on the network path can write.
		return true
	}
	return !strings.EqualFold(u.Host, r.Host)
}

func isJSON(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// readBody reads a decision's body, within timeout (zero: the default)
// and maxBody; code is the status of a refusal: 413 for a body too large,
// 408 for one that did not arrive in time, 400 for one cut short.
func readBody(w http.ResponseWriter, r *http.Request, timeout time.Duration) (raw []byte, code int) {
	if timeout <= 0 {
		timeout = defaultBodyTimeout
	}
	rc := http.NewResponseController(w)
	// Not every ResponseWriter has deadlines (httptest's has not): the
	// server's own ReadTimeout is then the only bound.
	deadline := rc.SetReadDeadline(time.Now().Add(timeout)) == nil
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err == nil {
		if deadline {
			_ = rc.SetReadDeadline(time.Time{}) // the connection may serve another request
		}
		return raw, 0
	}
	// The rest of the body is not read: the connection ends with the
	// answer (otherwise the server would wait for the rest first).
	w.Header().Set("Connection", "close")
	var tooLarge *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &tooLarge):
		return nil, http.StatusRequestEntityTooLarge
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return nil, http.StatusRequestTimeout
	}
	return nil, http.StatusBadRequest
}

// decodeRuling reads a decision's body strictly; msg is set when it is
// refused.
func (q *Queue) decodeRuling(raw []byte, approve bool) (rv Ruling, msg string) {
	const shape = `body must be one JSON object: {"comment": "…", "grant_minutes": 0}`
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return Ruling{}, shape
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Ruling{}, shape + " (trailing data)"
	}
	// encoding/json matches keys case-insensitively and keeps the last of
	// duplicates; read the raw keys so that neither can slip through.
	if n := countKeys(raw); n != len(fields) {
		return Ruling{}, shape + " (duplicate key)"
	}
	maxMinutes := int64(q.cfg.MaxGrant / time.Minute)
	for k, v := range fields {
		switch k {
		case "comment":
			if err := json.Unmarshal(v, &rv.Comment); err != nil || bytes.Equal(v, []byte("null")) {
				return Ruling{}, "comment must be a string"
			}
		case "grant_minutes":
			if !approve {
				return Ruling{}, "grant_minutes is for approvals only"
			}
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil || n < 0 || n > maxMinutes {
				return Ruling{}, "grant_minutes must be an integer from 0 to " + strconv.FormatInt(maxMinutes, 10)
			}
			rv.GrantFor = time.Duration(n) * time.Minute
		default:
			return Ruling{}, shape + " (unknown key)"
		}
	}
	rv.Approve = approve
	return rv, ""
}

// countKeys counts the top-level keys of the JSON object raw.
func countKeys(raw []byte) int {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return -1
	}
	n := 0
	for dec.More() {
		if _, err := dec.Token(); err != nil {
			return -1
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return -1
		}
		n++
	}
	return n
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	code, msg := http.StatusInternalServerError, "approval store failed"
	switch {
	case errors.Is(err, ErrNoTicket):
		code, msg = http.StatusNotFound, ErrNoTicket.Error()
	case errors.Is(err, ErrDecided):
		code, msg = http.StatusConflict, err.Error()
	case errors.Is(err, ErrSelfApproval):
		code, msg = http.StatusForbidden, ErrSelfApproval.Error()
	case errors.Is(err, ErrNotReviewer):
		code, msg = http.StatusForbidden, ErrNotReviewer.Error()
	case errors.Is(err, ErrRuling):
		code, msg = http.StatusBadRequest, err.Error()
	}
	writeJSON(w, code, map[string]string{"error": msg})
}
