package codec

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
)

func newTestServer(t *testing.T, o ServerOptions) (*httptest.Server, *Codec) {
	t.Helper()
	c := New(mustKeyring(t, testKey("k1", 5)))
	srv := httptest.NewServer(NewHandler(c, o))
	t.Cleanup(srv.Close)
	return srv, c
}

func call(t *testing.T, method, url string, body []byte, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestCodecServerDecodesForTheUI(t *testing.T) {
	srv, c := newTestServer(t, ServerOptions{CORSOrigins: []string{"http://localhost:8080"}, AuthToken: "s3cret"})
	plain, _ := converter.GetDefaultDataConverter().ToPayload("ada@example.com")
	enc, _ := c.Encode([]*commonpb.Payload{plain})
	body, _ := protojson.Marshal(&commonpb.Payloads{Payloads: enc})
	ui := map[string]string{"Origin": "http://localhost:8080", "Content-Type": "application/json", "X-Namespace": "default"}

	// Preflight: no credentials, allowed.
	resp, _ := call(t, http.MethodOptions, srv.URL+"/default/decode", nil, map[string]string{
		"Origin": "http://localhost:8080", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
	})
	if resp.StatusCode != http.StatusNoContent ||
		resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:8080" ||
		resp.Header.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "X-Namespace") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}

	resp, msg := call(t, http.MethodPost, srv.URL+"/decode", body, ui)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(msg, "bearer token") {
		t.Fatalf("without token: %d %s", resp.StatusCode, msg)
	}
	ui["Authorization"] = "Bearer s3cret"
	resp, msg = call(t, http.MethodPost, srv.URL+"/decode", body, ui)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "http://localhost:8080" {
		t.Fatalf("decode: %d %s", resp.StatusCode, msg)
	}
	var out commonpb.Payloads
	if err := protojson.Unmarshal([]byte(msg), &out); err != nil {
		t.Fatal(err)
	}
	var email string
	if err := converter.GetDefaultDataConverter().FromPayload(out.Payloads[0], &email); err != nil || email != "ada@example.com" {
		t.Fatalf("decoded %q %v", email, err)
	}

	// Encode works too (the CLI uses it).
	plainBody, _ := protojson.Marshal(&commonpb.Payloads{Payloads: []*commonpb.Payload{plain}})
	resp, msg = call(t, http.MethodPost, srv.URL+"/encode", plainBody, ui)
	if resp.StatusCode != http.StatusOK || strings.Contains(msg, "ada@example.com") {
		t.Fatalf("encode: %d %s", resp.StatusCode, msg)
	}
}

func TestCodecServerRejectsBadInput(t *testing.T) {
	srv, _ := newTestServer(t, ServerOptions{CORSOrigins: DefaultCORSOrigins, MaxBodyBytes: 1024})
	js := map[string]string{"Content-Type": "application/json"}
	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   []byte
		hdr    map[string]string
		status int
		want   string
	}{
		{"foreign origin", http.MethodPost, "/decode", []byte(`{}`), map[string]string{"Origin": "https://evil.example"}, 403, "not allowed"},
		{"foreign preflight", http.MethodOptions, "/decode", nil, map[string]string{"Origin": "https://evil.example"}, 403, "SYNC_CODEC_CORS_ORIGINS"},
		{"GET", http.MethodGet, "/decode", nil, nil, 405, "use POST"},
		{"unknown path", http.MethodPost, "/stuff", []byte(`{}`), js, 404, "/decode"},
		{"malformed JSON", http.MethodPost, "/decode", []byte(`{"payloads": [`), js, 400, "not a JSON Payloads"},
		{"wrong shape", http.MethodPost, "/decode", []byte(`{"payloads": 3}`), js, 400, "not a JSON Payloads"},
		{"unknown field", http.MethodPost, "/decode", []byte(`{"payload": []}`), js, 400, "not a JSON Payloads"},
		{"oversize", http.MethodPost, "/decode", []byte(`{"payloads":[{"data":"` + strings.Repeat("A", 2000) + `"}]}`), js, 413, "exceeds the limit"},
		{"not JSON", http.MethodPost, "/decode", []byte(`x`), map[string]string{"Content-Type": "text/plain"}, 415, "application/json"},
		{"garbage ciphertext", http.MethodPost, "/decode", []byte(`{"payloads":[{"metadata":{"encoding":"YmluYXJ5L2VuY3J5cHRlZA==","encryption-key-id":"azE="},"data":"AAAA"}]}`), js, 400, "truncated"},
	} {
		resp, msg := call(t, tc.method, srv.URL+tc.path, tc.body, tc.hdr)
		if resp.StatusCode != tc.status || !strings.Contains(msg, tc.want) {
			t.Errorf("%s: %d %q, want %d containing %q", tc.name, resp.StatusCode, msg, tc.status, tc.want)
		}
	}
	// Without an Origin (CLI) and without a token configured: fine.
	body, _ := json.Marshal(map[string]any{"payloads": []any{}})
	if resp, msg := call(t, http.MethodPost, srv.URL+"/decode", body, js); resp.StatusCode != 200 {
		t.Fatalf("CLI call: %d %s", resp.StatusCode, msg)
	}
}

func TestCheckOrigin(t *testing.T) {
	for _, ok := range []string{"http://localhost:8233", "https://temporal.example.com", "*", "http://127.0.0.1:8080/"} {
		if err := CheckOrigin(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"localhost:8233", "ftp://x", "http://x/path", "http://"} {
		if err := CheckOrigin(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
