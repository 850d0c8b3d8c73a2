package doctor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"hubspot-brevo-sync/internal/brevo"
	"hubspot-brevo-sync/internal/httpx"
)

// importOne imports the canary with its EXT_ID among the attributes, as
// the sync's imports do, and waits for the process.
func (c *canaryRun) importOne(ctx context.Context) bool {
	start := time.Now()
	p, ok := c.sendImport(ctx, canaryImport)
	if !ok {
		return false
	}
	for k, v := range p.ImportReport() {
		if v != "0" {
			c.refusals = append(c.refusals, k+" "+v)
		}
	}
	slices.Sort(c.refusals)
	c.observeProcessList(ctx, p.ID)
	c.r.pass(canaryImport, "import process %d completed in %s", p.ID, time.Since(start).Round(time.Second))
	return true
}

// sendImport imports the canary row and waits for its process to end;
// a failure is check's.
func (c *canaryRun) sendImport(ctx context.Context, check string) (brevo.Process, bool) {
	id, err := c.b.ImportContacts(ctx, brevo.ImportRequest{
		Contacts: []brevo.ImportContact{{Email: c.email(), Attributes: map[string]any{"EXT_ID": c.extID()}}},
		ListIDs:  []int64{c.list}, UpdateExistingContacts: true,
		DisableNotification: true, // no "import finished" mail to the account owner
	})
	c.imported = true // even an error may follow an accepted import (524)
	if err != nil {
		c.r.fail(check, "%s", oneLine(err))
		return brevo.Process{}, false
	}
	c.process, c.settled = id, false
	p, err := waitForProcess(ctx, c.b, id)
	if err != nil {
		c.r.fail(check, "import process %d: %s", id, oneLine(err))
		return p, false
	}
	c.settled = true
	if p.Failed() {
		c.r.fail(check, "import process %d ended %s: %s", id, p.Status, p.Error)
		return p, false
	}
	p.ID = id
	return p, true
}

// processPolls spaces the reads of a process: its family has 100 requests
// an hour on the general tier, shared with the worker.
var processPolls = []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 5 * time.Second}

// waitForProcess reads the process until it is done or ctx ends.
func waitForProcess(ctx context.Context, b *brevo.Client, id int64) (brevo.Process, error) {
	for i := 0; ; i++ {
		t := time.NewTimer(processPolls[min(i, len(processPolls)-1)])
		select {
		case <-ctx.Done():
			t.Stop()
			return brevo.Process{}, fmt.Errorf("not done in time: %w", ctx.Err())
		case <-t.C:
		}
		p, err := b.GetProcess(ctx, id)
		if err != nil {
			return p, err
		}
		if p.Done() {
			return p, nil
		}
	}
}

// observeProcessList reads the /processes listing once: the sync confirms
// imports from it when its items carry info, and reads each process
// otherwise.
func (c *canaryRun) observeProcessList(ctx context.Context, id int64) {
	c.r.observe("processListHasInfo", nil) // unknown unless the listing shows the process
	ps, err := c.b.ListProcesses(ctx, 0, brevo.MaxProcessPage)
	if err != nil {
		return
	}
	for _, p := range ps {
		if p.ID == id {
			_, hasInfo := p.Import()
			c.r.observe("processListHasInfo", hasInfo)
		}
	}
}

// readBack finds the canary among the scratch list's contacts and tells
// whether the import kept its EXT_ID.
func (c *canaryRun) readBack(ctx context.Context) bool {
	k, ok := c.find(ctx, canaryReadBack)
	if !ok {
		return false
	}
	kept := k.ExtID == c.extID()
	c.r.observe("importKeepsExtId", kept)
	how := "kept the EXT_ID: imports set ext_ids"
	if !kept {
		how = "dropped the EXT_ID: the sync sets ext_ids by batch updates after each import"
	}
	c.r.pass(canaryReadBack, "contact %d read back from the scratch list; the import %s", k.ID, how)
	return true
}

// find reads the canary back from the scratch list; a failure is check's.
func (c *canaryRun) find(ctx context.Context, check string) (brevo.Contact, bool) {
	page, _, err := c.b.ListContacts(ctx, brevo.ContactQuery{ListID: c.list, Limit: 10})
	if err != nil {
		c.r.fail(check, "listing the scratch list: %s", oneLine(err))
		return brevo.Contact{}, false
	}
	i := slices.IndexFunc(page, func(k brevo.Contact) bool { return strings.EqualFold(k.Email, c.email()) })
	if i < 0 {
		why := ""
		if len(c.refusals) > 0 {
			why = "; the import report: " + strings.Join(c.refusals, ", ")
		}
		c.r.fail(check, "the imported contact %s is not in the scratch list %d%s", c.email(), c.list, why)
		return brevo.Contact{}, false
	}
	return page[i], true
}

