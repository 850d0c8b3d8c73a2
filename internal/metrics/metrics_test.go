package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/quota"
)

// series flattens a gather into "name{k=v,...}" -> value (counter, gauge,
// or a histogram's sample count).
func series(t *testing.T, m *Metrics) map[string]float64 {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, s := range mf.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			key := mf.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = s.GetCounter().GetValue()
			case dto.MetricType_GAUGE:
				out[key] = s.GetGauge().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[key] = float64(s.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func TestTemporalHandlerAdaptsTheSDKInterface(t *testing.T) {
	m := New()
	h := m.TemporalHandler()
	ns := h.WithTags(map[string]string{"namespace": "default"})
	ns.Counter("temporal_request").Inc(2)
	ns.Counter("temporal_request").Inc(1)
	ns.Counter("temporal_request").Inc(-5) // ignored, not a panic
	ns.WithTags(map[string]string{"operation": "StartWorkflow"}).Counter("temporal_request").Inc(1)
	ns.WithTags(map[string]string{"namespace": "other"}).Gauge("temporal_num_pollers").Update(3)
	ns.Timer("temporal_activity_execution_latency").Record(1500 * time.Millisecond)
	ns.WithTags(map[string]string{"task-queue": "q"}).Counter("temporal_odd.name").Inc(1)

	got := series(t, m)
	for key, want := range map[string]float64{
		"temporal_request_total{namespace=default}":                         3,
		"temporal_request_total{namespace=default,operation=StartWorkflow}": 1,
		"temporal_num_pollers{namespace=other}":                             3,
		"temporal_activity_execution_latency_seconds{namespace=default}":    1,
		"temporal_odd_name_total{namespace=default,task_queue=q}":           1,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	if m.TemporalHandler() == nil {
		t.Fatal("second handler")
	}
}

func TestTransportCountsByFamilyWithoutPaths(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }))
	defer srv.Close()
	m := New()
	hc := &http.Client{Transport: m.Transport("brevo", nil)}
	get := func(path string) {
		resp, err := hc.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	get("/v3/contacts/ada%40example.com")
	status = http.StatusTooManyRequests
	get("/v3/contacts/lists/1/contacts/add")
	get("/v3/processes/7")
	dead := &http.Client{Transport: m.Transport("hubspot", nil)}
	if _, err := dead.Get("http://127.0.0.1:1/crm/v3/lists/1/memberships"); err == nil {
		t.Fatal("expected a connection error")
	}
	got := series(t, m)
	for key, want := range map[string]float64{
		"hubspot_brevo_sync_api_requests_total{api=brevo,code=200,endpoint=contacts}":              1,
		"hubspot_brevo_sync_api_requests_total{api=brevo,code=429,endpoint=contacts}":              1,
		"hubspot_brevo_sync_api_requests_total{api=brevo,code=429,endpoint=other}":                 1,
		"hubspot_brevo_sync_api_rate_limited_total{api=brevo,endpoint=contacts}":                   1,
		"hubspot_brevo_sync_api_requests_total{api=hubspot,code=error,endpoint=lists.memberships}": 1,
		"hubspot_brevo_sync_api_request_duration_seconds{api=brevo,endpoint=contacts}":             2,
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	for key := range got {
		if strings.Contains(key, "example.com") {
			t.Errorf("a label carries a path: %s", key)
		}
	}
}

func TestEndpointFamilies(t *testing.T) {
	for _, tc := range []struct{ api, method, path, want string }{
		{"hubspot", "POST", "/oauth/v3/token", "oauth"},
		{"hubspot", "GET", "/crm/v3/lists/12", "lists"},
		{"hubspot", "GET", "/crm/v3/lists/object-type-id/0-1/name/My%20List", "lists"},
		{"hubspot", "POST", "/crm/v3/lists/search", "lists.search"},
		{"hubspot", "GET", "/crm/v3/lists/12/memberships", "lists.memberships"},
		{"hubspot", "GET", "/crm/lists/2026-03/12/memberships", "lists.memberships"},
		{"hubspot", "POST", "/crm/v3/objects/contacts/batch/read", "contacts.batch"},
		{"hubspot", "POST", "/crm/v3/objects/contacts/search", "contacts.search"},
		{"hubspot", "GET", "/crm/v3/objects/contacts/901", "contacts"},
		{"hubspot", "GET", "/crm/v3/properties/contacts", "properties"},
		{"hubspot", "GET", "/", "other"},
		{"brevo", "POST", "/v3/contacts", "contacts"},
		{"brevo", "GET", "/v3/contacts/attributes", "contacts"},
		{"brevo", "POST", "/v3/smtp/email", "email"},
		{"brevo", "GET", "/v3/processes", "other"},
		{"brevo", "GET", "/contacts/lists", "contacts"},
	} {
		if got := Endpoint(tc.api, tc.method, tc.path); got != tc.want {
			t.Errorf("Endpoint(%s %s %s) = %s, want %s", tc.api, tc.method, tc.path, got, tc.want)
		}
	}
}

func TestGovernorMetrics(t *testing.T) {
	m := New()
	hs := map[string]*hubspot.Governor{
		"default": hubspot.NewGovernor(hubspot.TierProfessional.Limits(), nil),
		"eu":      hubspot.NewGovernor(hubspot.TierFree.Limits(), nil),
	}
	m.Governors(func() map[string]*hubspot.Governor { return hs }, brevo.NewGovernor(brevo.TierGeneral.Limits(), nil))
	got := series(t, m)
	for _, key := range []string{
		"hubspot_brevo_sync_governor_wait_seconds_total{api=hubspot,budget=all,connection=default}",
		"hubspot_brevo_sync_governor_wait_seconds_total{api=hubspot,budget=all,connection=eu}",
		"hubspot_brevo_sync_governor_wait_seconds_total{api=brevo,budget=contacts,connection=}",
		"hubspot_brevo_sync_governor_window_limit{api=hubspot,budget=burst,connection=default,window=10s}",
		"hubspot_brevo_sync_governor_window_limit{api=hubspot,budget=search,connection=eu,window=1s}",
		"hubspot_brevo_sync_governor_window_limit{api=brevo,budget=contacts,connection=,window=1h0m0s}",
		"hubspot_brevo_sync_governor_window_limit{api=brevo,budget=contacts,connection=,window=1s}",
	} {
		if _, ok := got[key]; !ok {
			t.Errorf("missing %s", key)
		}
	}
	for connection, want := range map[string]float64{"default": 650_000, "eu": 250_000} {
		key := "hubspot_brevo_sync_hubspot_daily_limit{connection=" + connection + "}"
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
}

func TestIntegrationMetrics(t *testing.T) {
	now := time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC)
	m := New()
	p := m.Integrations(IntegrationsOptions{Now: func() time.Time { return now }})
	last := now.Add(-2 * time.Minute)
	p.statuses = []integration.Status{
		{Name: "news", State: integration.StateIdle, ContactsCreated: 10, ContactsUpdated: 5, ContactsSkipped: 2, ContactsFailed: 1,
			SkippedByReason: map[string]int64{"no_identifier": 2}, LastSyncAt: &last,
			Cursor: integration.Cursor{Pass: 3, ModifiedAfter: now.Add(-7 * time.Minute)}},
		{Name: "import", State: integration.StateSyncing, Cursor: integration.Cursor{Pass: 1, StartedAt: now.Add(-time.Hour)}},
		{Name: "draft", State: integration.StateDraft},
	}
	p.ledger = &quota.Ledger{Month: "2026-11", Limit: 300, Used: 15, PerIntegration: map[string]int64{"news": 15},
		Reservations: map[string]quota.Reservation{"r": {Tasks: 4}}}
	p.lastOK = now
	got := series(t, m)
	for key, want := range map[string]float64{
		"hubspot_brevo_sync_contacts_total{integration=news,outcome=created}":                        10,
		"hubspot_brevo_sync_contacts_total{integration=news,outcome=updated}":                        5,
		"hubspot_brevo_sync_contacts_total{integration=news,outcome=failed}":                         1,
		"hubspot_brevo_sync_contacts_skipped_by_reason_total{integration=news,reason=no_identifier}": 2,
		"hubspot_brevo_sync_integration_state{integration=news,state=idle}":                          1,
		"hubspot_brevo_sync_sync_lag_seconds{integration=news}":                                      420,
		"hubspot_brevo_sync_sync_lag_seconds{integration=import}":                                    3600,
		"hubspot_brevo_sync_quota_used{}":                                                            15,
		"hubspot_brevo_sync_quota_limit{}":                                                           300,
		"hubspot_brevo_sync_quota_reserved{}":                                                        4,
		"hubspot_brevo_sync_quota_used_by_integration{integration=news}":                             15,
		"hubspot_brevo_sync_last_sync_timestamp_seconds{integration=news}":                           float64(last.Unix()),
	} {
		if got[key] != want {
			t.Errorf("%s = %v, want %v", key, got[key], want)
		}
	}
	if _, ok := got["hubspot_brevo_sync_sync_lag_seconds{integration=draft}"]; ok {
		t.Error("a draft has no sync lag")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	m := New()
	var r Readiness
	srv := httptest.NewServer(m.Handler(r.Check))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "not polling") {
		t.Fatalf("readyz before start: %d %s", code, body)
	}
	r.Started()
	if code, body := get("/readyz"); code != 200 {
		t.Fatalf("readyz after start: %d %s", code, body)
	}
	r.Stopped(errors.New("namespace not found"))
	if code, body := get("/readyz"); code != 503 || !strings.Contains(body, "namespace not found") {
		t.Fatalf("readyz after a fatal error: %d %s", code, body)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("metrics: %d", code)
	}
	resp, err := http.Post(srv.URL+"/metrics", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("POST /metrics: %d", resp.StatusCode)
	}
}
