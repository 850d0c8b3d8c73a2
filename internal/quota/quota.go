// Package quota holds the contract of the monthly task quota: the names and
// types the quota workflow, the integration workflows (through their
// activities) and the starter share, and the one way to reach the quota
// workflow from outside a workflow (update-with-start, so the first caller
// of a month also creates the ledger).
package quota

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// WorkflowID is the one quota ledger of the Brevo account the worker
// writes to; WorkflowType is the registered name of its workflow.
const (
	WorkflowID   = "quota/brevo"
	WorkflowType = "QuotaWorkflow"
)

// Update, query and signal names.
const (
	UpdateReserve  = "reserve"
	UpdateCommit   = "commit"
	UpdateSetLimit = "set-limit"
	QueryLedger    = "ledger"
	// SignalAvailable tells an integration paused by the quota that tasks
	// are available again (new month, raised limit).
	SignalAvailable = "quota-available"
)

// Notice kinds: each is sent at most once a month.
const (
	NoticeWarning  = "warning"  // usage reached WarnAtPercent
	NoticeExceeded = "exceeded" // an integration needed more than remained
)

// WarnAtPercent is the usage that triggers the first notice.
const WarnAtPercent = 80

// WarnThreshold is the usage, in tasks, at which the warning is due:
// WarnAtPercent of the limit, rounded up.
func WarnThreshold(limit int64) int64 {
	return (limit*WarnAtPercent + 99) / 100
}

// Usage is a moment's count of tasks: committed and reserved.
type Usage struct {
	Used     int64 `json:"used"`
	Reserved int64 `json:"reserved"`
}

// Ledger is the state of the quota workflow, carried across
// continue-as-new, and what `starter quota --json` prints.
type Ledger struct {
	Month string `json:"month"` // YYYY-MM, UTC
	Limit int64  `json:"limit"`
	Used  int64  `json:"used"`
	// PerIntegration is this month's usage by integration name.
	PerIntegration map[string]int64 `json:"perIntegration"`
	// Reservations are granted tasks not committed yet, by request id.
	Reservations map[string]Reservation `json:"reservations,omitempty"`
	// Committed remembers the latest committed request ids, oldest first,
	// so a retried commit counts once.
	Committed []string `json:"committed,omitempty"`
	// Waiting are the integrations paused by the quota; they are told when
	// tasks are available again.
	Waiting map[string]bool `json:"waiting,omitempty"`
	// Warned and Exceeded record this month's notices.
	Warned   bool `json:"warned"`
	Exceeded bool `json:"exceeded"`
	// WarnAt is where this month's usage (used plus reserved) first reached
	// WarnThreshold, which the warning reports. A change that jumps past
	// the threshold is split there, so the warning says 80 % even when a
	// single reservation took usage from below it to the limit.
	WarnAt *Usage `json:"warnAt,omitempty"`
	// Notices are this month's notices as shown to people.
	Notices []string `json:"notices,omitempty"`
}

// Reserved sums the tasks held by reservations.
func (l Ledger) Reserved() int64 {
	var n int64
	for _, r := range l.Reservations {
		n += r.Tasks
	}
	return n
}

// Available is what a reservation could still get.
func (l Ledger) Available() int64 {
	return max(l.Limit-l.Used-l.Reserved(), 0)
}

// Reservation is a grant of tasks to one integration for one batch.
type Reservation struct {
	Integration string    `json:"integration"`
	Tasks       int64     `json:"tasks"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

// Input starts (or continues) the quota workflow.
type Input struct {
	// Limit is the monthly limit a fresh ledger starts with
	// (SYNC_MONTHLY_TASK_LIMIT of the process that started it).
	Limit  int64   `json:"limit"`
	Ledger *Ledger `json:"ledger,omitempty"`
}

// ReserveRequest asks for tasks before a batch is written. ID identifies
// the batch: a retried reservation of the same batch gets the same grant.
type ReserveRequest struct {
	Integration string `json:"integration"`
	ID          string `json:"id"`
	Tasks       int64  `json:"tasks"`
}

// Grant answers a reservation: at most what was asked, at most what
// remains.
type Grant struct {
	Granted   int64  `json:"granted"`
	Month     string `json:"month"`
	Remaining int64  `json:"remaining"`
}

// CommitRequest reports how many of a reservation's tasks were spent; the
// rest goes back to the pool.
type CommitRequest struct {
	Integration string `json:"integration"`
	ID          string `json:"id"`
	Written     int64  `json:"written"`
}

// Update runs one update on the quota workflow, starting the workflow
// (with initialLimit) if it does not run yet.
func Update(ctx context.Context, c client.Client, taskQueue string, initialLimit int64, name string, arg, result any) error {
	start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       WorkflowID,
		TaskQueue:                taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		StaticSummary:            "Monthly task quota of the Brevo account",
	}, WorkflowType, Input{Limit: initialLimit})
	h, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateName:   name,
			Args:         []any{arg},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err != nil {
		return fmt.Errorf("quota %s: %w", name, err)
	}
	if err := h.Get(ctx, result); err != nil {
		return fmt.Errorf("quota %s: %w", name, err)
	}
	return nil
}

// Read returns the ledger; ok is false when no integration has reserved
// anything yet (the quota workflow does not exist).
func Read(ctx context.Context, c client.Client) (l Ledger, ok bool, err error) {
	v, err := c.QueryWorkflow(ctx, WorkflowID, "", QueryLedger)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return l, false, nil
	}
	if err != nil {
		return l, false, err
	}
	return l, true, v.Get(&l)
}
