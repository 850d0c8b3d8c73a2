package e2e

import (
	"bytes"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/protobuf/proto"

	"hubspot-brevo-sync/activities"
	"hubspot-brevo-sync/internal/codec"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/manage"
	"hubspot-brevo-sync/internal/metrics"
	"hubspot-brevo-sync/internal/sandbox"
)

// TestFinishedSyncLeaksNoSecrets runs a sync with payload encryption on
// and HubSpot OAuth (with refresh-token rotation), debug logging and
// metrics, then scans every event of every workflow history in the
// namespace, raw and decoded, and the whole log: no credential anywhere,
// no contact email in the raw history, every email in the decoded one.
// On the way it checks the metrics a worker reports for the integration.
func TestFinishedSyncLeaksNoSecrets(t *testing.T) {
	keys, err := codec.NewKeyring([]codec.Key{
		{ID: "e2e-2026", Secret: bytes.Repeat([]byte{7}, codec.KeySize)},
		{ID: "e2e-2025", Secret: bytes.Repeat([]byte{8}, codec.KeySize)},
	})
	if err != nil {
		t.Fatal(err)
	}
	secretsScenario(t, keys)
}

// TestUnencryptedHistoryHoldsContactsButNoSecrets is the same without a
// key: credentials are still nowhere, contact data is in the history in
// clear (as the README says), which also shows the scan sees it.
func TestUnencryptedHistoryHoldsContactsButNoSecrets(t *testing.T) {
	secretsScenario(t, nil)
}

func secretsScenario(t *testing.T, keys *codec.Keyring) {
	opts := fastLimits()
	opts.HubSpot.OAuthBurstLimit = opts.HubSpot.BurstLimit
	opts.HubSpot.RotateRefreshTokens = true
	core, logs := observer.New(zap.DebugLevel)
	m := metrics.New()
	rotated := &tokenLog{}
	s := newStackOpts(t, opts, 100_000, activities.Notifier{}, stackConfig{
		keys: keys, oauth: true, refreshTokens: rotated, log: zap.New(core),
		metrics: m.TemporalHandler(), transport: func(api string) http.RoundTripper { return m.Transport(api, nil) },
	})
	seed := s.sb.HubSpot().Seed(sandbox.SeedOptions{Contacts: 400, Seed: 5})
	ctx := context.Background()

	if _, err := s.mgr.Create(ctx, manage.CreateRequest{
		Name: "secrets", HubSpotListID: seed.ListID, BrevoListID: 1, Map: demoMap, OptInConfirmed: true,
	}); err != nil {
		t.Fatal(err)
	}
	idle := s.waitFor(t, "secrets", 2*time.Minute, func(st integration.Status) bool { return st.State == integration.StateIdle })

	// What a worker with SYNC_METRICS_ADDR reports, polled from the
	// running integration and the quota workflow.
	poller := m.Integrations(metrics.IntegrationsOptions{Temporal: s.temporal})
	if err := poller.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	got := gather(t, m.Registry)
	for key, want := range map[string]float64{
		`hubspot_brevo_sync_contacts_total{integration="secrets",outcome="created"}`: float64(idle.ContactsCreated),
		`hubspot_brevo_sync_contacts_total{integration="secrets",outcome="skipped"}`: float64(idle.ContactsSkipped),
		`hubspot_brevo_sync_integration_state{integration="secrets",state="idle"}`:   1,
		`hubspot_brevo_sync_quota_used{}`:                                            float64(idle.TasksThisMonth),
		`hubspot_brevo_sync_quota_limit{}`:                                           100_000,
	} {
		if got[key] != want {
			t.Errorf("metric %s = %v, want %v", key, got[key], want)
		}
	}
	if lag := got[`hubspot_brevo_sync_sync_lag_seconds{integration="secrets"}`]; lag <= 0 || lag > 300 {
		t.Errorf("sync lag %v s", lag)
	}
	for _, key := range []string{
		`hubspot_brevo_sync_api_requests_total{api="hubspot",code="200",endpoint="lists.memberships"}`,
		`hubspot_brevo_sync_api_requests_total{api="hubspot",code="200",endpoint="oauth"}`,
		`hubspot_brevo_sync_api_requests_total{api="brevo",code="200",endpoint="contacts"}`, // the read-back
	} {
		if got[key] < 1 {
			t.Errorf("metric %s = %v, want at least 1", key, got[key])
		}
	}
	if !hasPrefix(got, "temporal_request_total{") || !hasPrefix(got, "temporal_activity_execution_latency_seconds{") {
		t.Errorf("the SDK's metrics are missing")
	}

	if err := s.mgr.Signal(ctx, "secrets", integration.SignalStop); err != nil {
		t.Fatal(err)
	}
	s.waitFor(t, "secrets", time.Minute, func(st integration.Status) bool { return st.State == integration.StateStopped })

	var dec interface {
		Decode([]*commonpb.Payload) ([]*commonpb.Payload, error)
	} = plain{}
	if keys != nil {
		dec = codec.New(keys)
	}
	raw, decoded, events := histories(t, s.temporal, s.ns, dec)
	if events < 20 {
		t.Fatalf("only %d events scanned", events)
	}
	secrets := map[string]string{
		"HubSpot client secret":  sandbox.HubSpotDemoClientSecret,
		"HubSpot refresh token":  sandbox.HubSpotDemoRefreshToken,
		"HubSpot access token":   "sandbox-at-",
		"HubSpot static token":   sandbox.HubSpotDemoToken,
		"Brevo API key":          sandbox.BrevoDemoKey,
		"rotated refresh token":  "sandbox-rt-",
		"payload encryption key": string(bytes.Repeat([]byte{7}, codec.KeySize)),
	}
	if len(rotated.all()) == 0 {
		t.Fatal("the sandbox rotated no refresh token: the test does not see one")
	}
	for i, tok := range rotated.all() {
		secrets["rotated refresh token "+string(rune('0'+i))] = tok
	}
	logText := renderLogs(t, logs)
	for what, secret := range secrets {
		for where, text := range map[string][]byte{"raw history": raw, "decoded history": decoded, "log": logText} {
			if bytes.Contains(text, []byte(secret)) {
				t.Errorf("%s appears in the %s", what, where)
			}
		}
	}

	// Contact data never enters workflow history: activities exchange
	// cursors, counts and ids; contacts stay in the sync store.
	simple := regexp.MustCompile(`^[a-z0-9._-]+@[a-z0-9.-]+\.[a-z]+$`)
	var emails int
	for _, id := range seed.ContactIDs {
		c, _ := s.sb.HubSpot().Contact(id)
		email := strings.TrimSpace(c.Properties["email"])
		if !simple.MatchString(email) {
			continue
		}
		emails++
		if bytes.Contains(raw, []byte(email)) || bytes.Contains(decoded, []byte(email)) {
			t.Fatalf("contact email %s is in the history (encryption %v)", email, keys != nil)
		}
	}
	if emails < 100 {
		t.Fatalf("only %d checkable emails in the seed", emails)
	}
	if !bytes.Contains(logText, []byte("http call")) {
		t.Fatal("the debug log should show the HTTP calls (the scan would prove nothing)")
	}
}

