package server

import "net/http"

func (s *Server) routes() {
	m := http.NewServeMux()
	// 8x8's Webhooks Configuration API.
	m.HandleFunc("/api/v1/accounts/{accountId}/webhooks", s.webhooks)
	// The control API.
	m.HandleFunc("POST /v1/clicks", s.guard(s.postClicks))
	m.HandleFunc("POST /v1/events", s.guard(s.postEvents))
	m.HandleFunc("GET /v1/events", s.guard(s.listEvents))
	m.HandleFunc("GET /v1/events/{eventId}", s.guard(s.getEvent))
	m.HandleFunc("GET /v1/stats", s.guard(s.getStats))
	m.HandleFunc("POST /v1/stream", s.guard(s.postStream))
	m.HandleFunc("GET /v1/stream", s.guard(s.getStream))
	m.HandleFunc("DELETE /v1/stream", s.guard(s.deleteStream))
	m.HandleFunc("GET /v1/webhooks", s.guard(s.listAllWebhooks))
	m.HandleFunc("/v1/", s.guard(notInControlAPI))
	m.Handle("GET /metrics", s.metrics.handler())
	// The dashboard, its sign-in and its embedded assets.
	m.HandleFunc("GET /{$}", s.dashboard)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("POST /logout", s.logout)
	m.HandleFunc("GET /assets/{name}", serveAsset)
	s.mux = m
}

// notInControlAPI answers, in the control API's JSON, a call it does not have (another
// method on a known path included), naming the calls it does have.
func notInControlAPI(w http.ResponseWriter, r *http.Request) {
	controlFail(w, http.StatusNotFound, "", "%s %s is not a control API call; there are POST /v1/clicks, POST /v1/events, "+
		"GET /v1/events, GET /v1/events/{eventId}, GET /v1/stats, GET, POST and DELETE /v1/stream, GET /v1/webhooks", r.Method, r.URL.Path)
}
