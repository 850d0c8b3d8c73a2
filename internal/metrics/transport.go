package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Transport counts every request to api ("hubspot" or "brevo") by endpoint
// family and status, then hands it to next (nil: http.DefaultTransport).
// It is installed through the clients' Transport setting, below the one
// request path of each client, so every call (OAuth token requests too)
// is seen exactly once per attempt.
func (m *Metrics) Transport(api string, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{m: m, api: api, next: next}
}

type transport struct {
	m    *Metrics
	api  string
	next http.RoundTripper
}

func (t *transport) RoundTrip(r *http.Request) (*http.Response, error) {
	endpoint := Endpoint(t.api, r.Method, r.URL.Path)
	start := time.Now()
	resp, err := t.next.RoundTrip(r)
	t.m.apiDuration.WithLabelValues(t.api, endpoint).Observe(time.Since(start).Seconds())
	if err != nil {
		t.m.apiRequests.WithLabelValues(t.api, endpoint, "error").Inc()
		return resp, err
	}
	t.m.apiRequests.WithLabelValues(t.api, endpoint, strconv.Itoa(resp.StatusCode)).Inc()
	if resp.StatusCode == http.StatusTooManyRequests {
		t.m.apiRateLimited.WithLabelValues(t.api, endpoint).Inc()
	}
	return resp, nil
}

// Endpoint names the endpoint family of a request, from a fixed set so
// the label never carries ids or emails from the path.
//
// HubSpot: oauth, lists, lists.search, lists.memberships, contacts,
// contacts.batch, contacts.search, properties, other (v3 and date-based
// paths alike). Brevo, by its rate-limit families: contacts (everything
// under /contacts: contacts, lists, folders, attributes, imports), email
// (/smtp/email), other.
func Endpoint(api, method, path string) string {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	has := func(s string) bool {
		for _, x := range segs {
			if x == s {
				return true
			}
		}
		return false
	}
	last := segs[len(segs)-1]
	switch api {
	case "hubspot":
		switch {
		case has("oauth"):
			return "oauth"
		case has("lists"):
			switch {
			case last == "memberships":
				return "lists.memberships"
			case last == "search":
				return "lists.search"
			}
			return "lists"
		case has("properties"):
			return "properties"
		case has("contacts"):
			switch {
			case last == "search":
				return "contacts.search"
			case has("batch"):
				return "contacts.batch"
			}
			return "contacts"
		}
		return "other"
	case "brevo":
		// Skip the version prefix of the base URL (/v3).
		for len(segs) > 0 && (segs[0] == "v3" || segs[0] == "") {
			segs = segs[1:]
		}
		switch {
		case len(segs) > 0 && segs[0] == "contacts":
			return "contacts"
		case len(segs) > 1 && segs[0] == "smtp" && segs[1] == "email" && method == http.MethodPost:
			return "email"
		}
		return "other"
	}
	return "other"
}
