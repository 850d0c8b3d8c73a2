package activities

import (
	"context"
	"fmt"
	"strings"

	"go.temporal.io/sdk/activity"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/quota"
)

// Notifier says who hears about the quota. Without an address and a sender
// the notices are only logged and shown in the Web UI.
type Notifier struct {
	To     string // SYNC_NOTIFY_EMAIL
	Sender string // SYNC_NOTIFY_SENDER
}

// QuotaLedger is the monthly task quota as SyncBatch uses it: the quota
// workflow (Activities.Quota nil) or a stand-in.
type QuotaLedger interface {
	Reserve(ctx context.Context, r quota.ReserveRequest) (quota.Grant, error)
	Commit(ctx context.Context, c quota.CommitRequest) error
}

// ReserveTasks reserves tasks on the account's quota ledger before a batch
// is written, creating the ledger on first use.
func (a *Activities) ReserveTasks(ctx context.Context, r quota.ReserveRequest) (quota.Grant, error) {
	if a.Quota != nil {
		return a.Quota.Reserve(ctx, r)
	}
	var g quota.Grant
	err := quota.Update(ctx, activity.GetClient(ctx), activity.GetInfo(ctx).TaskQueue, a.MonthlyTaskLimit, quota.UpdateReserve, r, &g)
	return g, err
}

// CommitTasks reports the tasks a batch spent and releases the rest of its
// reservation.
func (a *Activities) CommitTasks(ctx context.Context, c quota.CommitRequest) error {
	if a.Quota != nil {
		return a.Quota.Commit(ctx, c)
	}
	var l quota.Ledger
	return quota.Update(ctx, activity.GetClient(ctx), activity.GetInfo(ctx).TaskQueue, a.MonthlyTaskLimit, quota.UpdateCommit, c, &l)
}

// QuotaNotice is one of the two monthly notices.
type QuotaNotice struct {
	Kind  string `json:"kind"` // "warning" (80 %) or "exceeded"
	Month string `json:"month"`
	Used  int64  `json:"used"`
	// Reserved tasks are being written right now and will be used.
	Reserved int64    `json:"reserved,omitempty"`
	Limit    int64    `json:"limit"`
	Waiting  []string `json:"waiting,omitempty"` // integrations paused by the quota
}

// Subject is the notice's one-line summary.
func (n QuotaNotice) Subject() string {
	if n.Kind == quota.NoticeExceeded {
		return fmt.Sprintf("hubspot-brevo-sync: monthly task quota exhausted (%d of %d, %s)", n.Used+n.Reserved, n.Limit, n.Month)
	}
	return fmt.Sprintf("hubspot-brevo-sync: %d %% of the monthly task quota used (%d of %d, %s)", percent(n.Used, n.Limit), n.Used, n.Limit, n.Month)
}

// Text is the notice's body: usage, limit, month and what happens next.
func (n QuotaNotice) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Month %s (UTC): %d of %d tasks used (%d %%)", n.Month, n.Used, n.Limit, percent(n.Used, n.Limit))
	if n.Reserved > 0 {
		fmt.Fprintf(&b, ", %d more being written", n.Reserved)
	}
	b.WriteString(". A task is one contact created or updated in Brevo.\n\n")
	if n.Kind == quota.NoticeExceeded {
		b.WriteString("The quota is exhausted. Integrations that need more tasks are paused in state quota_exceeded")
		if len(n.Waiting) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(n.Waiting, ", "))
		}
		b.WriteString(". They resume by themselves at the start of next month (UTC), or at once when the limit is raised:\n\n    starter quota set --limit N\n")
	} else {
		b.WriteString("Syncing goes on. When the quota is exhausted, integrations pause until next month or until the limit is raised (starter quota set --limit N).\n")
	}
	return b.String()
}

func percent(used, limit int64) int64 {
	if limit <= 0 {
		return 100
	}
	return used * 100 / limit
}

// NoticeResult says how the notice went out.
type NoticeResult struct {
	Emailed bool   `json:"emailed"`
	Text    string `json:"text"` // shown in the Web UI
}

// SendQuotaNotice emails the notice through Brevo's transactional API, or
// logs it when no recipient is configured. The idempotency key makes a
// retried attempt send one email, not two.
func (a *Activities) SendQuotaNotice(ctx context.Context, n QuotaNotice) (NoticeResult, error) {
	if a.Notify.To == "" || a.Notify.Sender == "" {
		activity.GetLogger(ctx).Warn("quota notice (not emailed: SYNC_NOTIFY_EMAIL or SYNC_NOTIFY_SENDER is not set)",
			"Subject", n.Subject(), "Text", n.Text())
		return NoticeResult{Text: n.Subject() + " (logged; set SYNC_NOTIFY_EMAIL and SYNC_NOTIFY_SENDER to email it)"}, nil
	}
	_, err := a.Brevo.SendEmail(ctx, brevo.Email{
		Sender:         brevo.Address{Email: a.Notify.Sender, Name: "hubspot-brevo-sync"},
		To:             []brevo.Address{{Email: a.Notify.To}},
		Subject:        n.Subject(),
		TextContent:    n.Text(),
		Tags:           []string{"hubspot-brevo-sync", "quota"},
		IdempotencyKey: fmt.Sprintf("hubspot-brevo-sync-quota-%s-%s", n.Month, n.Kind),
	})
	if err != nil {
		return NoticeResult{}, temporalError(err)
	}
	return NoticeResult{Emailed: true, Text: n.Subject() + " (emailed to " + a.Notify.To + ")"}, nil
}
