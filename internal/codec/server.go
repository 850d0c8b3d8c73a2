package codec

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"
)

// DefaultCORSOrigins are the origins of the Web UI of `worker --dev`.
var DefaultCORSOrigins = []string{"http://localhost:8233", "http://127.0.0.1:8233"}

// MaxRequestBytes bounds a codec request body. The Web UI sends the
// payloads of one event or query at a time; Temporal refuses payloads over
// 2 MB, so 4 MB leaves room for JSON and base64 overhead.
const MaxRequestBytes = 4 << 20

// ServerOptions configure the codec server's HTTP handler.
type ServerOptions struct {
	// CORSOrigins are the browser origins (scheme://host[:port]) allowed to
	// call the server: the Web UI's. "*" allows any origin.
	CORSOrigins []string
	// AuthToken, when set, must arrive as "Authorization: Bearer <token>".
	AuthToken string
	// MaxBodyBytes bounds request bodies; default MaxRequestBytes.
	MaxBodyBytes int64
}

// CheckOrigin validates one CORS origin as configured in
// SYNC_CODEC_CORS_ORIGINS.
func CheckOrigin(o string) error {
	if o == "*" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("origin %q: want scheme://host[:port], e.g. http://localhost:8080", o)
	}
	return nil
}

// NewHandler serves Temporal's remote codec protocol (POST .../encode and
// .../decode with a JSON Payloads body, as the Web UI and `temporal
// --codec-endpoint` send them) for codec, with CORS for the Web UI, an
// optional bearer token and bounded bodies. Any path prefix works, so a
// per-namespace prefix (/default/decode) is served too.
func NewHandler(c converter.PayloadCodec, o ServerOptions) http.Handler {
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = MaxRequestBytes
	}
	origins := make([]string, 0, len(o.CORSOrigins))
	for _, s := range o.CORSOrigins {
		origins = append(origins, strings.TrimRight(s, "/"))
	}
	return &handler{codec: converter.NewPayloadCodecHTTPHandler(c), opts: o, origins: origins}
}

type handler struct {
	codec   http.Handler
	opts    ServerOptions
	origins []string
}

func (h *handler) allowed(origin string) bool {
	return slices.Contains(h.origins, "*") || slices.Contains(h.origins, origin)
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	if origin != "" {
		if !h.allowed(origin) {
			// Browsers would drop the answer anyway; say why instead.
			http.Error(w, fmt.Sprintf("codec server: origin %s is not allowed (SYNC_CODEC_CORS_ORIGINS)", origin), http.StatusForbidden)
			return
		}
		hd := w.Header()
		hd.Set("Access-Control-Allow-Origin", origin)
		hd.Set("Access-Control-Allow-Credentials", "true")
		hd.Add("Vary", "Origin")
	}
	if r.Method == http.MethodOptions {
		// Preflight: browsers send it without credentials.
		hd := w.Header()
		hd.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
		hd.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if !strings.HasSuffix(r.URL.Path, "/encode") && !strings.HasSuffix(r.URL.Path, "/decode") {
		http.Error(w, "codec server: not found; POST to /encode or /decode", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST, OPTIONS")
		http.Error(w, "codec server: method "+r.Method+" not allowed; use POST", http.StatusMethodNotAllowed)
		return
	}
	if h.opts.AuthToken != "" {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(h.opts.AuthToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="codec"`)
			http.Error(w, "codec server: missing or wrong bearer token", http.StatusUnauthorized)
			return
		}
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		http.Error(w, "codec server: Content-Type must be application/json", http.StatusUnsupportedMediaType)
		return
	}
	if r.ContentLength > h.opts.MaxBodyBytes {
		http.Error(w, fmt.Sprintf("codec server: request body of %d bytes exceeds the limit of %d", r.ContentLength, h.opts.MaxBodyBytes), http.StatusRequestEntityTooLarge)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, fmt.Sprintf("codec server: request body exceeds the limit of %d bytes", h.opts.MaxBodyBytes), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "codec server: reading the request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	var check commonpb.Payloads
	if err := protojson.Unmarshal(body, &check); err != nil {
		http.Error(w, "codec server: the body is not a JSON Payloads object ({\"payloads\": [...]}): "+err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	h.codec.ServeHTTP(w, r)
}
