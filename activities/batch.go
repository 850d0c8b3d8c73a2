package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"hubspot-brevo-sync/internal/integration"
	"hubspot-brevo-sync/internal/mapping"
	"hubspot-brevo-sync/internal/quota"
	"hubspot-brevo-sync/internal/store"
)

// BatchInput is one batch of a pass: where to read, what may be written,
// and the imports of earlier batches to confirm. It carries no contact.
type BatchInput struct {
	Integration   string       `json:"integration"`
	HubSpotListID string       `json:"hubspotListId"`
	BrevoListID   int64        `json:"brevoListId"`
	Mapping       mapping.Spec `json:"mapping"`
	// Key names the batch ("pass/sequence"): the store remembers which
	// batch wrote each record, so a retried attempt counts nothing twice.
	Key    string `json:"key"`
	Pass   int    `json:"pass"`
	Source Source `json:"source"`
	// Reservation names the batch's reservation on the monthly task quota
	// (stable across attempts, unique over the integration's life). The
	// batch reserves exactly what it needs to write; granted less, it
	// writes that many and reports QuotaShort without moving its position.
	Reservation string `json:"reservation"`
	// ImportMin is the fewest contacts written as one Brevo import.
	ImportMin int `json:"importMin"`
	// Imports are earlier batches' imports not confirmed yet, all of them:
	// the rows of any other import are dropped as abandoned. The oldest
	// MustConfirm of them are confirmed before the batch returns.
	Imports       []integration.Import `json:"imports,omitempty"`
	MustConfirm   int                  `json:"mustConfirm,omitempty"`
	ImportTimeout time.Duration        `json:"importTimeout"`
	// OnLeave is the integration's leave policy, for the contacts that
	// stop being marketing contacts (Mapping.Consent); "" is unlink.
	OnLeave string `json:"onLeave,omitempty"`

	// HubSpot is the account read ("": the default connection); its
	// ext_ids key the contacts from the read on.
	HubSpot integration.HubSpotAccount `json:"hubspot,omitzero"`
}

// Source says what a batch reads.
type Source struct {
	// Phase is integration.PhaseMembers, PhaseJoiners or PhaseChanges;
	// "" reads nothing (the batch only confirms imports).
	Phase    string `json:"phase,omitempty"`
	Position string `json:"position,omitempty"`
	Pages    int    `json:"pages"`
	// Since and Until bound the changes window.
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
}

// BatchResult says what a batch did: positions, counts and ids at most.
type BatchResult struct {
	Position string `json:"position,omitempty"`
	Last     bool   `json:"last"`
	// Members counts the list members read, Missing those HubSpot no
	// longer returned, ListSize HubSpot's count of the list.
	Members  int `json:"members"`
	Missing  int `json:"missing"`
	ListSize int `json:"listSize"`
	// Written counts what this batch wrote and Brevo confirmed.
	Written Tally `json:"written"`
	// QuotaShort: the grant ran out; the position did not move.
	QuotaShort bool `json:"quotaShort,omitempty"`
	// Sent is the import this batch sent, to be confirmed later.
	Sent *integration.Import `json:"sent,omitempty"`
	// Confirmed are earlier imports now confirmed (or repaired).
	Confirmed []Confirmed `json:"confirmed,omitempty"`
	// Problems are some of the batch's skipped and failed records, ids and
	// reasons only (all of them are in the store).
	Problems []mapping.Outcome `json:"problems,omitempty"`
	// Unlinked counts the contacts removed from the Brevo list because
	// they stopped being marketing contacts (consent.go).
	Unlinked int `json:"unlinked,omitempty"`
}

// Tally counts records by how they ended.
type Tally struct {
	Created   int            `json:"created"`
	Updated   int            `json:"updated"`
	Unchanged int            `json:"unchanged"`
	Failed    int            `json:"failed"`
	Skipped   map[string]int `json:"skipped,omitempty"`
}

