package guard

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
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
}

// Handler returns the queue's JSON API, to be mounted behind the service's
// authentication (use http.StripPrefix to mount it under a path):
//
//	GET  /pending                  the pending requests: who, what, why
//	GET  /requests/{id}            one request, pending or decided
//	POST /requests/{id}/approve    {"comment": "…", "grant_minutes": 0}
//	POST /requests/{id}/deny       {"comment": "…"}
//
// grant_minutes > 0 makes the approval a time-boxed grant for the
// requester and rules; 0 a one-time grant for that exact statement and
// arguments. Errors are {"error": "…"} with 400 (bad body, or a grant the
// request cannot take), 401 (no reviewer), 403 (self-approval, not a
// reviewer), 404 (no such request) or 409 (already decided).
func (q *Queue) Handler(cfg HandlerConfig) http.Handler {
	who := cfg.Reviewer
	if who == nil {
		who = func(r *http.Request) (identity.Identity, bool) { return identity.FromContext(r.Context()) }
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /pending", func(w http.ResponseWriter, r *http.Request) {
		ts, err := q.Pending(r.Context())
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"requests": ts})
	})
	mux.HandleFunc("GET /requests/{id}", func(w http.ResponseWriter, r *http.Request) {
		t, err := q.Get(r.Context(), r.PathValue("id"))
		if err != nil {
			writeError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, t)
	})
	decide := func(approve bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			id, ok := who(r)
			if !ok || id.Subject == "" {
				writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "no reviewer identity"})
				return
			}
			var body struct {
				Comment      string `json:"comment"`
				GrantMinutes int    `json:"grant_minutes"`
			}
			dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "body must be JSON: {\"comment\": \"…\", \"grant_minutes\": 0}"})
				return
			}
			if body.GrantMinutes < 0 || (!approve && body.GrantMinutes != 0) {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "grant_minutes must be a non-negative number of minutes, on an approval"})
				return
			}
			t, err := q.Decide(r.Context(), r.PathValue("id"), id, Ruling{
				Approve:  approve,
				Comment:  body.Comment,
				GrantFor: time.Duration(body.GrantMinutes) * time.Minute,
			})
			if err != nil {
				writeError(w, err)
				return
			}
			writeJSON(w, http.StatusOK, t)
		}
	}
	mux.HandleFunc("POST /requests/{id}/approve", decide(true))
	mux.HandleFunc("POST /requests/{id}/deny", decide(false))
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
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
