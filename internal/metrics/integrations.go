package metrics

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.uber.org/zap"

	"hubspot-brevo-sync/internal/quota"
	"hubspot-brevo-sync/internal/integration"
)

// DefaultPollInterval is how often the integrations and the quota ledger
// are asked for their status.
const DefaultPollInterval = 30 * time.Second

// IntegrationsOptions configure Integrations.
type IntegrationsOptions struct {
	Temporal client.Client
	// Interval between polls; default DefaultPollInterval.
	Interval time.Duration
	// QueryTimeout bounds one status query; default 10 s.
	QueryTimeout time.Duration
	Logger       *zap.Logger
	// Now is the clock sync lag is measured with; default time.Now.
	Now func() time.Time
}

// Integrations polls the status query of every running integration and the
// quota ledger, and reports them at scrape time. Workflow state is the
// source of truth for these numbers (counters there change only after
// Brevo confirmed a write, and survive restarts and continue-as-new), so
// they are read from it instead of being counted a second time here.
// Every worker with metrics on reports the same integration series: use
// max by (integration), not sum, across workers.
type Integrations struct {
	o IntegrationsOptions

	mu       sync.Mutex
	statuses []integration.Status
	ledger   *quota.Ledger
	lastOK   time.Time
	errors   float64
}

// Integrations registers the integration and quota metrics; run the
// returned poller with Run.
func (m *Metrics) Integrations(o IntegrationsOptions) *Integrations {
	if o.Interval <= 0 {
		o.Interval = DefaultPollInterval
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	p := &Integrations{o: o}
	m.Registry.MustRegister(p)
	return p
}

// Run polls until ctx ends, starting at once.
func (p *Integrations) Run(ctx context.Context) {
	t := time.NewTicker(p.o.Interval)
	defer t.Stop()
	for {
		if err := p.Poll(ctx); err != nil && ctx.Err() == nil {
			p.o.Logger.Warn("metrics: could not read the integrations' status", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Poll reads every running integration's status and the ledger once. On
// error the previous values are kept (and reported as such by
// status_last_success_timestamp_seconds).
func (p *Integrations) Poll(ctx context.Context) error {
	statuses, err := p.running(ctx)
	if err == nil {
		var l quota.Ledger
		var ok bool
		qctx, cancel := context.WithTimeout(ctx, p.o.QueryTimeout)
		l, ok, err = quota.Read(qctx, p.o.Temporal)
		cancel()
		p.mu.Lock()
		defer p.mu.Unlock()
		p.statuses = statuses
		if err == nil {
			p.lastOK = p.o.Now()
			if ok {
				p.ledger = &l
			} else {
				p.ledger = nil
			}
			return nil
		}
		p.errors++
		return fmt.Errorf("quota ledger: %w", err)
	}
	p.mu.Lock()
	p.errors++
	p.mu.Unlock()
	return err
}

func (p *Integrations) running(ctx context.Context) ([]integration.Status, error) {
	var out []integration.Status
	var token []byte
	var firstErr error
	for {
		resp, err := p.o.Temporal.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query:         fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Running'", integration.WorkflowType),
			NextPageToken: token,
		})
		if err != nil {
			return nil, fmt.Errorf("listing integrations: %w", err)
		}
		for _, e := range resp.GetExecutions() {
			qctx, cancel := context.WithTimeout(ctx, p.o.QueryTimeout)
			v, err := p.o.Temporal.QueryWorkflow(qctx, e.GetExecution().GetWorkflowId(), e.GetExecution().GetRunId(), integration.QueryStatus)
			var st integration.Status
			if err == nil {
				err = v.Get(&st)
			}
			cancel()
			if err != nil {
				// One integration that does not answer (e.g. it just
				// finished) must not hide the others.
				if firstErr == nil {
					firstErr = fmt.Errorf("status of %s: %w", e.GetExecution().GetWorkflowId(), err)
				}
				continue
			}
			if st.Name == "" {
				st.Name = integration.Name(e.GetExecution().GetWorkflowId())
			}
			out = append(out, st)
		}
		if token = resp.GetNextPageToken(); len(token) == 0 {
			break
		}
	}
	if firstErr != nil {
		p.o.Logger.Debug("metrics: an integration did not answer its status query", zap.Error(firstErr))
	}
	return out, nil
}

var (
	contactsDesc = prometheus.NewDesc(Namespace+"_contacts_total",
		"Contacts handled by an integration since it was created, by outcome: created and updated (written to Brevo, each one task), unchanged, skipped, failed, left (the HubSpot list), unlinked (from the Brevo list).",
		[]string{"integration", "outcome"}, nil)
	skippedDesc = prometheus.NewDesc(Namespace+"_contacts_skipped_by_reason_total",
		"Skipped contacts by reason (no_identifier, invalid_email, ...).", []string{"integration", "reason"}, nil)
	stateDesc = prometheus.NewDesc(Namespace+"_integration_state",
		"1 for the integration's current state (syncing, idle, paused, quota_exceeded, failed, draft).", []string{"integration", "state"}, nil)
	lagDesc = prometheus.NewDesc(Namespace+"_sync_lag_seconds",
		"Age of the oldest HubSpot change that may not be in Brevo yet: now minus the start of the last completed pass (during the initial import: minus its start).",
		[]string{"integration"}, nil)
	lastSyncDesc = prometheus.NewDesc(Namespace+"_last_sync_timestamp_seconds",
		"When the integration last wrote a page or completed a pass (Unix time).", []string{"integration"}, nil)
	tasksDesc = prometheus.NewDesc(Namespace+"_quota_used_by_integration",
		"Tasks (contacts created or updated in Brevo) used this month, by integration.", []string{"integration"}, nil)
	quotaUsedDesc = prometheus.NewDesc(Namespace+"_quota_used",
		"Tasks used this month (UTC) of the monthly quota.", nil, nil)
	quotaLimitDesc = prometheus.NewDesc(Namespace+"_quota_limit",
		"The monthly task limit.", nil, nil)
	quotaReservedDesc = prometheus.NewDesc(Namespace+"_quota_reserved",
		"Tasks reserved by batches being written.", nil, nil)
	pollOKDesc = prometheus.NewDesc(Namespace+"_status_last_success_timestamp_seconds",
		"When the integrations and the quota ledger were last read successfully (Unix time); the integration and quota metrics are as of then.", nil, nil)
	pollErrDesc = prometheus.NewDesc(Namespace+"_status_poll_errors_total",
		"Failed attempts to read the integrations or the quota ledger.", nil, nil)
)

func (p *Integrations) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{contactsDesc, skippedDesc, stateDesc, lagDesc, lastSyncDesc, tasksDesc,
		quotaUsedDesc, quotaLimitDesc, quotaReservedDesc, pollOKDesc, pollErrDesc} {
		ch <- d
	}
}

func (p *Integrations) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	statuses, ledger, lastOK, errs := p.statuses, p.ledger, p.lastOK, p.errors
	p.mu.Unlock()
	now := p.o.Now()
	for _, st := range statuses {
		name := st.Name
		for outcome, n := range map[string]int64{
			"created": st.ContactsCreated, "updated": st.ContactsUpdated, "unchanged": st.Unchanged,
			"skipped": st.ContactsSkipped, "failed": st.ContactsFailed,
			"left": st.ContactsLeft, "unlinked": st.Unlinked,
		} {
			ch <- prometheus.MustNewConstMetric(contactsDesc, prometheus.CounterValue, float64(n), name, outcome)
		}
		for reason, n := range st.SkippedByReason {
			ch <- prometheus.MustNewConstMetric(skippedDesc, prometheus.CounterValue, float64(n), name, reason)
		}
		if st.State != "" {
			ch <- prometheus.MustNewConstMetric(stateDesc, prometheus.GaugeValue, 1, name, string(st.State))
		}
		if lag, ok := SyncLag(st, now); ok {
			ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, lag.Seconds(), name)
		}
		if st.LastSyncAt != nil {
			ch <- prometheus.MustNewConstMetric(lastSyncDesc, prometheus.GaugeValue, float64(st.LastSyncAt.UnixMilli())/1000, name)
		}
	}
	if ledger != nil {
		ch <- prometheus.MustNewConstMetric(quotaUsedDesc, prometheus.GaugeValue, float64(ledger.Used))
		ch <- prometheus.MustNewConstMetric(quotaLimitDesc, prometheus.GaugeValue, float64(ledger.Limit))
		ch <- prometheus.MustNewConstMetric(quotaReservedDesc, prometheus.GaugeValue, float64(ledger.Reserved()))
		for name, n := range ledger.PerIntegration {
			ch <- prometheus.MustNewConstMetric(tasksDesc, prometheus.GaugeValue, float64(n), name)
		}
	}
	if !lastOK.IsZero() {
		ch <- prometheus.MustNewConstMetric(pollOKDesc, prometheus.GaugeValue, float64(lastOK.UnixMilli())/1000)
	}
	ch <- prometheus.MustNewConstMetric(pollErrDesc, prometheus.CounterValue, errs)
}

// SyncLag is the age of the oldest change in HubSpot that may not be in
// Brevo yet. A pass writes every list member modified after the start of
// the previous completed pass, so once a pass completes, everything
// changed before that pass started is in Brevo: the lag is now minus the
// start of the last completed pass (Cursor.ModifiedAfter), whatever the
// integration does now (idle, syncing, paused, waiting for the quota).
// Before the first pass completed, nothing is guaranteed yet: now minus
// the start of the initial import. ok is false for an integration that
// never started (draft) or is stopped.
func SyncLag(st integration.Status, now time.Time) (lag time.Duration, ok bool) {
	if st.State == integration.StateStopped || st.State == integration.StateDraft {
		return 0, false
	}
	from := st.Cursor.ModifiedAfter
	if from.IsZero() {
		from = st.Cursor.StartedAt
	}
	if from.IsZero() {
		return 0, false
	}
	return max(now.Sub(from), 0), true
}
