package manage

import (
	"context"
	"time"

	"hubspot-brevo-sync/internal/quota"
)

// Quota reads the account's quota ledger. Before the first reservation
// there is none; the answer is then this month with the configured limit
// and nothing used.
func (m *Manager) Quota(ctx context.Context) (quota.Ledger, error) {
	l, ok, err := quota.Read(ctx, m.Temporal)
	if err != nil {
		return l, temporalError(err)
	}
	if !ok {
		l = quota.Ledger{Month: time.Now().UTC().Format("2006-01"), Limit: m.MonthlyTaskLimit}
	}
	return l, nil
}

// SetQuotaLimit changes the monthly task limit. Raising it above usage
// resumes the integrations paused by the quota at once; lowering it below
// usage pauses each integration at its next batch.
func (m *Manager) SetQuotaLimit(ctx context.Context, limit int64) (quota.Ledger, error) {
	var l quota.Ledger
	if err := quota.Update(ctx, m.Temporal, m.TaskQueue, m.MonthlyTaskLimit, quota.UpdateSetLimit, limit, &l); err != nil {
		return l, temporalError(err)
	}
	return l, nil
}