// Confirmed is an import whose rows were all read back from Brevo (or
// repaired one by one, or failed with Brevo's reason).
type Confirmed struct {
	ProcessID int64  `json:"processId"`
	Batch     string `json:"batch"`
	Tally
}

// MaxProblems bounds the problems one batch returns to the workflow.
const MaxProblems = 20

// SyncBatch is the one pipeline step every pass uses: read a stretch of
// HubSpot (memberships pages, joiners or a window of changes), map it,
// leave out what Brevo already has, confirm earlier imports by reading
// Brevo back, write the rest through the writer that fits their number,
// and record every outcome in the store.
func (a *Activities) SyncBatch(ctx context.Context, in BatchInput) (BatchResult, error) {
	b := &batch{a: a, in: in, started: time.Now()}
	if err := b.run(ctx); err != nil {
		return BatchResult{}, b.retryError(err)
	}
	return b.res, nil
}

// batch is one attempt of a SyncBatch.
type batch struct {
	a       *Activities
	in      BatchInput
	res     BatchResult
	started time.Time
	// progressed says this attempt wrote something: a failure after it is
	// retried soon, not after a backoff grown while it succeeded.
	progressed bool
	written    []store.Written
	outcomes   []store.Outcome
	// indexed says this attempt brought the identity index up to date.
	indexed bool
	// importingSMS are numbers rows of unconfirmed imports hold.
	importingSMS map[string]bool
	// confirmedImports are the imports this attempt confirmed.
	confirmedImports map[int64]bool
	// inBrevo says, per import row, whether the row updates a contact the
	// index knows (else it creates one).
	inBrevo map[string]bool
	// hashes overrides the hash of contacts written with less than the
	// mapping gave (an SMS Brevo would refuse left out).
	hashes map[string]string
	// blocklisted are records confirmed blocklisted, not stamped yet;
	// notMarketing the records skipped as non-marketing contacts
	// (consent.go).
	blocklisted  []string
	notMarketing []mapping.Outcome
}

func (b *batch) run(ctx context.Context) error {
	if err := b.resume(ctx); err != nil {
		return err
	}
	// Earlier imports are read back from Brevo while HubSpot is read:
	// the two APIs' limits are separate. While imports are in flight (a
	// bulk pass, whose next batch most likely imports too), so is the
	// identity index brought up to date for the writer: the Brevo calls
	// between the read and the write are then the write's alone. (The
	// index is a few seconds older at the write than it was; it is
	// seconds older again when Brevo applies the import, and the
	// read-back confirms every row either way.)
	confirmed := make(chan error, 1)
	go func() {
		err := b.confirm(ctx)
		if err == nil && b.in.Source.Phase != "" && len(b.in.Imports) > 0 {
			err = b.refreshIndex(ctx)
		}
		confirmed <- err
	}()
	records, err := b.read(ctx)
	if cerr := <-confirmed; err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	contacts := b.mapRecords(records)
	if err := b.unlinkNotMarketing(ctx); err != nil {
		return err
	}
	todo, err := b.diff(ctx, contacts)
	if err != nil {
		return err
	}
	if err := b.waitForRacingImports(ctx, todo); err != nil {
		return err
	}
	granted, err := b.reserve(ctx, len(todo))
	if err != nil {
		return err
	}
	if err := b.write(ctx, todo, granted); err != nil {
		// Keep what this attempt wrote: the next one goes on from there
		// and counts it under this batch, not again as updated.
		if ferr := b.flush(context.WithoutCancel(ctx)); ferr != nil {
			return errors.Join(err, ferr)
		}
		return err
	}
	if err := b.flush(ctx); err != nil {
		return err
	}
	if err := b.count(ctx); err != nil {
		return err
	}
	if b.res.Sent != nil {
		b.res.Sent.Reservation = b.in.Reservation
		return nil // committed once the import is confirmed
	}
	return b.commit(ctx, b.in.Reservation, b.in.Key)
}

