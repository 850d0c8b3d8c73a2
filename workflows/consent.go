package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"hubspot-brevo-sync/activities"
)

// reportUnsubscribes reports the Brevo unsubscribes of the list to
// HubSpot once a poll, after the pass. Only integrations created with
// --report-unsubscribes-to-hubspot do it, so histories without the option
// replay unchanged. A full pass lists the whole list again: an unsubscribe
// that did not move the contact's modifiedAt is found then.
func (w *run) reportUnsubscribes(ctx workflow.Context, fullPass bool) error {
	if !w.spec.ReportUnsubscribes {
		return nil
	}
	since := w.cp.UnsubscribesSince
	if fullPass {
		since = time.Time{}
	}
	summary := fmt.Sprintf("report the unsubscribes of Brevo list %d to HubSpot", w.cp.BrevoListID)
	var res activities.ReportUnsubscribesResult
	err := workflow.ExecuteActivity(withActivity(ctx, 30*time.Minute, w.cp.Tuning.HeartbeatTimeout, summary), a.ReportUnsubscribes,
		activities.ReportUnsubscribesInput{
			Integration: w.spec.Name, BrevoListID: w.cp.BrevoListID, Since: since, SubscriptionID: w.spec.HubSpotSubscriptionID,
			HubSpot: w.spec.HubSpot(),
		}).Get(ctx, &res)
	if isDailyBudgetExhausted(err) {
		// The watermark stays: the next poll reports what this one could not.
		w.waitForDailyBudget(ctx, err)
		return nil
	}
	if isMissingScope(err) {
		// Contacts keep syncing (opt-outs included); the unsubscribes wait,
		// watermark unmoved, until the scope is granted.
		msg := activityMessage(err)
		if w.cp.Warning != msg {
			w.logger.Warn("unsubscribes not reported", "Error", msg)
			w.cp.Warning = msg
			w.publish(ctx)
		}
		return nil
	}
	if err != nil {
		return err
	}
	w.cp.Warning = ""
	w.cp.UnsubscribesSince = res.Until
	w.cp.Counters.UnsubscribesReported += int64(res.Reported)
	w.publish(ctx)
	return nil
}

// isMissingScope reports whether HubSpot refused the report for want of
// a scope.
func isMissingScope(err error) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == activities.ErrTypeMissingScope
}