// reimportBlocklisted blocklists the canary, as a person unsubscribing
// would, and imports it again: whether an import clears the blocklisting
// of a contact it updates. The sync imports no blocklisted contact either
// way; this says whether that care is needed.
func (c *canaryRun) reimportBlocklisted(ctx context.Context) bool {
	err := c.b.UpdateContact(ctx, c.email(), brevo.IdentifierEmail, brevo.ContactUpdate{EmailBlacklisted: brevo.Bool(true)})
	if err != nil {
		c.r.fail(canaryBlocklist, "blocklisting the canary: %s", oneLine(err))
		return false
	}
	if _, ok := c.sendImport(ctx, canaryBlocklist); !ok {
		return false
	}
	k, ok := c.find(ctx, canaryBlocklist)
	if !ok {
		return false
	}
	c.r.observe("importKeepsBlocklist", k.EmailBlacklisted)
	how := "left its blocklisting alone"
	if !k.EmailBlacklisted {
		how = "cleared its blocklisting (the sync never imports a blocklisted contact, so nobody is resubscribed)"
	}
	c.r.pass(canaryBlocklist, "the canary, blocklisted, imported again: the import %s", how)
	return true
}

// removeTwice removes the canary from the list, then again: the second
// call shows how Brevo answers a removal with nothing left to remove.
func (c *canaryRun) removeTwice(ctx context.Context) bool {
	who := brevo.Members{Emails: []string{c.email()}}
	first, err := c.b.RemoveFromList(ctx, c.list, who)
	if err != nil {
		c.r.fail(canaryRemove, "first removal: %s", oneLine(err))
		return false
	}
	if !containsFold(first.Success, c.email()) {
		c.r.fail(canaryRemove, "the first removal did not remove the canary (success %v, failure %v)", first.Success, first.Failure)
		return false
	}
	second, err := c.b.RemoveFromList(ctx, c.list, who)
	if err != nil {
		c.r.fail(canaryRemove, "second removal (nothing left to remove): %s", oneLine(err))
		return false
	}
	answer := "(not recorded)"
	if c.r.o.BrevoAnswers != nil {
		if a, ok := c.r.o.BrevoAnswers.LastRemoval(); ok {
			c.r.observe("removeAbsentStatus", a.Status)
			c.r.observe("removeAbsentMessage", a.Message)
			answer = fmt.Sprintf("%d %q", a.Status, a.Message)
		}
	}
	if containsFold(second.Absent, c.email()) {
		c.r.pass(canaryRemove, "removed; the second removal answered %s, read as nothing left to remove", answer)
	} else {
		c.r.pass(canaryRemove, "removed; the second removal answered %s and removed it again (Brevo applies removals in the background)", answer)
	}
	return true
}

func containsFold(xs []string, s string) bool {
	return slices.ContainsFunc(xs, func(x string) bool { return strings.EqualFold(x, s) })
}

// cleanup deletes what the canary created, each part at most once and a
// part already gone counting as deleted, so running it again is harmless.
func (c *canaryRun) cleanup(parent context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), cleanupBudget)
	defer cancel()
	var left, deleted []string
	gone := func(what string, err error) bool {
		if err == nil || httpx.IsKind(err, httpx.KindNotFound) {
			deleted = append(deleted, what)
			return true
		}
		left = append(left, fmt.Sprintf("%s (%s)", what, oneLine(err)))
		return false
	}
	if c.imported {
		c.settleImport(ctx, &left)
		if gone("contact "+c.email(), c.b.DeleteContact(ctx, c.email(), brevo.IdentifierEmail)) {
			c.imported = false
		}
	}
	if c.list > 0 && gone(fmt.Sprintf("list %d", c.list), c.b.DeleteList(ctx, c.list)) {
		c.list = 0
	}
	if c.folder > 0 && gone(fmt.Sprintf("folder %d", c.folder), c.b.DeleteFolder(ctx, c.folder)) {
		c.folder = 0
	}
	switch {
	case len(left) > 0:
		c.r.fail(canaryCleanup, "left behind: %s; delete them in Brevo (names start with %s)", strings.Join(left, "; "), CanaryPrefix)
	case len(deleted) == 0:
		c.r.pass(canaryCleanup, "nothing left to delete")
	default:
		c.r.pass(canaryCleanup, "deleted %s", strings.Join(deleted, ", "))
	}
}

// settleImport waits for an import that had not finished: deleting its
// contact before Brevo creates it would leave the contact behind.
func (c *canaryRun) settleImport(ctx context.Context, left *[]string) {
	if c.settled || c.process == 0 {
		return
	}
	wait, cancel := context.WithTimeout(ctx, cleanupBudget/2)
	defer cancel()
	if _, err := waitForProcess(wait, c.b, c.process); err != nil {
		*left = append(*left, fmt.Sprintf("possibly contact %s: import process %d had not finished (%s)", c.email(), c.process, oneLine(err)))
		return
	}
	c.settled = true
}