// reserve asks the quota ledger for the tasks the batch needs. A retried
// attempt gets the first attempt's grant.
func (b *batch) reserve(ctx context.Context, need int) (int, error) {
	if need == 0 {
		return 0, nil
	}
	g, err := b.a.ReserveTasks(ctx, quota.ReserveRequest{Integration: b.in.Integration, ID: b.in.Reservation, Tasks: int64(need)})
	if err != nil {
		return 0, err
	}
	// Not capped at need: a retried attempt needs less than the first
	// (its earlier writes are done) and room subtracts those from the
	// first attempt's grant.
	return int(g.Granted), nil
}

// commit reports a reservation's confirmed writes (those under key and
// its import's) to the ledger; the rest goes back to the pool. Committing
// twice counts once.
func (b *batch) commit(ctx context.Context, reservation, key string) error {
	if reservation == "" {
		return nil
	}
	written := 0
	for _, k := range []string{key, importKey(key)} {
		n, err := b.a.Store.CountWritten(ctx, b.in.Integration, k)
		if err != nil {
			return err
		}
		written += n[mapping.OutcomeCreated] + n[mapping.OutcomeUpdated]
	}
	return b.a.CommitTasks(ctx, quota.CommitRequest{Integration: b.in.Integration, ID: reservation, Written: int64(written)})
}

// mapRecords applies the mapping; skipped records are counted and their
// reasons kept.
func (b *batch) mapRecords(records []mapping.Record) []mapping.Contact {
	contacts, skipped := mapping.MapAll(b.in.Mapping, records)
	for _, o := range skipped {
		if b.res.Written.Skipped == nil {
			b.res.Written.Skipped = map[string]int{}
		}
		b.res.Written.Skipped[o.Reason]++
		if o.Reason == mapping.ReasonNotMarketingContact {
			b.notMarketing = append(b.notMarketing, o) // its problem says whether it was unlinked
			continue
		}
		b.problem(o)
	}
	return contacts
}

// diff leaves out the contacts Brevo already holds with these values, and
// those another batch of this pass wrote or is importing.
func (b *batch) diff(ctx context.Context, cs []mapping.Contact) ([]mapping.Contact, error) {
	known, err := b.a.Store.Records(ctx, b.in.Integration, relatedIDs(cs))
	if err != nil {
		return nil, err
	}
	var todo []mapping.Contact
	for _, c := range cs {
		r := known[c.ExtID]
		switch {
		case r.WrittenIn == b.in.Key, r.WrittenIn == importKey(b.in.Key):
			// An earlier attempt of this batch wrote it; count finds it.
		case r.Importing, samePass(r.WrittenIn, b.in.Pass):
		case r.Hash == ContentHash(c):
			b.res.Written.Unchanged++
		default:
			todo = append(todo, c)
		}
	}
	return todo, nil
}

// waitForRacingImports makes the batch confirm every earlier import
// before writing when one of its contacts shares an email with an import
// row not applied yet (Brevo would apply the two in either order), or an
// SMS and the batch writes one by one. In an import batch a shared SMS
// only leaves the number out of the row (router).
func (b *batch) waitForRacingImports(ctx context.Context, todo []mapping.Contact) error {
	if len(b.in.Imports) == 0 || len(todo) == 0 {
		return nil
	}
	emails, sms := identifiersOf(todo)
	heldEmails, heldSMS, err := b.a.Store.Importing(ctx, b.in.Integration, emails, sms)
	if err != nil {
		return err
	}
	b.importingSMS = heldSMS
	oneByOne := len(todo) < max(b.in.ImportMin, 1)
	if len(heldEmails) == 0 && (len(heldSMS) == 0 || !oneByOne) {
		return nil
	}
	b.in.MustConfirm = len(b.in.Imports)
	return b.confirm(ctx)
}

// identifiersOf lists the contacts' emails (lower case) and SMS numbers
// (digits) as the store and Brevo compare them.
func identifiersOf(cs []mapping.Contact) (emails, sms []string) {
	for _, c := range cs {
		if c.Email != "" {
			emails = append(emails, strings.ToLower(c.Email))
		}
		if k, ok := smsKey(c.SMS()); ok {
			sms = append(sms, k)
		}
	}
	return emails, sms
}

