package activities

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
	"hubspot-brevo-sync/internal/hubspot"
	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/store"
)

// The HubSpot properties a reported Brevo unsubscribe sets, created on
// first use.
const (
	PropBrevoBlacklisted   = "brevo_email_blacklisted"
	PropBrevoBlacklistedAt = "brevo_blacklisted_at"
)

// ReasonUnsubscribedInBrevo is the outcome reason of a reported
// unsubscribe.
const ReasonUnsubscribedInBrevo = "unsubscribed_in_brevo"

// ErrTypeMissingScope: HubSpot refused a write for want of a scope the
// integration's options need.
const ErrTypeMissingScope = "MissingScope"

// UnsubscribeOverlap is how far each listing reaches back before the
// previous one started: Brevo's clock is known to a second, whether
// modifiedSince is inclusive is not documented, and reporting again is
// harmless (each unsubscribe is reported once).
const UnsubscribeOverlap = 5 * time.Minute

// ReportUnsubscribesInput names the list whose blocklisted contacts are
// reported to HubSpot.
type ReportUnsubscribesInput struct {
	Integration string `json:"integration"`
	BrevoListID int64  `json:"brevoListId"`
	// Since is Brevo's time at the start of the previous listing; zero
	// reads every contact of the list (the first time, and on full passes,
	// which catch an unsubscribe that did not move modifiedAt).
	Since time.Time `json:"since,omitzero"`
	// SubscriptionID, when set, is the HubSpot subscription type the
	// emails are also unsubscribed from.
	SubscriptionID string `json:"subscriptionId,omitempty"`
	// HubSpot is the account reported to ("": the default connection);
	// the Brevo contacts' ext_ids are its.
	HubSpot integration.HubSpotAccount `json:"hubspot,omitzero"`
}

// ReportUnsubscribesResult counts what the listing found.
type ReportUnsubscribesResult struct {
	// Reported: blocklistings written to HubSpot. Own: blocklistings the
	// sync itself made (--sync-opt-outs), never echoed back.
	Reported int `json:"reported"`
	Own      int `json:"own,omitempty"`
	// Until is Brevo's time before this listing started: the next Since.
	Until time.Time `json:"until"`
}

// ReportUnsubscribes lists the contacts of the integration's Brevo list
// modified since in.Since (less UnsubscribeOverlap) and reports to HubSpot
// those that are blocklisted, linked by the sync (their ext_id is a record
// it wrote), not blocklisted by the sync itself and not reported before.
// It never changes anything in Brevo.
func (a *Activities) ReportUnsubscribes(ctx context.Context, in ReportUnsubscribesInput) (ReportUnsubscribesResult, error) {
	res := ReportUnsubscribesResult{Until: a.Brevo.ServerNow()}
	q := brevo.ContactQuery{ListID: in.BrevoListID, Sort: brevo.SortAsc, Limit: brevo.MaxContactPage}
	if !in.Since.IsZero() {
		q.ModifiedSince = in.Since.Add(-UnsubscribeOverlap)
	}
	hs, err := a.hubspotOf(in.HubSpot)
	if err != nil {
		return res, err
	}
	r := reporter{a: a, hs: hs, in: in, res: &res}
	for {
		page, total, err := a.Brevo.ListContacts(ctx, q)
		if err != nil {
			return res, temporalError(err)
		}
		if err := r.report(ctx, page); err != nil {
			return res, err
		}
		more := q.NextPage(page, total)
		activity.RecordHeartbeat(ctx, q.Offset)
		if !more {
			return res, nil
		}
	}
}

// reporter reports the pages of one listing.
type reporter struct {
	a   *Activities
	hs  *hubspot.Client
	in  ReportUnsubscribesInput
	res *ReportUnsubscribesResult
	// propertiesReady: the HubSpot properties exist (checked once a call).
	propertiesReady bool
}

func (r *reporter) report(ctx context.Context, page []brevo.Contact) error {
	due, err := r.due(ctx, page)
	if err != nil || len(due) == 0 {
		return err
	}
	if !r.propertiesReady {
		if err := r.ensureProperties(ctx); err != nil {
			return err
		}
		r.propertiesReady = true
	}
	updates := make([]hubspot.ContactUpdate, len(due))
	for i, c := range due {
		at := c.ModifiedAt
		if at.IsZero() {
			at = r.res.Until
		}
		id, _ := r.in.HubSpot.RecordID(c.ExtID) // due keeps the account's own
		updates[i] = hubspot.ContactUpdate{ID: id, Properties: map[string]string{
			PropBrevoBlacklisted: "true", PropBrevoBlacklistedAt: at.UTC().Format("2006-01-02T15:04:05.000Z"),
		}}
	}
	upd, err := r.hs.BatchUpdateContacts(ctx, updates)
	if err != nil {
		return scopeError(err, "crm.objects.contacts.write", r.in.Integration)
	}
	upd.Missing = r.in.HubSpot.ExtIDs(upd.Missing)
	if err := r.unsubscribe(ctx, due, upd.Missing); err != nil {
		return err
	}
	ids := make([]string, 0, len(due))
	var outcomes []store.Outcome
	for _, c := range due {
		ids = append(ids, c.ExtID)
		if !slices.Contains(upd.Missing, c.ExtID) {
			r.res.Reported++
			outcomes = append(outcomes, storeOutcome(mapping.Outcome{HubSpotID: c.ExtID, Email: c.Email, Kind: "reported", Reason: ReasonUnsubscribedInBrevo,
				Text: "blocklisted in Brevo; reported to HubSpot (" + PropBrevoBlacklisted + ")"}))
		}
	}
	// A record HubSpot deleted since has nobody to report to: done too.
	if err := r.a.Store.MarkReported(ctx, r.in.Integration, ids, time.Now()); err != nil {
		return temporalError(err)
	}
	return temporalError(r.a.Store.SaveOutcomes(ctx, r.in.Integration, outcomes))
}