// histories returns every event of every workflow execution in the
// namespace: as stored (proto bytes) and with every payload decoded.
func histories(t *testing.T, c client.Client, ns string, dec interface {
	Decode([]*commonpb.Payload) ([]*commonpb.Payload, error)
}) (raw, decoded []byte, events int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var rawBuf, decBuf bytes.Buffer
	var token []byte
	runs := 0
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns, NextPageToken: token})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range resp.GetExecutions() {
			runs++
			it := c.GetWorkflowHistory(ctx, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
			for it.HasNext() {
				ev, err := it.Next()
				if err != nil {
					t.Fatal(err)
				}
				events++
				b, err := proto.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				rawBuf.Write(b)
				clear := proto.Clone(ev)
				if err := proxy.VisitPayloads(ctx, clear, proxy.VisitPayloadsOptions{
					Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
						return dec.Decode(p)
					},
				}); err != nil {
					t.Fatalf("decoding event %d of %s: %v", ev.GetEventId(), e.GetExecution().GetWorkflowId(), err)
				}
				if b, err = proto.Marshal(clear); err != nil {
					t.Fatal(err)
				}
				decBuf.Write(b)
			}
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	if runs < 2 {
		t.Fatalf("found %d workflow executions, want the integration and the quota ledger", runs)
	}
	return rawBuf.Bytes(), decBuf.Bytes(), events
}

// plain decodes nothing: the history without encryption.
type plain struct{}

func (plain) Decode(p []*commonpb.Payload) ([]*commonpb.Payload, error) { return p, nil }

func renderLogs(t *testing.T, logs *observer.ObservedLogs) []byte {
	t.Helper()
	enc := zapcore.NewJSONEncoder(zap.NewDevelopmentEncoderConfig())
	var out bytes.Buffer
	for _, e := range logs.All() {
		b, err := enc.EncodeEntry(e.Entry, e.Context)
		if err != nil {
			t.Fatal(err)
		}
		out.Write(b.Bytes())
		b.Free()
	}
	return out.Bytes()
}

// gather flattens a registry into `name{label="value",...}` -> value.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, s := range mf.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
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

func hasPrefix(m map[string]float64, prefix string) bool {
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}