// samePass reports whether a batch key belongs to the given pass.
func samePass(key string, pass int) bool {
	return strings.HasPrefix(key, fmt.Sprintf("%d/", pass))
}

// importKey is the key under which a batch's import rows are written, so
// that their count, known only once confirmed, is kept apart from the
// batch's own.
func importKey(key string) string { return key + "/import" }

// problem keeps an outcome for the store and, ids and reasons only, for
// the workflow.
func (b *batch) problem(o mapping.Outcome) {
	b.outcomes = append(b.outcomes, storeOutcome(o))
	if len(b.res.Problems) < MaxProblems {
		b.res.Problems = append(b.res.Problems, mapping.Outcome{HubSpotID: o.HubSpotID, Kind: o.Kind, Reason: o.Reason})
	}
}

// flush saves what was written and the outcomes.
func (b *batch) flush(ctx context.Context) error {
	if err := b.stampBlocklisted(ctx); err != nil {
		return err
	}
	if err := b.a.Store.SaveWritten(ctx, b.in.Integration, b.written); err != nil {
		return err
	}
	b.written = b.written[:0]
	err := b.a.Store.SaveOutcomes(ctx, b.in.Integration, b.outcomes)
	b.outcomes = b.outcomes[:0]
	return err
}

// count reports the batch's writes as the store has them, this attempt's
// and any earlier attempt's alike.
func (b *batch) count(ctx context.Context) error {
	n, err := b.a.Store.CountWritten(ctx, b.in.Integration, b.in.Key)
	if err != nil {
		return err
	}
	b.res.Written.Created = n[mapping.OutcomeCreated]
	b.res.Written.Updated = n[mapping.OutcomeUpdated]
	b.res.Written.Failed = n[mapping.OutcomeFailed]
	return nil
}

// retryError converts a failure for Temporal. An attempt that made
// progress is retried in a second (or when the rate limit says): its work
// is in the store and the next attempt goes on from there.
func (b *batch) retryError(err error) error {
	err = temporalError(err)
	var ae *temporal.ApplicationError
	if !b.progressed || !errors.As(err, &ae) || ae.NonRetryable() {
		return err
	}
	delay := time.Second
	if d := ae.NextRetryDelay(); d > delay {
		delay = d
	}
	return temporal.NewApplicationErrorWithOptions(ae.Error(), ae.Type(), temporal.ApplicationErrorOptions{
		NextRetryDelay: delay, Cause: err, Category: ae.Category(),
	})
}

// heartbeat tells Temporal the attempt is alive, with what a retry needs.
func (b *batch) heartbeat(ctx context.Context) {
	activity.RecordHeartbeat(ctx, batchProgress{Sent: b.res.Sent})
}

// resume takes over what an earlier attempt left: the import it sent is
// this batch's; import rows saved without a sent import (the attempt died
// in between, or its heartbeat was lost) are dropped and written again,
// and so are the rows of imports the workflow does not carry (a batch
// that sent one and then failed for good): nobody would confirm them.
func (b *batch) resume(ctx context.Context) error {
	var p batchProgress
	if activity.HasHeartbeatDetails(ctx) && activity.GetHeartbeatDetails(ctx, &p) == nil && p.Sent != nil {
		b.res.Sent = p.Sent
	}
	keep := make([]string, 0, len(b.in.Imports)+1)
	for _, imp := range b.in.Imports {
		keep = append(keep, imp.Batch)
	}
	if b.res.Sent != nil {
		keep = append(keep, b.res.Sent.Batch)
	}
	return b.a.Store.DropAbandonedImports(ctx, b.in.Integration, keep)
}

// batchProgress is what a retried attempt needs from an earlier one: the
// import it sent, if any.
type batchProgress struct {
	Sent *integration.Import `json:"sent,omitempty"`
}