// due keeps the page's contacts to report: blocklisted, linked by the
// sync, not blocklisted by it, not reported yet; in ext_id order.
func (r *reporter) due(ctx context.Context, page []brevo.Contact) ([]brevo.Contact, error) {
	blocked := map[string]brevo.Contact{}
	for _, c := range page {
		if _, ours := r.in.HubSpot.RecordID(c.ExtID); c.EmailBlacklisted && ours {
			blocked[c.ExtID] = c
		}
	}
	if len(blocked) == 0 {
		return nil, nil
	}
	ids := slices.Sorted(maps.Keys(blocked))
	records, err := r.a.Store.Records(ctx, r.in.Integration, ids)
	if err != nil {
		return nil, temporalError(err)
	}
	consents, err := r.a.Store.Consents(ctx, r.in.Integration, ids)
	if err != nil {
		return nil, temporalError(err)
	}
	var due []brevo.Contact
	for _, id := range ids {
		rec, known := records[id]
		consent := consents[id]
		switch {
		case !known || rec.Hash == "":
			// Not a contact the sync linked: somebody else's business.
		case !consent.BlocklistedAt.IsZero():
			r.res.Own++
		case consent.ReportedAt.IsZero():
			due = append(due, blocked[id])
		}
	}
	return due, nil
}

// ensureProperties creates the two properties unless they exist.
func (r *reporter) ensureProperties(ctx context.Context) error {
	for _, p := range []hubspot.NewProperty{
		{Name: PropBrevoBlacklisted, Label: "Blocklisted in Brevo", Type: "bool", FieldType: "booleancheckbox", GroupName: "emailinformation",
			Description: "The contact unsubscribed from (or was blocklisted for) email in Brevo. Set by hubspot-brevo-sync.",
			Options:     []hubspot.PropertyOption{{Label: "Yes", Value: "true"}, {Label: "No", Value: "false"}}},
		{Name: PropBrevoBlacklistedAt, Label: "Blocklisted in Brevo at", Type: "datetime", FieldType: "date", GroupName: "emailinformation",
			Description: "When hubspot-brevo-sync found the contact blocklisted in Brevo (Brevo's modifiedAt of the contact then)."},
	} {
		if _, err := r.hs.EnsureProperty(ctx, p); err != nil {
			return scopeError(err, "crm.schemas.contacts.write", r.in.Integration)
		}
	}
	return nil
}

// unsubscribe unsubscribes the reported emails from the subscription type,
// when one is configured.
func (r *reporter) unsubscribe(ctx context.Context, due []brevo.Contact, missing []string) error {
	if r.in.SubscriptionID == "" {
		return nil
	}
	for _, c := range due {
		if c.Email == "" || slices.Contains(missing, c.ExtID) {
			continue
		}
		err := r.hs.UnsubscribeEmail(ctx, hubspot.Unsubscribe{
			EmailAddress: c.Email, SubscriptionID: r.in.SubscriptionID,
			LegalBasis: "LEGITIMATE_INTEREST_OTHER", LegalBasisExplanation: "The contact unsubscribed in Brevo (reported by hubspot-brevo-sync).",
		})
		if err != nil {
			return scopeError(err, "communication_preferences.write", r.in.Integration)
		}
		activity.RecordHeartbeat(ctx, c.ExtID)
	}
	return nil
}

// scopeError makes HubSpot's refusal of a write for want of scope one line
// that names the scope and the way on; other errors keep their kind.
func scopeError(err error, scope, integration string) error {
	if e, ok := httpx.AsError(err); ok && e.Kind == httpx.KindAuth && e.Code == "MISSING_SCOPES" {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf(
			"--report-unsubscribes-to-hubspot of %s needs the HubSpot scope %s, which the token lacks (%s); contacts keep syncing, and the next poll after it is granted reports the unsubscribes",
			integration, scope, e.Message), ErrTypeMissingScope, err)
	}
	return temporalError(err)
}
