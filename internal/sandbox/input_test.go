package sandbox_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hubspot-brevo-sync/internal/sandbox"
)

// TestHandlersRejectBadBodies: every JSON endpoint refuses what cannot be a
// request, with a message saying why, and stays as lenient as the real
// APIs about fields it does not know.
func TestHandlersRejectBadBodies(t *testing.T) {
	sb := sandbox.New(sandbox.Options{})
	sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 5, Seed: 1})
	srv := httptest.NewServer(sb)
	defer srv.Close()

	post := func(path string, hdr map[string]string, body []byte) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var msg struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(b, &msg)
		return resp.StatusCode, msg.Message
	}
	hs := map[string]string{"Authorization": "Bearer " + sandbox.HubSpotDemoToken}
	bv := map[string]string{"api-key": sandbox.BrevoDemoKey}
	huge := []byte(`{"inputs": [` + strings.Repeat(`{"id":"1"},`, 1_100_000) + `{"id":"1"}]}`)

	for _, tc := range []struct {
		name, path string
		hdr        map[string]string
		body       []byte
		status     int
		want       string
	}{
		{"HubSpot malformed", "/crm/v3/objects/contacts/batch/read", hs, []byte(`{"inputs": [`), 400, "Invalid input JSON"},
		{"HubSpot empty", "/crm/v3/objects/contacts/search", hs, nil, 400, "empty body"},
		{"HubSpot trailing", "/crm/v3/objects/contacts/search", hs, []byte(`{} {}`), 400, "trailing data"},
		{"HubSpot wrong type", "/crm/v3/objects/contacts/search", hs, []byte(`{"limit": "ten"}`), 400, "Invalid input JSON"},
		{"HubSpot oversize", "/crm/v3/objects/contacts/batch/read", hs, huge, 400, "larger than"},
		{"HubSpot unknown field ignored", "/crm/v3/objects/contacts/search", hs, []byte(`{"limit": 1, "somethingNew": true}`), 200, ""},
		{"Brevo malformed", "/v3/contacts", bv, []byte(`{"email":`), 400, "Invalid request body"},
		{"Brevo trailing", "/v3/contacts/lists", bv, []byte(`{"name":"x","folderId":1}]`), 400, "trailing data"},
		{"Sandbox admin unknown field", "/_sandbox/hubspot/contacts", nil, []byte(`{"propertiez": {}}`), 400, ""},
	} {
		status, msg := post(tc.path, tc.hdr, tc.body)
		if status != tc.status || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %q, want %d containing %q", tc.name, status, msg, tc.status, tc.want)
		}
	}
}
