package doctor

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

// Answers is an HTTP transport for the Brevo client that remembers Brevo's
// last answer to a list removal. The client turns a 400 "already removed"
// into an empty change, as the sync needs; the canary wants to report
// what Brevo actually said.
type Answers struct {
	base http.RoundTripper

	mu   sync.Mutex
	last *Answer
}

// Answer is the status and message of one response.
type Answer struct {
	Status  int
	Message string
}

// NewAnswers records over base (nil: http.DefaultTransport).
func NewAnswers(base http.RoundTripper) *Answers {
	if base == nil {
		base = http.DefaultTransport
	}
	return &Answers{base: base}
}

// RoundTrip sends the request and, for a list removal, keeps the answer.
func (a *Answers) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.base.RoundTrip(req)
	if err != nil || !strings.HasSuffix(req.URL.Path, "/contacts/remove") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var msg struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &msg) // a success has no message
	a.mu.Lock()
	a.last = &Answer{Status: resp.StatusCode, Message: msg.Message}
	a.mu.Unlock()
	return resp, nil
}

// LastRemoval is the answer to the latest list removal; false before one.
func (a *Answers) LastRemoval() (Answer, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.last == nil {
		return Answer{}, false
	}
	return *a.last, true
}
